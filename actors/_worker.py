"""What every PPO actor does first in its process: the config back, threads, logging, its device."""

from __future__ import annotations

import logging
from typing import Any

import torch

from rlhf.config import Config


def start(config: dict[str, Any], cpus: float) -> tuple[Config, str]:
    """(the validated config, the device): cuda when torch sees one, else cpu. Never read
    CUDA_VISIBLE_DEVICES: Ray sets it for a logical GPU fraction on a GPU-less machine too."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s", datefmt="%H:%M:%S")
    torch.set_num_threads(max(1, int(cpus)))  # two processes with two threads each on 2 cores ran 9x slower
    return Config.model_validate(config), "cuda" if torch.cuda.is_available() else "cpu"
