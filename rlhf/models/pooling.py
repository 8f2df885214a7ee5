"""Pick one hidden state per sequence: at the last real token, or at the last prompt token,
whatever side the padding is on.

SmolLM2's pad token is its eos token, so "the last token that is not pad" would skip the real eos
that closes every response: positions come from the attention mask, never from token ids.
"""

from __future__ import annotations

import torch


def last_token_index(attention_mask: torch.Tensor) -> torch.Tensor:
    """Index of the last position with mask 1 in each row; works for left and right padding."""
    positions = torch.arange(attention_mask.size(1), device=attention_mask.device).expand_as(attention_mask)
    return torch.where(attention_mask.bool(), positions, torch.full_like(positions, -1)).max(dim=1).values


def first_token_index(attention_mask: torch.Tensor) -> torch.Tensor:
    """Index of the first position with mask 1 in each row (0 with right padding)."""
    return attention_mask.long().argmax(dim=1)


def prompt_end_index(attention_mask: torch.Tensor, prompt_lengths: torch.Tensor) -> torch.Tensor:
    """Index of each row's last prompt token: a causal model's state there has read the whole
    prompt and nothing of the response."""
    return first_token_index(attention_mask) + prompt_lengths.to(attention_mask.device) - 1


def pool_at(hidden: torch.Tensor, index: torch.Tensor) -> torch.Tensor:
    """(batch, seq, dim) -> (batch, dim) at one position per row."""
    return hidden[torch.arange(hidden.size(0), device=hidden.device), index]


def last_token_pool(hidden: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
    """(batch, seq, dim) -> (batch, dim) at each row's last real token."""
    index = last_token_index(attention_mask)
    if (index < 0).any():
        raise ValueError("a row has no real token (its attention mask is all zeros)")
    return pool_at(hidden, index)
