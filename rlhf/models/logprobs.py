"""Log-probabilities of given reply tokens under a causal LM: what PPO's learner and the preference
losses (DPO, IPO, KTO) both measure, computed here once."""

from __future__ import annotations

from typing import Any

import torch

from rlhf.ppo.rollout import SequenceBatch


def reply_logprobs(lm: torch.nn.Module, batch: SequenceBatch, device: torch.device,
                   hidden_states: bool = False) -> tuple[torch.Tensor, torch.Tensor, Any]:
    """(log-probs of the reply tokens (B, R), the logits at the reply positions (B, R, V), the LM's output).

    Only the reply positions' logits go through the softmax; padding rows of the result are whatever the
    pad token scores, so callers multiply by `batch.response_mask`."""
    out = lm(input_ids=batch.input_ids.to(device), attention_mask=batch.attention_mask.to(device),
             output_hidden_states=hidden_states)
    positions = batch.positions.to(device)
    rows = torch.arange(positions.shape[0], device=device).unsqueeze(1)
    logits = out.logits[rows, positions].float()  # (B, R, V): only the response positions
    logprobs = torch.log_softmax(logits, dim=-1).gather(-1, batch.response_ids.to(device).unsqueeze(-1)).squeeze(-1)
    return logprobs, logits, out
