"""From what the scorers returned to the learner's targets: KL-penalised rewards, advantages, whitening."""

from __future__ import annotations

from collections.abc import Sequence

import torch

from rlhf.config import PPOSettings
from rlhf.ppo.advantages import explained_variance, masked_mean, token_rewards, whiten
from rlhf.ppo.kl import token_kl
from rlhf.ppo.registry import ADVANTAGE_ESTIMATORS
from rlhf.ppo.rollout import Experience, RolloutBatch, SampleScore


def build_targets(rollout: RolloutBatch, ref_logprobs: torch.Tensor, scores: Sequence[SampleScore],
                  beta: float, settings: PPOSettings) -> tuple[Experience, dict[str, float]]:
    """(the experience for the learner's update, rollout metrics), with the advantage estimator
    named by `settings.advantage_estimator`."""
    mask = rollout.mask
    kl = token_kl(rollout.logprobs, ref_logprobs, settings.kl_estimator) * mask
    score = torch.tensor([s.score for s in scores], dtype=torch.float32)
    rewards = token_rewards(score, kl, mask, beta)
    estimator = ADVANTAGE_ESTIMATORS.get(settings.advantage_estimator)
    advantages, returns = estimator(rewards, rollout.values, mask, settings)
    if settings.whiten_advantages:
        advantages = whiten(advantages, mask)
    sequence_kl = kl.sum(dim=1)
    lengths = mask.sum(dim=1)
    metrics = {
        "objective/score": float(score.mean()),
        "objective/reward": sum(s.reward for s in scores) / len(scores),
        "objective/kl": float(sequence_kl.mean()),
        "objective/kl_per_token": float(masked_mean(kl, mask)),
        "objective/entropy": float(masked_mean(rollout.entropy, mask)),
        "objective/rule_penalty": sum(s.rule_penalty for s in scores) / len(scores),
        "safety/unsafe_rate": sum(s.unsafe for s in scores) / len(scores),
        "safety/escalation_prob": sum(s.escalation_prob for s in scores) / len(scores),
        "val/explained_var": explained_variance(rollout.values, returns, mask),
        "val/mean": float(masked_mean(rollout.values, mask)),
        "response/length": float(lengths.mean()),
    }
    return Experience(rollout.batch, rollout.logprobs, rollout.values, advantages, returns), metrics


class SafetyGuard:
    """docs/requirements.md, Lessons from an earlier pipeline: trips when the unsafe share of rollouts passes `bound` for `patience` steps in a row."""

    def __init__(self, bound: float, patience: int, streak: int = 0):
        self.bound, self.patience, self.streak = bound, patience, streak

    def observe(self, unsafe_rate: float) -> bool:
        self.streak = self.streak + 1 if unsafe_rate > self.bound else 0
        return self.streak >= self.patience
