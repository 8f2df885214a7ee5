"""The PPO policy: a causal LM (LoRA on the SFT policy) with a value head, and its log-probs.

The value head reads the last hidden state, as in TRL's value-head models: one backbone for actor
and critic, so the critic costs a linear layer, not a second 135M-7B model. With LoRA the
reference is this model with its adapter disabled.
"""

from __future__ import annotations

from contextlib import nullcontext

import torch
from torch import nn

from rlhf.models.logprobs import reply_logprobs
from rlhf.ppo.losses import entropy_from_logits
from rlhf.ppo.rollout import SequenceBatch


class PolicyWithValue(nn.Module):
    def __init__(self, lm: nn.Module, hidden_size: int):
        super().__init__()
        self.lm = lm
        self.value_head = nn.Linear(hidden_size, 1)
        nn.init.zeros_(self.value_head.weight)
        nn.init.zeros_(self.value_head.bias)

    def forward(self, batch: SequenceBatch, device: torch.device, with_values: bool = True, with_entropy: bool = False):
        """(log-probs of the response tokens, values, entropy), each (B, R); values/entropy None if not asked."""
        logprobs, logits, out = reply_logprobs(self.lm, batch, device, hidden_states=with_values)
        values = None
        if with_values:
            positions = batch.positions.to(device)
            rows = torch.arange(positions.shape[0], device=device).unsqueeze(1)
            hidden = out.hidden_states[-1][rows, positions]
            values = self.value_head(hidden.to(self.value_head.weight.dtype)).squeeze(-1).float()
        entropy = entropy_from_logits(logits) if with_entropy else None
        return logprobs, values, entropy

    def adapter_disabled(self):
        """The reference policy: the same weights without the LoRA adapter."""
        disable = getattr(self.lm, "disable_adapter", None)
        return disable() if disable is not None else nullcontext()
