"""Training checkpoints that a killed job resumes from: written whole or not at all.

A checkpoint is a folder `step-000040/` holding `state.pt` (trainable weights, optimizer, scheduler,
step, data position and RNG states; see optimization.py for who writes what, and for DeepSpeed's own format). It is written to a temporary name and renamed into place, so
the newest complete folder is always a valid resume point; older ones are pruned.
"""

from __future__ import annotations

import logging
import os
import random
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import torch

STATE_FILE = "state.pt"
log = logging.getLogger(__name__)


def rng_state() -> dict[str, Any]:
    return {"python": random.getstate(), "numpy": np.random.get_state(), "torch": torch.get_rng_state()}


def restore_rng(state: dict[str, Any]) -> None:
    random.setstate(state["python"])
    np.random.set_state(state["numpy"])
    torch.set_rng_state(state["torch"])


def trainable_state(model: torch.nn.Module) -> dict[str, torch.Tensor]:
    """Only the parameters that train (LoRA adapters, unfrozen layers, heads): small checkpoints."""
    names = {n for n, p in model.named_parameters() if p.requires_grad}
    return {k: v.detach().cpu().clone() for k, v in model.state_dict().items() if k in names}


def save_checkpoint(folder: Path, step: int, state: dict[str, Any], keep: int) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"step-{step:06d}"
    tmp = folder / f".tmp-step-{step:06d}-{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir()
    torch.save(state, tmp / STATE_FILE)
    shutil.rmtree(target, ignore_errors=True)
    os.replace(tmp, target)
    for old in sorted(folder.glob("step-*"))[:-keep]:
        shutil.rmtree(old, ignore_errors=True)
    return target


def latest_checkpoint(folder: Path) -> Path | None:
    done = [p for p in sorted(folder.glob("step-*")) if (p / STATE_FILE).is_file()]
    return done[-1] if done else None


def load_checkpoint(path: Path) -> dict[str, Any]:
    return torch.load(path / STATE_FILE, weights_only=False)


def loop_state(fingerprint: str, step: int, epoch: int, next_batch: int, batches_in_epoch: int, **extra: Any) -> dict[str, Any]:
    """Where a loop stands after `step`: the data position is where the next run starts reading."""
    done = next_batch >= batches_in_epoch
    return {"fingerprint": fingerprint, "step": step, "epoch": epoch + 1 if done else epoch,
            "position": 0 if done else next_batch, **extra}
