"""A/B routing (docs/requirements.md, Operations): a sticky split per patient, and a kill switch to the SFT baseline."""

from __future__ import annotations

import hashlib
from pathlib import Path

from rlhf.config import ABSettings


def bucket(patient_id: str, salt: str) -> float:
    """A patient's fixed place in [0, 1): the same id and salt always land in the same place."""
    digest = hashlib.sha256(f"{salt}:{patient_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def kill_switch_on(ab: ABSettings) -> bool:
    return ab.kill_switch or (ab.kill_switch_file is not None and Path(ab.kill_switch_file).expanduser().exists())


def assign_arm(patient_id: str, ab: ABSettings) -> str:
    """'rlhf' for the first `rlhf_share` of patients, else 'sft'; 'sft' for all while the kill switch is on."""
    if kill_switch_on(ab):
        return "sft"
    return "rlhf" if bucket(patient_id, ab.salt) < ab.rlhf_share else "sft"
