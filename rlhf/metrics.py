"""Plain-number metrics of the reward model, its safety head and the replies (no torch, no sklearn needed)."""

from __future__ import annotations

import re
from collections.abc import Sequence

_WORD = re.compile(r"\w+")


def pairwise_accuracy(r_chosen: Sequence[float], r_rejected: Sequence[float]) -> float:
    """Share of pairs where the chosen response scores strictly higher."""
    if not r_chosen:
        return float("nan")
    return sum(c > r for c, r in zip(r_chosen, r_rejected)) / len(r_chosen)


def mean_margin(r_chosen: Sequence[float], r_rejected: Sequence[float]) -> float:
    if not r_chosen:
        return float("nan")
    return sum(c - r for c, r in zip(r_chosen, r_rejected)) / len(r_chosen)


def recall(labels: Sequence[int], predicted: Sequence[int], positive: int = 1) -> float:
    """Of the true positives (escalation needed), the share flagged; nan when there are none."""
    hits = [p == positive for y, p in zip(labels, predicted) if y == positive]
    return sum(hits) / len(hits) if hits else float("nan")


def precision(labels: Sequence[int], predicted: Sequence[int], positive: int = 1) -> float:
    flagged = [y == positive for y, p in zip(labels, predicted) if p == positive]
    return sum(flagged) / len(flagged) if flagged else float("nan")


def auroc(labels: Sequence[int], scores: Sequence[float]) -> float:
    """Area under the ROC curve: P(score of a random positive > score of a random negative), ties 1/2.

    Computed from average ranks (Mann-Whitney U), O(n log n).
    """
    n_pos = sum(1 for y in labels if y == 1)
    n_neg = len(labels) - n_pos
    if n_pos == 0 or n_neg == 0:
        return float("nan")
    order = sorted(range(len(scores)), key=lambda i: scores[i])
    ranks = [0.0] * len(scores)
    i = 0
    while i < len(order):
        j = i
        while j + 1 < len(order) and scores[order[j + 1]] == scores[order[i]]:
            j += 1
        for k in range(i, j + 1):
            ranks[order[k]] = (i + j) / 2 + 1  # average 1-based rank of the tie group
        i = j + 1
    rank_sum = sum(r for r, y in zip(ranks, labels) if y == 1)
    return (rank_sum - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg)


def expected_calibration_error(labels: Sequence[int], probabilities: Sequence[float], bins: int = 10) -> float:
    """Sum over equal-width probability bins of |accuracy - confidence| weighted by the bin's share.

    `probabilities` are P(label = 1); each prediction's confidence is that of the class it predicts.
    """
    if not labels:
        return float("nan")
    totals = [[0, 0.0, 0.0] for _ in range(bins)]  # count, correct, confidence
    for y, p1 in zip(labels, probabilities):
        predicted = 1 if p1 >= 0.5 else 0
        confidence = p1 if predicted == 1 else 1.0 - p1
        b = min(int(confidence * bins), bins - 1)
        totals[b][0] += 1
        totals[b][1] += float(predicted == y)
        totals[b][2] += confidence
    n = len(labels)
    return sum(abs(correct - conf) / n for count, correct, conf in totals if count)


def win_rate(candidate: Sequence[float], baseline: Sequence[float], tie_margin: float) -> dict[str, float]:
    """Judge scores of two policies' replies to the same prompts: win, tie and loss shares.
    Ties (|difference| <= tie_margin) are counted apart, not split."""
    if len(candidate) != len(baseline) or not candidate:
        raise ValueError("win_rate needs two equally long, non-empty score lists")
    n = len(candidate)
    wins = sum(1 for a, b in zip(candidate, baseline) if a - b > tie_margin)
    losses = sum(1 for a, b in zip(candidate, baseline) if b - a > tie_margin)
    return {"win": wins / n, "tie": (n - wins - losses) / n, "loss": losses / n}


def repeated_ngram_share(text: str, n: int = 4) -> float:
    """Share of a text's word n-grams that repeat an earlier one: 0 for the physicians' replies
    (at most 0.04 in the bundled data), 0.2-0.7 for a small policy stuck in a loop."""
    words = _WORD.findall(text.lower())
    grams = [tuple(words[i : i + n]) for i in range(len(words) - n + 1)]
    return 1.0 - len(set(grams)) / len(grams) if grams else 0.0
