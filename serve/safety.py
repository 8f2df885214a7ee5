"""Safety scorer deployment: the reward model's reward and its safety head's P(escalation) for a reply.

Concurrent calls are batched (`serve.batch`) into one forward pass.
"""

from __future__ import annotations

import asyncio
from typing import Any

from ray import serve

from rlhf.config import Config
from rlhf.data.schema import PatientMessage
from rlhf.models.reward_scorer import SERVING_BATCH


@serve.deployment(name="safety")
class SafetyScorer:
    def __init__(self, config: dict[str, Any], model_dir: str):
        import torch

        from rlhf.models.loading import pick_device
        from rlhf.models.reward_scorer import RewardScorer  # torch and transformers load in the replica, not the driver

        self.config = Config.model_validate(config)
        s = self.config.serve
        torch.set_num_threads(s.safety.threads or max(1, int(s.safety.cpus)))
        self.scorer = RewardScorer(model_dir, SERVING_BATCH, pick_device(), max_prompt_tokens=s.max_prompt_tokens)

    @property
    def threshold(self) -> float:
        return float(self.scorer.threshold)

    @serve.batch(max_batch_size=SERVING_BATCH, batch_wait_timeout_s=0.01)
    async def score(self, messages: list[PatientMessage], replies: list[str]) -> list[tuple[float, float, float]]:
        """(normalised reward, P(escalation), the head's threshold) for each (message, reply)."""
        rewards, probs = await asyncio.to_thread(self.scorer.raw_scores, messages, replies)
        return [(r, p, self.threshold) for r, p in zip(rewards, probs)]

    def ping(self) -> bool:
        return True
