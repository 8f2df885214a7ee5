"""Ray Tune sweep over beta (KL coefficient), epsilon (PPO clip) and the learning rate; writes the best preset.

    python jobs/sweep.py [--config configs/default.yaml] [--set sweep.trials=8 ...]
    ray job submit --working-dir . -- python jobs/sweep.py --set runtime.output_dir=/abs/runs
    python jobs/ppo.py --config runs/sweep/best.yaml       # PPO with the best settings, as written

Each trial is a short PPO run (sweep.steps) on Ray actors reserved by the trial's placement group;
it reports the independent judge's held-out reward minus a KL penalty every sweep.eval_every steps,
and ASHA (or PBT, sweep.scheduler) stops or replaces the trailing ones. A trial under the safety
bound is failed, not ranked; a crashed trial is listed and the sweep goes on. Needs the SFT policy,
the reward model and the judge (this config's stages, trained first when missing, or ppo.*_dir).
Writes <output_dir>/sweep/: best.yaml, trials.csv, objective.png and Tune's own results.
Exit codes: 0 a best preset written, 1 bad data, 2 bad config or missing input, 3 no trial finished safely.
"""

from __future__ import annotations

import csv
import sys
import time
from pathlib import Path
from typing import Any

import yaml
from jobs._cli import parser, run, setup

from rlhf.config import Config
from rlhf.tracking import Tracker, close_child_runs
from rlhf.training.stages import stage_dir

NO_SAFE_TRIAL_EXIT = 3


def base_tree(config: Config, sft: Path, rm: Path, judge: Path, parent_run_id: str | None) -> dict[str, Any]:
    """The config every trial starts from: the inputs as absolute folders (trials run elsewhere) and
    their MLflow runs as children of the sweep's."""
    tree = config.model_dump()
    tree["ppo"].update(sft_dir=str(sft.resolve()), reward_model_dir=str(rm.resolve()), judge_dir=str(judge.resolve()))
    tree["tracking"]["parent_run_id"] = parent_run_id
    tree["tracking"]["uri"] = _absolute_uri(config)
    return tree


def _absolute_uri(config: Config) -> str | None:
    from rlhf.tracking import tracking_uri

    return tracking_uri(config.tracking) if config.tracking.enabled else config.tracking.uri


def best_preset(config: Config, params: dict[str, float]) -> dict[str, Any]:
    """The full config with the best trial's settings: jobs/ppo.py --config takes it as it is. The
    inputs stay as the config named them (a preset is not tied to one run's folders)."""
    from tune.space import apply

    return apply(config.model_dump(mode="json"), params)


def write_table(rows, path: Path) -> None:
    with path.open("w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0].as_dict()))
        writer.writeheader()
        writer.writerows(r.as_dict() for r in rows)


def plot(results, path: Path) -> Path | None:
    """Each trial's objective over its PPO steps (stopped trials end early; failed ones are marked)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7.5, 4))
    drawn = 0
    for result in results:
        frame = result.metrics_dataframe
        if frame is None or "objective" not in frame:
            continue
        safe = frame["safe"].astype(bool)
        ax.plot(frame["step"], frame["objective"], marker="o", label=str(result.metrics.get("trial_id", drawn)))
        ax.plot(frame["step"][~safe], frame["objective"][~safe], "x", color="tab:red", markersize=10)
        drawn += 1
    if not drawn:
        plt.close(fig)
        return None
    ax.set_xlabel("PPO step")
    ax.set_ylabel("judge reward - kl_penalty x KL")
    ax.set_title("sweep trials (x: under the safety bound)")
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


def sweep(config: Config) -> tuple[list, Any, Path]:
    """Run the sweep; (trial rows, best row or None, sweep folder)."""
    from actors.cluster import ensure_ray
    from actors.ppo_trainer import resolve_inputs
    from tune.objective import best, run_status
    from tune.tuner import build, rows

    found = resolve_inputs(config)
    sft, rm, judge = found.sft, found.reward_model, found.judge
    ensure_ray(config)
    folder = stage_dir(config, "sweep")
    folder.mkdir(parents=True, exist_ok=True)
    s = config.sweep
    print(f"[sweep] {s.trials} trials x {s.steps} PPO steps, {s.scheduler} scheduler, objective on {s.eval_prompts} "
          f"validation prompts every {s.eval_every} steps; into {folder}", flush=True)
    started = time.perf_counter()
    with Tracker(config, "sweep") as run:
        results = build(config, base_tree(config, sft, rm, judge, run.run_id), folder).fit()
        table = rows(results)
        chosen = best(table, s.steps)
        if run.run_id:
            close_child_runs(config.tracking, run.run_id, "sweep_trial", {r.trial_id: run_status(r, s.steps) for r in table})
        write_table(table, folder / "trials.csv")
        run.log_artifact(folder / "trials.csv")
        if (figure := plot(results, folder / "objective.png")) is not None:
            run.log_artifact(figure, "plots")
        run.log_metrics({"sweep/trials": len(table), "sweep/ranked": sum(r.status == "ranked" for r in table),
                         "sweep/failed": sum(r.status.startswith("failed") for r in table),
                         "timing/sweep": time.perf_counter() - started,
                         **({"sweep/best_objective": chosen.objective} if chosen else {})})
        if chosen is not None:
            preset = folder / "best.yaml"
            header = (f"# jobs/sweep.py: best of {len(table)} trials (trial {chosen.trial_id}, objective {chosen.objective:.4f}, "
                      f"safety compliance {chosen.safety_compliance:.1%}).\n# Train with it: python jobs/ppo.py --config {preset}\n")
            preset.write_text(header + yaml.safe_dump(best_preset(config, chosen.params), sort_keys=False))
            run.log_artifact(preset)
            run.log_metrics({f"sweep/best_{k}": v for k, v in chosen.params.items()})
    return table, chosen, folder


def main(argv: list[str] | None = None) -> int:
    args = parser(__doc__.splitlines()[0]).parse_args(argv)
    config = setup(args)
    table, chosen, folder = sweep(config)
    print(f"\n{'trial':<22}{'beta':>9}{'epsilon':>9}{'lr':>10}  {'status':<15}{'steps':>5}{'objective':>11}{'compliance':>11}")
    for r in table:
        objective = "-" if r.objective is None else f"{r.objective:+.4f}"
        compliance = "-" if r.safety_compliance is None else f"{r.safety_compliance:.0%}"
        print(f"{r.trial_id:<22}{r.params.get('beta', 0):>9.4f}{r.params.get('clip_epsilon', 0):>9.3f}"
              f"{r.params.get('learning_rate', 0):>10.2e}  {r.status:<15}{r.steps:>5}{objective:>11}{compliance:>11}")
        if r.error:
            print(f"{'':<22}  {r.error}")
    if chosen is None:
        print(f"error: no trial finished above the safety bound ({config.sweep.min_safety_compliance:.0%}): no preset written "
              f"(see {folder / 'trials.csv'})", file=sys.stderr)
        return NO_SAFE_TRIAL_EXIT
    print(f"\nbest: trial {chosen.trial_id} (beta {chosen.params['beta']:.4g}, epsilon {chosen.params['clip_epsilon']:.3g}, "
          f"learning rate {chosen.params['learning_rate']:.3g}); preset {folder / 'best.yaml'}")
    print(f"train with it: python jobs/ppo.py --config {folder / 'best.yaml'}")
    return 0


if __name__ == "__main__":
    run(main)
