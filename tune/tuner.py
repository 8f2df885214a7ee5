"""The Tuner: each trial's placement group from the config's role fractions, the search space, the
scheduler, and the trial table from the results."""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import Any

from rlhf.config import Config
from tune.objective import TrialRow, row_for
from tune.space import scheduler, search_space
from tune.trainable import ppo_trial


def trial_resources(config: Config):
    """A PlacementGroupFactory: the trial's own bundle, then a bundle per PPO role (the same
    fractions as one PPO run), so Tune starts a trial only when all of it fits and packs trials
    onto the GPUs there are."""
    import ray
    from ray import tune

    from actors.placement import trial_bundles

    totals = ray.cluster_resources()
    bundles = trial_bundles(config, totals.get("GPU", 0.0), totals.get("CPU", 0.0))
    return tune.PlacementGroupFactory([b.resources() for b in bundles], strategy=config.placement.strategy)


def build(config: Config, base: dict[str, Any], folder: Path):
    from ray import tune

    s = config.sweep
    trainable = tune.with_resources(partial(ppo_trial, base=base, sweep_dir=str(folder)), trial_resources(config))
    return tune.Tuner(
        trainable,
        param_space=search_space(s),
        tune_config=tune.TuneConfig(metric="score", mode="max", num_samples=s.trials, scheduler=scheduler(s),
                                    max_concurrent_trials=s.max_concurrent, time_budget_s=s.time_budget_s),
        # A trial is done at its last PPO step whatever the scheduler says: PBT would otherwise keep
        # restoring a trailing trial from a finished leader's checkpoint, forever.
        run_config=tune.RunConfig(name="tune", storage_path=str(folder / "ray_results"), stop={"step": s.steps},
                                  failure_config=tune.FailureConfig(max_failures=s.max_failures), verbose=1),
    )


def rows(results) -> list[TrialRow]:
    """One row per trial of a ResultGrid, in trial order."""
    out = []
    for result in results:
        params = {k: float(v) for k, v in (result.config or {}).items()}
        last = None if not result.metrics or "score" not in result.metrics else result.metrics
        error = None if result.error is None else f"{type(result.error).__name__}: {str(result.error).splitlines()[0][:200]}"
        trial_id = (result.metrics or {}).get("trial_id") or Path(result.path).name
        out.append(row_for(str(trial_id), params, last, error))
    return sorted(out, key=lambda r: r.trial_id)
