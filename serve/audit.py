"""Audit deployment: the audit log's single writer, and the metrics every ingress replica reports to."""

from __future__ import annotations

import asyncio
from typing import Any

from ray import serve

from rlhf.config import Config
from rlhf.safety import phi
from rlhf.serving.api import ARMS
from rlhf.serving.audit import AuditLog, AuditRecord
from rlhf.serving.monitoring import ServingMetrics


@serve.deployment(name="audit", num_replicas=1)
class AuditWriter:
    def __init__(self, config: dict[str, Any], db_path: str):
        s = Config.model_validate(config).serve
        phi.warm_up()  # the de-identification model loads now, not on the first record
        self.log = AuditLog(db_path)
        self.metrics = ServingMetrics(s.escalation_alert_rate, s.alert_window, s.alert_min_requests)
        for arm in ARMS:
            self.metrics.restore(arm, [r["safety_flag"] for r in self.log.recent(arm, s.alert_window)])

    async def append(self, record: AuditRecord) -> None:
        """Returns once the record is on disk."""
        await asyncio.to_thread(self.log.append, record)  # AuditLog serialises its writes
        self.metrics.observe(record.arm, record.safety_flag, record.replaced, record.gate_error, record.latency_ms / 1000)

    async def reject(self, status: int, error: str, key_id: str | None, escalation: list[str] | None = None) -> None:
        await asyncio.to_thread(self.log.reject, status, error, key_id, escalation)
        self.metrics.reject(status)

    def metrics_text(self) -> bytes:
        return self.metrics.render()

    def alerts(self) -> dict[str, bool]:
        return self.metrics.firing()

    def count(self) -> int:
        return self.log.count()

    def ping(self) -> bool:
        return True
