"""What a training loop needs from whatever runs it (Ray Train on a pool, or one local process)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol

import torch


class TrainContext(Protocol):
    rank: int
    world_size: int
    device: torch.device

    def prepare_model(self, model: torch.nn.Module) -> torch.nn.Module:
        """Move to the device and wrap for data parallelism (DDP) when world_size > 1."""
        ...

    def report(self, metrics: Mapping[str, float], step: int) -> None:
        """Per-step metrics: to the runner (Ray Train) and, on rank 0, to MLflow."""
        ...

    def mean(self, value: float) -> float:
        """The mean of `value` over all workers."""
        ...


class LocalContext:
    """One process, no Ray: for unit tests and quick experiments."""

    rank = 0
    world_size = 1

    def __init__(self, device: str = "cpu"):
        self.device = torch.device(device)
        self.reports: list[tuple[int, dict[str, float]]] = []  # what the loop reported, for inspection

    def prepare_model(self, model: torch.nn.Module) -> torch.nn.Module:
        return model.to(self.device)

    def report(self, metrics: Mapping[str, float], step: int) -> None:
        self.reports.append((step, dict(metrics)))

    def mean(self, value: float) -> float:
        return value


def unwrap(model: torch.nn.Module) -> torch.nn.Module:
    """The model inside a DDP wrapper."""
    return model.module if hasattr(model, "module") and isinstance(model, torch.nn.parallel.DistributedDataParallel) else model
