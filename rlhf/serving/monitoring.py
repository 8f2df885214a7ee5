"""Serving metrics in Prometheus' text format, and the escalation-rate alert of docs/requirements.md, Operations.

Counted where every request passes (the audit log's single writer), so the figures cover all
ingress replicas. Counters start from zero when the process restarts, as Prometheus expects; the
escalation window is restored from the audit log.
"""

from __future__ import annotations

import logging
from collections import deque

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

from rlhf.serving.api import ARMS

log = logging.getLogger(__name__)
LATENCY_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 1.5, 2.0, 3.0, 5.0, 10.0, 20.0, 30.0, 60.0, 120.0)
PREFIX = "clinical_assist"


class ServingMetrics:
    def __init__(self, alert_rate: float, window: int, min_requests: int):
        self.alert_rate, self.min_requests = alert_rate, min_requests
        self.registry = CollectorRegistry()
        r = self.registry
        self.requests = Counter(f"{PREFIX}_requests", "gated requests answered, by arm", ["arm"], registry=r)
        self.escalations = Counter(f"{PREFIX}_escalations", "responses escalated to a physician, by arm", ["arm"], registry=r)
        self.replaced = Counter(f"{PREFIX}_replaced", "model replies withheld and replaced by the holding reply", ["arm"], registry=r)
        self.gate_failures = Counter(f"{PREFIX}_gate_failures", "requests escalated because the gate errored or timed out", ["arm"], registry=r)
        self.rejected = Counter(f"{PREFIX}_rejected", "requests refused before the gate, by HTTP status", ["status"], registry=r)
        self.latency = Histogram(f"{PREFIX}_latency_seconds", "request latency inside the app, by arm", ["arm"],
                                 buckets=LATENCY_BUCKETS, registry=r)
        self.rate = Gauge(f"{PREFIX}_escalation_rate", "share of escalated responses over the arm's alert window", ["arm"], registry=r)
        self.alert = Gauge(f"{PREFIX}_escalation_alert", "1 while the escalation rate passes serve.escalation_alert_rate", ["arm"], registry=r)
        Gauge(f"{PREFIX}_escalation_alert_threshold", "serve.escalation_alert_rate", registry=r).set(alert_rate)
        self.windows: dict[str, deque[bool]] = {arm: deque(maxlen=window) for arm in ARMS}
        self._firing = dict.fromkeys(ARMS, False)
        for arm in ARMS:  # every series exists from the start, at zero
            for metric in (self.requests, self.escalations, self.replaced, self.gate_failures, self.rate, self.alert):
                metric.labels(arm=arm)

    def observe(self, arm: str, escalated: bool, replaced: bool, gate_error: bool, latency_s: float) -> None:
        self.requests.labels(arm=arm).inc()
        if escalated:
            self.escalations.labels(arm=arm).inc()
        if replaced:
            self.replaced.labels(arm=arm).inc()
        if gate_error:
            self.gate_failures.labels(arm=arm).inc()
        self.latency.labels(arm=arm).observe(latency_s)
        self._window(arm, escalated)

    def restore(self, arm: str, escalated: list[bool]) -> None:
        for flag in escalated:
            self._window(arm, flag)

    def _window(self, arm: str, escalated: bool) -> None:
        window = self.windows[arm]
        window.append(escalated)
        rate = sum(window) / len(window)
        self.rate.labels(arm=arm).set(rate)
        firing = len(window) >= self.min_requests and rate > self.alert_rate
        if firing and not self._firing[arm]:
            log.warning("ALERT: escalation rate of arm %s is %.1f%% over its last %d responses (threshold %.1f%%)",
                        arm, 100 * rate, len(window), 100 * self.alert_rate)
        self._firing[arm] = firing
        self.alert.labels(arm=arm).set(1.0 if firing else 0.0)

    def firing(self) -> dict[str, bool]:
        return dict(self._firing)

    def reject(self, status: int) -> None:
        self.rejected.labels(status=str(status)).inc()

    def render(self) -> bytes:
        return generate_latest(self.registry)
