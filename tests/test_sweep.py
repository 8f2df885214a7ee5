"""The sweep's pure parts: search space, scheduler choice, a trial's config and objective, ranking, bundles."""

import math

import pytest

from rlhf.config import Config, SweepSettings, load_config
from rlhf.errors import ConfigError
from tune.objective import FAILED_SCORE, best, row_for, run_status, trial_report
from tune.space import apply, reports_per_trial, scheduler, search_space
from tune.trainable import trial_config


def test_the_objective_is_judge_reward_minus_the_kl_penalty_and_unsafe_trials_score_as_failed():
    s = SweepSettings(kl_penalty=0.1, min_safety_compliance=0.9)
    ok = trial_report(judge_reward=0.5, kl=2.0, safety_compliance=0.95, s=s)
    assert ok["objective"] == pytest.approx(0.3) and ok["score"] == pytest.approx(0.3) and ok["safe"]
    unsafe = trial_report(judge_reward=2.0, kl=0.0, safety_compliance=0.85, s=s)
    assert unsafe["objective"] == pytest.approx(2.0) and unsafe["score"] == FAILED_SCORE and not unsafe["safe"]
    assert trial_report(0.0, 0.0, 0.9, s)["safe"]  # the bound itself passes


def test_ranking_skips_failed_trials_and_prefers_trials_that_ran_every_step():
    params = {"beta": 0.1, "clip_epsilon": 0.2, "learning_rate": 1e-4}
    report = lambda objective, safe, step: {"objective": objective, "safe": safe, "step": step,  # noqa: E731
                                            "safety_compliance": 1.0 if safe else 0.5, "kl": 0.1}
    rows = [row_for("a", params, report(0.9, False, 6), None),  # best objective, but unsafe
            row_for("b", params, report(0.5, True, 2), None),  # stopped early by ASHA
            row_for("c", params, report(0.3, True, 6), None),
            row_for("d", params, None, "RayActorError: the rollout actor died"),
            row_for("e", params, None, None)]
    assert [r.status for r in rows] == ["failed: safety", "ranked", "ranked", "failed: error", "no report"]
    assert best(rows, steps=6).trial_id == "c"
    assert best(rows[:2], steps=6).trial_id == "b"  # no complete trial: the best stopped one
    assert best([rows[0], rows[3]], steps=6) is None
    assert [run_status(r, steps=6) for r in rows] == ["FAILED", "KILLED", "FINISHED", "FAILED", "FAILED"]


def test_the_search_space_and_schedulers_follow_the_config():
    from ray.tune.schedulers import ASHAScheduler, FIFOScheduler, PopulationBasedTraining

    s = SweepSettings(beta=(0.02, 0.2), clip_epsilon=(0.15, 0.25), learning_rate=(1e-5, 1e-4), steps=5, eval_every=2)
    space = search_space(s)
    samples = [{k: d.sample() for k, d in space.items()} for _ in range(200)]
    assert all(0.02 <= x["beta"] <= 0.2 and 0.15 <= x["clip_epsilon"] <= 0.25 and 1e-5 <= x["learning_rate"] <= 1e-4
               for x in samples)
    below_geometric_mid = sum(x["learning_rate"] < math.sqrt(1e-5 * 1e-4) for x in samples) / 200
    assert 0.35 < below_geometric_mid < 0.65  # log-uniform: half the draws under the geometric midpoint
    assert reports_per_trial(s) == 3  # steps 2, 4 and the last
    assert isinstance(scheduler(s), ASHAScheduler)
    assert isinstance(scheduler(s.model_copy(update={"scheduler": "pbt"})), PopulationBasedTraining)
    assert isinstance(scheduler(s.model_copy(update={"scheduler": "fifo"})), FIFOScheduler)


def test_sweep_settings_are_validated():
    with pytest.raises(ConfigError, match="0 < low <= high"):
        load_config(None, ["sweep.learning_rate=[1e-3,1e-5]"])
    with pytest.raises(ConfigError, match="would never report"):
        load_config(None, ["sweep.steps=2", "sweep.eval_every=3"])
    with pytest.raises(ConfigError, match="sweep.scheduler"):
        load_config(None, ["sweep.scheduler=hyperband"])


def test_a_trial_config_carries_the_sampled_settings_its_budget_and_its_own_folder(tmp_path):
    base = load_config("tiny", ["sweep.steps=3", "sweep.eval_every=1", "tracking.run_tags={team: a}"]).model_dump()
    config = trial_config(base, {"beta": 0.05, "clip_epsilon": 0.12, "learning_rate": 3e-5}, "abc_00001", str(tmp_path))
    assert (config.ppo.beta, config.ppo.clip_epsilon, config.ppo.learning_rate) == (0.05, 0.12, 3e-5)
    assert config.ppo.steps == 3 and config.ppo.checkpoint_every == 1
    assert config.runtime.output_dir == str(tmp_path / "trials" / "abc_00001")
    assert config.tracking.run_tags == {"team": "a", "sweep_trial": "abc_00001", "mlflow.runName": "trial-abc_00001"}
    assert base["ppo"]["beta"] != 0.05  # the base is not changed
    assert Config.model_validate(apply(base, {"beta": 0.3})).ppo.beta == 0.3


def test_a_trial_reserves_its_own_bundle_and_one_per_ppo_role():
    from actors.placement import trial_bundles

    config = load_config("default", ["sweep.trial_cpus=0.1", "sweep.trial_gpus=0.05"])
    cpu = trial_bundles(config, gpus=0, cpus=2)
    assert [b.role for b in cpu] == ["trial", "rollout", "reward", "learner"] and all(b.gpus == 0 for b in cpu)
    assert cpu[0].cpus == 0.1 and sum(b.cpus for b in cpu) == pytest.approx(0.1 + 0.5 + 0.25 + 1.0)
    gpu = trial_bundles(config, gpus=4, cpus=32)
    assert [b.gpus for b in gpu] == [0.05, 0.4, 0.15, 0.35]  # the roles' fractions from placement.*
