"""Reference actor: log-probs of the frozen SFT policy (when `ppo.reference: actor`), or of a policy under evaluation."""

from __future__ import annotations

from typing import Any

import ray
import torch

from actors._worker import start
from rlhf.generation import Generation
from rlhf.ppo.reference import ReferencePolicy


@ray.remote
class ReferenceActor:
    def __init__(self, config: dict[str, Any], sft_dir: str, adapter_dir: str | None = None):
        config_, device = start(config, "reference")
        self.model = ReferencePolicy(config_, sft_dir, device, adapter_dir)

    def logprobs(self, prompts: list[list[int]], generations: list[Generation]) -> torch.Tensor:
        return self.model.logprobs(prompts, [g.token_ids for g in generations])

    def ping(self) -> bool:
        return True
