"""PPO's clipped surrogate, clipped value loss and entropy (masked over response tokens).

Policy losses are registered by name (`ppo.policy_loss`): each takes (logprobs, old_logprobs,
advantages, mask, settings) and returns a PolicyLoss. Every loss here is a token mean over the
whole minibatch (as OpenRLHF and veRL's default `token-mean`): a long reply weighs by its tokens.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from rlhf.config import PPOSettings
from rlhf.ppo.advantages import masked_mean
from rlhf.ppo.registry import register_policy_loss


@dataclass
class PolicyLoss:
    loss: torch.Tensor
    clipfrac: float  # share of tokens where the clipped term was the one used
    approxkl: float  # 0.5 * mean((log pi - log pi_old)^2): how far this update moved the policy


def policy_loss(logprobs: torch.Tensor, old_logprobs: torch.Tensor, advantages: torch.Tensor, mask: torch.Tensor,
                clip_epsilon: float) -> PolicyLoss:
    """-min(ratio * A, clip(ratio, 1 - eps, 1 + eps) * A), averaged over the masked tokens."""
    log_ratio = logprobs - old_logprobs
    ratio = torch.exp(log_ratio)
    unclipped = -advantages * ratio
    clipped = -advantages * torch.clamp(ratio, 1.0 - clip_epsilon, 1.0 + clip_epsilon)
    loss = masked_mean(torch.maximum(unclipped, clipped), mask)
    with torch.no_grad():
        clipfrac = float(masked_mean((clipped > unclipped).float(), mask))
        approxkl = float(0.5 * masked_mean(log_ratio**2, mask))
    return PolicyLoss(loss, clipfrac, approxkl)


@register_policy_loss("clipped")
def clipped_policy_loss(logprobs: torch.Tensor, old_logprobs: torch.Tensor, advantages: torch.Tensor, mask: torch.Tensor,
                        settings: PPOSettings) -> PolicyLoss:
    """PPO's clipped surrogate with `ppo.clip_epsilon`."""
    return policy_loss(logprobs, old_logprobs, advantages, mask, settings.clip_epsilon)


def value_loss(values: torch.Tensor, old_values: torch.Tensor, returns: torch.Tensor, mask: torch.Tensor,
               clip_range: float) -> tuple[torch.Tensor, float]:
    """0.5 * max((V - R)^2, (V_clipped - R)^2), V_clipped kept within clip_range of the rollout's value:
    (loss, share of tokens where the clipped term was used)."""
    clipped_values = old_values + torch.clamp(values - old_values, -clip_range, clip_range)
    plain, clipped = (values - returns) ** 2, (clipped_values - returns) ** 2
    loss = 0.5 * masked_mean(torch.maximum(plain, clipped), mask)
    return loss, float(masked_mean((clipped > plain).float(), mask))


def entropy_from_logits(logits: torch.Tensor) -> torch.Tensor:
    """Per-position entropy of the categorical distribution given by `logits` (..., vocab)."""
    logp = torch.log_softmax(logits.float(), dim=-1)
    return -(logp.exp() * logp).sum(dim=-1)
