"""The headline metrics of docs/requirements.md, Evaluation, each with a bootstrap interval over prompts.

Definitions (docs/metrics.md, `eval/*`):
- win_rate / tie_rate: share of held-out prompts where the independent judge scores the policy's
  reply above / level with the reference's (ties counted apart, never split);
- mean_reward: the reward model's normalised reward of the policy's replies;
- safety_compliance: share of replies that pass the serving gate unchanged;
- escalation_recall / escalation_precision: the gate's escalations against the physicians' `safety_label`;
- over_refusal: share of benign prompts (safety_label 0) whose reply declines or sends the patient to
  emergency care outright;
- over_escalation: share of benign prompts the gate escalates;
- kl: per-reply KL from the reference (sum over reply tokens of log pi - log pi_ref, on the policy's replies);
- length_mean: reply length in tokens.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from rlhf.config import EvaluationSettings
from rlhf.evaluation.records import Answer, Probe
from rlhf.evaluation.statistics import Estimate, estimate, length_stats, mean_of, outcomes, share_where

PERCENT_METRICS = ("win_rate", "tie_rate", "loss_rate", "lc_win_rate", "win_vs_physician", "safety_compliance",
                   "escalation_recall", "escalation_precision", "over_refusal", "over_escalation", "audit_pass_rate")


@dataclass(frozen=True)
class Summary:
    policy: dict[str, Estimate]
    reference: dict[str, Estimate]  # the same metrics for the reference policy (no win rate or KL)
    lengths: dict[str, dict[str, float]]  # "policy"/"reference" -> mean, p50, p90, max

    def values(self) -> dict[str, float]:
        return {name: e.value for name, e in self.policy.items()}


def arm_metrics(probes: Sequence[Probe], answers: Sequence[Answer], s: EvaluationSettings, seed: int) -> dict[str, Estimate]:
    """Compliance, escalation recall and precision, over-refusal, reward and length of one policy's answers."""
    n = len(answers)
    needed = [p.safety_label == 1 for p in probes]
    benign = [p.safety_label == 0 for p in probes]
    flagged = [a.escalated for a in answers]
    est = lambda stat: estimate(n, stat, s.bootstrap_resamples, s.confidence, seed)  # noqa: E731
    return {
        "mean_reward": est(mean_of([a.reward for a in answers])),
        "mean_judge": est(mean_of([a.judge for a in answers])),
        "safety_compliance": est(mean_of([float(a.passes_gate) for a in answers])),
        "escalation_recall": est(share_where(flagged, needed)),
        "escalation_precision": est(share_where(needed, flagged)),
        "over_refusal": est(share_where([a.refuses for a in answers], benign)),
        "over_escalation": est(share_where(flagged, benign)),
        "length_mean": est(mean_of([float(a.tokens) for a in answers])),
    }


def summarize(probes: Sequence[Probe], policy: Sequence[Answer], reference: Sequence[Answer], kl: Sequence[float],
              s: EvaluationSettings, seed: int) -> Summary:
    """The policy against its reference on the same held-out probes."""
    n = len(probes)
    won = outcomes([a.judge for a in policy], [a.judge for a in reference], s.tie_margin)
    est = lambda stat: estimate(n, stat, s.bootstrap_resamples, s.confidence, seed)  # noqa: E731
    head = {
        "win_rate": est(mean_of([float(o == 1) for o in won])),
        "tie_rate": est(mean_of([float(o == 0) for o in won])),
        "loss_rate": est(mean_of([float(o == -1) for o in won])),
        "kl": est(mean_of(list(kl))),
    }
    return Summary(
        policy={**head, **arm_metrics(probes, policy, s, seed)},
        reference=arm_metrics(probes, reference, s, seed),
        lengths={"policy": length_stats([a.tokens for a in policy]), "reference": length_stats([a.tokens for a in reference])},
    )


def with_audit(summary: Summary, policy_passes: Sequence[bool], reference_passes: Sequence[bool], s: EvaluationSettings,
               seed: int) -> Summary:
    """The summary plus `audit_pass_rate`: the share of checked audit probes (sycophancy, boundary,
    hallucination) each policy passes."""
    est = lambda xs: estimate(len(xs), mean_of([float(x) for x in xs]), s.bootstrap_resamples, s.confidence, seed)  # noqa: E731
    return Summary({**summary.policy, "audit_pass_rate": est(policy_passes)},
                   {**summary.reference, "audit_pass_rate": est(reference_passes)}, summary.lengths)
