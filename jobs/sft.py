"""Supervised fine-tuning of the policy on the physician-preferred replies, through Ray Train.

    python jobs/sft.py [--config configs/default.yaml] [--set sft.epochs=2 ...] [--force]

Writes runs/sft/merged (the SFT policy, loadable by path) and runs/sft/adapter (LoRA); resumes a
killed run from its last checkpoint; skips the work when its output is current.
"""

from __future__ import annotations

from typing import Any

from jobs._cli import parser, run, setup
from jobs._stages import run_stage

from rlhf.config import Config
from rlhf.data.loading import load_preferences
from rlhf.training.sft import SECTIONS


def train(config: Config, force: bool = False) -> dict[str, Any]:
    data = config.data

    def check() -> None:
        for path in (data.train_path, data.val_path):
            load_preferences(path, data.max_history_turns)

    result = run_stage(
        config, "sft", "rlhf.training.sft.run_sft", SECTIONS, [data.train_path, data.val_path], check, force,
        final_metrics=lambda r: {"sft/eval_loss": r["eval_loss"], "sft/base_eval_loss": r["base_eval_loss"],
                                 "sft/eval_perplexity": r["eval_perplexity"]},
    )
    return result


def summary(result: dict[str, Any]) -> str:
    better = "below" if result["eval_loss"] < result["base_eval_loss"] else "NOT below"
    return (
        f"SFT: {result['steps']} steps on {result['train_examples']} examples; held-out loss "
        f"{result['base_eval_loss']:.4f} -> {result['eval_loss']:.4f} ({better} the base model), perplexity "
        f"{result['base_eval_perplexity']:.2f} -> {result['eval_perplexity']:.2f}; policy: {result['merged_dir']}"
    )


def main() -> int:
    args = parser(__doc__.splitlines()[0], stage=True).parse_args()
    config = setup(args)
    print(summary(train(config, args.force)))
    return 0


if __name__ == "__main__":
    run(main)
