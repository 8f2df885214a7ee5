"""SFT and reward-model loops on the tiny model, run in-process (no Ray) for speed."""

import socket
from pathlib import Path

import pytest
import torch

from rlhf.config import ModelSettings, TrainSettings, load_config
from rlhf.models.loading import load_causal_lm
from rlhf.models.reward_model import freeze_lower_layers, load_reward_model
from rlhf.models.reward_scoring import score_sequences
from rlhf.training.checkpoint import latest_checkpoint
from rlhf.training.context import LocalContext
from rlhf.training.examples import epoch_batches, judge_half, take_stratified
from rlhf.training.optimization import DEEPSPEED_DIR, make_optimization
from rlhf.training.reward import build_model, examples, role_pairs, run_reward_model
from rlhf.training.sft import run_sft


class Killed(Exception):
    pass


class DyingContext(LocalContext):
    """Dies (like a killed worker) when the loop reports training step `die_at`."""

    def __init__(self, die_at: int):
        super().__init__()
        self.die_at = die_at

    def report(self, metrics, step):
        super().report(metrics, step)
        if step == self.die_at and any(k.endswith("train_loss") for k in metrics):
            raise Killed()


def tiny(*overrides):
    return load_config("tiny", list(overrides))


def train_steps(ctx):
    return [step for step, m in ctx.reports if any(k.endswith("train_loss") for k in m)]


def test_sft_learns_and_writes_loadable_outputs(tmp_path):
    config = tiny("sft.learning_rate=2e-3", "sft.train_examples=48")
    result = run_sft(config, LocalContext(), tmp_path, "fp")
    assert result["eval_loss"] < result["base_eval_loss"]
    assert (tmp_path / "adapter" / "adapter_config.json").is_file()
    merged = load_causal_lm(ModelSettings(name=result["merged_dir"]))
    assert merged.tokenizer.chat_template  # later stages format prompts with it
    assert not any("lora" in name for name, _ in merged.model.named_parameters())


def test_full_finetuning_writes_only_the_merged_model(tmp_path):
    result = run_sft(tiny("model.lora.enabled=false", "sft.train_examples=16"), LocalContext(), tmp_path, "fp")
    assert result["adapter_dir"] is None and not (tmp_path / "adapter").exists()
    assert (tmp_path / "merged" / "config.json").is_file()


def test_a_killed_sft_run_resumes_where_it_stopped(tmp_path):
    config = tiny("sft.train_examples=48", "sft.batch_size=4", "sft.checkpoint_every=3")  # 12 steps
    dying = DyingContext(die_at=7)
    with pytest.raises(Killed):
        run_sft(config, dying, tmp_path, "fp")
    assert latest_checkpoint(tmp_path / "checkpoints").name == "step-000006"
    again = LocalContext()
    result = run_sft(config, again, tmp_path, "fp")
    assert train_steps(again) == list(range(7, 13))  # the count goes on from the checkpoint, not from zero
    assert result["steps"] == 12
    # the base loss measured before the kill is carried over, not re-measured on a half-trained model
    assert again.reports[0][1]["sft/base_eval_loss"] == dying.reports[0][1]["sft/base_eval_loss"]


class DeepSpeedContext(DyingContext):
    """One process whose optimizer step is DeepSpeed ZeRO-2 (what a Ray Train worker gets from the config)."""

    def optimization(self, model, optimizer, scheduler, max_grad_norm, micro_batch, grad_accum):
        settings = TrainSettings(strategy="deepspeed", zero_stage=2)
        return make_optimization(settings, model, optimizer, scheduler, max_grad_norm, micro_batch, grad_accum, 0, 1)


@pytest.fixture
def process_group(monkeypatch):
    """DeepSpeed runs over torch.distributed: a one-process gloo group, as on a one-worker Ray Train run."""
    for name, value in (("LOCAL_RANK", "0"), ("RANK", "0"), ("WORLD_SIZE", "1"), ("LOCAL_WORLD_SIZE", "1")):
        monkeypatch.setenv(name, value)  # Ray Train sets these on its workers
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    torch.distributed.init_process_group("gloo", init_method=f"tcp://127.0.0.1:{port}", rank=0, world_size=1)
    yield
    torch.distributed.destroy_process_group()


def test_deepspeed_zero_trains_and_a_killed_run_resumes_from_its_own_checkpoint(tmp_path, process_group):
    config = tiny("sft.train_examples=32", "sft.batch_size=4", "sft.grad_accum=2", "sft.checkpoint_every=2",
                  "sft.learning_rate=2e-3")  # 4 steps of 2 micro-batches
    with pytest.raises(Killed):
        run_sft(config, DeepSpeedContext(die_at=3), tmp_path, "fp")
    assert (tmp_path / "checkpoints" / DEEPSPEED_DIR / "latest").read_text().strip() == "step-000002"
    again = DeepSpeedContext(die_at=-1)
    result = run_sft(config, again, tmp_path, "fp")
    assert train_steps(again) == [3, 4] and result["steps"] == 4
    assert all(m["sft/grad_norm"] > 0 for _, m in again.reports if "sft/grad_norm" in m)
    assert result["eval_loss"] < result["base_eval_loss"]
    assert (tmp_path / "merged" / "config.json").is_file()
    import deepspeed.ops

    assert deepspeed.ops.__compatible_ops__["deepspeed_shm_comm"] is False  # one worker: its allreduce kernel is never built


def test_a_checkpoint_from_another_config_is_not_resumed(tmp_path):
    config = tiny("sft.train_examples=16", "sft.batch_size=4", "sft.checkpoint_every=1")
    run_sft(config, LocalContext(), tmp_path, "old-fingerprint")
    fresh = LocalContext()
    run_sft(config, fresh, tmp_path, "new-fingerprint")
    assert train_steps(fresh)[0] == 1


def test_resumed_batches_match_an_uninterrupted_run():
    full = epoch_batches(50, 4, epoch=1, seed=3)
    assert full == epoch_batches(50, 4, epoch=1, seed=3) and full != epoch_batches(50, 4, epoch=2, seed=3)
    two = [epoch_batches(50, 4, 1, 3, rank=r, world_size=2) for r in (0, 1)]
    seen = [i for rank in two for batch in rank for i in batch]
    assert len(seen) == len(set(seen)) == 50  # disjoint shards covering every item
    odd = [epoch_batches(49, 4, 1, 3, rank=r, world_size=2) for r in (0, 1)]
    assert len(odd[0]) == len(odd[1])  # equal step counts per worker, or the report barrier hangs
    assert sum(len(b) for rank in odd for b in rank) == 48


def test_reward_model_trains_saves_and_reloads(tmp_path):
    config = tiny("reward.head_learning_rate=1e-2", "reward.epochs=3")
    result = run_reward_model(config, LocalContext(), tmp_path, "fp")
    for key in ("rm/test_accuracy", "rm/safety_auroc", "rm/safety_ece", "reward_mean", "reward_std"):
        assert result[key] is not None
    assert set(result["per_category"]) and set(result["per_failure"])
    assert all(Path(p).stat().st_size > 10_000 for p in result["artifacts"])  # two real PNG plots
    model, meta = load_reward_model(result["model_dir"])
    assert meta.reward_std == pytest.approx(result["reward_std"]) and meta.extra["role"] == "reward_model"
    from rlhf.models.loading import load_tokenizer

    tok = load_tokenizer(config.model)
    seqs = [e.chosen_ids for e in examples(config, tok, role_pairs(config, "reward_model")[:4])]
    a = score_sequences(model, seqs, tok.pad_token_id, 2)
    b = score_sequences(model, list(reversed(seqs)), tok.pad_token_id, 3)  # batching and padding do not change scores
    assert a.rewards == pytest.approx(list(reversed(b.rewards)), abs=1e-4)


def test_a_killed_reward_model_run_resumes(tmp_path):
    config = tiny("reward.batch_pairs=4", "reward.checkpoint_every=2")  # 8 steps
    with pytest.raises(Killed):
        run_reward_model(config, DyingContext(die_at=5), tmp_path, "fp")
    again = LocalContext()
    result = run_reward_model(config, again, tmp_path, "fp")
    assert train_steps(again) == [5, 6, 7, 8] and result["steps"] == 8


def test_reward_model_and_judge_never_share_a_prompt():
    config = tiny("reward.train_pairs=400")
    rm, judge = role_pairs(config, "reward_model"), role_pairs(config, "judge")
    assert len(rm) == len(judge) == 400
    assert not {p.prompt for p in rm} & {p.prompt for p in judge}
    assert all(not judge_half(p) for p in rm) and all(judge_half(p) for p in judge)


def test_a_stratified_sample_keeps_the_rare_group_and_the_proportions():
    items = [(i, i % 10 < 4) for i in range(100)]  # 40% in the True group
    for seed in range(20):
        small = take_stratified(items, 3, seed, key=lambda item: item[1])
        assert len(small) == 3 and {flag for _, flag in small} == {True, False}
    half = take_stratified(items, 50, 0, key=lambda item: item[1])
    assert len(half) == len(set(half)) == 50 and sum(flag for _, flag in half) == 20
    assert take_stratified(items, 50, 0, key=lambda item: item[1]) == half  # seeded
    assert sorted(take_stratified(items, None, 0, key=lambda item: item[1])) == items
    assert take_stratified(items[:4], 1, 0, key=lambda item: item[1])[0] in items[:4]


def test_frozen_layer_count():
    model, training = build_model(tiny("reward.frozen_layers=1"))
    layers = model.backbone.layers
    assert training == 1
    assert not any(p.requires_grad for p in layers[0].parameters())
    assert all(p.requires_grad for p in layers[1].parameters())
    assert not model.backbone.get_input_embeddings().weight.requires_grad
    assert all(p.requires_grad for p in model.reward_head.parameters())
    with pytest.raises(ValueError, match="frozen_layers=5 but the backbone has 2 layers"):
        freeze_lower_layers(model.backbone, 5)
    cut, training = build_model(tiny("reward.backbone_layers=1", "reward.frozen_layers=0"))
    assert len(cut.backbone.layers) == 1 and training == 1


def test_reward_model_with_lora_and_rating_head(tmp_path):
    config = tiny("reward.lora=true", "reward.rating_head=true", "reward.train_pairs=8", "reward.eval_pairs=8")
    result = run_reward_model(config, LocalContext(), tmp_path, "fp")
    model, meta = load_reward_model(result["model_dir"])
    assert meta.lora and meta.rating_head
    out = model(torch.tensor([[1, 2, 3]]), torch.tensor([[1, 1, 1]]))
    assert out.ratings.shape == (1, 5) and ((out.ratings >= 0) & (out.ratings <= 1)).all()


def test_reply_only_lm_head_gives_the_full_sequence_loss(held_out_pairs):
    from rlhf.losses.sft import masked_lm_loss
    from rlhf.training.examples import collate_sft, sft_example
    from rlhf.training.sft import reply_loss

    config = tiny()
    loaded = load_causal_lm(config.model)
    tok = loaded.tokenizer
    batch = collate_sft([sft_example(tok, p, config.data.system_prompt, 512, 64) for p in held_out_pairs[:5]], tok.pad_token_id)
    assert int(batch["logits_to_keep"]) < batch["input_ids"].size(1)  # the head really runs on fewer positions
    assert (batch["attention_mask"][:, -1] == 1).all()  # left padding: every row ends with its reply
    with torch.no_grad():
        full = loaded.model(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"],
                            position_ids=batch["position_ids"]).logits
        expected_sum, expected_count = masked_lm_loss(full, batch["labels"])
        got_sum, got_count = reply_loss(loaded.model, batch, config, torch.device("cpu"))
    assert got_count == int(expected_count)
    assert got_sum.item() == pytest.approx(expected_sum.item(), rel=1e-5)


def test_ray_train_gets_every_nth_step_and_mlflow_every_step():
    """Ray Train's controller drains one pending report per 2-s poll: a report every step capped the
    loops at one step per 2 s, so only every `train.ray_report_every`-th step goes to Ray Train."""
    from actors.training import RayTrainContext

    class Recorder:
        def __init__(self):
            self.steps = []

        def report(self, metrics, step=None):
            self.steps.append(metrics["step"] if step is None else step)

        log_metrics = report

    ctx = object.__new__(RayTrainContext)  # the reporting alone, without a Ray Train worker around it
    ctx._train, ctx._mlflow, ctx._settings = Recorder(), Recorder(), TrainSettings(ray_report_every=3)
    for step in range(8):
        ctx.report({"loss": 1.0}, step)
    assert ctx._train.steps == [0, 3, 6] and ctx._mlflow.steps == list(range(8))
