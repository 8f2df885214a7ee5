"""What every PPO actor does first in its process: the config back, threads, logging, its device."""

from __future__ import annotations

import logging
from typing import Any

import torch

from rlhf.config import Config
from rlhf.models.loading import pick_device
from rlhf.quiet import quiet_libraries


def start(config: dict[str, Any], role: str) -> tuple[Config, str]:
    """(the validated config, the device): cuda when torch sees one, else cpu. Never read
    CUDA_VISIBLE_DEVICES: Ray sets it for a logical GPU fraction on a GPU-less machine too."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s", datefmt="%H:%M:%S")
    quiet_libraries()
    parsed = Config.model_validate(config)
    resources = getattr(parsed.placement, role)
    torch.set_num_threads(resources.threads or max(1, int(resources.cpus)))
    return parsed, pick_device()
