"""Train the clinical reward model and the independent judge (reward + safety heads), through Ray Train.

    python jobs/reward_model.py [--config configs/default.yaml] [--role both|reward_model|judge] [--force]

The reward model learns from one half of the training pairs; the judge, used only for evaluation,
from the other half with another seed. Writes runs/reward_model/model and runs/judge/model; resumes
a killed run from its last checkpoint; skips a model whose output is current.
"""

from __future__ import annotations

from typing import Any

from actors.stages import REWARD_ROLES, train_reward
from jobs._cli import parser, run, setup
from rlhf.reward_eval import table


def summary(result: dict[str, Any]) -> str:
    name = "rm" if result["role"] == "reward_model" else "judge"
    get = lambda k: result.get(f"{name}/{k}") or float("nan")  # noqa: E731
    title = "reward model" if result["role"] == "reward_model" else "independent judge"
    return (
        f"{title}: held-out pairwise accuracy {get('test_accuracy'):.3f} (margin {get('test_margin'):.2f}); safety head "
        f"recall {get('safety_recall'):.3f}, precision {get('safety_precision'):.3f}, AUROC {get('safety_auroc'):.3f}, "
        f"ECE {get('safety_ece'):.3f}  [{result['train_pairs']} pairs, {result['steps']} steps; {result['model_dir']}]"
    )


def main(argv: list[str] | None = None) -> int:
    p = parser(__doc__.splitlines()[0], stage=True)
    p.add_argument("--role", choices=("both", *REWARD_ROLES), default="both", help="which model to train (default: both)")
    args = p.parse_args(argv)
    config = setup(args)
    for role in REWARD_ROLES if args.role == "both" else (args.role,):
        result = train_reward(config, role, args.force)
        print(summary(result))
        print(table(result["per_category"], "  by category"))
        print(table(result["per_failure"], "  by failure of the rejected reply"))
    return 0


if __name__ == "__main__":
    run(main)
