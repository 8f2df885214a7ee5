"""Supervised fine-tuning of the policy on the physician-preferred replies, through Ray Train.

    python jobs/sft.py [--config configs/default.yaml] [--set sft.epochs=2 ...] [--force]

Writes runs/sft/merged (the SFT policy, loadable by path) and runs/sft/adapter (LoRA); resumes a
killed run from its last checkpoint; skips the work when its output is current.
"""

from __future__ import annotations

from typing import Any

from actors.stages import train_sft
from jobs._cli import parser, run, setup


def summary(result: dict[str, Any]) -> str:
    better = "below" if result["eval_loss"] < result["base_eval_loss"] else "NOT below"
    return (
        f"SFT: {result['steps']} steps on {result['train_examples']} examples; held-out loss "
        f"{result['base_eval_loss']:.4f} -> {result['eval_loss']:.4f} ({better} the base model), perplexity "
        f"{result['base_eval_perplexity']:.2f} -> {result['eval_perplexity']:.2f}; policy: {result['merged_dir']}"
    )


def main(argv: list[str] | None = None) -> int:
    args = parser(__doc__.splitlines()[0], stage=True).parse_args(argv)
    config = setup(args)
    print(summary(train_sft(config, args.force)))
    return 0


if __name__ == "__main__":
    run(main)
