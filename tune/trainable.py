"""One sweep trial: a short PPO run (actors/ppo_trainer.py's loop, on Ray actors in the trial's placement
group) that reports its held-out objective to Tune every `sweep.eval_every` steps."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from rlhf import seeds
from rlhf.config import Config
from tune.objective import trial_report
from tune.space import apply


def trial_config(base: dict[str, Any], params: dict[str, Any], trial_id: str, sweep_dir: str) -> Config:
    """The base config with the trial's settings, the sweep's step budget and its own output folder."""
    tree = apply(base, params)
    s = tree["sweep"]
    tree["ppo"].update(steps=s["steps"], checkpoint_every=s["eval_every"])
    tree["runtime"]["output_dir"] = str(Path(sweep_dir) / "trials" / trial_id)
    tree["tracking"]["run_tags"] = {**tree["tracking"].get("run_tags", {}), "sweep_trial": trial_id,
                                    "mlflow.runName": f"trial-{trial_id}"}
    return Config.model_validate(tree)


def _restore(config: Config) -> bool:
    """PBT: start from the checkpoint Tune hands this trial (a leader's), whatever its settings were."""
    from ray import tune

    from rlhf.training.stages import stage_dir

    checkpoint = tune.get_checkpoint()
    if checkpoint is None:
        return False
    folder = stage_dir(config, "ppo")
    shutil.rmtree(folder / "checkpoints", ignore_errors=True)
    (folder / "stage.json").unlink(missing_ok=True)
    from rlhf.training.checkpoint import load_checkpoint

    with checkpoint.as_directory() as source:
        step = load_checkpoint(Path(source))["step"]
        shutil.copytree(source, folder / "checkpoints" / f"step-{step:06d}")  # the name the PPO loop resumes from
    return True


def ppo_trial(params: dict[str, Any], base: dict[str, Any], sweep_dir: str) -> None:
    """Tune's function trainable (bound to `base` and `sweep_dir` with functools.partial)."""
    import ray
    from ray import tune

    from actors.ppo_trainer import PPOInputs, PPOTrainer, policy_kl
    from rlhf.data.formatting import prompt_ids
    from rlhf.data.loading import load_preferences
    from rlhf.models.loading import load_tokenizer
    from rlhf.models.reward_scorer import RewardScorer
    from rlhf.training.checkpoint import latest_checkpoint
    from rlhf.training.examples import take
    from rlhf.training.stages import stage_dir

    config = trial_config(base, params, tune.get_context().get_trial_id(), sweep_dir)
    s, data = config.sweep, config.data
    # Validation prompts: the test split stays unseen for jobs/evaluate.py.
    pairs = take(load_preferences(data.val_path, data.max_history_turns), s.eval_prompts, config.runtime.seed + seeds.SWEEP_VALIDATION)
    judge = RewardScorer(config.ppo.judge_dir, config.ppo.minibatch_size)
    checkpoints = stage_dir(config, "ppo") / "checkpoints"
    prompts = prompt_ids(load_tokenizer(config.model.model_copy(update={"name": config.ppo.sft_dir})), config.data, pairs)
    resumed = _restore(config)

    def on_step(step: int, metrics: dict[str, float], workers) -> None:
        if step % s.eval_every and step != s.steps:
            return
        generations = ray.get(workers.rollout.generate.remote(prompts, config.runtime.seed + seeds.SWEEP_GENERATION, True))
        scores = ray.get(workers.reward.score.remote(pairs, generations))
        compliance = 1.0 - sum(sc.unsafe for sc in scores) / len(scores)
        rewards, _ = judge.raw_scores(pairs, [g.text for g in generations])
        report = trial_report(sum(rewards) / len(rewards), policy_kl(workers, prompts, generations), compliance, s)
        latest = latest_checkpoint(checkpoints)
        checkpoint = tune.Checkpoint.from_directory(str(latest)) if s.scheduler == "pbt" and latest is not None else None
        tune.report({**report, "step": step, "train_reward": metrics["objective/reward"]}, checkpoint=checkpoint)

    inputs = PPOInputs(Path(config.ppo.sft_dir), Path(config.ppo.reward_model_dir), Path(config.ppo.judge_dir))  # absolute: jobs/sweep.py
    PPOTrainer(config, inputs).fit(on_step=on_step, evaluate_at_end=False, resume_any=resumed)
