"""The audit log: every gated request and its response, appended durably to SQLite.

Every text field passes the PHI guard before it is written: only the anonymised `patient_id` the
request carried identifies anyone. One process writes (the Serve audit deployment); WAL mode with
synchronous=FULL commits each record to disk before the response leaves, so a crash or restart
loses none that was answered. Requests refused before the gate (bad key, bad JSON, rate limit) are
counted in their own table without their bodies.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from rlhf.safety.phi import redact_phi
from rlhf import timeouts

_SCHEMA = """
CREATE TABLE IF NOT EXISTS interactions (
    response_id TEXT PRIMARY KEY,
    created_at TEXT NOT NULL,
    patient_id TEXT NOT NULL,
    arm TEXT NOT NULL,
    message TEXT NOT NULL,
    history TEXT NOT NULL,
    context TEXT NOT NULL,
    model_reply TEXT,
    response TEXT NOT NULL,
    safety_flag INTEGER NOT NULL,
    escalation_reason TEXT,
    findings TEXT NOT NULL,
    p_escalation REAL,
    reward REAL,
    confidence_score REAL NOT NULL,
    replaced INTEGER NOT NULL,
    gate_error INTEGER NOT NULL,
    latency_ms REAL NOT NULL,
    key_id TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS interactions_time ON interactions (created_at);
CREATE TABLE IF NOT EXISTS rejections (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    created_at TEXT NOT NULL,
    status INTEGER NOT NULL,
    error TEXT NOT NULL,
    key_id TEXT,
    escalation TEXT
);
"""
# Columns added since the first schema: a log written by an older version gains them on open.
_ADDED_COLUMNS = {"rejections": {"escalation": "TEXT"}}


def now_iso() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds")


@dataclass
class AuditRecord:
    response_id: str
    patient_id: str
    arm: str
    message: str
    history: list[dict[str, str]]
    context: dict[str, str]
    model_reply: str | None  # what the model said (None when generation failed)
    response: str  # what the patient got
    safety_flag: bool
    escalation_reason: str | None
    findings: list[str]
    p_escalation: float | None
    reward: float | None
    confidence_score: float
    replaced: bool
    gate_error: bool
    latency_ms: float
    key_id: str
    created_at: str = field(default_factory=now_iso)

    def redacted(self) -> "AuditRecord":
        """This record with every identifier in its free text replaced by [REDACTED_KIND]."""
        return AuditRecord(**{
            **asdict(self),
            "message": redact_phi(self.message),
            "history": [{"role": t["role"], "content": redact_phi(t["content"])} for t in self.history],
            "model_reply": None if self.model_reply is None else redact_phi(self.model_reply),
            "response": redact_phi(self.response),
            "escalation_reason": None if self.escalation_reason is None else redact_phi(self.escalation_reason),
        })


class AuditLog:
    """Append-only SQLite store of AuditRecords (redacted on the way in)."""

    def __init__(self, path: str | Path):
        self.path = Path(path).expanduser()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None, timeout=timeouts.AUDIT_DB_BUSY_S)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.executescript(_SCHEMA)
        for table, columns in _ADDED_COLUMNS.items():
            have = {row[1] for row in self._db.execute(f"PRAGMA table_info({table})")}
            for name, kind in columns.items():
                if name not in have:
                    self._db.execute(f"ALTER TABLE {table} ADD COLUMN {name} {kind}")
        self._lock = threading.Lock()

    def append(self, record: AuditRecord) -> None:
        row = asdict(record.redacted())
        for key in ("history", "context", "findings"):
            row[key] = json.dumps(row[key])
        for key in ("safety_flag", "replaced", "gate_error"):
            row[key] = int(row[key])
        names = ", ".join(row)
        with self._lock:
            self._db.execute(f"INSERT INTO interactions ({names}) VALUES ({', '.join('?' * len(row))})", tuple(row.values()))

    def reject(self, status: int, error: str, key: str | None, escalation: list[str] | None = None) -> None:
        """A refused request, without its body; `escalation`: the red-flag categories its words held (a
        refused emergency still got its instruction, and this row says so)."""
        with self._lock:
            self._db.execute("INSERT INTO rejections (created_at, status, error, key_id, escalation) VALUES (?, ?, ?, ?, ?)",
                             (now_iso(), status, redact_phi(error)[:500], key, ",".join(escalation or []) or None))

    def count(self) -> int:
        return self._db.execute("SELECT COUNT(*) FROM interactions").fetchone()[0]

    def rejections(self) -> list[tuple[int, str]]:
        return self._db.execute("SELECT status, error FROM rejections ORDER BY id").fetchall()

    def escalated_rejections(self) -> list[tuple[int, str]]:
        """(status, red-flag categories) of the refused requests whose words held a red flag."""
        return self._db.execute("SELECT status, escalation FROM rejections WHERE escalation IS NOT NULL ORDER BY id").fetchall()

    def records(self, since: str | None = None, until: str | None = None) -> Iterator[dict[str, Any]]:
        """Logged interactions, oldest first, as dicts (JSON columns decoded); optionally within [since, until)."""
        query, args = "SELECT * FROM interactions WHERE 1=1", []
        if since:
            query, args = query + " AND created_at >= ?", [*args, since]
        if until:
            query, args = query + " AND created_at < ?", [*args, until]
        cursor = self._db.execute(query + " ORDER BY created_at, response_id", args)
        names = [d[0] for d in cursor.description]
        for values in cursor:
            row = dict(zip(names, values))
            for key in ("history", "context", "findings"):
                row[key] = json.loads(row[key])
            for key in ("safety_flag", "replaced", "gate_error"):
                row[key] = bool(row[key])
            yield row

    def recent(self, arm: str, limit: int) -> list[dict[str, Any]]:
        """The arm's last `limit` interactions, oldest first (to restore the alert window after a restart)."""
        rows = self._db.execute(
            "SELECT safety_flag, latency_ms FROM interactions WHERE arm = ? ORDER BY created_at DESC LIMIT ?", (arm, limit)
        ).fetchall()
        return [{"safety_flag": bool(f), "latency_ms": ms} for f, ms in reversed(rows)]

    def close(self) -> None:
        self._db.close()
