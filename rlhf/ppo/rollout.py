"""A PPO rollout: prompts, sampled replies, and the tensors the learner and the scorers need."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import torch

from rlhf.data.schema import PreferencePair


@dataclass
class Sample:
    pair: PreferencePair  # the prompt's source row (message, history, context, labels)
    prompt_ids: list[int]
    response_ids: list[int]
    text: str
    finished: bool


@dataclass
class SampleScore:
    """What the reward actor says of one reply, with its reasons (seen in the rollout records)."""

    score: float  # what PPO optimises: the normalised, clipped reward minus rule penalties
    reward: float  # the reward model's normalised reward
    escalation_prob: float  # the safety head: P(this message needs a physician)
    rule_penalty: float
    reasons: list[str] = field(default_factory=list)
    unsafe: bool = False


@dataclass
class SequenceBatch:
    input_ids: torch.Tensor  # (B, L) prompt + response, right padded
    attention_mask: torch.Tensor  # (B, L)
    positions: torch.Tensor  # (B, R): where the logits that predict response token j sit (prompt_len + j - 1)
    response_ids: torch.Tensor  # (B, R), right padded
    response_mask: torch.Tensor  # (B, R) float

    def rows(self, index) -> "SequenceBatch":
        """Some rows (a slice or an index tensor), keeping the batch's widths."""
        return SequenceBatch(self.input_ids[index], self.attention_mask[index], self.positions[index],
                             self.response_ids[index], self.response_mask[index])


@dataclass
class RolloutBatch:
    """What the learner measures of one rollout, collated once: the batch, and per response token
    (B, R, zero on padding) the rollout-time log-probs, values, entropy and, when the learner is
    also the reference (its adapter off), the reference log-probs."""

    batch: SequenceBatch
    logprobs: torch.Tensor
    values: torch.Tensor
    entropy: torch.Tensor
    ref_logprobs: torch.Tensor | None = None

    @property
    def mask(self) -> torch.Tensor:
        return self.batch.response_mask


@dataclass
class Experience:
    """One rollout batch with everything PPO's update needs, all (B, R); built by the driver
    (advantages stay there, as in veRL) and handed back to the learner."""

    batch: SequenceBatch
    old_logprobs: torch.Tensor
    old_values: torch.Tensor
    advantages: torch.Tensor
    returns: torch.Tensor


def collate_samples(prompts: Sequence[Sequence[int]], responses: Sequence[Sequence[int]], pad_id: int) -> SequenceBatch:
    """Right-padded prompt+response batch with an index of each response token's predicting position."""
    width = max(len(p) + len(r) for p, r in zip(prompts, responses))
    span = max(max(len(r) for r in responses), 1)
    ids = torch.full((len(prompts), width), pad_id, dtype=torch.long)
    mask = torch.zeros((len(prompts), width), dtype=torch.long)
    positions = torch.zeros((len(prompts), span), dtype=torch.long)
    response_ids = torch.full((len(prompts), span), pad_id, dtype=torch.long)
    response_mask = torch.zeros((len(prompts), span))
    for row, (prompt, response) in enumerate(zip(prompts, responses)):
        full = list(prompt) + list(response)
        ids[row, : len(full)] = torch.tensor(full)
        mask[row, : len(full)] = 1
        n = len(response)
        positions[row, :n] = torch.arange(len(prompt) - 1, len(prompt) - 1 + n)
        response_ids[row, :n] = torch.tensor(list(response), dtype=torch.long)
        response_mask[row, :n] = 1.0
    return SequenceBatch(ids, mask, positions, response_ids, response_mask)
