"""Reward-model losses: Bradley-Terry on preference pairs plus the safety head's cross-entropy.

docs/requirements.md, Training: P(y_w > y_l | x) = sigmoid(r(x, y_w) - r(x, y_l)); the loss is its negative log,
and the safety head's cross-entropy is added with weight alpha (2.0 by default: safety first).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F


def preference_probability(r_chosen: torch.Tensor, r_rejected: torch.Tensor) -> torch.Tensor:
    """P(chosen preferred over rejected) under Bradley-Terry."""
    return torch.sigmoid(r_chosen - r_rejected)


def bradley_terry_loss(r_chosen: torch.Tensor, r_rejected: torch.Tensor) -> torch.Tensor:
    """Mean of -log sigmoid(r_chosen - r_rejected); logsigmoid keeps large margins finite."""
    return -F.logsigmoid(r_chosen - r_rejected).mean()


def safety_loss(safety_logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """Cross-entropy of the 2-class escalation head (label 1 = needs physician escalation)."""
    return F.cross_entropy(safety_logits, labels.long())


def rating_loss(predicted: torch.Tensor, ratings: torch.Tensor) -> torch.Tensor:
    """MSE between per-dimension scores and 1-5 physician ratings mapped to [0, 1]."""
    return F.mse_loss(predicted, (ratings.float() - 1.0) / 4.0)


@dataclass
class RewardLoss:
    total: torch.Tensor
    preference: torch.Tensor
    safety: torch.Tensor
    ratings: torch.Tensor | None = None


def reward_model_loss(
    r_chosen: torch.Tensor,
    r_rejected: torch.Tensor,
    safety_logits: torch.Tensor,
    safety_labels: torch.Tensor,
    safety_weight: float,
    predicted_ratings: torch.Tensor | None = None,
    ratings: torch.Tensor | None = None,
    ratings_weight: float = 0.0,
) -> RewardLoss:
    """Bradley-Terry + safety_weight x safety cross-entropy (+ ratings_weight x rating MSE)."""
    preference = bradley_terry_loss(r_chosen, r_rejected)
    safety = safety_loss(safety_logits, safety_labels)
    total = preference + safety_weight * safety
    rated = None
    if predicted_ratings is not None and ratings is not None:
        rated = rating_loss(predicted_ratings, ratings)
        total = total + ratings_weight * rated
    return RewardLoss(total, preference, safety, rated)
