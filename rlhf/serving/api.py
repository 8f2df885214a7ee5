"""The JSON of POST /api/v1/clinical-assist (seed 000, section 4), validated before anything runs.

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
# An anonymised id: a hash or opaque token. Anything that looks like a direct identifier is refused
# before it can reach the audit log.
_PATIENT_ID = re.compile(r"^[A-Za-z0-9_.:-]{1,128}$")
MAX_TURN_CHARS = 8_000
MAX_TURNS_PARSED = 64  # a hard cap while parsing; serve.max_history_turns (3) is the configured limit


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
    patient_id: str = Field(description="an anonymised patient id (a hash); never a name, e-mail, phone or record number")
    message: str = Field(min_length=1, max_length=MAX_TURN_CHARS, description="the patient's message (at most serve.max_message_tokens tokens)")
    conversation_history: list[HistoryTurn] = Field(default_factory=list, max_length=MAX_TURNS_PARSED,
                                                    description="prior turns, oldest first (at most serve.max_history_turns)")
    context: RequestContext

    @field_validator("patient_id")
    @classmethod
    def _anonymised(cls, value: str) -> str:
        if not _PATIENT_ID.match(value) or phi_kinds(value):
            raise ValueError("must be an anonymised id: 1-128 letters, digits or _ . : - and no e-mail, phone or record number")
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
