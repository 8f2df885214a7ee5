"""Training the clinical reward model (and the independent judge, the same recipe on other data).

Loss: Bradley-Terry on (chosen, rejected) + reward.safety_weight x the safety head's cross-entropy
(+ the rating head's MSE when enabled). Backbone: the policy's base model, optionally cut to its
first `reward.backbone_layers` layers, with the lower `reward.frozen_layers` frozen (or LoRA).
After training: rewards are normalised with the training set's mean and std, the held-out test
split is scored, and the distribution and calibration plots are drawn.

The reward model trains on one half of the training pairs and the judge on the other half (split
by patient message) with another seed, so a policy tuned against the reward model is graded by a
model that never saw the same data (the warning about self-grading in docs/requirements.md, Evaluation).
"""

from __future__ import annotations

import logging
import math
import statistics
import time
from pathlib import Path
from typing import Any, Literal

import torch

from rlhf.models.precision import use_bf16
from rlhf.config import Config
from rlhf.data.loading import load_preferences
from rlhf.data.schema import PreferencePair
from rlhf.losses.reward import reward_model_loss
from rlhf.models.checkpoints import resolve_checkpoint
from rlhf.models.loading import load_tokenizer
from rlhf.models.registry import REGISTRY
from rlhf.models.reward_model import ClinicalRewardModel, RewardModelMeta, freeze_lower_layers, save_reward_model
from rlhf.models.reward_scoring import score_sequences
from rlhf.plots import calibration_plot, reward_histogram
from rlhf.reward_eval import evaluate_scores
from rlhf.training.checkpoint import loop_state
from rlhf.training.context import TrainContext
from rlhf.training.optimization import unwrap
from rlhf.training.examples import PairExample, collate_pairs, epoch_batches, judge_half, pair_example, take
from rlhf.training.sft import autocast

log = logging.getLogger(__name__)
SECTIONS = ("model.name", "model.cache_dir", "model.lora", "data", "reward", "train.precision", "runtime.seed")
Role = Literal["reward_model", "judge"]
NORMALISATION_PAIRS = 64


def build_model(config: Config) -> tuple[ClinicalRewardModel, int]:
    """The reward model on the base model's backbone; returns it and how many layers train."""
    from transformers import AutoModel
    from transformers.utils import logging as hf_logging

    settings = config.reward
    path = resolve_checkpoint(config.model.name, config.model.cache_dir)
    kwargs: dict[str, Any] = {"dtype": torch.float32}
    if settings.backbone_layers is not None:
        kwargs["num_hidden_layers"] = settings.backbone_layers
    verbosity = hf_logging.get_verbosity()
    hf_logging.set_verbosity_error()  # cutting layers off is intended: no "unexpected keys" report
    try:
        backbone = AutoModel.from_pretrained(path, **kwargs)
    finally:
        hf_logging.set_verbosity(verbosity)
    hidden = backbone.config.hidden_size
    if settings.lora:
        from peft import LoraConfig, get_peft_model

        spec = REGISTRY.get(config.model.name)
        targets = config.model.lora.target_modules or (list(spec.lora_targets) if spec else "all-linear")
        lora = config.model.lora
        backbone = get_peft_model(backbone, LoraConfig(r=lora.r, lora_alpha=lora.alpha, lora_dropout=lora.dropout, target_modules=targets))
        training_layers = backbone.config.num_hidden_layers
    else:
        training_layers = freeze_lower_layers(backbone, settings.frozen_layers)
    return ClinicalRewardModel(backbone, hidden, rating_head=settings.rating_head), training_layers


def role_pairs(config: Config, role: Role) -> list[PreferencePair]:
    pairs = load_preferences(config.data.train_path, config.data.max_history_turns)
    mine = [p for p in pairs if judge_half(p) == (role == "judge")]
    return take(mine, config.reward.train_pairs, role_seed(config, role))


def role_seed(config: Config, role: Role) -> int:
    return config.runtime.seed if role == "reward_model" else config.reward.judge_seed


def examples(config: Config, tokenizer, pairs: list[PreferencePair]) -> list[PairExample]:
    r = config.reward
    return [pair_example(tokenizer, p, r.system_prompt, r.max_prompt_tokens, r.max_response_tokens) for p in pairs]


def run_reward_model(config: Config, ctx: TrainContext, out_dir: Path, stage_fingerprint: str, role: Role = "reward_model") -> dict[str, Any]:
    settings, seed = config.reward, role_seed(config, role)
    torch.manual_seed(seed)
    tokenizer = load_tokenizer(config.model)
    pad_id = tokenizer.pad_token_id
    train_pairs = role_pairs(config, role)
    test_pairs = take(load_preferences(config.data.test_path, config.data.max_history_turns), settings.eval_pairs, config.runtime.seed)
    train, test = examples(config, tokenizer, train_pairs), examples(config, tokenizer, test_pairs)
    model, training_layers = build_model(config)
    model = ctx.prepare_model(model)
    model.train()
    core = unwrap(model)
    head_params = [p for n, p in core.named_parameters() if p.requires_grad and not n.startswith("backbone.")]
    body_params = [p for n, p in core.named_parameters() if p.requires_grad and n.startswith("backbone.")]
    optimizer = torch.optim.AdamW(
        [{"params": body_params, "lr": settings.learning_rate}, {"params": head_params, "lr": settings.head_learning_rate}],
        weight_decay=0.0,
    )
    steps_per_epoch = len(epoch_batches(len(train), settings.batch_pairs, 0, seed, ctx.rank, ctx.world_size))
    total_steps = steps_per_epoch * settings.epochs
    from transformers import get_cosine_schedule_with_warmup

    scheduler = get_cosine_schedule_with_warmup(optimizer, int(settings.warmup_ratio * total_steps), total_steps)
    opt = ctx.optimization(model, optimizer, scheduler, settings.max_grad_norm, 2 * settings.batch_pairs, 1)
    model = opt.model

    checkpoints = out_dir / "checkpoints"
    step, epoch, position = 0, 0, 0
    state = opt.resume(checkpoints, stage_fingerprint)
    if state is not None:
        step, epoch, position = state["step"], state["epoch"], state["position"]
        log.info("resuming %s at step %d of %d", role, step, total_steps)
    log.info("%s: %d train pairs, %d test pairs, %d of the backbone's layers train, %d steps",
             role, len(train), len(test), training_layers, total_steps)

    started = time.perf_counter()
    while epoch < settings.epochs:
        batches = epoch_batches(len(train), settings.batch_pairs, epoch, seed, ctx.rank, ctx.world_size)
        for index in range(position, len(batches)):
            step_started = time.perf_counter()
            batch = collate_pairs([train[i] for i in batches[index]], pad_id)
            n = len(batches[index])
            with autocast(config, ctx.device):
                out = model(batch["input_ids"].to(ctx.device), batch["attention_mask"].to(ctx.device), batch["prompt_lengths"].to(ctx.device))
            reward = out.reward.float()
            ratings = torch.cat([batch["chosen_ratings"], batch["rejected_ratings"]]).to(ctx.device)
            loss = reward_model_loss(
                reward[:n], reward[n:], out.safety_logits.float(),
                batch["safety_labels"].repeat(2).to(ctx.device), settings.safety_weight,
                out.ratings.float() if out.ratings is not None else None, ratings, settings.ratings_weight,
            )
            opt.backward(loss.total)
            grad_norm = opt.step()
            step += 1
            seconds = time.perf_counter() - step_started
            metrics = {
                "rm/train_loss": ctx.mean(loss.total.item()),
                "rm/train_preference_loss": ctx.mean(loss.preference.item()),
                "rm/train_safety_loss": ctx.mean(loss.safety.item()),
                "rm/train_accuracy": ctx.mean((reward[:n] > reward[n:]).float().mean().item()),
                "rm/learning_rate": opt.learning_rate(),
                "rm/grad_norm": grad_norm,
                "timing/train": seconds,
            }
            if loss.ratings is not None:
                metrics["rm/train_rating_loss"] = ctx.mean(loss.ratings.item())
            ctx.report({k.replace("rm/", f"{prefix(role)}/"): v for k, v in metrics.items()}, step)
            log.info("%s step %d/%d  loss %.4f  acc %.2f  %.1f s", role, step, total_steps, metrics["rm/train_loss"],
                     metrics["rm/train_accuracy"], seconds)
            if step % settings.checkpoint_every == 0:
                opt.save(checkpoints, step, loop_state(stage_fingerprint, step, epoch, index + 1, len(batches)),
                         settings.keep_checkpoints)
        epoch, position = epoch + 1, 0
    train_seconds = time.perf_counter() - started
    return finish(config, ctx, core, role, out_dir, train, test, test_pairs, step, train_seconds, training_layers, pad_id)


def prefix(role: Role) -> str:
    return "rm" if role == "reward_model" else "judge"


def finish(config, ctx, model, role, out_dir, train, test, test_pairs, step, train_seconds, training_layers, pad_id) -> dict[str, Any]:
    """Normalise, evaluate on the test split, plot and save (rank 0 writes)."""
    settings = config.reward
    bf16 = use_bf16(config.train.precision, ctx.device)
    sample = train[:NORMALISATION_PAIRS]
    batch = 2 * settings.batch_pairs

    def score(seqs, lengths):
        return score_sequences(model, seqs, pad_id, batch, ctx.device, bf16, lengths)

    seen = score([e.chosen_ids for e in sample] + [e.rejected_ids for e in sample], [e.prompt_length for e in sample] * 2)
    mean = statistics.fmean(seen.rewards)
    std = statistics.pstdev(seen.rewards) or 1.0
    lengths = [e.prompt_length for e in test]
    chosen, rejected = score([e.chosen_ids for e in test], lengths), score([e.rejected_ids for e in test], lengths)
    r_chosen = [(r - mean) / std for r in chosen.rewards]
    r_rejected = [(r - mean) / std for r in rejected.rewards]
    metrics = evaluate_scores(test_pairs, r_chosen, r_rejected, chosen.escalation_probs, settings.safety_threshold)
    name = prefix(role)
    headline = {k.replace("rm/", f"{name}/"): v for k, v in metrics.items() if k.startswith("rm/")}
    ctx.report(headline, step)
    artifacts: list[str] = []
    if ctx.rank == 0:
        title = "reward model" if role == "reward_model" else "independent judge"
        artifacts.append(str(reward_histogram(r_chosen, r_rejected, out_dir / "plots" / f"{name}_reward_distribution.png",
                                              f"{title}: held-out rewards")))
        labels = [p.safety_label for p in test_pairs]
        artifacts.append(str(calibration_plot(labels, chosen.escalation_probs,
                                              out_dir / "plots" / f"{name}_safety_calibration.png", f"{title}: safety head")))
        meta = RewardModelMeta(
            base_model=str(resolve_checkpoint(config.model.name, config.model.cache_dir)),
            frozen_layers=settings.frozen_layers, lora=settings.lora, rating_head=settings.rating_head,
            reward_mean=mean, reward_std=std,
            extra={"role": role, "backbone_layers": settings.backbone_layers, "safety_threshold": settings.safety_threshold,
                   "system_prompt": settings.system_prompt,
                   "max_prompt_tokens": settings.max_prompt_tokens, "max_response_tokens": settings.max_response_tokens},
        )
        save_reward_model(model, meta, out_dir / "model")
    return {
        "role": role, "steps": step, "train_pairs": len(train), "training_layers": training_layers,
        "train_seconds": train_seconds, "reward_mean": mean, "reward_std": std,
        "model_dir": str(out_dir / "model"), "artifacts": artifacts,
        **{k: (v if not (isinstance(v, float) and math.isnan(v)) else None) for k, v in headline.items()},
        "per_category": metrics["per_category"], "per_failure": metrics["per_failure"],
    }
