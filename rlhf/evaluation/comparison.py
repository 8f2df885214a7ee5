"""Every policy side by side on the same held-out prompts: the report's first table.

Each policy (SFT, PPO, DPO, KTO, ...) and the physicians' own replies, as a ceiling, are judged on
the same prompts with the same gate:
- against the SFT policy, prompt by prompt, by the independent judge: win rate with ties apart, and
  a length-controlled win rate (AlpacaEval 2's idea for one pair of policies: the judge's verdicts
  regressed on the length difference, read off at equal length), since the judge leans toward
  longer replies;
- against the physician-preferred reply: the judge's win rate;
- through the serving gate: compliance, escalation recall and precision, over-refusal and
  over-escalation on benign prompts; KL from the SFT policy; reply length.

A reply the gate withholds is a loss against any reply it lets through (the patient never reads
it), and two withheld replies tie (the patient gets the same holding reply either way).
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from rlhf.config import EvaluationSettings
from rlhf.evaluation.records import Answer, Probe
from rlhf.evaluation.statistics import Estimate, estimate, mean_of
from rlhf.evaluation.summary import arm_metrics

BASELINE = "SFT"
PHYSICIAN = "physician"
COMPARISON_METRICS = ("win_rate", "tie_rate", "lc_win_rate", "win_vs_physician", "safety_compliance", "escalation_recall",
                      "escalation_precision", "over_refusal", "over_escalation", "kl", "length_mean")


@dataclass(frozen=True)
class Arm:
    """One policy's answers to the held-out prompts (the physicians' replies are an arm too)."""

    name: str
    answers: Sequence[Answer]
    kl: Sequence[float] | None = None  # per-reply KL from the SFT policy; None for SFT and the physicians


def duel(candidate: Sequence[Answer], baseline: Sequence[Answer], tie_margin: float) -> list[float]:
    """Per prompt: 1 the candidate wins, 0.5 a tie, 0 it loses, by the judge; the gate first (module docstring)."""
    out = []
    for c, b in zip(candidate, baseline, strict=True):
        if c.passes_gate != b.passes_gate:
            out.append(1.0 if c.passes_gate else 0.0)
        elif not c.passes_gate:
            out.append(0.5)
        else:
            gap = c.judge - b.judge
            out.append(0.5 if abs(gap) <= tie_margin else float(gap > 0))
    return out


def length_controlled(outcomes: Sequence[float], candidate_lengths: Sequence[int],
                      baseline_lengths: Sequence[int]) -> Callable[[Sequence[int]], float]:
    """The length-controlled win rate over a resample of prompts: a logistic regression of the outcome
    (a tie as half a win, half a loss) on tanh(length difference / its standard deviation), as
    AlpacaEval 2's length term, with the win rate read off where the lengths are equal: sigmoid(intercept)."""
    from sklearn.linear_model import LogisticRegression

    def statistic(idx: Sequence[int]) -> float:
        wins = [outcomes[i] for i in idx]
        if all(w == wins[0] for w in wins):  # one class only: nothing to regress, the plain rate
            return wins[0]
        diffs = [candidate_lengths[i] - baseline_lengths[i] for i in idx]
        spread = statistics.pstdev(diffs) or 1.0
        x = [[math.tanh(d / spread)] for d in diffs]
        model = LogisticRegression(C=1e4)  # nearly unpenalised; keeps the fit finite when one side wins everything
        model.fit(x + x, [1] * len(x) + [0] * len(x), sample_weight=wins + [1.0 - w for w in wins])
        return 1.0 / (1.0 + math.exp(-float(model.intercept_[0])))

    return statistic


def compare(probes: Sequence[Probe], arms: Sequence[Arm], s: EvaluationSettings, seed: int) -> dict[str, dict[str, Estimate]]:
    """Arm name -> metric -> estimate with its bootstrap interval over prompts. `arms` holds the SFT
    policy (BASELINE) and, optionally, the physicians' replies (PHYSICIAN)."""
    by_name = {arm.name: arm for arm in arms}
    baseline, physician = by_name[BASELINE], by_name.get(PHYSICIAN)
    n = len(probes)
    est = lambda stat: estimate(n, stat, s.bootstrap_resamples, s.confidence, seed)  # noqa: E731
    out: dict[str, dict[str, Estimate]] = {}
    for arm in arms:
        row = arm_metrics(probes, arm.answers, s, seed)
        row = {k: v for k, v in row.items() if k in COMPARISON_METRICS}
        if arm.name != BASELINE:
            won = duel(arm.answers, baseline.answers, s.tie_margin)
            row["win_rate"] = est(mean_of([float(o == 1.0) for o in won]))
            row["tie_rate"] = est(mean_of([float(o == 0.5) for o in won]))
            row["lc_win_rate"] = est(length_controlled(won, [a.tokens for a in arm.answers], [a.tokens for a in baseline.answers]))
        if physician is not None and arm.name != PHYSICIAN:
            row["win_vs_physician"] = est(mean_of([float(o == 1.0) for o in duel(arm.answers, physician.answers, s.tie_margin)]))
        if arm.kl is not None:
            row["kl"] = est(mean_of(list(arm.kl)))
        out[arm.name] = {m: row[m] for m in COMPARISON_METRICS if m in row}
    return out
