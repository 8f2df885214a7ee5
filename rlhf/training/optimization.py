"""The optimizer step and its checkpoints, for plain PyTorch/DDP or DeepSpeed ZeRO.

The SFT and reward-model loops call `backward`, `step`, `save` and `resume` and never learn which
one runs them; `train.strategy` in the config picks. DeepSpeed partitions the optimizer state
(ZeRO-1) and the gradients (ZeRO-2) over the workers, so each worker holds a slice: its checkpoints
are DeepSpeed's own (every worker writes its slice; `client_state` carries our step, data position
and RNG), while the plain path writes one `state.pt` from rank 0 (see checkpoint.py).
"""

from __future__ import annotations

import logging
import shutil
from pathlib import Path
from typing import Any, Protocol

import torch

from rlhf.config import TrainSettings
from rlhf.training.checkpoint import latest_checkpoint, load_checkpoint, restore_rng, rng_state, save_checkpoint, trainable_state

log = logging.getLogger(__name__)
DEEPSPEED_DIR = "deepspeed"


class Optimization(Protocol):
    model: torch.nn.Module  # what the loop calls forward on (DDP wrapper, DeepSpeed engine or the model)

    def backward(self, loss: torch.Tensor) -> None: ...

    def step(self) -> float:
        """Clip gradients to max_grad_norm, update, advance the schedule, clear gradients: the norm before clipping."""
        ...

    def learning_rate(self) -> float: ...

    def save(self, folder: Path, step: int, state: dict[str, Any], keep: int) -> None:
        """Checkpoint after `step`; every worker calls it."""
        ...

    def resume(self, folder: Path, fingerprint: str) -> dict[str, Any] | None:
        """Restore the newest checkpoint written for `fingerprint` and return its loop state, or None."""
        ...


def unwrap(model: torch.nn.Module) -> torch.nn.Module:
    """The model inside a DDP wrapper or a DeepSpeed engine."""
    wrapped = isinstance(model, torch.nn.parallel.DistributedDataParallel) or type(model).__name__ == "DeepSpeedEngine"
    return model.module if wrapped else model


class TorchOptimization:
    """One process or DDP: rank 0 writes the whole optimizer state."""

    def __init__(self, model: torch.nn.Module, optimizer: torch.optim.Optimizer, scheduler, max_grad_norm: float, rank: int):
        self.model, self.optimizer, self.scheduler = model, optimizer, scheduler
        self.max_grad_norm, self.rank = max_grad_norm, rank
        self._params = [p for group in optimizer.param_groups for p in group["params"]]

    def backward(self, loss: torch.Tensor) -> None:
        loss.backward()

    def step(self) -> float:
        norm = torch.nn.utils.clip_grad_norm_(self._params, self.max_grad_norm)
        self.optimizer.step()
        self.scheduler.step()
        self.optimizer.zero_grad(set_to_none=True)
        return float(norm)

    def learning_rate(self) -> float:
        return float(self.scheduler.get_last_lr()[0])

    def save(self, folder: Path, step: int, state: dict[str, Any], keep: int) -> None:
        if self.rank != 0:
            return
        save_checkpoint(folder, step, {
            **state, "trainable": trainable_state(unwrap(self.model)), "optimizer": self.optimizer.state_dict(),
            "scheduler": self.scheduler.state_dict(), "rng": rng_state(),
        }, keep)

    def resume(self, folder: Path, fingerprint: str) -> dict[str, Any] | None:
        latest = latest_checkpoint(folder)
        if latest is None:
            return None
        state = load_checkpoint(latest)
        if state["fingerprint"] != fingerprint:
            log.warning("ignoring %s: it was written for another config or data", latest)
            return None
        unwrap(self.model).load_state_dict(state["trainable"], strict=False)
        self.optimizer.load_state_dict(state["optimizer"])
        self.scheduler.load_state_dict(state["scheduler"])
        restore_rng(state["rng"])
        log.info("resumed from %s", latest)
        return state


def deepspeed_config(settings: TrainSettings, micro_batch: int, grad_accum: int, max_grad_norm: float, world_size: int) -> dict[str, Any]:
    """DeepSpeed's JSON config from ours. We accumulate gradients ourselves (unmanaged mode) and run
    bf16 through autocast, so DeepSpeed keeps fp32 master weights and steps when told to."""
    zero: dict[str, Any] = {"stage": settings.zero_stage}
    if settings.zero_offload_optimizer:
        zero["offload_optimizer"] = {"device": "cpu", "pin_memory": torch.cuda.is_available()}
    return {
        "train_micro_batch_size_per_gpu": micro_batch,
        "gradient_accumulation_steps": grad_accum,
        "train_batch_size": micro_batch * grad_accum * world_size,
        "managed_gradient_accumulation": False,
        "gradient_clipping": max_grad_norm,
        "zero_optimization": zero,
        "zero_allow_untested_optimizer": True,
        "steps_per_print": 2**31 - 1,
    }


def skip_shared_memory_allreduce() -> None:
    """Mark DeepSpeed's shared-memory allreduce op unavailable, so its process-group start does not build it.

    On a CPU node DeepSpeed JIT-compiles that kernel (about a minute on 2 cores, once per virtual
    environment) whenever its communication backend starts, and has no setting to skip it. With one
    worker there is nothing to reduce across processes, so the build buys nothing; DeepSpeed then uses
    torch.distributed for its (no-op) collectives. `deepspeed.ops.__compatible_ops__` is the table its
    backend consults, kept as one module-level dict so that such edits hold."""
    import deepspeed.ops
    from deepspeed.accelerator import get_accelerator

    builder = get_accelerator().create_op_builder("ShareMemCommBuilder")
    if builder is not None:
        deepspeed.ops.__compatible_ops__[builder.NAME] = False


class DeepSpeedOptimization:
    """DeepSpeed ZeRO stage 1 or 2 over the Ray Train workers' process group."""

    def __init__(self, model: torch.nn.Module, optimizer: torch.optim.Optimizer, scheduler, config: dict[str, Any], rank: int,
                 world_size: int):
        import deepspeed

        if world_size == 1:
            skip_shared_memory_allreduce()
        self.model, self.optimizer, _, self.scheduler = deepspeed.initialize(
            model=model, optimizer=optimizer, lr_scheduler=scheduler, config=config, dist_init_required=False
        )
        self.rank = rank

    def backward(self, loss: torch.Tensor) -> None:
        self.model.backward(loss, scale_wrt_gas=False)  # the loop already divides by its accumulation count

    def step(self) -> float:
        self.model.step()  # clips, updates, steps the scheduler, clears gradients
        norm = self.model.get_global_grad_norm()
        return float(norm) if norm is not None else float("nan")

    def learning_rate(self) -> float:
        return float(self.scheduler.get_last_lr()[0])

    def save(self, folder: Path, step: int, state: dict[str, Any], keep: int) -> None:
        root = folder / DEEPSPEED_DIR
        self.model.save_checkpoint(str(root), tag=f"step-{step:06d}", client_state={**state, "rng": rng_state()},
                                   exclude_frozen_parameters=True)
        if self.rank == 0:  # `latest` names the newest complete tag; prune the rest
            for old in sorted(root.glob("step-*"))[:-keep]:
                shutil.rmtree(old, ignore_errors=True)

    def resume(self, folder: Path, fingerprint: str) -> dict[str, Any] | None:
        root = folder / DEEPSPEED_DIR
        if not (root / "latest").is_file():
            return None
        path, state = self.model.load_checkpoint(str(root), load_module_strict=False)
        if path is None or state.get("fingerprint") != fingerprint:
            log.warning("ignoring %s: unreadable, or written for another config or data", root)
            return None
        restore_rng(state["rng"])
        log.info("resumed from %s", path)
        return state


def make_optimization(settings: TrainSettings, model: torch.nn.Module, optimizer: torch.optim.Optimizer, scheduler,
                      max_grad_norm: float, micro_batch: int, grad_accum: int, rank: int, world_size: int) -> Optimization:
    if settings.strategy == "deepspeed":
        config = deepspeed_config(settings, micro_batch, grad_accum, max_grad_norm, world_size)
        return DeepSpeedOptimization(unwrap(model), optimizer, scheduler, config, rank, world_size)
    return TorchOptimization(model, optimizer, scheduler, max_grad_norm, rank)
