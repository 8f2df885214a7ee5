"""Pool a sequence to one vector at its last real token, whatever side the padding is on.

SmolLM2's pad token is its eos token, so "the last token that is not pad" would skip the real eos
that closes every response: pool by the attention mask, never by token id.
"""

from __future__ import annotations

import torch


def last_token_index(attention_mask: torch.Tensor) -> torch.Tensor:
    """Index of the last position with mask 1 in each row; works for left and right padding."""
    positions = torch.arange(attention_mask.size(1), device=attention_mask.device).expand_as(attention_mask)
    return torch.where(attention_mask.bool(), positions, torch.full_like(positions, -1)).max(dim=1).values


def last_token_pool(hidden: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
    """(batch, seq, dim) -> (batch, dim) at each row's last real token."""
    index = last_token_index(attention_mask)
    if (index < 0).any():
        raise ValueError("a row has no real token (its attention mask is all zeros)")
    return hidden[torch.arange(hidden.size(0), device=hidden.device), index]
