"""Running one pipeline stage from a job: checks first, skip when current, Ray Train, MLflow."""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from actors.training import fit
from rlhf.config import Config
from rlhf.models.checkpoints import resolve_checkpoint
from rlhf.tracking import Tracker
from rlhf.training.stages import completed, fingerprint, mark_completed, stage_dir


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
