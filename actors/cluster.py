"""Joining or starting the Ray cluster the jobs run on."""

from __future__ import annotations

import logging
import os

from rlhf.config import Config

log = logging.getLogger(__name__)


def ensure_ray(config: Config) -> None:
    """Connect once per process: $RAY_ADDRESS (ray job submit), else runtime.ray_address, else a
    private local cluster (`address="local"`: never a stale one left behind by `ray stop`)."""
    import ray

    if ray.is_initialized():
        return
    os.environ.setdefault("RAY_AUTH_MODE", "disabled")  # local development; a cluster sets its own
    address = os.environ.get("RAY_ADDRESS") or config.runtime.ray_address
    if address:
        ray.init(address=address, log_to_driver=True)
    else:
        ray.init(address="local", num_cpus=os.cpu_count(), log_to_driver=True)
    log.info("Ray: %s", ray.cluster_resources())


def gpus_available() -> bool:
    import ray

    return ray.cluster_resources().get("GPU", 0) > 0
