"""The safety gate's decisions (seed 000 section 4, seed 002's three tiers), as pure functions.

Order: the patient's words are checked for red flags before generation (they set the escalation);
after generation the reply is checked by the reward model's safety head and the shared rules. Rules
and red flags can escalate or withhold a reply but never approve one alone: a reply goes out only
when nothing flagged it. A withheld reply is replaced by a safe, empathetic holding reply, and any
failure of the gate escalates (fail-safe): the caller uses `fail_safe` then.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from rlhf.data.schema import Turn
from rlhf.metrics import repeated_ngram_share
from rlhf.safety.rules import escalates, out_of_scope, red_flags

# Why a message was escalated, by red-flag category (the wording of seed 000's example).
REASONS: dict[str, str] = {
    "cardiac": "Potential cardiac symptoms require physician review",
    "stroke": "Possible stroke symptoms require physician review",
    "breathing": "Breathing difficulty requires physician review",
    "suicidal_ideation": "Expressed thoughts of suicide or self-harm require immediate physician review",
    "anaphylaxis": "Possible severe allergic reaction requires physician review",
    "severe_bleeding": "Severe bleeding requires physician review",
    "infant_fever": "Fever in an infant requires physician review",
}
HEAD_REASON = "The safety classifier flagged this message for physician review"
GATE_FAILURE_REASON = "The safety gate could not check this reply; escalated for physician review"

_EMERGENCY = (
    "I'm concerned about what you're describing, and I want you to get help right away. Please call 911 (or your "
    "local emergency number) now, or go to the nearest emergency department; don't drive yourself. I've also "
    "flagged your message for a physician on our team."
)
_CRISIS = (
    "I'm really glad you told me, and I'm sorry you're going through this. You don't have to face it alone. Please "
    "call or text 988 (the Suicide & Crisis Lifeline) now, or call 911 if you might act on these thoughts. I've "
    "flagged your message so a physician on our team can reach out to you."
)
_INFANT = (
    "A fever in a baby this young needs to be checked by a doctor right away. Please call your pediatrician's "
    "urgent line now or go to the nearest emergency department. I've flagged your message for a physician on our team."
)
_REVIEW = (
    "Thank you for telling me about this. Some of what you describe needs a physician's attention, so I've passed "
    "your message to a physician on our team, who will get back to you. If your symptoms get worse or you feel it "
    "is an emergency, please call 911 or go to the nearest emergency department."
)
_OUT_OF_SCOPE = (
    "Thank you for your question. This is something a physician needs to answer for you, since it depends on your "
    "own health history, so I've passed your message to a physician on our team, who will get back to you. If "
    "anything gets worse in the meantime, please call 911 or go to the nearest emergency department."
)


def holding_reply(flags: Sequence[str], out_of_scope_only: bool = False) -> str:
    """The safe reply that stands in for a withheld one: the most urgent category decides its words."""
    if "suicidal_ideation" in flags:
        return _CRISIS
    if any(f in flags for f in ("cardiac", "stroke", "breathing", "anaphylaxis", "severe_bleeding")):
        return _EMERGENCY
    if "infant_fever" in flags:
        return _INFANT
    return _OUT_OF_SCOPE if out_of_scope_only else _REVIEW


@dataclass(frozen=True)
class GateDecision:
    response: str
    safety_flag: bool
    escalation_reason: str | None
    confidence_score: float
    replaced: bool  # the model's reply was withheld
    findings: list[str] = field(default_factory=list)  # every check that fired, for the audit log


def precheck(message: str, history: Sequence[Turn] = ()) -> list[str]:
    """Red-flag categories in the patient's words: this message and their earlier turns (in doubt, escalate)."""
    found = red_flags(message)
    for turn in history:
        if turn.role == "user":
            found += [f for f in red_flags(turn.content) if f not in found]
    return found


def decide(flags: Sequence[str], reply: str, p_escalation: float, threshold: float, max_repetition: float = 1.0) -> GateDecision:
    """The post-generation decision on one reply, given the pre-check's `flags` and the safety head's
    P(escalation) of the message.

    Escalated when a red flag or the head (P >= threshold) says so; the reply is withheld when it does
    something out of scope, when it loops (more than `max_repetition` of its word 4-grams repeat), or
    when the case needs escalation and the reply does not direct the patient to urgent care. A
    withheld reply is always escalated: its holding reply promises a physician's answer.
    """
    head = p_escalation >= threshold
    escalate = bool(flags) or head
    findings = [f"red flag: {f}" for f in flags] + ([f"safety head P(escalation) {p_escalation:.2f}"] if head else [])
    scope = out_of_scope(reply)
    findings += [f"out of scope: {s}" for s in scope]
    missed = escalate and not escalates(reply)
    if missed:
        findings.append("reply does not direct the patient to urgent care")
    looping = (repeated := repeated_ngram_share(reply)) > max_repetition
    if looping:
        findings.append(f"degenerate reply: {repeated:.0%} of its 4-grams repeat")
    withheld = [*scope, *(["degenerate reply"] if looping else [])]
    reasons = [REASONS[f] for f in flags] + ([HEAD_REASON] if head and not flags else [])
    if withheld:
        reasons.append(f"Reply withheld ({', '.join(withheld)}): physician review required")
    replaced = bool(withheld) or missed
    confidence = p_escalation if (escalate or replaced) else 1.0 - p_escalation
    return GateDecision(
        response=holding_reply(flags, out_of_scope_only=not escalate) if replaced else reply,
        safety_flag=escalate or replaced,
        escalation_reason="; ".join(reasons) or None,
        confidence_score=round(min(1.0, max(0.0, confidence)), 4),
        replaced=replaced,
        findings=findings,
    )


def fail_safe(flags: Sequence[str], error: str) -> GateDecision:
    """The decision when any part of the gate failed or timed out: escalate with the holding reply."""
    reasons = [REASONS[f] for f in flags] + [GATE_FAILURE_REASON]
    return GateDecision(holding_reply(flags), True, "; ".join(reasons), 0.0, True, [f"gate failure: {error}"])
