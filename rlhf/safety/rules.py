"""Rule-based safety checks, shared by the PPO reward actor and the serving gate.

Rules can flag and penalise but never approve on their own (docs/requirements.md, Safety rules): a reply that passes them
still needs the reward model's safety head. Each check returns its reason, so a reader of a
rollout record or an audit log sees why. Every check reads the text through `normalize`, so
formatting (confusable letters, invisible characters, odd spaces and hyphens) never beats a rule; the
patient's words go through triage (medspaCy ConText over a lay-language lexicon), and a reply's
direction to care is read with negation (`reply_checks`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from rlhf.config import SafetySettings
from rlhf.safety.normalize import normalize
from rlhf.safety.reply_checks import discourages_care
from rlhf.safety.triage import triage

_I = re.IGNORECASE

ESCALATION = re.compile(
    r"\b(911|988|999|112)\b|emergency (room|department|services|care|number|evaluation)|\bER\b|urgent care|seek (immediate|urgent|emergency)"
    r"|call (an ambulance|emergency|your local emergency)|crisis (line|lifeline)|poison control|go to the (nearest )?(hospital|emergency)"
    r"|right now|immediately|(contact|call|see) (your|a) (doctor|physician|clinician|provider) (today|now|right away|urgently)", _I
)

DOSAGE_ADVICE = re.compile(
    r"\b(take|taking|increase|decrease|double|raise|lower|cut|reduce|up|add|switch to)\b[^.?!]{0,40}\b\d+(\.\d+)?\s?(mg|mcg|µg|g|ml|units?|tablets?|pills?)\b"
    r"|\b\d+(\.\d+)?\s?(mg|mcg|ml|units?)\b[^.?!]{0,30}\b(instead|twice|three times|every \d+ hours)\b"
    r"|\b(double|halve|stop taking|skip) (your|the) (dose|medication|pills?)\b", _I
)
# Out of scope for an assistant (docs/requirements.md, Safety rules): starting, stopping or
# choosing a medicine, certainty about a diagnosis, and alarming differentials.
_MEDICINES = (
    r"(amoxicillin|antibiotics?|prednisone|steroids?|steroid cream|sertraline|zolpidem|metformin|ibuprofen|acetaminophen|tylenol"
    r"|paracetamol|aspirin|diphenhydramine|benadryl|cyclobenzaprine|sumatriptan|sleeping pills?|muscle relaxants?|opioids?|oxycodone"
    r"|insulin|warfarin|antihistamines?|antidepressants?|\w+(cillin|mycin|pril|olol|statin|azole|prazole|sartan|triptan))"
)
PRESCRIBING = re.compile(
    rf"\b(start|begin|try|take|give|use|switch to|put \w+ on)\b(?! (it|this|that|care|a (look|moment|break)|time|notes?|rest)\b)[^.?!;]{{0,30}}\b{_MEDICINES}\b"
    r"|\bI('ll| will| can)\b[^.?!]{0,20}\b(prescribe|note that you need|send (you )?a prescription)"
    r"|\bleftover (antibiotics|pills|medications?|tablets)\b|\bborrow\b[^.?!]{0,30}\b(pills|medications?|relaxants?|tablets|inhaler)"
    r"|\b(stop|quit) taking (it|them|your|the)\b|\byou can stop (it|them|taking)\b|\bdouble up on\b"
    r"|\btake (it|them) every other day\b|\bwithout a prescription\b|\b(cutting|cut) (it|them|the dose) in half\b|\btaper (it )?off\b"
    r"|\b(partner|friend|spouse|mother|father|sister|brother)'s (prescription|pills|medication|inhaler)|\ba sleeping pill\b|\bxanax\b"
    r"|\bdoubling (it|the dose) is fine\b|\btake (one|two|three|\d) (\w+ )?(tablets?|pills?|capsules?)\b"
    r"|\b(many patients do well on|you can go up to) \d+ ?(mg|mcg)\b|\bmake that change today\b",
    _I,
)
DIAGNOSTIC_CERTAINTY = re.compile(
    r"\byou (definitely|certainly|clearly|obviously|most likely) have\b|\b(this|it|that) (is|'s) (definitely|certainly|clearly|obviously|almost certainly)\b"
    r"|\bthis sounds like (a|an) (major |massive |serious )?(stroke|heart attack|tumou?r|cancer|infection|migraine)\b"
    r"|\bI('m| am) (sure|certain|confident) (that )?(it'?s|you have|this is)\b|\bthe diagnosis is\b|\byou (are|may be) having an? (aortic|heart attack|stroke)",
    _I,
)
ALARMING = re.compile(
    r"\b(could|can|may|might) (be|indicate|mean|signal|turn into)\b[^.?!]{0,60}\b(cancer|tumou?rs?|leukemia|lymphoma|melanoma|malignan\w*|aneurysm|sepsis|organ failure)"
    r"|\b(first|early) sign of\b[^.?!]{0,20}\b(lupus|leukemia|cancer|melanoma|organ failure)|\bbleed to death\b|\bfatal in most cases\b"
    r"|\bshorten your life\b|\bearly death\b|\bkidney failure, blindness\b|\bglioblastoma\b|\bpituitary adenoma\b|\bcan cause fatal\b"
    r"|\blife-threatening reaction like organ damage\b|\brisk of stroke rises\b",
    _I,
)
SCOPE_RULES: dict[str, re.Pattern[str]] = {
    "prescribing": PRESCRIBING, "diagnostic certainty": DIAGNOSTIC_CERTAINTY, "alarming differential": ALARMING,
}

# A reply that declines to engage with the question at all (over-refusal, docs/requirements.md, Safety rules), as opposed
# to one that answers and adds when to seek care.
REFUSAL = re.compile(
    r"\bI('m| am)( sorry, but I'm| sorry, but I am)? (not able|unable) to (answer|help|provide|discuss|give|comment)\b"
    r"|\bI am unable to help\b|\bI can(no|')t comment on\b|\bI can(no|')t (provide|give|offer|answer|discuss|comment on|help with)\b[^.?!]{0,40}"
    r"\b(information|advice|questions?|this|that|it)\b|\bI('m| am) not (allowed|permitted) to\b",
    _I,
)

# A condition that names what to watch for makes emergency advice safety-netting ("if the pain
# spreads to your arm, call 911"); one that names nothing ("if you have any concerns") does not.
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")
_CONDITION = re.compile(r"\b(if|should|in case|whenever|unless|until)\b", _I)
_VAGUE_CONDITION = re.compile(
    r"\bif (you'?re |you are |you )?(have |feel )?(any )?(concerns?|concerned|unsure|not sure|worried|questions|in doubt)\b", _I
)
# Words that turn a dose mention into a refusal rather than advice ("don't double your dose").
_NEGATED = re.compile(r"\b(don'?t|do not|never|not|can'?t|cannot|shouldn'?t|avoid)\b[^.?!]{0,25}$", _I)


def red_flags(message: str) -> list[str]:
    """Red-flag categories asserted in the patient's words (the clinical rule layer of triage)."""
    return triage(message)


def directs_to_care(reply: str) -> bool:
    """Whether a reply names emergency or same-day care at all (negation not read: see `escalates`)."""
    return ESCALATION.search(normalize(reply)) is not None


def escalates(reply: str) -> bool:
    """Whether a reply directs the patient to emergency or same-day care, and nothing in it discourages,
    delays or downplays that care ("there's no need to go to the ER right now" does not escalate)."""
    return directs_to_care(reply) and not discourages_care(reply)


def escalates_unconditionally(reply: str) -> bool:
    """Whether a reply sends the patient to emergency or same-day care outright or on a vague
    condition, rather than as safety-netting tied to a named symptom."""
    return any(ESCALATION.search(sentence) and (not _CONDITION.search(sentence) or _VAGUE_CONDITION.search(sentence))
               for sentence in _SENTENCE_END.split(normalize(reply)))


def _affirmed(pattern: re.Pattern[str], reply: str) -> bool:
    """Whether `pattern` matches somewhere not preceded by a negation ("don't double your dose")."""
    reply = normalize(reply, keep_hyphens=True)
    return any(not _NEGATED.search(reply[max(0, m.start() - 40) : m.start()]) for m in pattern.finditer(reply))


def refuses(reply: str) -> bool:
    """Whether a reply declines to answer ("I can't provide medical information ...")."""
    return REFUSAL.search(normalize(reply)) is not None


def gives_dosage_advice(reply: str) -> bool:
    """Whether a reply tells the patient a dose or a dose change (refusals do not count)."""
    return _affirmed(DOSAGE_ADVICE, reply)


@dataclass(frozen=True)
class RuleCheck:
    penalty: float  # subtracted from the reward
    reasons: list[str] = field(default_factory=list)
    unsafe: bool = False  # a missed escalation or dosage advice; over-escalation costs reward but is not unsafe


def check_reply(message: str, reply: str, escalation_required: bool, settings: SafetySettings) -> RuleCheck:
    """Rules on one (patient message, reply): a missed escalation and dosage advice (unsafe), and
    over-escalation (a failure of another kind).

    `escalation_required` comes from the caller (the safety head, or a known label); red-flag words
    in the message require escalation too, whatever the head said (in doubt, escalate).
    """
    penalty, reasons, unsafe = 0.0, [], False
    flags = red_flags(message)
    needed = escalation_required or bool(flags)
    if needed and not escalates(reply):
        penalty += settings.missed_escalation_penalty
        reasons.append("missed escalation" + (f" ({', '.join(flags)})" if flags else ""))
        unsafe = True
    if not needed and escalates_unconditionally(reply):
        penalty += settings.over_escalation_penalty
        reasons.append("over-escalation")
    if gives_dosage_advice(reply):
        penalty += settings.dosage_advice_penalty
        reasons.append("dosage advice")
        unsafe = True
    return RuleCheck(penalty, reasons, unsafe)


def out_of_scope(reply: str) -> list[str]:
    """What a reply does that an assistant must not: dosage advice, prescribing (starting, stopping or
    choosing a medicine), certainty about a diagnosis, an alarming differential. Refusals do not count."""
    return (["dosage advice"] if gives_dosage_advice(reply) else []) + [name for name, pattern in SCOPE_RULES.items()
                                                                          if _affirmed(pattern, reply)]
