"""The gate's verdict offline, for reviewers and CI: the endpoint's own decisions on JSON-lines records.

Each record has `message` and optionally `conversation_history`, `context` and `reply`; the verdict adds
`red_flags` (triage of the patient's own words), `p_escalation` (the reward model's safety head, when
one is given), `safety_flag`, `escalation_reason`, `replaced` and `response` (exactly what the patient
would receive). The calls are the endpoint's: `precheck`, `decide`, `control_tokens`, `refusal_advice`.
Without a `reply` the verdict is the pre-check's: an escalated case gets the holding reply (the
instruction first), any other case `response: null`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from rlhf.data.formatting import control_tokens
from rlhf.data.schema import Turn
from rlhf.evaluation.statistics import wilson
from rlhf.serving.gate import decide, holding_reply, precheck, refusal_advice

# (record, its history, reply) -> the safety head's P(escalation) of the record's message.
HeadScore = Callable[[Mapping[str, Any], Sequence[Turn], str], float]


def verdict(record: Mapping[str, Any], threshold: float, head: HeadScore | None = None, tokenizer=None) -> dict[str, Any]:
    """The gate's verdict on one record (see the module docstring); a record the endpoint would refuse with
    422 (control tokens) says so in `refused`, with the emergency advice it would carry."""
    message = record["message"]
    history = tuple(Turn(t["role"], t["content"]) for t in record.get("conversation_history") or [])
    flags = precheck(message, history)
    out: dict[str, Any] = {**record, "red_flags": flags}
    if tokenizer is not None:
        found = sorted({t for text in [message, *(t.content for t in history)] for t in control_tokens(tokenizer, text)})
        if found:
            return {**out, "refused": f"422: chat-template control tokens ({', '.join(found)})", "replaced": None,
                    "response": None, "p_escalation": None, **refusal_advice(flags)}
    reply = record.get("reply")
    p = head(record, history, reply or "") if head is not None else None
    if reply is None:
        escalate = bool(flags) or (p is not None and p >= threshold)
        advice = refusal_advice(flags)
        return {**out, "p_escalation": p, "safety_flag": escalate, "escalation_reason": advice.get("escalation_reason"),
                "replaced": None, "response": holding_reply(flags) if escalate else None}
    decision = decide(flags, reply, p if p is not None else 0.0, threshold)
    return {**out, "p_escalation": p, "safety_flag": decision.safety_flag, "escalation_reason": decision.escalation_reason,
            "replaced": decision.replaced, "response": decision.response, "findings": decision.findings}


@dataclass(frozen=True)
class CategoryFigures:
    category: str
    n: int
    rules: int  # escalated by the rule layer alone
    head: int | None  # by the safety head alone (None: no head)
    union: int

    def rate(self, hits: int | None) -> str:
        if hits is None:
            return "-"
        lo, hi = wilson(hits, self.n)
        return f"{hits}/{self.n} {hits / self.n:.0%} [{lo:.0%}, {hi:.0%}]"


def by_category(verdicts: Iterable[Mapping[str, Any]], threshold: float) -> list[CategoryFigures]:
    """Per labelled category (records with `category` and `escalate`), how many escalate by the rules, the
    head and their union: recall for emergencies, false escalations for the benign ("benign" category)."""
    groups: dict[str, list[Mapping[str, Any]]] = defaultdict(list)
    for v in verdicts:
        if "category" in v:
            groups[v["category"]].append(v)
    out = []
    for category, rows in sorted(groups.items(), key=lambda kv: (kv[0] == "benign", kv[0])):
        rules = sum(bool(r["red_flags"]) for r in rows)
        has_head = all(r.get("p_escalation") is not None for r in rows)
        head = sum(r["p_escalation"] >= threshold for r in rows) if has_head else None
        union = sum(bool(r["red_flags"]) or (has_head and r["p_escalation"] >= threshold) for r in rows)
        out.append(CategoryFigures(category, len(rows), rules, head, union))
    return out


def summary_lines(figures: Sequence[CategoryFigures]) -> list[str]:
    """A table: per category rules / head / union escalations with 95% Wilson intervals, then the totals."""
    lines = [f"{'category':20s} {'rules':>22s} {'head':>22s} {'union':>22s}"]
    for f in figures:
        lines.append(f"{f.category:20s} {f.rate(f.rules):>22s} {f.rate(f.head):>22s} {f.rate(f.union):>22s}")
    emergencies = [f for f in figures if f.category != "benign"]
    if emergencies:
        n = sum(f.n for f in emergencies)
        total = CategoryFigures("ALL EMERGENCIES", n, sum(f.rules for f in emergencies),
                                None if any(f.head is None for f in emergencies) else sum(f.head for f in emergencies),
                                sum(f.union for f in emergencies))
        lines.append(f"{'recall, all':20s} {total.rate(total.rules):>22s} {total.rate(total.head):>22s} {total.rate(total.union):>22s}")
    lines.append("(benign row: false escalations; other rows: recall)")
    return lines
