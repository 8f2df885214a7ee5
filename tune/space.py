"""The search space over ppo.beta, ppo.clip_epsilon and ppo.learning_rate, and the trial scheduler."""

from __future__ import annotations

import math
from typing import Any

from rlhf.config import SweepSettings

# Search-space key -> the config setting it sets in a trial.
SETTINGS = {"beta": ("ppo", "beta"), "clip_epsilon": ("ppo", "clip_epsilon"), "learning_rate": ("ppo", "learning_rate")}


def search_space(s: SweepSettings) -> dict[str, Any]:
    """beta and the learning rate log-uniform (they matter by orders of magnitude), epsilon uniform."""
    from ray import tune

    return {"beta": tune.loguniform(*s.beta), "clip_epsilon": tune.uniform(*s.clip_epsilon),
            "learning_rate": tune.loguniform(*s.learning_rate)}


def reports_per_trial(s: SweepSettings) -> int:
    """A trial reports every `eval_every` steps and after its last step."""
    return math.ceil(s.steps / s.eval_every)


def scheduler(s: SweepSettings):
    """ASHA (stops trials whose objective trails at a rung), PBT (copies the leaders' checkpoints and
    perturbs their settings), or FIFO (every trial runs to the end). Metric and mode come from the Tuner."""
    from ray.tune.schedulers import ASHAScheduler, FIFOScheduler, PopulationBasedTraining

    if s.scheduler == "asha":
        return ASHAScheduler(time_attr="training_iteration", max_t=reports_per_trial(s), grace_period=s.grace_period,
                             reduction_factor=s.reduction_factor)
    if s.scheduler == "pbt":
        return PopulationBasedTraining(time_attr="training_iteration", perturbation_interval=s.perturbation_interval,
                                       hyperparam_mutations=search_space(s), custom_explore_fn=lambda p: clamp(p, s))
    return FIFOScheduler()


def clamp(params: dict[str, Any], s: SweepSettings) -> dict[str, Any]:
    """PBT perturbs by x0.8 / x1.2, which can leave the configured ranges: bring each setting back in."""
    for key in SETTINGS:
        if key in params:
            low, high = getattr(s, key)
            params[key] = min(max(float(params[key]), low), high)
    return params


def apply(tree: dict[str, Any], params: dict[str, Any]) -> dict[str, Any]:
    """A copy of the config tree with a trial's sampled settings in place."""
    import copy

    out = copy.deepcopy(tree)
    for key, value in params.items():
        section, name = SETTINGS[key]
        out[section][name] = float(value)
    return out
