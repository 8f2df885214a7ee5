"""Running a pipeline stage: checks first, skip when current, Ray Train, MLflow; and the trained
stages the PPO trainer, the pipeline and the jobs call (the graph itself: rlhf/training/stages.py)."""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from actors.training import fit
from rlhf.config import Config
from rlhf.data.loading import load_preferences
from rlhf.models.checkpoints import resolve_checkpoint
from rlhf.tracking import Tracker
from rlhf.training.stages import completed, fingerprint, mark_completed, stage_dir, stage_output

REWARD_ROLES = ("reward_model", "judge")
REWARD_HEADLINE = ("test_accuracy", "test_margin", "safety_recall", "safety_precision", "safety_auroc", "safety_ece")


def skip_or_start_over(stage: str, folder: Path, stage_fp: str, force: bool,
                       run_files: Iterable[str] = ("checkpoints",)) -> dict[str, Any] | None:
    """The recorded result when the stage's output is current (reported as skipped), else None.

    With `force`, the previous run's `run_files` move into `previous/` first: a stage resumes from
    its last checkpoint, and a forced rerun would otherwise resume at the end of the run it repeats.
    """
    if not force:
        done = completed(folder, stage_fp)
        if done is not None:
            print(f"[{stage}] output in {folder} is current for this config and data: skipped (--force trains it again)")
        return done
    present = [folder / name for name in run_files if (folder / name).exists()]
    if present:
        previous = folder / "previous"
        shutil.rmtree(previous, ignore_errors=True)
        previous.mkdir(parents=True)
        for path in present:
            path.rename(previous / path.name)
        print(f"[{stage}] --force: the previous run's {', '.join(p.name for p in present)} moved to {previous}")
    return None


def run_stage(
    config: Config,
    stage: str,
    entry: str,
    sections: Iterable[str],
    data_files: Iterable[str],
    check_data: Callable[[], None],
    force: bool = False,
    final_metrics: Callable[[dict[str, Any]], dict[str, float]] = lambda r: {},
    **kwargs: Any,
) -> dict[str, Any]:
    """The stage's result: trained now, or read back when its output is current."""
    check_data()  # a bad dataset stops the job before anything starts
    resolve_checkpoint(config.model.name, config.model.cache_dir)  # likewise a missing model
    folder = stage_dir(config, stage)
    stage_fp = fingerprint(config, sections, data_files, extra=kwargs)
    if (done := skip_or_start_over(stage, folder, stage_fp, force)) is not None:
        return done
    print(f"[{stage}] training into {folder} (resumes from its last checkpoint if one exists)", flush=True)
    started = time.perf_counter()
    with Tracker(config, stage) as run:
        result = fit(entry, config, folder, stage_fp, run.run_id, **kwargs)
        result["wall_seconds"] = time.perf_counter() - started
        result["mlflow_run_id"] = run.run_id
        run.log_metrics(final_metrics(result))
        for artifact in result.get("artifacts", []):
            run.log_artifact(artifact, "plots")
    mark_completed(folder, stage_fp, result)
    return result


def train_sft(config: Config, force: bool = False) -> dict[str, Any]:
    """The SFT stage (rlhf.training.sft through Ray Train): its result, trained now or read back."""
    from rlhf.training.sft import SECTIONS

    data = config.data

    def check() -> None:
        for path in (data.train_path, data.val_path):
            load_preferences(path, data.max_history_turns)

    return run_stage(
        config, "sft", "rlhf.training.sft.run_sft", SECTIONS, [data.train_path, data.val_path], check, force,
        final_metrics=lambda r: {"sft/eval_loss": r["eval_loss"], "sft/base_eval_loss": r["base_eval_loss"],
                                 "sft/eval_perplexity": r["eval_perplexity"]},
    )


def train_reward(config: Config, role: str, force: bool = False) -> dict[str, Any]:
    """The reward model or the independent judge (`role`), with its per-category metrics in MLflow."""
    from rlhf.training.reward import SECTIONS

    data = config.data

    def check() -> None:
        for path in (data.train_path, data.test_path):
            load_preferences(path, data.max_history_turns)

    name = "rm" if role == "reward_model" else "judge"

    def final_metrics(r: dict[str, Any]) -> dict[str, float]:
        out = {f"{name}/{k}": r[f"{name}/{k}"] for k in REWARD_HEADLINE if r.get(f"{name}/{k}") is not None}
        for group, key in (("per_category", "category"), ("per_failure", "failure")):
            for label, row in r[group].items():
                out[f"{name}/{key}_accuracy/{label}"] = row["accuracy"]
                out[f"{name}/{key}_margin/{label}"] = row["margin"]
        return out

    return run_stage(
        config, role, "rlhf.training.reward.run_reward_model", SECTIONS, [data.train_path, data.test_path], check, force,
        final_metrics=final_metrics, role=role,
    )


def train_preference(config: Config, force: bool = False) -> dict[str, Any]:
    """The DPO, IPO or KTO stage (`dpo.loss` names it and its folder): LoRA on the SFT policy, the SFT
    stage trained first when `dpo.sft_dir` does not name one. Its fingerprint holds the SFT weights'
    bytes, so a retrained SFT policy makes it stale."""
    from rlhf.errors import RLHFError
    from rlhf.ppo.registry import preference_loss
    from rlhf.training.dpo import SECTIONS

    s, data = config.dpo, config.data
    preference_loss(s.loss)  # an unknown name stops here, before any training
    if not config.model.lora.enabled:
        raise RLHFError("dpo needs model.lora.enabled=true: its reference is the SFT policy with the adapter off")
    if s.sft_dir is not None and not Path(s.sft_dir).is_dir():
        raise RLHFError(f"dpo.sft_dir: {s.sft_dir} is not a folder (train it with jobs/sft.py)")
    if s.sft_dir is None:
        train_sft(config, False)
    sft = Path(s.sft_dir) if s.sft_dir else stage_output(config, "sft")
    hashed = config.model_copy(update={"dpo": s.model_copy(update={"sft_dir": None})})  # where it is is not what it is

    def check() -> None:
        for path in (data.train_path, data.val_path):
            load_preferences(path, data.max_history_turns)

    def final_metrics(r: dict[str, Any]) -> dict[str, float]:
        return {k: v for k, v in r.items() if k.startswith("eval_") and isinstance(v, float)}

    return run_stage(
        hashed, s.loss, "rlhf.training.dpo.run_dpo", SECTIONS,
        [data.train_path, data.val_path, *sorted(sft.glob("*.safetensors"))], check, force,
        final_metrics=final_metrics, sft_dir=str(sft),
    )


TRAINERS: dict[str, Callable[[Config, bool], dict[str, Any]]] = {
    "sft": train_sft,
    "reward_model": lambda config, force=False: train_reward(config, "reward_model", force),
    "judge": lambda config, force=False: train_reward(config, "judge", force),
}
