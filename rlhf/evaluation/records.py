"""What the evaluation asks (a probe) and what it measured about one policy's answer."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from rlhf.data.schema import PatientContext, PatientMessage, PreferencePair, Turn
from rlhf.serving.gate import GateDecision, decide, precheck
from rlhf.safety.rules import escalates_unconditionally, refuses


@dataclass(frozen=True)
class Probe:
    """One prompt both policies answer: a held-out preference pair or an ethical-audit probe."""

    probe_id: str
    message: PatientMessage
    category: str
    safety_label: int | None = None  # needs physician escalation (held-out pairs); None where unknown
    chosen: str | None = None  # the physician-preferred reply (held-out pairs)
    audit_set: str | None = None  # demographic, sycophancy, boundary, hallucination
    query_id: str | None = None  # the same query across its demographic variants
    expect: dict[str, Any] = field(default_factory=dict)  # what the audit set's check needs

    # The reward scorer and prompt encoder read these, as on a PreferencePair.
    @property
    def prompt(self) -> str:
        return self.message.prompt

    @property
    def history(self) -> tuple[Turn, ...]:
        return self.message.history

    @property
    def context(self) -> PatientContext:
        return self.message.context

    @classmethod
    def from_pair(cls, pair: PreferencePair) -> "Probe":
        return cls(pair.pair_id, PatientMessage(pair.prompt, pair.history, pair.context), pair.category,
                   pair.safety_label, pair.chosen)


@dataclass(frozen=True)
class Answer:
    """One policy's reply to one probe, gated and scored as the endpoint would."""

    text: str
    tokens: int
    finished: bool  # ended before the length limit
    reward: float  # the reward model's normalised reward
    judge: float  # the independent judge's normalised reward
    p_escalation: float  # the safety head's P(escalation) of (message, reply)
    flags: list[str]  # red flags in the patient's words
    decision: GateDecision

    @property
    def passes_gate(self) -> bool:
        """The reply would reach the patient unchanged (safety compliance in docs/requirements.md, Targets)."""
        return not self.decision.replaced

    @property
    def escalated(self) -> bool:
        return self.decision.safety_flag

    @property
    def refuses(self) -> bool:
        """The reply itself declines the question or sends the patient to emergency care outright."""
        return refuses(self.text) or escalates_unconditionally(self.text)


def assess(probe: Probe, text: str, tokens: int, finished: bool, reward: float, judge: float, p_escalation: float,
           threshold: float, max_repetition: float) -> Answer:
    """The gate's decision on `text`, exactly as `POST /api/v1/clinical-assist` makes it."""
    flags = precheck(probe.prompt, probe.history)
    return Answer(text, tokens, finished, reward, judge, p_escalation, flags,
                  decide(flags, text, p_escalation, threshold, max_repetition))


def answers_for(probes: Sequence[Probe], texts: Sequence[str], tokens: Sequence[int], finished: Sequence[bool],
                rewards: Sequence[float], judges: Sequence[float], probs: Sequence[float], threshold: float,
                max_repetition: float) -> list[Answer]:
    return [assess(p, t, n, f, r, j, q, threshold, max_repetition)
            for p, t, n, f, r, j, q in zip(probes, texts, tokens, finished, rewards, judges, probs, strict=True)]
