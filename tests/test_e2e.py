"""End to end: what a new user does after `make test` or `make demo` (the real 135M model loads by name;
the whole pipeline runs on the tiny model, and on the 135M model with `pytest -m demo`)."""

import json
import subprocess
import sys

import pytest
import yaml
from mlflow.tracking import MlflowClient

from tests.conftest import ROOT

pytestmark = pytest.mark.e2e


def test_python_c_loads_the_default_model_by_name_and_generates():
    code = (
        "from rlhf.config import ModelSettings, GenerationSettings;"
        "from rlhf.models.loading import load_causal_lm;"
        "from rlhf.generation import HFBackend;"
        "m = load_causal_lm(ModelSettings(name='smollm2-135m'));"
        "ids = m.tokenizer.apply_chat_template([{'role': 'user', 'content': 'Say hello to a patient.'}], add_generation_prompt=True, tokenize=False);"
        "g = HFBackend(m.model, m.tokenizer).generate([m.tokenizer(ids)['input_ids']], GenerationSettings(max_new_tokens=12, temperature=0));"
        "print('TEXT:', g[0].text)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert out.returncode == 0, out.stderr[-2000:]
    text = out.stdout.split("TEXT:", 1)[1].strip()
    assert len(text.split()) >= 3  # a real sentence, not empty or a single token


SMALL = ["runtime.demo_prompts=2", "generation.max_new_tokens=8", "sft.train_examples=8", "sft.eval_examples=8",
         "reward.train_pairs=8", "reward.eval_pairs=24", "reward.epochs=1", "ppo.steps=1", "ppo.prompts_per_step=2",
         "ppo.minibatch_size=2", "ppo.eval_prompts=2", "evaluation.prompts=3", "evaluation.audit_per_set=1",
         "evaluation.demographic_ages=[18-30,70-80]", "evaluation.demographic_sexes=[female]", "evaluation.bootstrap_resamples=100",
         "evaluation.compare=[dpo]", "dpo.train_pairs=8", "dpo.eval_pairs=4"]
PRESETS = [
    # the tiny random model through every stage: the suite's run (about 2 minutes)
    pytest.param("configs/tiny.yaml", id="tiny"),
    # the demo's own preset on the real 135M model: 6-8 minutes, so outside the 15-minute suite (`pytest -m demo`)
    pytest.param("configs/default.yaml", id="smollm2-135m", marks=[pytest.mark.demo, pytest.mark.timeout(2400)]),
]


@pytest.mark.parametrize("preset", PRESETS)
def test_pipeline_job_runs_and_records_to_mlflow(preset, tmp_path, run_job):
    """Every built stage, with budgets cut to a few steps, as `make demo` runs them (a process of its own)."""
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    small = [*SMALL, f"tracking.uri={uri}", f"runtime.output_dir={tmp_path / 'runs'}", "tracking.enabled=true"]
    cmd = [sys.executable, "jobs/pipeline.py", "--config", preset, *[a for o in small for a in ("--set", o)]]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=2100, cwd=ROOT)
    assert out.returncode == 0, out.stderr[-3000:]
    # known library noise stays out of the demo's console (rlhf/quiet.py silences each at its source)
    for noise in ("NUMA binding", "PreemptionWatcher", "Setting accelerator to CPU", "FutureWarning", "gemm_4bit_forward",
                  "Triton", "Loading weights", "Attempted to load weight", "libtcmalloc", "SSM cache type"):
        assert noise not in out.stdout + out.stderr, noise
    # what the demo prints: its stage banners, the summary table and the evaluation's summary at the end
    assert "1. check the preference data" in out.stdout and "29 categories" in out.stdout
    for stage in ("4. supervised fine-tuning", "5. reward model", "6. independent judge", "7. PPO on Ray actors",
                  "8. DPO on the SFT policy without a reward model", "9. evaluation: PPO, DPO, SFT and the physicians' replies",
                  "win rate vs SFT (independent judge)"):
        assert stage in out.stdout
    report = tmp_path / "runs" / "evaluation" / "report.html"
    tail = out.stdout[out.stdout.index("evaluation (jobs/evaluate.py):"):]  # the demo ends with it
    assert "side by side" in tail and "length-controlled win rate vs SFT" in tail  # every policy's column, first
    assert "win rate" in tail and "safety compliance" in tail and "evaluation gate:" in tail and f"report: {report}" in tail
    assert report.stat().st_size > 50_000
    results = {stage: json.loads((tmp_path / "runs" / stage / "stage.json").read_text())["result"]
               for stage in ("sft", "reward_model", "judge", "ppo", "dpo", "evaluation")}
    assert results["sft"]["train_examples"] == 8 and results["ppo"]["steps"] == 1 and results["dpo"]["train_items"] == 8
    assert list(results["evaluation"]["comparison"]) == ["SFT", "PPO", "DPO", "physician"]
    assert 0.0 <= results["judge"]["judge/test_accuracy"] <= 1.0 and 0.0 <= results["ppo"]["eval/judge_win_rate"] <= 1.0
    client = MlflowClient(tracking_uri=uri)
    runs = client.search_runs([client.get_experiment_by_name("clinical-rlhf").experiment_id])
    by_job = {r.data.tags["job"]: r for r in runs}
    assert set(by_job) == {"pipeline", "sft", "reward_model", "judge", "ppo", "dpo", "evaluate"}
    pipeline = by_job["pipeline"]
    assert pipeline.data.metrics["data/train_rows"] > 3000 and pipeline.data.metrics["generate/tokens_per_s"] > 0
    assert [a.path for a in client.list_artifacts(pipeline.info.run_id, "samples")] == ["samples/base_policy.json"]
    for job in ("sft", "reward_model", "judge", "ppo", "dpo", "evaluate"):
        assert by_job[job].data.tags["mlflow.parentRunId"] == pipeline.info.run_id
    ppo = by_job["ppo"].data.metrics
    for key in ("objective/reward", "objective/kl", "objective/entropy", "policy/clipfrac", "policy/approxkl", "loss/policy",
                "loss/value", "val/explained_var", "safety/unsafe_rate", "kl/beta", "timing/generate", "timing/score",
                "timing/train", "timing/sync", "sync/logprob_gap", "sync/policy_drift", "perf/tokens_per_s", "eval/judge_win_rate",
                "eval/safety_compliance"):
        assert key in ppo, key
    assert {"rewards/chosen", "rewards/rejected", "rewards/margins", "rewards/accuracies", "logps/chosen", "logps/rejected",
            "eval_rewards/accuracies"} <= set(by_job["dpo"].data.metrics)
    assert "sft/eval_loss" in by_job["sft"].data.metrics and "sft/train_loss" in by_job["sft"].data.metrics
    assert {"rm/test_accuracy", "rm/safety_recall", "rm/safety_auroc"} <= set(by_job["reward_model"].data.metrics)
    assert {a.path for a in client.list_artifacts(by_job["judge"].info.run_id, "plots")} == {
        "plots/judge_reward_distribution.png", "plots/judge_safety_calibration.png"}
    evaluation = by_job["evaluate"].data.metrics
    for key in ("eval/win_rate", "eval/mean_reward", "eval/safety_compliance", "eval/escalation_recall", "eval/over_refusal",
                "eval/kl", "eval/win_rate_low", "eval/win_rate_high", "timing/generate", "timing/score"):
        assert key in evaluation, key
    assert {a.path for a in client.list_artifacts(by_job["evaluate"].info.run_id, "report")} >= {"report/report.html",
                                                                                                "report/report.md"}
    # a second run (in-process: what it checks is the stage records, not a fresh process) finds every
    # stage current and skips it
    records = {stage: tmp_path / "runs" / stage / "stage.json" for stage in results}
    written = {stage: path.stat().st_mtime_ns for stage, path in records.items()}
    again = run_job("pipeline", *cmd[2:])
    assert again.code == 0, again.err[-3000:]
    assert {stage: path.stat().st_mtime_ns for stage, path in records.items()} == written
    assert len(client.search_runs([client.get_experiment_by_name("clinical-rlhf").experiment_id])) == len(runs) + 1  # the pipeline's own


def test_jobs_turn_user_errors_into_one_message(run_job):
    bad_model = run_job("pipeline", "--set", "model.name=biomistral-7b", "--set", "tracking.enabled=false")
    assert bad_model.code == 2
    assert "error: model 'biomistral-7b' (BioMistral/BioMistral-7B) is not in the local Hugging Face cache" in bad_model.err
    assert "Traceback" not in bad_model.err
    bad_config = run_job("pipeline", "--set", "ppo.beta=-3")
    assert bad_config.code == 2 and "ppo.beta: Input should be greater than 0 (got -3)" in bad_config.err
    printed = run_job("pipeline", "--print-config", "--set", "ppo.beta=0.05")
    assert printed.code == 0 and yaml.safe_load(printed.out)["ppo"]["beta"] == 0.05
