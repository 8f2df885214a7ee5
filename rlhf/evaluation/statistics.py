"""Pure statistics of an evaluation: bootstrap intervals, rates, length figures and group disparities."""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Estimate:
    """A metric's value with its bootstrap interval (nan bounds when the data cannot give one)."""

    value: float
    low: float
    high: float

    def as_text(self, percent: bool = True) -> str:
        if math.isnan(self.value):
            return "n/a"
        fmt = (lambda v: f"{v:.1%}") if percent else (lambda v: f"{v:.3f}")
        if math.isnan(self.low):
            return fmt(self.value)
        return f"{fmt(self.value)} [{fmt(self.low)}, {fmt(self.high)}]"


def bootstrap_ci(n: int, statistic: Callable[[Sequence[int]], float], resamples: int, confidence: float,
                 seed: int) -> tuple[float, float]:
    """Percentile bootstrap over `n` independent units (prompts): `statistic` takes the indices of
    one resample. Resamples whose statistic is undefined (nan, e.g. recall without positives) are
    dropped; (nan, nan) when fewer than half remain or n < 2."""
    if n < 2:
        return float("nan"), float("nan")
    rng = random.Random(seed)
    values = []
    for _ in range(resamples):
        value = statistic([rng.randrange(n) for _ in range(n)])
        if not math.isnan(value):
            values.append(value)
    if len(values) < resamples / 2:
        return float("nan"), float("nan")
    values.sort()
    tail = (1.0 - confidence) / 2
    return _quantile(values, tail), _quantile(values, 1.0 - tail)


def _quantile(ordered: Sequence[float], q: float) -> float:
    """Linear interpolation between the closest ranks (numpy's default)."""
    position = q * (len(ordered) - 1)
    lower = math.floor(position)
    upper = min(lower + 1, len(ordered) - 1)
    return ordered[lower] + (ordered[upper] - ordered[lower]) * (position - lower)


def estimate(n: int, statistic: Callable[[Sequence[int]], float], resamples: int, confidence: float, seed: int) -> Estimate:
    return Estimate(statistic(range(n)), *bootstrap_ci(n, statistic, resamples, confidence, seed))


def mean_of(values: Sequence[float]) -> Callable[[Sequence[int]], float]:
    """The statistic "mean of values[i]" for `bootstrap_ci` (a share when values are 0/1)."""
    return lambda idx: sum(values[i] for i in idx) / len(idx) if len(idx) else float("nan")


def share_where(hits: Sequence[bool], among: Sequence[bool]) -> Callable[[Sequence[int]], float]:
    """The statistic "share of `hits` among the units where `among` holds" (nan when none do):
    recall is hits=flagged among=needed, precision hits=needed among=flagged."""
    def statistic(idx: Sequence[int]) -> float:
        chosen = [hits[i] for i in idx if among[i]]
        return sum(chosen) / len(chosen) if chosen else float("nan")
    return statistic


def outcomes(candidate: Sequence[float], baseline: Sequence[float], tie_margin: float) -> list[int]:
    """Per prompt: +1 the candidate's reply scores higher, -1 lower, 0 a tie (|difference| <= tie_margin)."""
    if len(candidate) != len(baseline):
        raise ValueError(f"{len(candidate)} candidate scores for {len(baseline)} baseline scores")
    return [0 if abs(c - b) <= tie_margin else (1 if c > b else -1) for c, b in zip(candidate, baseline)]


def length_stats(lengths: Sequence[int]) -> dict[str, float]:
    """Mean, median, 90th percentile and maximum of reply lengths (tokens)."""
    if not lengths:
        return {"mean": float("nan"), "p50": float("nan"), "p90": float("nan"), "max": float("nan")}
    ordered = sorted(float(x) for x in lengths)
    return {"mean": sum(ordered) / len(ordered), "p50": _quantile(ordered, 0.5), "p90": _quantile(ordered, 0.9),
            "max": ordered[-1]}


@dataclass(frozen=True)
class Disparity:
    metric: str
    low_group: str
    low: float
    high_group: str
    high: float

    @property
    def gap(self) -> float:
        return self.high - self.low


def disparities(by_group: Mapping[str, Mapping[str, float]], threshold: float) -> list[Disparity]:
    """Each metric's widest gap between groups; those over `threshold` (a share, e.g. 0.05 = 5
    points) come back, widest first. Rates are compared in points, so every metric given must be a
    share in [0, 1]; groups where a metric is nan are left out of that metric."""
    metrics = sorted({m for values in by_group.values() for m in values})
    flagged = []
    for metric in metrics:
        present = {g: v[metric] for g, v in by_group.items() if metric in v and not math.isnan(v[metric])}
        if len(present) < 2:
            continue
        low_group = min(present, key=lambda g: (present[g], g))
        high_group = max(present, key=lambda g: (present[g], g))
        found = Disparity(metric, low_group, present[low_group], high_group, present[high_group])
        if found.gap > threshold + 1e-12:
            flagged.append(found)
    return sorted(flagged, key=lambda d: -d.gap)


def wilson(successes: int, n: int, confidence: float = 0.95) -> tuple[float, float]:
    """The Wilson score interval of a proportion (scipy's); (0, 1) when there are no trials."""
    if n == 0:
        return 0.0, 1.0
    from scipy.stats import binomtest

    ci = binomtest(successes, n).proportion_ci(confidence_level=confidence, method="wilson")
    return float(ci.low), float(ci.high)
