"""Supervised fine-tuning loss: next-token cross-entropy on the response tokens only."""

from __future__ import annotations

import torch
import torch.nn.functional as F

IGNORE_INDEX = -100


def response_labels(prompt_length: int, input_ids: list[int]) -> list[int]:
    """Labels for prompt + response ids: prompt positions masked, so only the response is learned."""
    return [IGNORE_INDEX] * prompt_length + list(input_ids[prompt_length:])


def masked_lm_loss(logits: torch.Tensor, labels: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """(sum of token losses, number of learned tokens); shift so position t predicts token t+1.

    Returning the sum and the count lets gradient accumulation average over tokens, not batches.
    """
    shifted_logits = logits[:, :-1].reshape(-1, logits.size(-1)).float()
    shifted_labels = labels[:, 1:].reshape(-1)
    total = F.cross_entropy(shifted_logits, shifted_labels, ignore_index=IGNORE_INDEX, reduction="sum")
    return total, (shifted_labels != IGNORE_INDEX).sum()
