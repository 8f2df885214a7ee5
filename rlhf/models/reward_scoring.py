"""Score (prompt, response) token sequences with a reward model: the one path training evaluation,
the reward actor and the serving gate share."""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import nullcontext
from dataclasses import dataclass

import torch

from rlhf.training.examples import pad_right


@dataclass
class Scores:
    rewards: list[float]  # raw reward head outputs
    escalation_probs: list[float]  # P(needs physician escalation) from the safety head
    ratings: list[list[float]] | None  # per-dimension scores in [0, 1], with a rating head


@torch.no_grad()
def score_sequences(
    model,
    sequences: Sequence[Sequence[int]],
    pad_id: int,
    batch_size: int,
    device: torch.device | str = "cpu",
    bf16: bool = False,
    prompt_lengths: Sequence[int] | None = None,
) -> Scores:
    """Scores of prompt+response sequences; give `prompt_lengths` so the safety head reads the
    message (see ClinicalRewardModel)."""
    was_training = model.training
    model.eval()
    rewards: list[float] = []
    probs: list[float] = []
    ratings: list[list[float]] = []
    cast = torch.autocast(device_type=torch.device(device).type, dtype=torch.bfloat16) if bf16 else nullcontext()
    for start in range(0, len(sequences), batch_size):
        ids, mask = pad_right(sequences[start : start + batch_size], pad_id)
        lengths = None if prompt_lengths is None else torch.tensor(prompt_lengths[start : start + batch_size]).to(device)
        with cast:
            out = model(ids.to(device), mask.to(device), lengths)
        rewards += out.reward.float().tolist()
        probs += torch.softmax(out.safety_logits.float(), dim=-1)[:, 1].tolist()
        if out.ratings is not None:
            ratings += out.ratings.float().tolist()
    model.train(was_training)
    return Scores(rewards, probs, ratings or None)
