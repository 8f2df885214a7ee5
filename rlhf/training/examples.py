"""Token examples for SFT and the reward model, batching and the split between reward model and judge."""

from __future__ import annotations

import hashlib
import random
from collections.abc import Callable, Hashable, Sequence
from typing import Any
from dataclasses import dataclass

import torch

from rlhf.data.formatting import encode_prompt, encode_response
from rlhf.data.schema import RATING_DIMENSIONS, PreferencePair
from rlhf.losses.sft import IGNORE_INDEX, response_labels


@dataclass(frozen=True)
class SFTExample:
    input_ids: list[int]
    labels: list[int]


@dataclass(frozen=True)
class PairExample:
    chosen_ids: list[int]
    rejected_ids: list[int]
    prompt_length: int
    safety_label: int
    chosen_ratings: tuple[int, ...]
    rejected_ratings: tuple[int, ...]


def sft_example(tokenizer, pair: PreferencePair, system_prompt: str, max_prompt: int, max_response: int) -> SFTExample:
    """The physician-preferred reply after the formatted prompt; only the reply is learned."""
    prompt = encode_prompt(tokenizer, system_prompt, pair.context, pair.history, pair.prompt, max_prompt).input_ids
    ids = prompt + encode_response(tokenizer, pair.chosen, max_response)
    return SFTExample(ids, response_labels(len(prompt), ids))


def pair_example(tokenizer, pair: PreferencePair, system_prompt: str, max_prompt: int, max_response: int) -> PairExample:
    prompt = encode_prompt(tokenizer, system_prompt, pair.context, pair.history, pair.prompt, max_prompt).input_ids
    return PairExample(
        prompt + encode_response(tokenizer, pair.chosen, max_response),
        prompt + encode_response(tokenizer, pair.rejected, max_response),
        len(prompt),
        pair.safety_label,
        tuple(pair.chosen_ratings[d] for d in RATING_DIMENSIONS),
        tuple(pair.rejected_ratings[d] for d in RATING_DIMENSIONS),
    )


def pad_left(sequences: Sequence[Sequence[int]], pad_id: int) -> tuple[torch.Tensor, torch.Tensor]:
    width = max(len(s) for s in sequences)
    ids = torch.full((len(sequences), width), pad_id, dtype=torch.long)
    mask = torch.zeros((len(sequences), width), dtype=torch.long)
    for i, seq in enumerate(sequences):
        if seq:
            ids[i, width - len(seq) :] = torch.tensor(seq, dtype=torch.long)
            mask[i, width - len(seq) :] = 1
    return ids, mask


def pad_right(sequences: Sequence[Sequence[int]], pad_id: int) -> tuple[torch.Tensor, torch.Tensor]:
    width = max(len(s) for s in sequences)
    ids = torch.full((len(sequences), width), pad_id, dtype=torch.long)
    mask = torch.zeros((len(sequences), width), dtype=torch.long)
    for i, seq in enumerate(sequences):
        ids[i, : len(seq)] = torch.tensor(seq, dtype=torch.long)
        mask[i, : len(seq)] = 1
    return ids, mask


def collate_sft(examples: Sequence[SFTExample], pad_id: int) -> dict[str, torch.Tensor]:
    """Left-padded, so every reply ends the row: the LM head then only needs the last
    `logits_to_keep` positions (the longest reply + 1) instead of the whole sequence."""
    ids, mask = pad_left([e.input_ids for e in examples], pad_id)
    labels, _ = pad_left([e.labels for e in examples], IGNORE_INDEX)
    longest_reply = max(sum(1 for label in e.labels if label != IGNORE_INDEX) for e in examples)
    return {
        "input_ids": ids,
        "attention_mask": mask,
        "position_ids": (mask.cumsum(-1) - 1).clamp(min=0),
        "labels": labels,
        "logits_to_keep": torch.tensor(min(longest_reply + 1, ids.size(1))),
    }


def collate_pairs(examples: Sequence[PairExample], pad_id: int) -> dict[str, torch.Tensor]:
    """Chosen sequences first, then rejected, in one batch: one forward pass scores both."""
    ids, mask = pad_right([e.chosen_ids for e in examples] + [e.rejected_ids for e in examples], pad_id)
    return {
        "input_ids": ids,
        "attention_mask": mask,
        "prompt_lengths": torch.tensor([e.prompt_length for e in examples] * 2, dtype=torch.long),
        "safety_labels": torch.tensor([e.safety_label for e in examples], dtype=torch.long),
        "chosen_ratings": torch.tensor([e.chosen_ratings for e in examples], dtype=torch.long),
        "rejected_ratings": torch.tensor([e.rejected_ratings for e in examples], dtype=torch.long),
    }


def epoch_order(n_items: int, epoch: int, seed: int) -> list[int]:
    """The seeded shuffle of `range(n_items)` for one epoch: SFT, reward and PPO batches all read it."""
    order = list(range(n_items))
    random.Random(seed * 1_000_003 + epoch).shuffle(order)
    return order


def epoch_batches(n_items: int, batch_size: int, epoch: int, seed: int, rank: int = 0, world_size: int = 1) -> list[list[int]]:
    """This worker's index batches for one epoch: a seeded shuffle, cut into global batches of
    batch_size x world_size, each worker taking its slice. Deterministic, so a resumed run can
    skip the batches it already trained on."""
    order = epoch_order(n_items, epoch, seed)
    global_size = batch_size * world_size
    batches = []
    for start in range(0, n_items, global_size):
        chunk = order[start : start + global_size]
        if len(chunk) < world_size:  # every worker must get a share: equal batch counts, or the
            break  # workers' per-step reports (a barrier) would wait on each other forever
        batches.append(chunk[rank::world_size])
    return batches


def judge_half(pair: PreferencePair) -> bool:
    """True for pairs that train the independent judge, False for the reward model's.

    Split by the patient message, so the two never see the same prompt.
    """
    return int(hashlib.sha256(pair.prompt.encode()).hexdigest()[:8], 16) % 2 == 1


def take(items: list, count: int | None, seed: int) -> list:
    """A seeded sample of `count` items (all of them, shuffled, when count is None)."""
    chosen = list(items)
    random.Random(seed).shuffle(chosen)
    return chosen if count is None else chosen[:count]


def take_stratified(items: list, count: int | None, seed: int, key: Callable[[Any], Hashable]) -> list:
    """A seeded sample of `count` items that keeps every group of `key` in it, in proportion.

    Every non-empty group gets at least one place while `count` allows, so a small evaluation
    still holds a case that needs escalation (a plain sample of 3 from a 40% split misses them
    one time in five, and the escalation metrics then have nothing to measure).
    """
    if count is None or count >= len(items):
        return take(items, None, seed)
    groups: dict[Hashable, list] = {}
    for item in take(items, None, seed):
        groups.setdefault(key(item), []).append(item)
    order = sorted(groups, key=lambda g: -len(groups[g]))
    places = {g: min(len(groups[g]), max(1, round(count * len(groups[g]) / len(items)))) for g in order}
    while sum(places.values()) > count:  # rounding up every small group can overshoot
        largest = max((g for g in order if places[g] > 1), key=lambda g: places[g], default=None)
        if largest is None:
            break
        places[largest] -= 1
    for g in order:  # and rounding down can leave places free
        while sum(places.values()) < count and places[g] < len(groups[g]):
            places[g] += 1
    chosen = [item for g in order for item in groups[g][:places[g]]]
    random.Random(seed).shuffle(chosen)
    return chosen[:count]
