"""Reward actor: the reward model's score and safety probability plus the shared safety rules."""

from __future__ import annotations

from typing import Any

import ray

from actors._worker import start
from rlhf.models.precision import use_bf16
from rlhf.data.schema import PreferencePair
from rlhf.generation import Generation
from rlhf.models.reward_scorer import RewardScorer
from rlhf.ppo.rollout import SampleScore
from rlhf.ppo.scoring import RolloutScorer


@ray.remote
class RewardActor:
    def __init__(self, config: dict[str, Any], model_dir: str):
        config_, device = start(config, "reward")
        reward = RewardScorer(model_dir, config_.ppo.minibatch_size, device, use_bf16(config_.train.precision, device))
        self.scorer = RolloutScorer(reward, config_.safety, config_.ppo, config_.serve.max_repeated_ngram_share,
                                    config_.reward.objective_weights)

    def score(self, pairs: list[PreferencePair], generations: list[Generation]) -> list[SampleScore]:
        return self.scorer.score(pairs, [g.text for g in generations], [g.finished for g in generations])

    def raw_scores(self, pairs: list[PreferencePair], replies: list[str]) -> tuple[list[float], list[float]]:
        return self.scorer.reward.raw_scores(pairs, replies)

    def threshold(self) -> float:
        """The safety head's escalation threshold, as the reward model was calibrated."""
        return float(self.scorer.threshold)

    def ping(self) -> bool:
        return True
