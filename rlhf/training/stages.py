"""Stage bookkeeping: where a stage writes, and whether its output is current for a config.

A stage's fingerprint hashes the config sections it depends on and the bytes of its data files.
`make demo` skips a stage whose `stage.json` carries the same fingerprint; a checkpoint written
under another fingerprint is not resumed from.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from rlhf.config import Config
from rlhf.paths import resolve_data_path

STAGE_FILE = "stage.json"

# The stage graph: which stages each one reads, and the folder inside a stage's own that the next
# stages, the evaluation and the endpoint load. The pipeline, the PPO job's "train what is missing",
# jobs/evaluate.py and serve/ all read it here.
# The reward-model-free stages are named by their loss (`dpo.loss`), so DPO, IPO and KTO policies sit side by side.
PREFERENCE_STAGES = ("dpo", "ipo", "kto")
NEEDS: dict[str, tuple[str, ...]] = {
    "sft": (), "reward_model": (), "judge": (),
    "ppo": ("sft", "reward_model", "judge"),
    **dict.fromkeys(PREFERENCE_STAGES, ("sft",)),
    "evaluation": ("ppo", "sft", "reward_model", "judge"),
}
OUTPUTS: dict[str, str] = {"sft": "merged", "reward_model": "model", "judge": "model", "ppo": "adapter",
                           **dict.fromkeys(PREFERENCE_STAGES, "merged")}
PPO_WEIGHTS = "weights"  # the PPO stage's whole-model weights (generation.weight_sync: merged), beside its adapter


def stage_dir(config: Config, stage: str) -> Path:
    return Path(config.runtime.output_dir).resolve() / stage


def stage_output(config: Config, stage: str) -> Path:
    """What a stage leaves for the stages after it: the SFT policy, a reward model, the PPO adapter."""
    return stage_dir(config, stage) / OUTPUTS[stage]


def fingerprint(config: Config, sections: Iterable[str], files: Iterable[str | Path], extra: Any = None) -> str:
    digest = hashlib.sha256()
    dumped = config.model_dump()
    for name in sorted(sections):
        digest.update(json.dumps({name: _section(dumped, name)}, sort_keys=True, default=str).encode())
    for path in files:
        digest.update(resolve_data_path(path).read_bytes())
    digest.update(json.dumps(extra, sort_keys=True, default=str).encode())
    return digest.hexdigest()[:16]


def _section(tree: dict[str, Any], dotted: str) -> Any:
    node: Any = tree
    for part in dotted.split("."):
        node = node[part]
    return node


def completed(folder: Path, stage_fingerprint: str) -> dict[str, Any] | None:
    """The stage's recorded result when its output is there and current, else None."""
    record = folder / STAGE_FILE
    if not record.is_file():
        return None
    data = json.loads(record.read_text())
    return data["result"] if data.get("fingerprint") == stage_fingerprint else None


def mark_completed(folder: Path, stage_fingerprint: str, result: dict[str, Any]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    tmp = folder / f".{STAGE_FILE}.tmp"
    tmp.write_text(json.dumps({"fingerprint": stage_fingerprint, "result": result}, indent=2))
    tmp.replace(folder / STAGE_FILE)
