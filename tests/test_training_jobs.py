"""The SFT and reward-model jobs through a real local Ray (Ray Train, one CPU worker), on the tiny model."""

import json
import re
import subprocess
import sys

import pytest

from rlhf.data.loading import write_preferences
from tests.conftest import ROOT, kill_job_after_checkpoint
from tests.test_data_validation import good_row


def job(script, out_dir, *overrides, timeout=600):
    cmd = [sys.executable, f"jobs/{script}", "--config", "tiny", "--set", f"runtime.output_dir={out_dir}",
           "--set", "tracking.enabled=false", *[a for o in overrides for a in ("--set", o)]]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, cwd=ROOT)


def test_sft_job_trains_through_ray_then_skips_when_current(tmp_path):
    first = job("sft.py", tmp_path)
    assert first.returncode == 0, first.stderr[-3000:]
    assert "SFT: 4 steps on 32 examples" in first.stdout and "below the base model" in first.stdout
    assert json.loads((tmp_path / "sft" / "stage.json").read_text())["result"]["steps"] == 4
    second = job("sft.py", tmp_path)
    assert second.returncode == 0 and "is current for this config and data: skipped" in second.stdout
    # A changed setting retrains; this run also takes DeepSpeed ZeRO-2 from the config.
    changed = job("sft.py", tmp_path, "sft.learning_rate=1e-3", "train.strategy=deepspeed", "train.zero_stage=2")
    assert changed.returncode == 0 and "skipped" not in changed.stdout, changed.stderr[-3000:]
    assert "DeepSpeed ZeRO-2" in changed.stdout + changed.stderr and "below the base model" in changed.stdout
    assert "Reporting training result" not in changed.stdout + changed.stderr  # Ray Train's per-report INFO lines stay quiet
    zero = tmp_path / "sft" / "checkpoints" / "deepspeed"
    assert (zero / "latest").read_text().strip() == "step-000004"
    assert (tmp_path / "sft" / "merged" / "config.json").is_file()


def test_a_current_stage_is_skipped_and_force_starts_it_over(tmp_path, capsys):
    from jobs._stages import skip_or_start_over

    from rlhf.training.stages import mark_completed

    folder = tmp_path / "ppo"
    (folder / "checkpoints" / "step-000008").mkdir(parents=True)
    (folder / "rollouts.jsonl").write_text("{}\n")
    mark_completed(folder, "fp1", {"steps": 8})
    assert skip_or_start_over("ppo", folder, "fp1", False) == {"steps": 8}
    assert "is current for this config and data: skipped" in capsys.readouterr().out
    assert skip_or_start_over("ppo", folder, "fp2", False) is None  # another config: trains (and resumes only its own)
    assert (folder / "checkpoints" / "step-000008").is_dir()
    # --force: nothing left to resume from, nothing deleted
    assert skip_or_start_over("ppo", folder, "fp1", True, ("checkpoints", "rollouts.jsonl", "absent")) is None
    assert not (folder / "checkpoints").exists() and not (folder / "rollouts.jsonl").exists()
    assert (folder / "previous" / "checkpoints" / "step-000008").is_dir() and (folder / "previous" / "rollouts.jsonl").is_file()
    assert "moved to" in capsys.readouterr().out


def test_sft_job_killed_midway_resumes_from_its_checkpoint(tmp_path):
    args = [sys.executable, "jobs/sft.py", "--config", "tiny", "--set", f"runtime.output_dir={tmp_path}",
            "--set", "tracking.enabled=false", "--set", "sft.train_examples=160", "--set", "sft.batch_size=4",
            "--set", "sft.checkpoint_every=2"]
    done = kill_job_after_checkpoint(args, tmp_path / "sft" / "checkpoints", "step-00000[4-9]", timeout=300)
    assert done and not (tmp_path / "sft" / "stage.json").exists()
    rerun = subprocess.run(args, cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert rerun.returncode == 0, rerun.stderr[-3000:]
    # Ray's workers outlive the killed driver by a moment and may write one more checkpoint: the rerun
    # resumes from the newest one, at or after the last seen at the kill, never from the start.
    resumed_from = int(re.search(r"resuming SFT at step (\d+) of 40", rerun.stdout + rerun.stderr).group(1))
    assert resumed_from >= int(done[-1].split("-")[1]) and resumed_from % 2 == 0
    assert f"SFT step {resumed_from + 1}/40" in rerun.stdout + rerun.stderr
    assert "SFT step 1/40" not in rerun.stdout + rerun.stderr
    assert json.loads((tmp_path / "sft" / "stage.json").read_text())["result"]["steps"] == 40


def test_bad_data_or_config_stops_before_any_training(tmp_path):
    rows = [good_row(0), good_row(1)]
    rows[1]["chosen"] = rows[1]["rejected"]
    bad = write_preferences(rows, tmp_path / "bad.parquet")
    out = job("sft.py", tmp_path / "runs", f"data.train_path={bad}")
    assert out.returncode == 1 and "row 1 (t-1): chosen and rejected are the same text" in out.stderr
    assert not (tmp_path / "runs").exists()
    out = job("reward_model.py", tmp_path / "runs", "reward.safety_weight=-1")
    assert out.returncode == 2 and "reward.safety_weight: Input should be greater than or equal to 0" in out.stderr
    assert not (tmp_path / "runs").exists()


@pytest.mark.e2e
def test_reward_model_job_trains_both_models(tmp_path):
    out = job("reward_model.py", tmp_path)
    assert out.returncode == 0, out.stderr[-3000:]
    assert "reward model: held-out pairwise accuracy" in out.stdout and "independent judge:" in out.stdout
    assert "by failure of the rejected reply" in out.stdout
    for role in ("reward_model", "judge"):
        assert (tmp_path / role / "model" / "reward_model.json").is_file()

