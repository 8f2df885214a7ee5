"""Train the clinical reward model and the independent judge (reward + safety heads), through Ray Train.

    python jobs/reward_model.py [--config configs/default.yaml] [--role both|reward_model|judge] [--force]

The reward model learns from one half of the training pairs; the judge, used only for evaluation,
from the other half with another seed. Writes runs/reward_model/model and runs/judge/model; resumes
a killed run from its last checkpoint; skips a model whose output is current.
"""

from __future__ import annotations

from typing import Any

from jobs._cli import parser, run, setup
from jobs._stages import run_stage

from rlhf.config import Config
from rlhf.data.loading import load_preferences
from rlhf.reward_eval import table
from rlhf.training.reward import SECTIONS

ROLES = ("reward_model", "judge")
HEADLINE = ("test_accuracy", "test_margin", "safety_recall", "safety_precision", "safety_auroc", "safety_ece")


def train(config: Config, role: str, force: bool = False) -> dict[str, Any]:
    data = config.data

    def check() -> None:
        for path in (data.train_path, data.test_path):
            load_preferences(path, data.max_history_turns)

    name = "rm" if role == "reward_model" else "judge"

    def final_metrics(r: dict[str, Any]) -> dict[str, float]:
        out = {f"{name}/{k}": r[f"{name}/{k}"] for k in HEADLINE if r.get(f"{name}/{k}") is not None}
        for group, key in (("per_category", "category"), ("per_failure", "failure")):
            for label, row in r[group].items():
                out[f"{name}/{key}_accuracy/{label}"] = row["accuracy"]
                out[f"{name}/{key}_margin/{label}"] = row["margin"]
        return out

    result = run_stage(
        config, role, "rlhf.training.reward.run_reward_model", SECTIONS, [data.train_path, data.test_path], check, force,
        final_metrics=final_metrics, role=role,
    )
    return result


def summary(result: dict[str, Any]) -> str:
    name = "rm" if result["role"] == "reward_model" else "judge"
    get = lambda k: result.get(f"{name}/{k}") or float("nan")  # noqa: E731
    title = "reward model" if result["role"] == "reward_model" else "independent judge"
    return (
        f"{title}: held-out pairwise accuracy {get('test_accuracy'):.3f} (margin {get('test_margin'):.2f}); safety head "
        f"recall {get('safety_recall'):.3f}, precision {get('safety_precision'):.3f}, AUROC {get('safety_auroc'):.3f}, "
        f"ECE {get('safety_ece'):.3f}  [{result['train_pairs']} pairs, {result['steps']} steps; {result['model_dir']}]"
    )


def main() -> int:
    p = parser(__doc__.splitlines()[0], stage=True)
    p.add_argument("--role", choices=("both", *ROLES), default="both", help="which model to train (default: both)")
    args = p.parse_args()
    config = setup(args)
    for role in ROLES if args.role == "both" else (args.role,):
        result = train(config, role, args.force)
        print(summary(result))
        print(table(result["per_category"], "  by category"))
        print(table(result["per_failure"], "  by failure of the rejected reply"))
    return 0


if __name__ == "__main__":
    run(main)
