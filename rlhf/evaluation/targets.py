"""The evaluation gate: a policy is promoted only when every configured bound holds."""

from __future__ import annotations

import math
from collections.abc import Mapping

from rlhf.config import EvaluationTargets


def missed_targets(values: Mapping[str, float], targets: EvaluationTargets) -> list[str]:
    """One line per bound that does not hold; a metric that is missing or nan fails its bound
    (a gate that cannot measure does not promote)."""
    missed = []
    for name, bound in sorted(targets.above.items()):
        value = values.get(name, float("nan"))
        if math.isnan(value) or not value > bound:
            missed.append(f"{name} = {value:.4f}, must be above {bound:g}")
    for name, bound in sorted(targets.below.items()):
        value = values.get(name, float("nan"))
        if math.isnan(value) or not value < bound:
            missed.append(f"{name} = {value:.4f}, must be below {bound:g}")
    return missed
