"""How well the PHI guard catches identifiers: per-kind recall with 95% Wilson intervals, and how
often it alters a line that holds none.

Rows are dicts ``{"id", "text", "phi": [{"kind", "value"}, ...]}``; a benign row has ``phi == []``.
Everything is measured in the normalised text the guard reads (``rlhf.safety.phi.normalized``):

- a value is *caught* when one finding, of any kind, overlaps at least 80% of the value's span;
- a benign line is *altered* when the guard finds anything in it (``redact_phi`` would change the
  normalised text).

Pure: no files, no printing (``jobs/phi_eval.py`` reads a file and prints the table).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from rlhf.evaluation.statistics import wilson
from rlhf.safety.phi import KINDS, PHIFinding, find_phi, normalized

CATCH_OVERLAP = 0.8


@dataclass(frozen=True)
class Rate:
    label: str
    n: int
    hits: int

    @property
    def rate(self) -> float:
        return self.hits / self.n if self.n else float("nan")

    @property
    def interval(self) -> tuple[float, float]:
        return wilson(self.hits, self.n)


@dataclass(frozen=True)
class Miss:
    row_id: str
    kind: str
    value: str  # the identifier itself: print it only for test fixtures
    reason: str  # "not found" or "covered 40%"


@dataclass
class PHIEvaluation:
    per_kind: dict[str, Rate]
    overall: Rate
    benign: Rate  # hits = benign lines altered
    misses: list[Miss] = field(default_factory=list)
    altered_ids: list[str] = field(default_factory=list)

    @property
    def kinds_missed_entirely(self) -> list[str]:
        return [k for k, r in self.per_kind.items() if r.n and r.hits == 0]

    def meets(self, min_recall: float = 0.95, max_benign_altered: float = 0.03) -> bool:
        return (self.overall.rate >= min_recall and not self.kinds_missed_entirely
                and (self.benign.n == 0 or self.benign.rate <= max_benign_altered))

    def table(self) -> list[tuple[str, int, int, float, float, float]]:
        """(kind, n, caught, recall, low, high) per kind, then "overall"."""
        rows = []
        for rate in (*self.per_kind.values(), self.overall):
            low, high = rate.interval
            rows.append((rate.label, rate.n, rate.hits, rate.rate, low, high))
        return rows


def _spans(text: str, value: str) -> list[tuple[int, int]]:
    """Every place `value` (normalised like the text) occurs in the normalised `text`."""
    needle = normalized(value)
    if not needle:
        return []
    out, hay = [], text
    for haystack in (hay, hay.lower()):
        target = needle if haystack is hay else needle.lower()
        start = haystack.find(target)
        while start >= 0:
            out.append((start, start + len(target)))
            start = haystack.find(target, start + 1)
        if out:
            break
    return out


def covered(span: tuple[int, int], findings: Sequence[PHIFinding]) -> float:
    """The largest share of `span` that one finding overlaps."""
    start, end = span
    if end <= start:
        return 0.0
    return max((max(0, min(end, f.end) - max(start, f.start)) / (end - start) for f in findings), default=0.0)


def evaluate(rows: Iterable[Mapping[str, Any]], detector: Callable[[str], list[PHIFinding]] = find_phi,
             kinds: Sequence[str] = KINDS) -> PHIEvaluation:
    """Per-kind recall and the benign-altered share of `detector` on `rows`."""
    counts: dict[str, list[int]] = {k: [0, 0] for k in kinds}
    misses: list[Miss] = []
    benign_n = benign_hits = 0
    altered: list[str] = []
    for row in rows:
        text = normalized(row["text"])
        findings = detector(row["text"])
        values = row.get("phi") or []
        if not values:
            benign_n += 1
            if findings:
                benign_hits += 1
                altered.append(str(row.get("id")))
            continue
        used: dict[str, int] = {}
        for item in values:
            kind, value = item["kind"], item["value"]
            counts.setdefault(kind, [0, 0])
            counts[kind][0] += 1
            spans = _spans(text, value)
            if not spans:
                misses.append(Miss(str(row.get("id")), kind, value, "not found in the text"))
                continue
            # The same value twice in a line: the k-th mention takes the k-th place.
            nth = used.get(value, 0)
            used[value] = nth + 1
            span = spans[min(nth, len(spans) - 1)]
            share = covered(span, findings)
            if share >= CATCH_OVERLAP:
                counts[kind][1] += 1
            else:
                misses.append(Miss(str(row.get("id")), kind, value, f"covered {share:.0%}"))
    per_kind = {k: Rate(k, n, hits) for k, (n, hits) in counts.items() if n or k in kinds}
    total_n = sum(r.n for r in per_kind.values())
    total_hits = sum(r.hits for r in per_kind.values())
    return PHIEvaluation(per_kind, Rate("overall", total_n, total_hits), Rate("benign altered", benign_n, benign_hits),
                         misses, altered)
