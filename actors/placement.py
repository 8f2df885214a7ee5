"""The PPO actors' placement group: one bundle per role, fractions from the config (rlhf/placement.py)."""

from __future__ import annotations

import logging

import ray
from ray.util.placement_group import PlacementGroup, placement_group
from ray.util.scheduling_strategies import PlacementGroupSchedulingStrategy

from rlhf import timeouts
from rlhf.config import Config
from rlhf.placement import Bundle, PlacementError, plan_bundles

log = logging.getLogger(__name__)


def roles_for(config: Config) -> tuple[str, ...]:
    extra = ("reference",) if config.ppo.reference == "actor" else ()
    return ("rollout", *extra, "reward", "learner")


def in_trial_group() -> PlacementGroup | None:
    """The placement group a Ray Tune trial runs in (its PlacementGroupFactory captures child actors), else None."""
    from ray.util import get_current_placement_group

    return get_current_placement_group()


def trial_bundles(config: Config, gpus: float, cpus: float) -> list[Bundle]:
    """A sweep trial's bundles: its own (the driver loop) first, then one per PPO role (tune/resources.py)."""
    head = Bundle("trial", config.sweep.trial_cpus, config.sweep.trial_gpus if gpus > 0 else 0.0)
    return [head, *plan_bundles(config.placement, roles_for(config), gpus, cpus)]


def reserve(config: Config) -> tuple[PlacementGroup, dict[str, tuple[int, Bundle]]]:
    """Reserve the bundles all at once (or fail with the reason); role -> (bundle index, bundle).

    Inside a Tune trial the trial's placement group already holds them (bundle 0 is the trial's own):
    that group is used, never a second one, which could wait forever for resources the trial holds."""
    if (group := in_trial_group()) is not None:
        totals = ray.cluster_resources()
        bundles = trial_bundles(config, totals.get("GPU", 0.0), totals.get("CPU", 0.0))
        return group, {b.role: (i, b) for i, b in enumerate(bundles) if b.role != "trial"}
    resources = ray.available_resources()
    bundles = plan_bundles(config.placement, roles_for(config), resources.get("GPU", 0.0), resources.get("CPU", 0.0))
    group = placement_group([b.resources() for b in bundles], strategy=config.placement.strategy, name="ppo")
    ready, _ = ray.wait([group.ready()], timeout=timeouts.PLACEMENT_READY_S)
    if not ready:
        ray.util.remove_placement_group(group)
        raise PlacementError(f"the placement group {[b.resources() for b in bundles]} was not granted in {timeouts.PLACEMENT_READY_S:.0f} s")
    log.info("placement group: %s", ", ".join(f"{b.role} {b.resources()}" for b in bundles))
    return group, {b.role: (i, b) for i, b in enumerate(bundles)}


def actor_options(group: PlacementGroup, index: int, bundle: Bundle, max_restarts: int = 0) -> dict:
    return {
        "num_cpus": bundle.cpus,
        "num_gpus": bundle.gpus,
        "max_restarts": max_restarts,
        "scheduling_strategy": PlacementGroupSchedulingStrategy(group, placement_group_bundle_index=index),
    }
