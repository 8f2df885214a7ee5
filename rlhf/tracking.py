"""MLflow tracking for every job: params, metrics per step, artifacts, one run per job.

The store is the config's `tracking.uri`, else $MLFLOW_TRACKING_URI, else a SQLite file
`mlflow.db` in the working folder (browse it with `mlflow ui --backend-store-uri sqlite:///mlflow.db`).
With `tracking.enabled: false` every call is a no-op, so jobs never branch on it.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from rlhf.config import Config, TrackingSettings

DEFAULT_URI = "sqlite:///mlflow.db"
log = logging.getLogger(__name__)


def tracking_uri(settings: TrackingSettings) -> str:
    """The configured store; a relative SQLite path is made absolute, so Ray workers in other
    folders write to the same file as the driver."""
    uri = settings.uri or os.environ.get("MLFLOW_TRACKING_URI") or DEFAULT_URI
    prefix = "sqlite:///"
    if uri.startswith(prefix) and not uri[len(prefix):].startswith("/"):
        uri = prefix + str(Path(uri[len(prefix):]).resolve())
    return uri


class RunLogger:
    """Logs metrics into an existing run by id: how Ray Train workers report into the driver's run."""

    def __init__(self, uri: str, run_id: str):
        os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
        from mlflow.entities import Metric
        from mlflow.tracking import MlflowClient

        self._client, self._metric, self.run_id = MlflowClient(tracking_uri=uri), Metric, run_id

    def log_metrics(self, metrics: Mapping[str, float], step: int | None = None) -> None:
        import time

        now = int(time.time() * 1000)
        batch = [self._metric(k, float(v), now, step or 0) for k, v in metrics.items()]
        self._client.log_batch(self.run_id, metrics=batch)


class Tracker:
    """One MLflow run; use as a context manager (`with Tracker(cfg, "sft") as run:`)."""

    def __init__(self, config: Config, job: str, tags: Mapping[str, str] | None = None, nested: bool = False):
        self.settings = config.tracking
        self.config, self.job, self.tags, self.nested = config, job, dict(tags or {}), nested
        self.run_id: str | None = None
        self._mlflow = None

    def __enter__(self) -> "Tracker":
        if not self.settings.enabled:
            return self
        os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
        import mlflow

        # MLflow logs its schema migrations at INFO on every fresh store; they are noise to a user.
        logging.getLogger("alembic").setLevel(logging.WARNING)
        mlflow.set_tracking_uri(tracking_uri(self.settings))
        mlflow.set_experiment(self.settings.experiment)
        # Inside another job's run (a pipeline stage), this run becomes its child.
        nested = self.nested or mlflow.active_run() is not None
        tags = {"job": self.job, **self.settings.run_tags, **self.tags}
        if self.settings.parent_run_id and not nested:
            tags["mlflow.parentRunId"] = self.settings.parent_run_id  # how MLflow shows a child run
        run = mlflow.start_run(run_name=tags.get("mlflow.runName", self.job), nested=nested, tags=tags)
        self._mlflow, self.run_id = mlflow, run.info.run_id
        mlflow.log_params({k: _param(v) for k, v in self.config.flat().items()})
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if self._mlflow is not None:
            self._mlflow.end_run(status="FAILED" if exc_type else "FINISHED")
            self._mlflow = None

    def log_metrics(self, metrics: Mapping[str, float], step: int | None = None) -> None:
        if self._mlflow is not None:
            self._mlflow.log_metrics({k: float(v) for k, v in metrics.items()}, step=step)

    def log_artifact(self, path: str | Path, folder: str | None = None) -> None:
        if self._mlflow is not None:
            self._mlflow.log_artifact(str(path), artifact_path=folder)

    def log_text(self, text: str, name: str) -> None:
        if self._mlflow is not None:
            self._mlflow.log_text(text, name)


def close_child_runs(settings: TrackingSettings, parent_run_id: str, tag: str, statuses: Mapping[str, str]) -> int:
    """Set the final status of the parent's child runs whose `tag` value is in `statuses` (value ->
    FINISHED, KILLED or FAILED). A sweep's trials are stopped by Tune before their own runs can end
    them, so the sweep ends them. Returns how many runs it set."""
    from mlflow.tracking import MlflowClient

    client = MlflowClient(tracking_uri=tracking_uri(settings))
    experiment = client.get_experiment_by_name(settings.experiment)
    if experiment is None:
        return 0
    done = 0
    for run in client.search_runs([experiment.experiment_id], f"tags.`mlflow.parentRunId` = '{parent_run_id}'"):
        value = run.data.tags.get(tag)
        if value in statuses:
            client.set_terminated(run.info.run_id, statuses[value])
            done += 1
    return done


def _param(value: Any) -> str:
    text = str(value)
    return text if len(text) <= 500 else text[:497] + "..."  # MLflow caps param values
