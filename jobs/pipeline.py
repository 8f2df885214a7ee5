"""The whole pipeline on one config, stage by stage; `make demo` runs it on the embedded default.

    python jobs/pipeline.py [--config configs/default.yaml] [--set section.key=value ...] [--force]

Stages: check the data, prepare the model, sample the base policy on held-out prompts, SFT, the
reward model, the independent judge, PPO on Ray actors (with a short SFT-vs-PPO check), the
reward-model-free policies `evaluation.compare` names (DPO, IPO, KTO: jobs/dpo.py), then the
evaluation report (jobs/evaluate.py: every policy side by side, metrics with intervals, error
analysis, ethical audit); each is skipped when its output is current for the config and data. It
ends with the side-by-side table, the evaluation summary and the report's path.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

from actors import ppo_trainer
from actors.stages import train_preference, train_reward, train_sft
from jobs import dpo as dpo_job
from jobs import evaluate as evaluate_job
from jobs import reward_model as reward_job
from jobs import sft as sft_job
from jobs._cli import parser, run, setup

from rlhf.config import Config
from rlhf.data.formatting import prompt_ids
from rlhf.data.loading import load_preferences, summarize
from rlhf.data.schema import PreferencePair
from rlhf.generation import HFBackend
from rlhf.models.checkpoints import resolve_checkpoint
from rlhf.models.loading import load_causal_lm
from rlhf.tracking import Tracker, tracking_uri
from rlhf.training.stages import PREFERENCE_STAGES

def banner(text: str) -> None:
    print(f"\n== {text}", flush=True)


def check_data(config: Config, run: Tracker) -> dict[str, list[PreferencePair]]:
    banner("1. check the preference data")
    rejects = Path(config.runtime.output_dir) / "rejects"
    splits = {}
    for split in ("train", "val", "test"):
        path = getattr(config.data, f"{split}_path")
        pairs = load_preferences(path, config.data.max_history_turns, rejects_path=rejects / f"{split}.jsonl")
        summary = summarize(pairs)
        print(f"  {split:5s} {summary.rows:5d} pairs, {len(summary.categories)} categories, "
              f"{summary.escalation_share:.1%} need escalation  ({path})")
        run.log_metrics({f"data/{split}_rows": summary.rows, f"data/{split}_escalation_share": summary.escalation_share})
        splits[split] = pairs
    return splits


def prepare_model(config: Config, run: Tracker) -> Path:
    banner(f"2. prepare the model '{config.model.name}'")
    started = time.perf_counter()
    path = resolve_checkpoint(config.model.name, config.model.cache_dir)
    seconds = time.perf_counter() - started
    print(f"  checkpoint folder: {path}  ({seconds:.1f} s; converted once, reused after)")
    run.log_metrics({"timing/prepare_model": seconds})
    return path


def sample_base_policy(config: Config, test: list[PreferencePair], run: Tracker) -> None:
    banner(f"3. sample the base policy on {config.runtime.demo_prompts} held-out prompts (HF generate)")
    loaded = load_causal_lm(config.model, trainable=False)
    backend = HFBackend(loaded.model, loaded.tokenizer)
    # One prompt per category first, so the few samples show different situations.
    picked: list[PreferencePair] = []
    for pair in test:
        if len(picked) < config.runtime.demo_prompts and pair.category not in {p.category for p in picked}:
            picked.append(pair)
    prompts = prompt_ids(loaded.tokenizer, config.data, picked)
    started = time.perf_counter()
    generations = backend.generate(prompts, config.generation, seed=config.runtime.seed)
    seconds = time.perf_counter() - started
    tokens = sum(len(g.token_ids) for g in generations)
    records = []
    for pair, gen in zip(picked, generations):
        flag = "escalation needed" if pair.safety_label else "routine"
        print(f"\n  [{pair.category}, {flag}] patient: {pair.prompt}")
        print(f"  model: {gen.text}")
        records.append({"pair_id": pair.pair_id, "category": pair.category, "prompt": pair.prompt,
                        "response": gen.text, "physician_preferred": pair.chosen})
    print(f"\n  {tokens} tokens in {seconds:.1f} s ({tokens / seconds:.1f} tokens/s)")
    run.log_metrics({"timing/generate": seconds, "generate/tokens_per_s": tokens / seconds})
    run.log_text(json.dumps(records, indent=2), "samples/base_policy.json")


def main(argv: list[str] | None = None) -> int:
    args = parser(__doc__.splitlines()[0], stage=True).parse_args(argv)
    config = setup(args)
    print(f"clinical-rlhf pipeline: model {config.model.name}, data {config.data.train_path} (synthetic, not for clinical use)")
    with Tracker(config, "pipeline") as run:
        splits = check_data(config, run)
        prepare_model(config, run)
        sample_base_policy(config, splits["test"], run)
        banner("4. supervised fine-tuning on the physician-preferred replies (Ray Train)")
        sft = train_sft(config, args.force)
        banner("5. reward model with reward and safety heads (Ray Train)")
        rm = train_reward(config, "reward_model", args.force)
        banner("6. independent judge: same recipe, the other half of the data, another seed")
        judge = train_reward(config, "judge", args.force)
        banner("7. PPO on Ray actors (vLLM rollout, reward + safety scoring, learner), then SFT vs PPO on held-out prompts")
        inputs = ppo_trainer.PPOInputs(Path(sft["merged_dir"]), Path(rm["model_dir"]), Path(judge["model_dir"]))
        ppo = ppo_trainer.PPOTrainer(config, inputs).fit(args.force)
        preference = [stage for stage in config.evaluation.compare if stage in PREFERENCE_STAGES]
        trained = []
        for stage in preference:
            banner(f"8. {stage.upper()} on the SFT policy without a reward model (Ray Train)")
            trained.append(train_preference(config.model_copy(update={"dpo": config.dpo.model_copy(update={"loss": stage})}),
                                            args.force))
        compared = ", ".join(["PPO", *(s.upper() for s in preference)])
        banner(f"9. evaluation: {compared}, SFT and the physicians' replies side by side on held-out prompts, the ethical audit, "
               "the report")
        evaluation = evaluate_job.evaluate(config, args.force)
        banner("summary")
        for line in (sft_job.summary(sft), reward_job.summary(rm), reward_job.summary(judge), ppo_trainer.summary(ppo),
                     *(dpo_job.summary(r) for r in trained)):
            print(f"  {line}")
        print()
        for line in ppo_trainer.table(ppo, config):
            print(f"  {line}")
        run.log_metrics({"sft/eval_loss": sft["eval_loss"], "rm/test_accuracy": rm["rm/test_accuracy"],
                         "rm/safety_recall": rm["rm/safety_recall"], "judge/test_accuracy": judge["judge/test_accuracy"],
                         **{f"ppo/{k}": v for k, v in ppo.items() if k.startswith("eval/")}, **evaluation["metrics"]})
        print("  serve the trained policies behind the safety gate: SERVE_API_KEYS=<a key of 16+ characters> "
              f".venv/bin/python jobs/serve_endpoint.py --config {args.config}" + "".join(f" --set {o}" for o in args.overrides))
        print("\n  evaluation (jobs/evaluate.py):")
        for line in evaluate_job.summary_lines(evaluation, config):
            print(f"  {line}")
        if run.run_id:
            print(f"  MLflow run {run.run_id} in {tracking_uri(config.tracking)} "
                  f"(browse: mlflow ui --backend-store-uri {tracking_uri(config.tracking)})")
    return 0


if __name__ == "__main__":
    run(main)
