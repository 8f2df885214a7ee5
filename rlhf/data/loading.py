"""Read and write preference Parquet files; every read goes through validation."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
from collections import Counter
from dataclasses import asdict, dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
from filelock import FileLock

from rlhf import timeouts
from rlhf.data.schema import SCHEMA, PreferencePair
from rlhf.data.validation import ValidationReport, validate_table
from rlhf.errors import DataValidationError
from rlhf.paths import resolve_data_path


def read_table(path: str | Path) -> tuple[pa.Table, str]:
    resolved = resolve_data_path(path)
    if not resolved.is_file():
        raise DataValidationError(f"{path}: no such file")
    try:
        return pq.read_table(resolved), str(resolved)
    except (pa.ArrowException, OSError) as exc:
        raise DataValidationError(f"{resolved}: cannot be read as Parquet ({exc})") from None


def write_rejects(report: ValidationReport, path: str | Path) -> Path:
    """One JSON line per invalid row: its number, pair id and reasons (no row text)."""
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w") as fh:
        for problem in report.bad_rows:
            fh.write(json.dumps(asdict(problem)) + "\n")
    return out


# Where a file that passed validation is remembered (by content hash), so that the stages of one run do not
# each re-run the de-identification model over every row (~13 ms a text: minutes for the training split).
CACHE_DIR_ENV = "RLHF_CACHE_DIR"
DEFAULT_CACHE_DIR = "~/.cache/clinical-rlhf"
# The code that decides validity: a change to any of these files re-validates every file.
_VALIDATOR_SOURCES = ("data/validation.py", "data/schema.py", "safety/phi.py", "safety/normalize.py")


def _validated_stamp(resolved: Path, max_history_turns: int) -> Path:
    digest = hashlib.sha256(resolved.read_bytes())
    root = Path(__file__).resolve().parents[1]
    for name in _VALIDATOR_SOURCES:
        digest.update((root / name).read_bytes())
    digest.update(str(max_history_turns).encode())
    return Path(os.environ.get(CACHE_DIR_ENV, DEFAULT_CACHE_DIR)).expanduser() / "validated" / f"{digest.hexdigest()}.ok"


def validate_file(path: str | Path, max_history_turns: int = 3) -> tuple[ValidationReport, pa.Table]:
    """Validate every row; a file whose exact bytes already passed under the same validator is not re-checked
    (only passes are remembered: a bad file is checked, and reported, every time)."""
    table, source = read_table(path)
    stamp = _validated_stamp(Path(source), max_history_turns)
    if stamp.is_file():
        return ValidationReport(source=source, rows=table.num_rows), table
    try:  # processes validating the same file at once (a sweep's trials, parallel tests) do it once
        stamp.parent.mkdir(parents=True, exist_ok=True)
        lock = FileLock(str(stamp) + ".lock", timeout=timeouts.DATA_VALIDATION_LOCK_S)
    except OSError:  # a read-only home: no lock, no stamp; validation simply runs each time
        lock = contextlib.nullcontext()
    with lock:
        if stamp.is_file():
            return ValidationReport(source=source, rows=table.num_rows), table
        report = validate_table(table, source, max_history_turns)
        if report.ok:
            try:
                stamp.write_text(source + "\n")
            except OSError:
                pass
    return report, table


def load_preferences(
    path: str | Path, max_history_turns: int = 3, rejects_path: str | Path | None = None
) -> list[PreferencePair]:
    """All pairs of a valid file; a DataValidationError naming every bad row otherwise."""
    report, table = validate_file(path, max_history_turns)
    if not report.ok:
        written = str(write_rejects(report, rejects_path)) if rejects_path and report.bad_rows else None
        raise DataValidationError(report.describe(rejects_path=written))
    return [PreferencePair.from_row(row, i) for i, row in enumerate(table.to_pylist())]


def write_preferences(rows: list[dict], path: str | Path) -> Path:
    """Rows in the canonical schema, written deterministically (same rows, same bytes)."""
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    table = pa.Table.from_pylist(rows, schema=SCHEMA)
    pq.write_table(table, out, compression="zstd", use_dictionary=True, write_statistics=False)
    return out


@dataclass
class DataSummary:
    rows: int
    escalation_share: float
    categories: dict[str, int]
    escalation_by_category: dict[str, float]
    annotators: int
    mean_history_turns: float

    def lines(self) -> list[str]:
        out = [
            f"rows: {self.rows}   escalation-required: {self.escalation_share:.1%}   "
            f"annotators: {self.annotators}   mean history turns: {self.mean_history_turns:.2f}",
            f"categories ({len(self.categories)}):",
        ]
        width = max((len(c) for c in self.categories), default=0)
        for name, count in sorted(self.categories.items(), key=lambda kv: (-kv[1], kv[0])):
            out.append(f"  {name:<{width}}  {count:5d}   escalation {self.escalation_by_category[name]:.0%}")
        return out


def summarize(pairs: list[PreferencePair]) -> DataSummary:
    categories = Counter(p.category for p in pairs)
    escalations = Counter(p.category for p in pairs if p.safety_label == 1)
    total = max(len(pairs), 1)
    return DataSummary(
        rows=len(pairs),
        escalation_share=sum(p.safety_label for p in pairs) / total,
        categories=dict(categories),
        escalation_by_category={c: escalations[c] / n for c, n in categories.items()},
        annotators=len({p.annotator_id for p in pairs}),
        mean_history_turns=sum(len(p.history) for p in pairs) / total,
    )
