"""What a training loop needs from whatever runs it (Ray Train on a pool, or one local process)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol

import torch

from rlhf.training.optimization import Optimization, TorchOptimization


class TrainContext(Protocol):
    rank: int
    world_size: int
    device: torch.device

    def prepare_model(self, model: torch.nn.Module) -> torch.nn.Module:
        """Move to the device and, for DDP with world_size > 1, wrap it (DeepSpeed wraps in `optimization`)."""
        ...

    def optimization(self, model: torch.nn.Module, optimizer: torch.optim.Optimizer, scheduler, max_grad_norm: float,
                     micro_batch: int, grad_accum: int) -> Optimization:
        """The optimizer step for `model` (already prepared): plain/DDP or DeepSpeed ZeRO, from the config."""
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

    def optimization(self, model: torch.nn.Module, optimizer: torch.optim.Optimizer, scheduler, max_grad_norm: float,
                     micro_batch: int, grad_accum: int) -> Optimization:
        return TorchOptimization(model, optimizer, scheduler, max_grad_norm, self.rank)

    def report(self, metrics: Mapping[str, float], step: int) -> None:
        self.reports.append((step, dict(metrics)))

    def mean(self, value: float) -> float:
        return value
