from mlflow.tracking import MlflowClient

from rlhf.config import load_config
from rlhf.tracking import Tracker, close_child_runs


def test_run_records_params_metrics_and_artifacts(tmp_path):
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    config = load_config(None, [f"tracking.uri={uri}", "tracking.experiment=unit"])
    with Tracker(config, "unit-job") as run:
        run.log_metrics({"rm/test_accuracy": 0.5}, step=0)
        run.log_metrics({"rm/test_accuracy": 0.75}, step=1)
        run.log_text("hello", "notes/hello.txt")
    client = MlflowClient(tracking_uri=uri)
    record = client.get_run(run.run_id)
    assert record.info.status == "FINISHED"
    assert record.data.params["model.name"] == "smollm2-135m" and record.data.params["ppo.beta"] == "0.1"
    assert record.data.tags["job"] == "unit-job"
    history = client.get_metric_history(run.run_id, "rm/test_accuracy")
    assert [(m.step, m.value) for m in history] == [(0, 0.5), (1, 0.75)]
    assert [a.path for a in client.list_artifacts(run.run_id, "notes")] == ["notes/hello.txt"]


def test_failed_job_marks_the_run_failed(tmp_path):
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    config = load_config(None, [f"tracking.uri={uri}"])
    try:
        with Tracker(config, "boom") as run:
            raise RuntimeError("boom")
    except RuntimeError:
        pass
    assert MlflowClient(tracking_uri=uri).get_run(run.run_id).info.status == "FAILED"


def test_disabled_tracking_writes_nothing(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    config = load_config(None, ["tracking.enabled=false"])
    with Tracker(config, "quiet") as run:
        run.log_metrics({"x": 1.0})
    assert run.run_id is None and not (tmp_path / "mlflow.db").exists()


def test_a_stage_run_inside_a_pipeline_run_is_its_child(tmp_path):
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    config = load_config(None, [f"tracking.uri={uri}"])
    with Tracker(config, "pipeline") as parent:
        with Tracker(config, "sft") as child:
            child.log_metrics({"sft/eval_loss": 1.0})
    record = MlflowClient(tracking_uri=uri).get_run(child.run_id)
    assert record.data.tags["mlflow.parentRunId"] == parent.run_id


def test_runs_of_other_processes_name_their_parent_and_the_parent_closes_them(tmp_path):
    """A sweep's trials run in other processes: they name the sweep's run as parent (tracking.parent_run_id),
    and the sweep sets their final status, since Tune stops them before their runs end."""
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    config = load_config(None, [f"tracking.uri={uri}"])
    with Tracker(config, "sweep") as parent:
        pass
    trials = {}
    for trial_id in ("t1", "t2", "t3"):
        trial = load_config(None, [f"tracking.uri={uri}", f"tracking.parent_run_id={parent.run_id}",
                                   f"tracking.run_tags={{sweep_trial: {trial_id}, mlflow.runName: trial-{trial_id}}}"])
        with Tracker(trial, "ppo") as run:
            trials[trial_id] = run.run_id
    client = MlflowClient(tracking_uri=uri)
    record = client.get_run(trials["t1"])
    assert record.data.tags["mlflow.parentRunId"] == parent.run_id and record.info.run_name == "trial-t1"
    assert close_child_runs(config.tracking, parent.run_id, "sweep_trial", {"t1": "KILLED", "t2": "FAILED"}) == 2
    assert [client.get_run(trials[t]).info.status for t in ("t1", "t2", "t3")] == ["KILLED", "FAILED", "FINISHED"]
