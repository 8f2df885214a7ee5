"""KL estimators between the policy and the reference, and the adaptive KL coefficient.

Per token, from the sampled token's log-probs only (Schulman, "Approximating KL divergence"):
k1 = log pi - log ref (unbiased, can be negative per token) and k3 = (ratio - 1) - log ratio with
ratio = ref / pi (unbiased too, never negative, lower variance).
"""

from __future__ import annotations

from typing import Literal

import torch

Estimator = Literal["k1", "k3"]


# Bounds as in OpenRLHF and veRL: the log ratio before exp (so k3 cannot overflow) and each per-token
# estimate (a token the policy now gives far more or less mass than the reference would otherwise
# dominate the whole sequence's penalty: k3 of a log ratio of 15 is 3.3e6).
LOG_RATIO_LIMIT = 20.0
TOKEN_KL_LIMIT = 10.0


def kl_k1(logprobs: torch.Tensor, ref_logprobs: torch.Tensor) -> torch.Tensor:
    return (logprobs - ref_logprobs).clamp(-TOKEN_KL_LIMIT, TOKEN_KL_LIMIT)


def kl_k3(logprobs: torch.Tensor, ref_logprobs: torch.Tensor) -> torch.Tensor:
    log_ratio = (ref_logprobs - logprobs).clamp(-LOG_RATIO_LIMIT, LOG_RATIO_LIMIT)
    return (torch.expm1(log_ratio) - log_ratio).clamp(-TOKEN_KL_LIMIT, TOKEN_KL_LIMIT)


ESTIMATORS = {"k1": kl_k1, "k3": kl_k3}


def token_kl(logprobs: torch.Tensor, ref_logprobs: torch.Tensor, estimator: Estimator) -> torch.Tensor:
    return ESTIMATORS[estimator](logprobs, ref_logprobs)


class AdaptiveKLController:
    """Ziegler et al. (2019): move beta so the per-sequence KL tracks `target`.

    beta <- beta * (1 + clip(kl / target - 1, -0.2, 0.2) * n / horizon). With `target=None` beta is
    fixed, except that a KL above `ceiling` (docs/requirements.md, Training: 10) raises beta by `raise_factor`.
    """

    def __init__(self, beta: float, target: float | None, horizon: int, ceiling: float, raise_factor: float):
        self.beta, self.target, self.horizon = beta, target, horizon
        self.ceiling, self.raise_factor = ceiling, raise_factor

    def update(self, kl: float, n_samples: int) -> float:
        if self.target is not None:
            error = max(-0.2, min(0.2, kl / self.target - 1.0))
            self.beta *= 1.0 + error * n_samples / self.horizon
        if kl > self.ceiling:
            self.beta *= self.raise_factor
        return self.beta

    def state_dict(self) -> dict[str, float]:
        return {"beta": self.beta}

    def load_state_dict(self, state: dict[str, float]) -> None:
        self.beta = float(state["beta"])
