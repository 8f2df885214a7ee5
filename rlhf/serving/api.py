"""The JSON of POST /api/v1/clinical-assist (docs/requirements.md, API), validated before anything runs.

Field limits that need no tokenizer live here (types, roles, known context values, the number of
prior turns); the message's token count is checked by the gate's tokenizer. Unknown fields are
refused, so a typo never passes silently.
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from rlhf.data.schema import AGE_BRACKETS, SEXES, VISIT_TYPES, PatientContext, Turn
from rlhf.safety.phi import phi_kinds

ARMS = ("rlhf", "sft")
Arm = Literal["rlhf", "sft"]
# An anonymised id: an opaque token (a hex or base64url hash, a UUID). Anything that could be a
# direct identifier is refused before it can reach the audit log: "." ":" "@" and spaces are not
# allowed (no e-mail, "john.smith", "Smith:John:DOB:19620314", street address); it needs a letter
# (no phone, SSN or date written as digits); and the PHI guard must find nothing in it, nor in it
# split into words ("JohnSmith", "John_Smith_1962", "123_Main_St"). The example "anonymized_hash" (docs/requirements.md, API) passes.
_PATIENT_ID = re.compile(r"^[A-Za-z0-9_-]{8,128}$")
# An id is read as words too ("John_Smith_1962", "JohnSmith1962", "123_Main_St", "mrn_00482913"),
# but only when every part reads as a word: a random hash's fragments ("Lbx Qf Fo") do not, and
# reading them as words would refuse a few random ids in a thousand.
_WORDLIKE = re.compile(
    r"^(?:(?![A-Za-z]*[b-df-hj-np-tv-xz]{5})[A-Z]?[a-z]*[aeiouy][a-z]*|\d+|[A-Za-z]|St|Rd|Dr|Ln|Ct|Av|Pl|Wy|Hwy|Apt|(?i:mrn|mr|ssn|ss|dob|dl|id|pt|npi|dea|vin|sn|zip|po))$"
)
_TWO_WORDS = re.compile(r"(?:^|\s)[A-Z][a-z]{2,}\s[A-Z][a-z]+(?:\s|$)")
_WORD_BREAK = re.compile(r"[_-]+|(?<=[a-z])(?=[A-Z])|(?<=[A-Za-z]{3})(?=\d)|(?<=\d)(?=[A-Za-z]{3})")
MAX_TURN_CHARS = 8_000
MAX_TURNS_PARSED = 64  # a hard cap while parsing; serve.max_history_turns (3) is the configured limit
PATIENT_ID_RULE = "8-128 letters, digits, '_' or '-' (a hex or base64url hash, or a UUID), with at least one letter"


def check_patient_id(value: str) -> str | None:
    """Why `value` is not an acceptable anonymised patient id, or None when it is.

    The reason never repeats the value: a refused id may itself be an identifier.
    """
    if not _PATIENT_ID.match(value):
        return f"must be an anonymised id: {PATIENT_ID_RULE} (no '.', ':', '@' or spaces, so no e-mail, name or address)"
    if not any(ch.isalpha() for ch in value):
        return f"must be an anonymised id with a letter in it ({PATIENT_ID_RULE}), not a number (a phone, SSN or record number)"
    # On the id as one token, spaCy's names and places are noise (it calls random strings places).
    kinds = [k for k in phi_kinds(value) if k not in ("name", "location")]
    words = _WORD_BREAK.sub(" ", value).split()
    if (not kinds and 1 < len(words) <= 5 and all(_WORDLIKE.match(w) for w in words) and re.search(r"[g-zG-Z]", value)
            and any(len(w) >= 3 and w.isalpha() for w in words)):
        spaced = " ".join(words)
        kinds = phi_kinds(spaced)
        if set(kinds) <= {"name", "location"} and not _TWO_WORDS.search(spaced):
            kinds = []  # a name or a place needs two capitalised words ("John Smith", "Main St")
    if kinds:
        return f"must be an anonymised id, not a direct identifier (it looks like: {', '.join(kinds)}); send a hash or UUID"
    return None


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class HistoryTurn(_Strict):
    role: Literal["user", "assistant"]
    content: str = Field(min_length=1, max_length=MAX_TURN_CHARS)


class RequestContext(_Strict):
    age_bracket: Literal[AGE_BRACKETS]  # type: ignore[valid-type]
    visit_type: Literal[VISIT_TYPES]  # type: ignore[valid-type]
    sex: Literal[SEXES] = "unspecified"  # type: ignore[valid-type]


class ClinicalAssistRequest(_Strict):
    patient_id: str = Field(description="an anonymised patient id: 8-128 characters of A-Z a-z 0-9 _ - (a hex or base64url "
                                        "hash, or a UUID) with at least one letter; never a name, e-mail, phone, SSN, date, "
                                        "address or record number")
    message: str = Field(min_length=1, max_length=MAX_TURN_CHARS, description="the patient's message (at most serve.max_message_tokens tokens)")
    conversation_history: list[HistoryTurn] = Field(default_factory=list, max_length=MAX_TURNS_PARSED,
                                                    description="prior turns, oldest first (at most serve.max_history_turns)")
    context: RequestContext

    @field_validator("patient_id")
    @classmethod
    def _anonymised(cls, value: str) -> str:
        problem = check_patient_id(value)
        if problem:
            raise ValueError(problem)
        return value

    def patient_context(self) -> PatientContext:
        return PatientContext(self.context.age_bracket, self.context.visit_type, self.context.sex)

    def history(self) -> tuple[Turn, ...]:
        return tuple(Turn(t.role, t.content) for t in self.conversation_history)


class ClinicalAssistResponse(BaseModel):
    response: str
    safety_flag: bool = Field(description="true: escalated to the on-call physician")
    escalation_reason: str | None
    confidence_score: float = Field(ge=0.0, le=1.0, description="the safety head's confidence in the gate's decision")
    response_id: str
    arm: Arm = Field(description="which model answered: the RLHF policy or the SFT baseline")


class ErrorResponse(BaseModel):
    error: str
    detail: list[str] = Field(default_factory=list)
    # A refused request whose words hold a red flag still gets the emergency instruction.
    safety_flag: bool | None = Field(default=None, description="true when the refused message holds a red flag")
    escalation_reason: str | None = None
    instruction: str | None = Field(default=None, description="the emergency instruction for the red flag, if any")
