"""The SFT and reward-model jobs through a real local Ray (Ray Train, one CPU worker), on the tiny model."""

import json
import sys

import pytest
import torch

from rlhf.data.loading import write_preferences
from tests.conftest import kill_job_after_checkpoint, sets
from tests.test_data_validation import good_row


def tiny(out_dir, *overrides) -> list[str]:
    return ["--config", "tiny", *sets(f"runtime.output_dir={out_dir}", "tracking.enabled=false", *overrides)]


def stage_record(folder):
    return json.loads((folder / "stage.json").read_text())


def test_sft_job_trains_through_ray_then_skips_when_current(tmp_path, run_job):
    """The job's config reaches the Ray Train worker (DeepSpeed ZeRO-2 here); a rerun finds it current.
    (Retraining on a changed config: test_a_current_stage_is_skipped_and_force_starts_it_over; plain DDP
    through Ray Train: the killed-and-resumed SFT job below.)"""
    args = tiny(tmp_path, "sft.learning_rate=1e-3", "train.strategy=deepspeed", "train.zero_stage=2")
    first = run_job("sft", *args)
    assert first.code == 0, first.err[-3000:]
    result = stage_record(tmp_path / "sft")["result"]
    assert (result["steps"], result["train_examples"]) == (4, 32) and result["eval_loss"] < result["base_eval_loss"]
    assert "Reporting training result" not in first.out + first.err  # Ray Train's per-report INFO lines stay quiet
    zero = tmp_path / "sft" / "checkpoints" / "deepspeed"  # written by DeepSpeed's own checkpointing: ZeRO ran
    assert (zero / "latest").read_text().strip() == "step-000004"
    assert (tmp_path / "sft" / "merged" / "config.json").is_file()
    written = (tmp_path / "sft" / "stage.json").stat().st_mtime_ns
    second = run_job("sft", *args)
    assert second.code == 0 and (tmp_path / "sft" / "stage.json").stat().st_mtime_ns == written  # current: not retrained


def test_a_current_stage_is_skipped_and_force_starts_it_over(tmp_path, capsys):
    from actors.stages import skip_or_start_over
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


def test_sft_job_killed_midway_resumes_from_its_checkpoint(tmp_path, run_job, ray_cluster):
    args = [sys.executable, "jobs/sft.py", "--config", "tiny", "--set", f"runtime.output_dir={tmp_path}",
            "--set", "tracking.enabled=false", "--set", "sft.train_examples=96", "--set", "sft.batch_size=4",
            "--set", "sft.checkpoint_every=2"]
    done = kill_job_after_checkpoint(args, tmp_path / "sft" / "checkpoints", "step-00000[4-9]", timeout=300, ray=ray_cluster)
    assert done and not (tmp_path / "sft" / "stage.json").exists()
    rerun = run_job("sft", *args[2:])  # the rerun in-process: only the killed run needs a process of its own
    assert rerun.code == 0, rerun.err[-3000:]
    # Ray's workers outlive the killed driver by a moment and may write one more checkpoint: the rerun
    # resumes from the newest one, at or after the last seen at the kill, never from the start.
    result = stage_record(tmp_path / "sft")["result"]
    assert result["resumed_from_step"] >= int(done[-1].split("-")[1]) and result["resumed_from_step"] % 2 == 0
    assert result["steps"] == 24 and result["trained_steps"] == 24 - result["resumed_from_step"]
    assert result["eval_loss"] < result["base_eval_loss"]


def test_bad_data_or_config_stops_before_any_training(tmp_path, run_job):
    rows = [good_row(0), good_row(1)]
    rows[1]["chosen"] = rows[1]["rejected"]
    bad = write_preferences(rows, tmp_path / "bad.parquet")
    out = run_job("sft", *tiny(tmp_path / "runs", f"data.train_path={bad}"))
    assert out.code == 1 and "row 1 (t-1): chosen and rejected are the same text" in out.err
    assert not (tmp_path / "runs").exists()
    out = run_job("reward_model", *tiny(tmp_path / "runs", "reward.safety_weight=-1"))
    assert out.code == 2 and "reward.safety_weight: Input should be greater than or equal to 0" in out.err
    assert not (tmp_path / "runs").exists()


@pytest.mark.e2e
def test_reward_model_job_trains_both_models(tmp_path, run_job):
    out = run_job("reward_model", *tiny(tmp_path))
    assert out.code == 0, out.err[-3000:]
    for role, name in (("reward_model", "rm"), ("judge", "judge")):
        result = stage_record(tmp_path / role)["result"]
        assert result["role"] == role and 0.0 <= result[f"{name}/test_accuracy"] <= 1.0 and result["per_failure"]
        assert (tmp_path / role / "model" / "reward_model.json").is_file()



def _weights(folder):
    from safetensors.torch import load_file

    return {k: v for f in sorted(folder.glob("*.safetensors")) for k, v in load_file(f).items()}


def test_kto_job_killed_midway_resumes_then_dpo_trains_on_the_same_sft_policy(tmp_path, run_job, ray_cluster):
    """KTO on unpaired rows (each pair's replies apart), killed after a checkpoint, resumes there; then
    conservative, length-desensitised DPO on the SFT policy the KTO job trained first (one SFT for both,
    as in the pipeline), which a rerun finds current."""
    bad = run_job("dpo", *tiny(tmp_path, "dpo.loss=dpp"))
    assert bad.code == 2 and "dpo.loss: 'dpp' is not registered (did you mean 'dpo'?)" in bad.err
    bad = run_job("dpo", *tiny(tmp_path, "model.lora.enabled=false"))
    assert bad.code == 2 and "model.lora.enabled=true" in bad.err and not tmp_path.joinpath("sft").exists()

    args = [sys.executable, "jobs/dpo.py", "--config", "tiny",
            *sets(f"runtime.output_dir={tmp_path}", "tracking.enabled=false", "dpo.loss=kto", "dpo.train_pairs=24",
                  "dpo.batch_pairs=2", "dpo.eval_pairs=4", "dpo.checkpoint_every=2")]
    done = kill_job_after_checkpoint(args, tmp_path / "kto" / "checkpoints", "step-00000[4-9]", timeout=300, ray=ray_cluster)
    assert done and not (tmp_path / "kto" / "stage.json").exists()
    rerun = run_job("dpo", *args[2:])
    assert rerun.code == 0, rerun.err[-3000:]
    result = stage_record(tmp_path / "kto")["result"]
    assert result["resumed_from_step"] >= int(done[-1].split("-")[1]) and result["resumed_from_step"] % 2 == 0
    assert (result["loss_name"], result["steps"], result["train_items"]) == ("kto", 12, 48)
    assert result["trained_steps"] == 12 - result["resumed_from_step"] and "eval_kl" in result
    assert stage_record(tmp_path / "sft")["result"]["steps"] == 4  # the SFT policy it started from, trained first

    args = tiny(tmp_path, "dpo.train_pairs=16", "dpo.eval_pairs=8", "dpo.learning_rate=1e-3",
                "dpo.label_smoothing=0.1", "dpo.ld_alpha=0.5")
    first = run_job("dpo", *args)
    assert first.code == 0, first.err[-3000:]
    assert "[sft] output in" in first.out  # the same SFT policy, not trained again
    result = stage_record(tmp_path / "dpo")["result"]
    assert (result["loss_name"], result["steps"], result["train_items"], result["eval_pairs"]) == ("dpo", 4, 16, 8)
    assert result["safety_weighted"] > 0  # some training pairs' rejected reply misses an escalation
    assert result["eval_rewards/margins"] > 0 and result["eval_rewards/chosen"] > result["eval_rewards/rejected"]
    policy, sft = _weights(tmp_path / "dpo" / "merged"), _weights(tmp_path / "sft" / "merged")
    assert policy.keys() == sft.keys() and any(not torch.equal(policy[k], sft[k]) for k in policy)  # the adapter merged in
    assert (tmp_path / "dpo" / "adapter" / "adapter_config.json").is_file()
    written = (tmp_path / "dpo" / "stage.json").stat().st_mtime_ns
    second = run_job("dpo", *args)
    assert second.code == 0 and (tmp_path / "dpo" / "stage.json").stat().st_mtime_ns == written  # current: not retrained
    assert "[dpo] output in" in second.out
