"""Learner actor: the PPO policy + value head, its update, weight export and checkpoint state."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import ray
import torch

from actors._worker import start
from rlhf.generation import Generation
from rlhf.ppo.learner import PPOLearner
from rlhf.ppo.rollout import Experience, RolloutBatch


@ray.remote
class LearnerActor:
    def __init__(self, config: dict[str, Any], sft_dir: str):
        config_, device = start(config, "learner")
        self.learner = PPOLearner(config_, sft_dir, device)
        self.generator = torch.Generator().manual_seed(config_.runtime.seed)

    def evaluate(self, prompts: list[list[int]], generations: list[Generation], with_reference: bool) -> RolloutBatch:
        return self.learner.evaluate(prompts, [g.token_ids for g in generations], with_reference)

    def score(self, prompts: list[list[int]], replies: list[list[int]]) -> tuple[list[list[float]], list[list[float]]]:
        """The learner's own log-probs of given replies (the sync check's side of the comparison), and those of
        the SFT policy it started from (its adapter off; without LoRA, its own again)."""
        lora = self.learner.lora
        batch = self.learner.evaluate(prompts, replies, with_reference=lora)
        rows = lambda t: [t[row, : len(reply)].tolist() for row, reply in enumerate(replies)]  # noqa: E731
        return rows(batch.logprobs), rows(batch.ref_logprobs if lora else batch.logprobs)

    def update(self, exp: Experience) -> dict[str, float]:
        """PPO's update on the experience the driver built from this learner's own rollout batch."""
        return self.learner.update(exp, self.generator)

    def export_weights(self, folder: str, merged: bool = False) -> str:
        return self.learner.export_weights(Path(folder), merged)

    def ping(self) -> bool:
        return True

    def state(self) -> dict[str, Any]:
        return {**self.learner.state_dict(), "generator": self.generator.get_state()}

    def load_state(self, state: dict[str, Any]) -> None:
        self.learner.load_state_dict(state)
        self.generator.set_state(state["generator"])
