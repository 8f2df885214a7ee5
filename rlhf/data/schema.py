"""The physician preference data: its Parquet schema and the typed record the pipeline uses.

One row is one physician's comparison of two responses to one patient message (docs/requirements.md, Data):
the patient's words and up to three prior turns, their context, the preferred (`chosen`) and
`rejected` responses, whether the message needs physician escalation (`safety_label`), the
physician's 1-5 ratings of both responses on five dimensions, the clinical category and the
(de-identified) annotator.
"""

from __future__ import annotations

from dataclasses import dataclass

import pyarrow as pa

RATING_DIMENSIONS = ("accuracy", "safety", "empathy", "scope", "clarity")
RATING_RANGE = (1, 5)
HISTORY_ROLES = ("user", "assistant")

# Values a context field may take. The age brackets follow the API example in docs/requirements.md, API ("40-50").
AGE_BRACKETS = ("0-1", "1-5", "5-12", "12-18", "18-30", "30-40", "40-50", "50-60", "60-70", "70-80", "80+")
VISIT_TYPES = ("new-patient", "follow-up", "post-visit", "medication-review", "urgent-care", "general-question")
SEXES = ("female", "male", "other", "unspecified")
CONTEXT_VALUES: dict[str, tuple[str, ...]] = {"age_bracket": AGE_BRACKETS, "visit_type": VISIT_TYPES, "sex": SEXES}

_RATINGS = pa.struct([(dim, pa.int8()) for dim in RATING_DIMENSIONS])
TURN_TYPE = pa.struct([("role", pa.string()), ("content", pa.string())])
CONTEXT_TYPE = pa.struct([(key, pa.string()) for key in CONTEXT_VALUES])

SCHEMA = pa.schema(
    [
        ("pair_id", pa.string()),
        ("prompt", pa.string()),
        ("history", pa.list_(TURN_TYPE)),
        ("context", CONTEXT_TYPE),
        ("chosen", pa.string()),
        ("rejected", pa.string()),
        ("safety_label", pa.int8()),
        ("chosen_ratings", _RATINGS),
        ("rejected_ratings", _RATINGS),
        ("category", pa.string()),
        ("annotator_id", pa.string()),
        # How the rejected reply fails (missed_escalation, cold, alarming, ...): optional, for error analysis.
        ("rejected_failure", pa.string()),
    ]
)
# Optional in files users bring: the row number identifies a row without `pair_id`.
OPTIONAL_COLUMNS = ("pair_id", "rejected_failure")
TEXT_COLUMNS = ("prompt", "chosen", "rejected")


@dataclass(frozen=True)
class Turn:
    role: str
    content: str


@dataclass(frozen=True)
class PatientContext:
    age_bracket: str
    visit_type: str
    sex: str


@dataclass(frozen=True)
class PatientMessage:
    """A patient's message with its history and context: what a reply answers (a served request)."""

    prompt: str
    history: tuple[Turn, ...]
    context: PatientContext


@dataclass(frozen=True)
class PreferencePair:
    pair_id: str
    prompt: str
    history: tuple[Turn, ...]
    context: PatientContext
    chosen: str
    rejected: str
    safety_label: int
    chosen_ratings: dict[str, int]
    rejected_ratings: dict[str, int]
    category: str
    annotator_id: str
    rejected_failure: str | None = None

    @classmethod
    def from_row(cls, row: dict, index: int) -> "PreferencePair":
        """From a row that passed validation."""
        return cls(
            pair_id=row.get("pair_id") or f"row-{index}",
            prompt=row["prompt"],
            history=tuple(Turn(t["role"], t["content"]) for t in row["history"] or ()),
            context=PatientContext(**{k: row["context"][k] for k in CONTEXT_VALUES}),
            chosen=row["chosen"],
            rejected=row["rejected"],
            safety_label=int(row["safety_label"]),
            chosen_ratings={d: int(row["chosen_ratings"][d]) for d in RATING_DIMENSIONS},
            rejected_ratings={d: int(row["rejected_ratings"][d]) for d in RATING_DIMENSIONS},
            category=row["category"],
            annotator_id=row["annotator_id"],
            rejected_failure=row.get("rejected_failure"),
        )
