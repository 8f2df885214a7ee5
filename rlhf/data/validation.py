"""Checks on preference data: the file's schema first, then every row.

Nothing is dropped silently: every bad row is reported with its row number (counted from 0, as
pyarrow and pandas count) and every reason it is bad. Reasons never quote the text they object
to, so a report about identifiers in a row does not itself leak the identifiers.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa

from rlhf.data.schema import (
    CONTEXT_VALUES,
    HISTORY_ROLES,
    OPTIONAL_COLUMNS,
    RATING_DIMENSIONS,
    RATING_RANGE,
    SCHEMA,
    TEXT_COLUMNS,
)
from rlhf.safety.phi import find_phi, find_phi_many


@dataclass
class RowProblem:
    row: int
    pair_id: str | None
    reasons: list[str]

    def describe(self) -> str:
        who = f"row {self.row}" + (f" ({self.pair_id})" if self.pair_id else "")
        return f"{who}: " + "; ".join(self.reasons)


@dataclass
class ValidationReport:
    source: str
    rows: int = 0
    schema_problems: list[str] = field(default_factory=list)
    bad_rows: list[RowProblem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.schema_problems and not self.bad_rows

    def describe(self, limit: int = 25, rejects_path: str | None = None) -> str:
        if self.schema_problems:
            return f"{self.source}: the file does not have the preference schema:\n" + "\n".join(
                f"  - {p}" for p in self.schema_problems
            )
        lines = [f"{self.source}: {len(self.bad_rows)} of {self.rows} rows are invalid (rows counted from 0):"]
        lines += [f"  - {p.describe()}" for p in self.bad_rows[:limit]]
        if len(self.bad_rows) > limit:
            lines.append(f"  ... and {len(self.bad_rows) - limit} more")
        if rejects_path:
            lines.append(f"every invalid row and its reasons: {rejects_path}")
        return "\n".join(lines)


def _is_text(t: pa.DataType) -> bool:
    return pa.types.is_string(t) or pa.types.is_large_string(t) or pa.types.is_string_view(t)


def _struct_fields_ok(t: pa.DataType, names: tuple[str, ...], kind) -> bool:
    return pa.types.is_struct(t) and all(
        t.get_field_index(n) >= 0 and kind(t.field(n).type) for n in names
    )


def _type_ok(column: str, t: pa.DataType) -> bool:
    if pa.types.is_null(t):  # an all-null column: every row gets its own "missing" reason
        return True
    if column in TEXT_COLUMNS or column in ("pair_id", "category", "annotator_id", "rejected_failure"):
        return _is_text(t)
    if column == "safety_label":
        return pa.types.is_integer(t)
    if column in ("chosen_ratings", "rejected_ratings"):
        return _struct_fields_ok(t, RATING_DIMENSIONS, pa.types.is_integer)
    if column == "context":
        return _struct_fields_ok(t, tuple(CONTEXT_VALUES), _is_text)
    if column == "history":
        return (pa.types.is_list(t) or pa.types.is_large_list(t)) and _struct_fields_ok(
            t.value_type, ("role", "content"), _is_text
        )
    return True


def check_schema(schema: pa.Schema) -> list[str]:
    problems = []
    for expected in SCHEMA:
        if expected.name not in schema.names:
            if expected.name not in OPTIONAL_COLUMNS:
                problems.append(f"missing column '{expected.name}' (expected {expected.type})")
            continue
        got = schema.field(expected.name).type
        if not _type_ok(expected.name, got):
            problems.append(f"column '{expected.name}' has type {got}, expected {expected.type}")
    return problems


def _text_reason(name: str, value: Any) -> str | None:
    if value is None:
        return f"missing {name}"
    if not isinstance(value, str) or not value.strip():
        return f"empty {name}"
    return None


def _phi_reason(name: str, text: Any) -> str | None:
    if not isinstance(text, str):
        return None
    findings = find_phi(text)
    if not findings:
        return None
    spans = ", ".join(f"{f.kind} at chars {f.start}-{f.end}" for f in findings)
    return f"{name} contains identifiers ({spans})"


def _texts(row: dict[str, Any]) -> list[str]:
    """The free texts of a row that the PHI check reads."""
    texts = [row.get(name) for name in TEXT_COLUMNS]
    texts += [turn.get("content") for turn in row.get("history") or () if isinstance(turn, dict)]
    return [t for t in texts if isinstance(t, str)]


def check_row(row: dict[str, Any], max_history_turns: int) -> list[str]:
    """Every reason this row is unusable; empty when it is fine."""
    reasons: list[str] = []
    for name in (*TEXT_COLUMNS, "category", "annotator_id"):
        reason = _text_reason(name, row.get(name))
        if reason:
            reasons.append(reason)
    chosen, rejected = row.get("chosen"), row.get("rejected")
    if isinstance(chosen, str) and isinstance(rejected, str) and chosen.strip():
        if " ".join(chosen.split()) == " ".join(rejected.split()):
            reasons.append("chosen and rejected are the same text")

    label = row.get("safety_label")
    if label is None:
        reasons.append("missing safety_label")
    elif label not in (0, 1):
        reasons.append(f"safety_label must be 0 or 1 (got {label})")

    low, high = RATING_RANGE
    for column in ("chosen_ratings", "rejected_ratings"):
        ratings = row.get(column)
        if ratings is None:
            reasons.append(f"missing {column}")
            continue
        for dim in RATING_DIMENSIONS:
            value = ratings.get(dim)
            if value is None:
                reasons.append(f"missing {column}.{dim}")
            elif not low <= value <= high:
                reasons.append(f"{column}.{dim} must be {low}-{high} (got {value})")

    context = row.get("context")
    if context is None:
        reasons.append("missing context")
    else:
        for key, allowed in CONTEXT_VALUES.items():
            value = context.get(key)
            if value is None:
                reasons.append(f"missing context.{key}")
            elif value not in allowed:
                reasons.append(f"context.{key} '{value}' is not one of {', '.join(allowed)}")

    history = row.get("history")
    if history is None:
        reasons.append("missing history (use an empty list for none)")
    else:
        if len(history) > max_history_turns:
            reasons.append(f"history has {len(history)} turns, at most {max_history_turns} allowed")
        for i, turn in enumerate(history):
            if turn is None or turn.get("role") not in HISTORY_ROLES:
                reasons.append(f"history[{i}].role must be one of {', '.join(HISTORY_ROLES)}")
            if turn is None or not isinstance(turn.get("content"), str) or not turn["content"].strip():
                reasons.append(f"history[{i}].content is empty")
            elif reason := _phi_reason(f"history[{i}].content", turn["content"]):
                reasons.append(reason)

    for name in TEXT_COLUMNS:
        if reason := _phi_reason(name, row.get(name)):
            reasons.append(reason)
    return reasons


def _usable_cores() -> int:
    """The cores this process may run on (its affinity mask: a container's or taskset's limit, not the host's)."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def validate_table(table: pa.Table, source: str, max_history_turns: int = 3) -> ValidationReport:
    report = ValidationReport(source=source, rows=table.num_rows, schema_problems=check_schema(table.schema))
    if report.schema_problems:
        return report
    rows = table.to_pylist()
    # Every text through the de-identification model at once, in batches, on every usable core (check_row
    # then reads the results).
    find_phi_many((text for row in rows for text in _texts(row)), processes=_usable_cores())
    for index, row in enumerate(rows):
        reasons = check_row(row, max_history_turns)
        if reasons:
            report.bad_rows.append(RowProblem(index, row.get("pair_id"), reasons))
    return report
