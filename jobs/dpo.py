"""Align the SFT policy on the preference pairs without a reward model: DPO, IPO or KTO, through Ray Train.

    python jobs/dpo.py [--config configs/default.yaml] [--set dpo.loss=kto ...] [--force]

Trains a LoRA adapter on the SFT policy (trained first if missing) with `dpo.loss`; the reference
is the SFT policy itself (the adapter off). Writes runs/<loss>/merged (the policy, loadable by path)
and runs/<loss>/adapter; resumes a killed run from its last checkpoint; skips the work when its
output is current. Metrics go to MLflow under TRL's names (rewards/chosen, rewards/margins, ...).
"""

from __future__ import annotations

from typing import Any

from actors.stages import train_preference
from jobs._cli import parser, run, setup


def summary(result: dict[str, Any]) -> str:
    return (
        f"{result['loss_name'].upper()}: {result['steps']} steps on {result['train_items']} training rows "
        f"({result['safety_weighted']} safety-weighted); held-out pairs ({result['eval_pairs']}): implicit-reward accuracy "
        f"{result['eval_rewards/accuracies']:.3f}, margin {result['eval_rewards/margins']:.3f}; policy: {result['merged_dir']}"
    )


def main(argv: list[str] | None = None) -> int:
    args = parser(__doc__.splitlines()[0], stage=True).parse_args(argv)
    config = setup(args)
    print(summary(train_preference(config, args.force)))
    return 0


if __name__ == "__main__":
    run(main)
