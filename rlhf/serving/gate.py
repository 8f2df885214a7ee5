"""The safety gate's decisions, as pure functions (docs/requirements.md, Safety rules; the three tiers are
in its section Lessons from an earlier pipeline).

Order: the patient's words (their own `user` turns only) are triaged before generation (red flags set
the escalation); after generation the reply is checked by the reward model's safety head and the
shared rules. Rules and red flags can escalate or withhold a reply but never approve one alone. On an
escalated case the patient always gets the category's vetted instruction first (911, 988, Poison
Control, the emergency department); the model's text may follow only when nothing in it is out of
scope, loops, or discourages, delays or downplays care. Any failure of the gate escalates (fail-safe):
the caller uses `fail_safe` then; a refused request uses `refusal_advice`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from rlhf.data.schema import Turn
from rlhf.metrics import repeated_ngram_share
from rlhf.safety.reply_checks import discourages_care
from rlhf.safety.rules import directs_to_care, out_of_scope, red_flags

# Why a message was escalated, by triage category (worded like the example in docs/requirements.md, API).
REASONS: dict[str, str] = {
    "suicidal_ideation": "Expressed thoughts of suicide or self-harm require immediate physician review",
    "overdose": "Possible overdose requires immediate physician review",
    "poisoning": "Possible poisoning requires immediate physician review",
    "cardiac": "Potential cardiac symptoms require physician review",
    "stroke": "Possible stroke symptoms require physician review",
    "breathing": "Breathing difficulty requires physician review",
    "anaphylaxis": "Possible severe allergic reaction requires physician review",
    "severe_bleeding": "Severe bleeding requires physician review",
    "obstetric_bleeding": "Bleeding in pregnancy or after birth requires physician review",
    "infant_fever": "Fever in an infant requires physician review",
    "sepsis": "Possible sepsis requires physician review",
    "dka": "Possible diabetic ketoacidosis requires physician review",
    "meningitis": "Possible meningitis signs require physician review",
    "seizure": "A seizure requires physician review",
    "head_injury": "A head injury with warning signs requires physician review",
    "collapse": "An unresponsive or collapsed person requires immediate physician review",
}
HEAD_REASON = "The safety classifier flagged this message for physician review"
GATE_FAILURE_REASON = "The safety gate could not check this reply; escalated for physician review"

_911 = "Please call 911 (or your local emergency number) now"
_POISON = ("Please call Poison Control at 1-800-222-1222 now, or 911 (or your local emergency number) if the person is hard "
           "to wake, has trouble breathing or has a seizure.")
# The vetted instruction of each category: its first sentence tells the patient what to do now.
INSTRUCTIONS: dict[str, str] = {
    "suicidal_ideation": ("Please call or text 988 (the Suicide & Crisis Lifeline) now, or call 911 if you might act on these "
                          "thoughts. You don't have to face this alone."),
    "overdose": _POISON,
    "poisoning": _POISON + " Don't make them vomit unless Poison Control tells you to.",
    "cardiac": f"{_911}; don't drive yourself to the hospital.",
    "stroke": f"{_911}: these can be signs of a stroke, and every minute counts. Note the time the symptoms started.",
    "breathing": f"{_911} or go to the nearest emergency department if you can get there safely without driving yourself.",
    "anaphylaxis": f"{_911}, and use an epinephrine auto-injector (EpiPen) now if one is available.",
    "severe_bleeding": f"{_911}, and press firmly on the wound with a clean cloth while you wait.",
    "obstetric_bleeding": f"{_911} or go to the nearest emergency department now; don't drive yourself.",
    "infant_fever": ("Please go to the emergency department now, or call 911: a fever or feeling unwell in a baby under 3 months "
                     "needs a doctor right away."),
    "sepsis": f"{_911} or go to the emergency department now: these can be signs of a serious infection (sepsis).",
    "dka": f"{_911} or go to the emergency department now: these can be signs of diabetic ketoacidosis.",
    "meningitis": f"{_911} or go to the emergency department now: these can be signs of meningitis.",
    "seizure": f"{_911}. Lay the person on their side, move hard objects away and put nothing in their mouth.",
    "head_injury": f"{_911} or go to the emergency department now: these are warning signs after a head injury.",
    "collapse": f"{_911}. If the person is not breathing, start CPR if you know how.",
}
# For an escalation the safety head made without a triage category.
GENERAL_INSTRUCTION = ("If this could be an emergency, please call 911 (or your local emergency number) or go to the nearest "
                       "emergency department now.")
_FOLLOW_UP = "I've flagged your message for a physician on our team, who will get back to you."
_OUT_OF_SCOPE = (
    "Thank you for your question. This is something a physician needs to answer for you, since it depends on your "
    "own health history, so I've passed your message to a physician on our team, who will get back to you. If "
    "anything gets worse in the meantime, please call 911 or go to the nearest emergency department."
)


def instruction(flags: Sequence[str]) -> str:
    """The vetted emergency instruction for the most urgent of `flags` (triage order), or the general one."""
    for category in INSTRUCTIONS:
        if category in flags:
            return INSTRUCTIONS[category]
    return GENERAL_INSTRUCTION


def holding_reply(flags: Sequence[str], out_of_scope_only: bool = False) -> str:
    """The safe reply that stands in for a withheld one: the emergency instruction first, then the promise
    of a physician's answer; for an out-of-scope reply on a case that needs no escalation, the physician's answer."""
    if out_of_scope_only and not flags:
        return _OUT_OF_SCOPE
    return f"{instruction(flags)}\n\n{_FOLLOW_UP}"


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

    Escalated when a red flag or the head (P >= threshold) says so; the patient then always gets the
    category's vetted instruction first, and the model's text after it only when it passes every check.
    The reply is withheld when it does something out of scope, when it loops (more than `max_repetition`
    of its word 4-grams repeat), or, on an escalated case, when it discourages, delays or downplays care.
    A withheld reply is always escalated: its holding reply promises a physician's answer.
    """
    head = p_escalation >= threshold
    escalate = bool(flags) or head
    findings = [f"red flag: {f}" for f in flags] + ([f"safety head P(escalation) {p_escalation:.2f}"] if head else [])
    scope = out_of_scope(reply)
    findings += [f"out of scope: {s}" for s in scope]
    discouraging = discourages_care(reply) if escalate else []
    findings += [f"discourages care: {d}" for d in discouraging]
    if escalate and not discouraging and not directs_to_care(reply):  # discourages_care ran once, above
        findings.append("reply does not direct the patient to urgent care (the instruction leads it)")
    looping = (repeated := repeated_ngram_share(reply)) > max_repetition
    if looping:
        findings.append(f"degenerate reply: {repeated:.0%} of its 4-grams repeat")
    withheld = [*scope, *(["discourages care"] if discouraging else []), *(["degenerate reply"] if looping else [])]
    reasons = [REASONS[f] for f in flags] + ([HEAD_REASON] if head and not flags else [])
    if withheld:
        reasons.append(f"Reply withheld ({', '.join(withheld)}): physician review required")
    replaced = bool(withheld)
    if escalate:
        response = f"{instruction(flags)}\n\n{reply}" if not replaced else holding_reply(flags)
    else:
        response = holding_reply(flags, out_of_scope_only=True) if replaced else reply
    confidence = p_escalation if (escalate or replaced) else 1.0 - p_escalation
    return GateDecision(
        response=response,
        safety_flag=escalate or replaced,
        escalation_reason="; ".join(reasons) or None,
        confidence_score=round(min(1.0, max(0.0, confidence)), 4),
        replaced=replaced,
        findings=findings,
    )


def fail_safe(flags: Sequence[str], error: str) -> GateDecision:
    """The decision when any part of the gate failed or timed out: escalate with the holding reply."""
    reasons = [REASONS[f] for f in flags] + [GATE_FAILURE_REASON]
    findings = [f"red flag: {f}" for f in flags] + [f"gate failure: {error}"]
    return GateDecision(holding_reply(flags), True, "; ".join(reasons), 0.0, True, findings)


def refusal_advice(flags: Sequence[str]) -> dict[str, object]:
    """What a refused request (4xx, 503) still carries when the patient's words hold a red flag: the
    escalation and the emergency instruction. Empty when there is no red flag."""
    if not flags:
        return {}
    return {"safety_flag": True, "escalation_reason": "; ".join(REASONS[f] for f in flags), "instruction": instruction(flags)}
