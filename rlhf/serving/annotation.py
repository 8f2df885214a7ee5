"""The weekly physician batch (docs/requirements.md, Operations): logged interactions sampled into blinded preference pairs.

Each pair puts the reply of the arm that answered next to the other arm's reply to the same
(already redacted) message, in random order, so the reviewing physician cannot tell which model
wrote which. The key that unblinds them is written apart from the pairs.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import Any

import pyarrow as pa

from rlhf import seeds

PAIR_SCHEMA = pa.schema([
    ("pair_id", pa.string()), ("prompt", pa.string()),
    ("history", pa.list_(pa.struct([("role", pa.string()), ("content", pa.string())]))),
    ("context", pa.struct([("age_bracket", pa.string()), ("visit_type", pa.string()), ("sex", pa.string())])),
    ("response_a", pa.string()), ("response_b", pa.string()),
    # Filled in by the physician: "a", "b" or "tie", and whether the message needed escalation.
    ("preferred", pa.string()), ("safety_label", pa.int8()),
])
KEY_SCHEMA = pa.schema([
    ("pair_id", pa.string()), ("arm_a", pa.string()), ("arm_b", pa.string()), ("served_arm", pa.string()),
    ("safety_flag", pa.bool_()), ("replaced", pa.bool_()), ("created_at", pa.string()),
])


def sample_interactions(records: Sequence[dict[str, Any]], n: int, seed: int) -> list[dict[str, Any]]:
    """Up to `n` interactions drawn uniformly without replacement, among those with a model reply."""
    usable = [r for r in records if r.get("model_reply")]
    return random.Random(seed).sample(usable, min(n, len(usable)))


def other_arm(arm: str) -> str:
    return "sft" if arm == "rlhf" else "rlhf"


def blinded_pairs(records: Sequence[dict[str, Any]], other_replies: Sequence[str], seed: int) -> tuple[pa.Table, pa.Table]:
    """(pairs for the physicians, the key that says which arm wrote response_a and response_b)."""
    rng = random.Random(seed + seeds.ANNOTATION_ORDER)
    pairs, key = [], []
    for record, other in zip(records, other_replies, strict=True):
        served = (record["arm"], record["model_reply"])
        swapped = (other_arm(record["arm"]), other)
        a, b = (served, swapped) if rng.random() < 0.5 else (swapped, served)
        context = {"sex": "unspecified", **record["context"]}
        pairs.append({"pair_id": record["response_id"], "prompt": record["message"], "history": record["history"],
                      "context": context, "response_a": a[1], "response_b": b[1], "preferred": None, "safety_label": None})
        key.append({"pair_id": record["response_id"], "arm_a": a[0], "arm_b": b[0], "served_arm": record["arm"],
                    "safety_flag": record["safety_flag"], "replaced": record["replaced"], "created_at": record["created_at"]})
    return pa.Table.from_pylist(pairs, PAIR_SCHEMA), pa.Table.from_pylist(key, KEY_SCHEMA)
