"""Running one pipeline stage from a job: checks first, skip when current, Ray Train, MLflow."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from typing import Any

from actors.training import fit
from rlhf.config import Config
from rlhf.models.checkpoints import resolve_checkpoint
from rlhf.tracking import Tracker
from rlhf.training.stages import completed, fingerprint, mark_completed, stage_dir


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
    if not force and (done := completed(folder, stage_fp)) is not None:
        print(f"[{stage}] output in {folder} is current for this config and data: skipped (--force retrains)")
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
