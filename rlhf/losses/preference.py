"""Preference losses without a reward model: DPO (and conservative DPO), IPO and KTO.

Pure functions on sequence log-probabilities, registered by name (`dpo.loss`) in
rlhf/ppo/registry.py beside the PPO losses. A reply's implicit reward is beta * (log pi(y|x) -
log pi_ref(y|x)), the reference being the SFT policy. The formulas and the metric names follow TRL
1.16 (`DPOTrainer._compute_loss`, `KTOTrainer._compute_loss`), so `rewards/margins` here means what
it means there; tests/test_preference_losses.py runs TRL's own code on the same tensors.

Rows: a paired loss (dpo, ipo) reads B chosen rows then B rejected rows, pair i being rows i and
B + i (TRL's order). An unpaired loss (kto) reads any mix of desirable and undesirable rows plus
the log-probs of mismatched prompt/reply rows, its KL estimate.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch
import torch.nn.functional as F

from rlhf.config import DPOSettings
from rlhf.ppo.registry import register_preference_loss


@dataclass
class LogpBatch:
    """What a preference loss reads, one row per reply (see the module docstring for the order)."""

    policy: torch.Tensor  # (N,) log pi(y|x): the reply's tokens summed (length-desensitised if configured)
    reference: torch.Tensor  # (N,) the same under the reference (no gradient)
    tokens: torch.Tensor  # (N,) reply tokens
    desirable: torch.Tensor  # (N,) bool: a chosen / desirable reply
    weights: torch.Tensor  # (N,) each row's weight (the safety weighting; a pair's weight sits on both its rows)
    kl_policy: torch.Tensor | None = None  # (M,) kto: log pi of mismatched prompt/reply rows
    kl_reference: torch.Tensor | None = None  # (M,) kto: the same under the reference


@dataclass
class PreferenceLoss:
    loss: torch.Tensor
    metrics: dict[str, float]  # TRL's names: rewards/chosen, rewards/rejected, rewards/margins, ...


def sequence_logps(per_token: torch.Tensor, mask: torch.Tensor, ld_alpha: float | None = None) -> torch.Tensor:
    """Each row's reply log-prob: its tokens summed. With `ld_alpha` (LD-DPO, TRL's `ld_alpha`) the rows
    are B chosen then B rejected, and the tokens past the shorter reply of each pair count alpha times,
    so the longer reply's extra tokens do not dominate the margin."""
    mask = mask.to(per_token.dtype)
    if ld_alpha is None:
        return (per_token * mask).sum(-1)
    half = per_token.shape[0] // 2
    lengths = mask.sum(-1)
    shared = torch.minimum(lengths[:half], lengths[half:]).repeat(2).unsqueeze(-1)
    position = mask.cumsum(-1)
    in_shared = mask * (position <= shared).to(mask.dtype)
    in_tail = mask * (position > shared).to(mask.dtype)
    return (per_token * in_shared).sum(-1) + ld_alpha * (per_token * in_tail).sum(-1)


def _pairs(batch: LogpBatch) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """(chosen log-ratios, rejected log-ratios, pair weights) of a paired batch; a batch in another order is an error."""
    n = batch.policy.shape[0]
    half = n // 2
    if n % 2 or not bool(batch.desirable[:half].all()) or bool(batch.desirable[half:].any()):
        raise ValueError("a paired preference loss needs B chosen rows followed by B rejected rows")
    logratios = batch.policy - batch.reference
    return logratios[:half], logratios[half:], batch.weights[:half]


def reward_metrics(batch: LogpBatch, beta: float, paired: bool) -> dict[str, float]:
    """TRL's logged metrics: the mean implicit reward and log-prob of the chosen and rejected rows, their
    margin, and (paired) the share of pairs whose chosen reply has the higher implicit reward."""
    with torch.no_grad():
        rewards = beta * (batch.policy - batch.reference)
        good, bad = batch.desirable, ~batch.desirable
        out: dict[str, float] = {}
        if good.any():
            out["rewards/chosen"] = float(rewards[good].mean())
            out["logps/chosen"] = float(batch.policy[good].mean())
        if bad.any():
            out["rewards/rejected"] = float(rewards[bad].mean())
            out["logps/rejected"] = float(batch.policy[bad].mean())
        if good.any() and bad.any():
            out["rewards/margins"] = out["rewards/chosen"] - out["rewards/rejected"]
        if paired:
            half = rewards.shape[0] // 2
            out["rewards/accuracies"] = float((rewards[:half] > rewards[half:]).float().mean())
    return out


def unpaired(fn: Callable) -> Callable:
    """Marks a loss that reads unpaired rows and a KL estimate (the trainer then builds mismatched rows)."""
    fn.unpaired = True
    return fn


def is_unpaired(fn: Callable) -> bool:
    return bool(getattr(fn, "unpaired", False))


@register_preference_loss("dpo")
def dpo_loss(batch: LogpBatch, settings: DPOSettings) -> PreferenceLoss:
    """-(1 - eps) log sigmoid(beta * delta) - eps log sigmoid(-beta * delta), delta the chosen minus the
    rejected log-ratio: DPO (Rafailov et al. 2023) at eps = 0; conservative DPO (cDPO) with
    `label_smoothing` eps, which assumes that share of the pairs is mislabelled."""
    chosen, rejected, weights = _pairs(batch)
    z = settings.beta * (chosen - rejected)
    eps = settings.label_smoothing
    per_pair = -(1.0 - eps) * F.logsigmoid(z) - eps * F.logsigmoid(-z)
    return PreferenceLoss((weights * per_pair).mean(), reward_metrics(batch, settings.beta, paired=True))


@register_preference_loss("ipo")
def ipo_loss(batch: LogpBatch, settings: DPOSettings) -> PreferenceLoss:
    """(delta - 1 / (2 tau))^2 with each log-ratio averaged over its reply's tokens (Azar et al. 2023, eq. 17,
    in the length-normalised form TRL uses); tau is `beta`. A squared loss: the margin is pulled to a
    target instead of pushed without bound, which keeps the policy nearer the reference."""
    chosen, rejected, weights = _pairs(batch)
    half = chosen.shape[0]
    tokens = batch.tokens.to(chosen.dtype).clamp(min=1.0)
    delta = chosen / tokens[:half] - rejected / tokens[half:]
    per_pair = (delta - 1.0 / (2.0 * settings.beta)) ** 2
    return PreferenceLoss((weights * per_pair).mean(), reward_metrics(batch, settings.beta, paired=True))


def kto_kl(kl_policy: torch.Tensor, kl_reference: torch.Tensor) -> torch.Tensor:
    """KTO's reference point: the batch's mean log-ratio on mismatched prompt/reply rows, at least 0, no gradient."""
    return (kl_policy - kl_reference).mean().detach().clamp(min=0.0)


@register_preference_loss("kto")
@unpaired
def kto_loss(batch: LogpBatch, settings: DPOSettings) -> PreferenceLoss:
    """KTO (Ethayarajh et al. 2024, eq. 7): a desirable reply costs 1 - sigmoid(beta * (r - z)), an
    undesirable one 1 - sigmoid(beta * (z - r)), r its log-ratio and z the KL estimate; weighted by
    `desirable_weight` / `undesirable_weight` and averaged over all rows. It needs no pairs, so a single
    physician verdict on one reply can train it."""
    if batch.kl_policy is None or batch.kl_reference is None:
        raise ValueError("kto needs the log-probs of mismatched prompt/reply rows (kl_policy, kl_reference)")
    z = kto_kl(batch.kl_policy, batch.kl_reference)
    logratios = batch.policy - batch.reference
    good = batch.desirable
    losses = torch.where(
        good,
        settings.desirable_weight * (1.0 - torch.sigmoid(settings.beta * (logratios - z))),
        settings.undesirable_weight * (1.0 - torch.sigmoid(settings.beta * (z - logratios))),
    )
    metrics = reward_metrics(batch, settings.beta, paired=False)
    metrics["kl"] = float(z)
    return PreferenceLoss((batch.weights * losses).mean(), metrics)
