"""From sequence scores and per-token KL to per-token rewards, GAE advantages and returns.

Tensors are (batch, response_tokens) with a mask of the real response tokens (1) and padding (0);
every row's real tokens come first. Advantage estimators are registered by name
(`ppo.advantage_estimator`); each takes (rewards, values, mask, settings) and returns
(advantages, returns).
"""

from __future__ import annotations

import torch

from rlhf.config import PPOSettings
from rlhf.ppo.registry import register_advantage_estimator


def masked_mean(x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    return (x * mask).sum() / mask.sum().clamp(min=1)


def masked_var(x: torch.Tensor, mask: torch.Tensor, unbiased: bool = True) -> torch.Tensor:
    mean = masked_mean(x, mask)
    count = mask.sum()
    var = (((x - mean) ** 2) * mask).sum() / count.clamp(min=1)
    if unbiased and count > 1:
        var = var * count / (count - 1)
    return var


def whiten(x: torch.Tensor, mask: torch.Tensor, shift_mean: bool = True) -> torch.Tensor:
    """Zero mean (optional) and unit variance over the masked entries; padding stays 0."""
    mean, var = masked_mean(x, mask), masked_var(x, mask)
    out = (x - mean) * torch.rsqrt(var + 1e-8)
    if not shift_mean:
        out = out + mean
    return out * mask


def token_rewards(scores: torch.Tensor, kl: torch.Tensor, mask: torch.Tensor, beta: float) -> torch.Tensor:
    """-beta * KL on every response token, plus the sequence's score on its last real token."""
    rewards = -beta * kl * mask
    last = (mask.sum(dim=1) - 1).clamp(min=0).long()
    rewards[torch.arange(len(scores)), last] += scores
    return rewards


def gae(rewards: torch.Tensor, values: torch.Tensor, mask: torch.Tensor, gamma: float, lam: float) -> tuple[torch.Tensor, torch.Tensor]:
    """Generalised advantage estimation: (advantages, returns = advantages + values).

    delta_t = r_t + gamma * V_{t+1} - V_t, A_t = delta_t + gamma * lam * A_{t+1}; the value after
    the last real token is 0 (the episode ends there).
    """
    rewards, values = rewards * mask, values * mask
    steps = rewards.shape[1]
    advantages = torch.zeros_like(rewards)
    running = torch.zeros(rewards.shape[0], dtype=rewards.dtype, device=rewards.device)
    for t in reversed(range(steps)):
        next_value = values[:, t + 1] if t + 1 < steps else torch.zeros_like(running)
        delta = rewards[:, t] + gamma * next_value - values[:, t]
        running = (delta + gamma * lam * running) * mask[:, t]
        advantages[:, t] = running
    return advantages, (advantages + values) * mask


@register_advantage_estimator("gae")
def gae_estimator(rewards: torch.Tensor, values: torch.Tensor, mask: torch.Tensor, settings: PPOSettings) -> tuple[torch.Tensor, torch.Tensor]:
    """GAE with the critic's values (`ppo.gamma`, `ppo.lam`)."""
    return gae(rewards, values, mask, settings.gamma, settings.lam)


@register_advantage_estimator("reinforce")
def reinforce_estimator(rewards: torch.Tensor, values: torch.Tensor, mask: torch.Tensor,
                        settings: PPOSettings) -> tuple[torch.Tensor, torch.Tensor]:
    """No critic (REINFORCE++ style): each token's advantage is its discounted reward-to-go, the
    return itself; with `ppo.whiten_advantages` the batch's whitening is the baseline."""
    returns = torch.zeros_like(rewards)
    running = torch.zeros(rewards.shape[0], dtype=rewards.dtype, device=rewards.device)
    for t in reversed(range(rewards.shape[1])):
        running = (rewards[:, t] + settings.gamma * running) * mask[:, t]
        returns[:, t] = running
    return returns.clone(), returns


def explained_variance(values: torch.Tensor, returns: torch.Tensor, mask: torch.Tensor) -> float:
    """1 - Var(returns - values) / Var(returns): 1 is a perfect critic, 0 no better than a constant."""
    var_returns = masked_var(returns, mask)
    if var_returns <= 0:
        return float("nan")
    return float(1.0 - masked_var(returns - values, mask) / var_returns)
