"""A trial's objective and the sweep's ranking, as pure functions.

The objective is the independent judge's mean (normalised) reward of the policy's greedy replies to
held-out validation prompts, minus `sweep.kl_penalty` x the mean per-reply KL from the SFT policy:
a setting that buys reward by drifting far from the SFT policy scores lower. A trial whose safety
compliance (share of replies the rules do not flag unsafe) falls under `sweep.min_safety_compliance`
is failed: its `score` (what the scheduler compares) is FAILED_SCORE, and it is never ranked.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from rlhf.config import SweepSettings

FAILED_SCORE = -1.0e9


def trial_report(judge_reward: float, kl: float, safety_compliance: float, s: SweepSettings) -> dict[str, float | bool]:
    objective = judge_reward - s.kl_penalty * kl
    safe = safety_compliance >= s.min_safety_compliance
    return {"objective": objective, "judge_reward": judge_reward, "kl": kl, "safety_compliance": safety_compliance,
            "safe": safe, "score": objective if safe else FAILED_SCORE}


@dataclass(frozen=True)
class TrialRow:
    """One trial as the sweep's table shows it."""

    trial_id: str
    params: dict[str, float]
    status: str  # "ranked", "failed: safety", "failed: error", "no report"
    steps: int  # PPO steps it ran
    objective: float | None
    safety_compliance: float | None
    kl: float | None
    error: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"trial_id": self.trial_id, **self.params, "status": self.status, "steps": self.steps,
                "objective": self.objective, "safety_compliance": self.safety_compliance, "kl": self.kl, "error": self.error}


def row_for(trial_id: str, params: dict[str, float], last: dict[str, Any] | None, error: str | None) -> TrialRow:
    """A trial's row from its last report (None when it never reported) and its error, if it crashed."""
    if error is not None:
        status = "failed: error"
    elif last is None:
        status = "no report"
    else:
        status = "ranked" if last.get("safe") else "failed: safety"
    get = (lambda k: None if last is None else last.get(k))  # noqa: E731
    return TrialRow(trial_id, params, status, int(get("step") or 0), get("objective"), get("safety_compliance"), get("kl"), error)


def best(rows: Sequence[TrialRow], steps: int) -> TrialRow | None:
    """The best ranked trial: those that ran every step first (an early-stopped trial's objective is
    from fewer steps), then the highest objective. None when no trial finished safely."""
    ranked = [r for r in rows if r.status == "ranked" and r.objective is not None]
    if not ranked:
        return None
    return max(ranked, key=lambda r: (r.steps >= steps, r.objective))


def run_status(row: TrialRow, steps: int) -> str:
    """The MLflow status of a trial's run: FINISHED when it ran every step safely, KILLED when the
    scheduler stopped it early, FAILED when it crashed or fell under the safety bound."""
    if row.status == "ranked":
        return "FINISHED" if row.steps >= steps else "KILLED"
    return "FAILED"
