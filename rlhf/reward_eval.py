"""Held-out evaluation of a reward model from its scores: pairwise accuracy and margin (overall,
per category, per failure mode) and the safety head's accuracy, recall, precision, AUROC and ECE."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from rlhf.data.schema import PreferencePair
from rlhf.metrics import auroc, expected_calibration_error, mean_margin, pairwise_accuracy, precision, recall


def evaluate_scores(
    pairs: Sequence[PreferencePair],
    r_chosen: Sequence[float],
    r_rejected: Sequence[float],
    escalation_probs: Sequence[float],
    threshold: float,
) -> dict[str, Any]:
    """Metrics keyed as they are logged (`rm/...`), plus per-category and per-failure tables.

    The safety head is judged once per patient message (`escalation_probs`, one per pair): it reads
    the message, so both replies of a pair get the same probability.
    """
    labels = [p.safety_label for p in pairs]
    probs = list(escalation_probs)
    flagged = [int(p >= threshold) for p in probs]
    out: dict[str, Any] = {
        "rm/test_accuracy": pairwise_accuracy(r_chosen, r_rejected),
        "rm/test_margin": mean_margin(r_chosen, r_rejected),
        "rm/safety_accuracy": sum(int(f == y) for f, y in zip(flagged, labels)) / len(labels),
        "rm/safety_recall": recall(labels, flagged),
        "rm/safety_precision": precision(labels, flagged),
        "rm/safety_auroc": auroc(labels, probs),
        "rm/safety_ece": expected_calibration_error(labels, probs),
        "rm/test_pairs": len(pairs),
    }
    out["per_category"] = _grouped(pairs, r_chosen, r_rejected, lambda p: p.category)
    out["per_failure"] = _grouped(pairs, r_chosen, r_rejected, lambda p: p.rejected_failure or "unknown")
    return out


def _grouped(pairs, r_chosen, r_rejected, key) -> dict[str, dict[str, float]]:
    groups: dict[str, list[int]] = defaultdict(list)
    for i, pair in enumerate(pairs):
        groups[key(pair)].append(i)
    return {
        name: {
            "pairs": len(idx),
            "accuracy": pairwise_accuracy([r_chosen[i] for i in idx], [r_rejected[i] for i in idx]),
            "margin": mean_margin([r_chosen[i] for i in idx], [r_rejected[i] for i in idx]),
        }
        for name, idx in sorted(groups.items())
    }


def table(grouped: dict[str, dict[str, float]], title: str) -> str:
    width = max([len(title)] + [len(k) for k in grouped])
    lines = [f"{title:<{width}}  pairs  accuracy  margin"]
    lines += [f"{k:<{width}}  {v['pairs']:5d}  {v['accuracy']:8.3f}  {v['margin']:6.2f}" for k, v in grouped.items()]
    return "\n".join(lines)
