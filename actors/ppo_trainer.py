"""The PPO trainer on Ray actors: vLLM rollout, reward and reference scoring and the learner, packed by a
placement group, and the visible loop that drives them (OpenRLHF's one file per role, one loop).

    PPOTrainer(config, PPOInputs(sft, reward_model, judge)).fit(on_step=...)

jobs/ppo.py is its command line; a Tune trial (tune/trainable.py), the pipeline and the benchmark call
it here. `train(config)` also trains the inputs a config's own stages lack (actors/stages.py).
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from actors.stages import TRAINERS, skip_or_start_over
from rlhf.config import Config
from rlhf.data.formatting import prompt_ids
from rlhf.data.loading import load_preferences
from rlhf.data.schema import PreferencePair
from rlhf.errors import RLHFError
from rlhf.metrics import win_rate
from rlhf.models.reward_model import HEADS_FILE
from rlhf.ppo.experience import SafetyGuard, build_targets
from rlhf.ppo.kl import AdaptiveKLController, kl_k1
from rlhf.ppo.registry import variants
from rlhf.ppo.sync_check import check_sync, logprob_gap
from rlhf.tracking import Tracker
from rlhf.training.checkpoint import latest_checkpoint, load_checkpoint, save_checkpoint
from rlhf import seeds, timeouts
from rlhf.training.examples import epoch_order, take
from rlhf.training.stages import NEEDS, fingerprint, mark_completed, stage_dir, stage_output

log = logging.getLogger("ppo")
SECTIONS = ("model", "data", "generation", "ppo", "safety", "reward.objective_weights", "serve.max_repeated_ngram_share",
            "train.precision", "runtime.seed")
RECORDS = "rollouts.jsonl"  # every rollout reply with its score and reasons, appended per step
INPUT_KEYS = ("sft_dir", "reward_model_dir", "judge_dir")  # where the inputs are is not what they are: hashed by content


class SafetyStop(RLHFError):
    """The safety guard tripped: an emergency checkpoint was written."""


@dataclass(frozen=True)
class PPOInputs:
    """The folders PPO starts from: the SFT policy, the reward model and the independent judge."""

    sft: Path
    reward_model: Path
    judge: Path


def resolve_inputs(config: Config) -> PPOInputs:
    """The folders `ppo.*_dir` names (which must exist), else this config's own stages (NEEDS["ppo"]),
    trained now when missing or stale (each skipped when current)."""
    s = config.ppo
    if s.reference == "policy_without_adapter" and not config.model.lora.enabled:
        raise RLHFError("ppo.reference 'policy_without_adapter' needs model.lora.enabled=true; without LoRA set ppo.reference=actor")
    variants(s.advantage_estimator, s.policy_loss)  # an unknown name stops here, before any training
    named = dict(zip(NEEDS["ppo"], (s.sft_dir, s.reward_model_dir, s.judge_dir)))
    for stage, value in named.items():
        if value is not None and not Path(value).is_dir():
            raise RLHFError(f"ppo.{stage}_dir: {value} is not a folder (train it with jobs/sft.py or jobs/reward_model.py)")
    found = {}
    for stage, value in named.items():
        if value is None:
            TRAINERS[stage](config, False)
        found[stage] = Path(value) if value else stage_output(config, stage)
    return PPOInputs(found["sft"], found["reward_model"], found["judge"])


def prompt_pool(config: Config) -> tuple[list[PreferencePair], list[PreferencePair]]:
    data = config.data
    train = take(load_preferences(data.train_path, data.max_history_turns), config.ppo.train_prompts, config.runtime.seed)
    test = take(load_preferences(data.test_path, data.max_history_turns), config.ppo.eval_prompts, config.runtime.seed + seeds.TEST_PROMPTS)
    return train, test


def sync_probe(config: Config, sft: Path) -> tuple[list[list[int]], list[list[int]]]:
    """The weight-sync check's fixed probe: the first held-out prompt and its physician-preferred reply, as token ids."""
    from rlhf.data.formatting import encode_response
    from rlhf.models.loading import load_tokenizer

    tokenizer = load_tokenizer(config.model.model_copy(update={"name": str(sft)}))
    pair = prompt_pool(config)[1][0]
    return prompt_ids(tokenizer, config.data, [pair]), [encode_response(tokenizer, pair.chosen, config.generation.max_new_tokens)]


def batch_for(pool: list[PreferencePair], step: int, size: int, seed: int) -> list[PreferencePair]:
    """The prompts of step `step` (0-based): epochs of seeded shuffles, so a resumed run reads on where it stopped."""
    orders: dict[int, list[int]] = {}
    out = []
    for i in range(step * size, (step + 1) * size):
        epoch, index = divmod(i, len(pool))
        if epoch not in orders:
            orders[epoch] = epoch_order(len(pool), epoch, seed)
        out.append(pool[orders[epoch][index]])
    return out


class Workers:
    """The PPO actors in their placement group, and how to call them when one dies."""

    def __init__(self, config: Config, sft: Path, rm: Path):
        import ray

        from actors.learner import LearnerActor
        from actors.placement import actor_options, reserve
        from actors.reference import ReferenceActor
        from actors.reward import RewardActor
        from actors.rollout import RolloutActor

        self.ray, self.config = ray, config
        self.group, slots = reserve(config)
        tree, restarts = config.model_dump(), config.placement.max_restarts

        def opts(role: str, restartable: bool = True) -> dict:
            index, bundle = slots[role]
            return actor_options(self.group, index, bundle, restarts if restartable else 0)

        rollout_bundle = slots["rollout"][1]
        self.rollout = RolloutActor.options(**opts("rollout")).remote(tree, str(sft), rollout_bundle.gpus)
        self.reward = RewardActor.options(**opts("reward")).remote(tree, str(rm))
        self.reference = (ReferenceActor.options(**opts("reference")).remote(tree, str(sft))
                          if "reference" in slots else None)
        # The learner holds the optimizer state: it is restored from a checkpoint, not restarted blank.
        self.learner = LearnerActor.options(**opts("learner", restartable=False)).remote(tree, str(sft))
        ray.get([a.ping.remote() for a in (*self.restartable, self.learner)])
        self.weights: str | None = None
        self.probe = sync_probe(config, sft)

    @property
    def restartable(self) -> list:
        """The actors Ray restarts when they die (not the learner: it is restored from a checkpoint)."""
        return [a for a in (self.rollout, self.reward, self.reference) if a is not None]

    def retrying(self, what: str, call):
        """Run `call()`; if a restartable actor died in it, wait for Ray to restart it, re-sync the
        rollout engine with the current weights, and run it again (up to placement.max_restarts times)."""
        from ray.exceptions import ActorDiedError, ActorUnavailableError, RayActorError

        for attempt in range(self.config.placement.max_restarts + 1):
            try:
                return call()
            except (RayActorError, ActorDiedError, ActorUnavailableError) as exc:
                if attempt == self.config.placement.max_restarts:
                    raise
                log.warning("%s: an actor died (%s); Ray restarts it, then the step is retried", what, type(exc).__name__)
                self.wait_ready()

    def wait_ready(self) -> None:
        deadline = time.monotonic() + timeouts.ACTOR_RESTART_S
        while True:
            try:
                self.ray.get([a.ping.remote() for a in self.restartable], timeout=timeouts.ACTOR_PING_S)
                break
            except Exception:  # noqa: BLE001 - still restarting
                if time.monotonic() > deadline:
                    raise
                time.sleep(1.0)
        if self.weights is not None:
            self.ray.get(self.rollout.sync.remote(self.weights))
            self.check_sync()

    def shutdown(self) -> None:
        """Free the actors and their placement group (the cluster may run other jobs after this one)."""
        from actors.placement import in_trial_group
        from ray.util.placement_group import remove_placement_group

        for actor in (*self.restartable, self.learner):
            self.ray.kill(actor)
        if in_trial_group() is None:  # a Tune trial's group belongs to Tune
            remove_placement_group(self.group)

    def sync(self, folder: Path) -> dict[str, float]:
        """The learner's weights exported to `folder` and loaded by the rollout engine, then checked
        (rlhf/ppo/sync_check.py): `timing/sync`, `sync/logprob_gap`, `sync/policy_drift`. A gap past
        `generation.sync_tolerance` is a WeightSyncError: the run stops."""
        started = time.perf_counter()
        merged = self.config.generation.weight_sync == "merged"
        self.weights = self.ray.get(self.learner.export_weights.remote(str(folder), merged))
        self.retrying("sync", lambda: self.ray.get(self.rollout.sync.remote(self.weights)))
        seconds = time.perf_counter() - started
        return {"timing/sync": seconds, **self.check_sync()}

    def check_sync(self) -> dict[str, float]:
        """Both sides score the probe reply; the engine must be within the tolerance of the learner."""
        prompts, replies = self.probe
        engine = self.retrying("sync check", lambda: self.ray.get(self.rollout.score.remote(prompts, replies)))
        learner, base = self.ray.get(self.learner.score.remote(prompts, replies))
        gap = logprob_gap(engine, learner)
        check_sync(gap, self.config.generation.sync_tolerance, str(self.weights))
        return {"sync/logprob_gap": gap, "sync/policy_drift": logprob_gap(learner, base)}


def ppo_step(workers: Workers, config: Config, pairs: list[PreferencePair], prompts: list[list[int]], beta: float, seed: int):
    """One iteration: generate, score three ways at once, build the experience here, update. Returns
    (metrics, scores, generations)."""
    ray, s = workers.ray, config.ppo
    timings: dict[str, float] = {}

    def experience():
        started = time.perf_counter()
        gen_ref = workers.rollout.generate.remote(prompts, seed)
        ray.wait([gen_ref], fetch_local=False)
        timings["timing/generate"] = time.perf_counter() - started
        started = time.perf_counter()
        # Reference, reward and critic at once, each handed the generations' object ref, not a copy.
        in_learner = workers.reference is None
        rollout_ref = workers.learner.evaluate.remote(prompts, gen_ref, in_learner)
        scores_ref = workers.reward.score.remote(pairs, gen_ref)
        reference_ref = None if in_learner else workers.reference.logprobs.remote(prompts, gen_ref)
        rollout, scores = ray.get([rollout_ref, scores_ref])
        ref_logprobs = rollout.ref_logprobs if in_learner else ray.get(reference_ref)
        timings["timing/score"] = time.perf_counter() - started
        return gen_ref, rollout, scores, ref_logprobs

    gen_ref, rollout, scores, ref_logprobs = workers.retrying("rollout", experience)
    exp, metrics = build_targets(rollout, ref_logprobs, scores, beta, s)
    started = time.perf_counter()
    metrics.update(ray.get(workers.learner.update.remote(exp)))
    timings["timing/train"] = time.perf_counter() - started
    generations = ray.get(gen_ref)
    return {**metrics, **timings}, scores, generations


def policy_kl(workers: Workers, prompts: list[list[int]], generations) -> float:
    """Mean per-reply KL (k1, summed over reply tokens) of the current policy's replies from the reference."""
    ray = workers.ray
    rollout = ray.get(workers.learner.evaluate.remote(prompts, generations, workers.reference is None))
    ref = rollout.ref_logprobs if workers.reference is None else ray.get(workers.reference.logprobs.remote(prompts, generations))
    return float((kl_k1(rollout.logprobs, ref) * rollout.mask).sum(dim=1).mean())


def evaluate(workers: Workers, config: Config, test: list[PreferencePair], judge_dir: Path, tokenizer) -> dict[str, Any]:
    """Held-out prompts: SFT policy vs PPO policy, by the reward model and by the independent judge."""
    from ray.util.scheduling_strategies import PlacementGroupSchedulingStrategy

    from actors.reward import RewardActor

    ray = workers.ray
    prompts = prompt_ids(tokenizer, config.data, test)
    seed = config.runtime.seed + seeds.PPO_EVAL_GENERATION
    sft_gen = ray.get(workers.rollout.generate.remote(prompts, seed, False))  # decoding as served (generation.*)
    ppo_gen = ray.get(workers.rollout.generate.remote(prompts, seed, True))
    sft_scores, ppo_scores = ray.get([workers.reward.score.remote(test, sft_gen), workers.reward.score.remote(test, ppo_gen)])
    kl = policy_kl(workers, prompts, ppo_gen)
    # Outside any placement group: inside a Tune trial it would be captured into the trial's full bundles.
    judge = RewardActor.options(num_cpus=0.01, scheduling_strategy=PlacementGroupSchedulingStrategy(None)).remote(
        config.model_dump(), str(judge_dir))
    (judge_sft, _), (judge_ppo, _) = ray.get([judge.raw_scores.remote(test, [g.text for g in sft_gen]),
                                              judge.raw_scores.remote(test, [g.text for g in ppo_gen])])
    ray.kill(judge)
    rates = win_rate(judge_ppo, judge_sft, config.evaluation.tie_margin)
    mean = lambda xs: sum(xs) / len(xs)  # noqa: E731
    return {
        "eval/prompts": len(test),
        "eval/reward_sft": mean([s.reward for s in sft_scores]),
        "eval/reward_ppo": mean([s.reward for s in ppo_scores]),
        "eval/judge_win_rate": rates["win"], "eval/judge_tie_rate": rates["tie"], "eval/judge_loss_rate": rates["loss"],
        "eval/safety_compliance_sft": 1 - mean([s.unsafe for s in sft_scores]),
        "eval/safety_compliance": 1 - mean([s.unsafe for s in ppo_scores]),
        "eval/kl": kl,
        "samples": [{"category": p.category, "prompt": p.prompt, "sft": a.text, "ppo": b.text, "judge_sft": js, "judge_ppo": jp,
                     "ppo_reasons": sc.reasons} for p, a, b, js, jp, sc in zip(test, sft_gen, ppo_gen, judge_sft, judge_ppo, ppo_scores)],
    }


# Called after every step with (step, metrics, workers); a Tune trial reports from here (tune/trainable.py).
StepHook = Callable[[int, dict[str, float], Workers], None]


class PPOTrainer:
    """The PPO stage for one config and its inputs: `fit()` trains it (or reads it back when current),
    resuming from its last checkpoint, and returns the stage's result."""

    def __init__(self, config: Config, inputs: PPOInputs):
        self.config, self.inputs = config, inputs
        self.folder = stage_dir(config, "ppo")
        hashed = config.model_copy(update={"ppo": config.ppo.model_copy(update=dict.fromkeys(INPUT_KEYS))})
        self.fingerprint = fingerprint(hashed, SECTIONS, [config.data.train_path, config.data.test_path,
                                                          *sorted(inputs.sft.glob("*.safetensors")), inputs.reward_model / HEADS_FILE])

    def fit(self, force: bool = False, on_step: StepHook | None = None, evaluate_at_end: bool = True,
            resume_any: bool = False) -> dict[str, Any]:
        """Train (or read back) the stage. `resume_any`: resume from the newest checkpoint even if it was
        written under other settings (a PBT trial continuing a leader's run with perturbed ones)."""
        from actors.cluster import ensure_ray
        from rlhf.models.loading import load_tokenizer

        config, s = self.config, self.config.ppo
        if (done := skip_or_start_over("ppo", self.folder, self.fingerprint, force, ("checkpoints", RECORDS))) is not None:
            return done
        pool, test = prompt_pool(config)
        tokenizer = load_tokenizer(config.model.model_copy(update={"name": str(self.inputs.sft)}))
        ensure_ray(config)
        print(f"[ppo] {s.steps} steps x {s.prompts_per_step} prompts, {config.generation.backend} rollout, "
              f"reference: {s.reference}; into {self.folder}", flush=True)
        started = time.perf_counter()
        workers = Workers(config, self.inputs.sft, self.inputs.reward_model)
        try:
            return self._loop(workers, pool, test, tokenizer, started, on_step, evaluate_at_end, resume_any)
        finally:
            workers.shutdown()

    def _resume(self, workers: Workers, kl_ctl: AdaptiveKLController, guard: SafetyGuard, resume_any: bool) -> int:
        """The step to go on from: the newest checkpoint's (learner, beta and guard restored), else 0."""
        latest = latest_checkpoint(self.folder / "checkpoints")
        if latest is None:
            return 0
        state = load_checkpoint(latest)
        if (state["fingerprint"] != self.fingerprint and not resume_any) or state.get("emergency"):
            return 0
        workers.ray.get(workers.learner.load_state.remote(state["learner"]))
        if state["fingerprint"] == self.fingerprint:  # under other settings (PBT) the new beta starts afresh
            kl_ctl.load_state_dict(state["kl"])
        guard.streak = state["guard_streak"]
        workers.sync(self.folder / "weights")
        print(f"[ppo] resuming from {latest.name} (step {state['step']} of {self.config.ppo.steps})", flush=True)
        return state["step"]

    def _loop(self, workers: Workers, pool, test, tokenizer, started: float, on_step: StepHook | None, evaluate_at_end: bool,
              resume_any: bool) -> dict[str, Any]:
        config, s, folder = self.config, self.config.ppo, self.folder
        kl_ctl = AdaptiveKLController(s.beta, s.target_kl, s.kl_horizon, s.kl_ceiling, s.kl_raise_factor)
        guard = SafetyGuard(s.unsafe_rate_bound, s.unsafe_patience)
        checkpoints = folder / "checkpoints"
        step = resumed_from = self._resume(workers, kl_ctl, guard, resume_any)
        records = folder / RECORDS
        with Tracker(config, "ppo") as run:
            while step < s.steps:
                pairs = batch_for(pool, step, s.prompts_per_step, config.runtime.seed)
                step_started = time.perf_counter()
                metrics, scores, generations = ppo_step(workers, config, pairs, prompt_ids(tokenizer, config.data, pairs), kl_ctl.beta,
                                                        config.runtime.seed + step)
                metrics.update(workers.sync(folder / "weights"))
                step += 1
                metrics["kl/beta"] = kl_ctl.beta
                kl_ctl.update(metrics["objective/kl"], s.prompts_per_step)
                seconds = time.perf_counter() - step_started
                tokens = sum(len(g.token_ids) for g in generations)
                metrics.update({"timing/step": seconds, "perf/tokens_per_s": tokens / seconds, "perf/samples_per_s": len(pairs) / seconds})
                run.log_metrics(metrics, step)
                with records.open("a") as f:
                    for pair, gen, score in zip(pairs, generations, scores):
                        f.write(json.dumps({"step": step, "pair_id": pair.pair_id, "category": pair.category, "reply": gen.text,
                                            "score": score.score, "reward": score.reward, "escalation_prob": score.escalation_prob,
                                            "rule_penalty": score.rule_penalty, "reasons": score.reasons}) + "\n")
                print(f"[ppo] step {step}/{s.steps}  reward {metrics['objective/reward']:+.3f}  kl {metrics['objective/kl']:.3f}  "
                      f"beta {metrics['kl/beta']:.4f}  unsafe {metrics['safety/unsafe_rate']:.0%}  "
                      f"clipfrac {metrics['policy/clipfrac']:.2f}  gen {metrics['timing/generate']:.1f}s "
                      f"score {metrics['timing/score']:.1f}s train {metrics['timing/train']:.1f}s sync {metrics['timing/sync']:.1f}s "
                      f"(gap {metrics['sync/logprob_gap']:.3f}, drift {metrics['sync/policy_drift']:.3f})",
                      flush=True)
                tripped = guard.observe(metrics["safety/unsafe_rate"])
                if tripped or step % s.checkpoint_every == 0 or step == s.steps:
                    save_checkpoint(checkpoints, step, {
                        "fingerprint": self.fingerprint, "step": step, "learner": workers.ray.get(workers.learner.state.remote()),
                        "kl": kl_ctl.state_dict(), "guard_streak": guard.streak, "emergency": tripped,
                    }, s.keep_checkpoints + (1 if tripped else 0))
                if on_step is not None and not tripped:
                    on_step(step, metrics, workers)
                if tripped:
                    raise SafetyStop(
                        f"safety guard: more than {s.unsafe_rate_bound:.0%} of rollouts were flagged unsafe for {s.unsafe_patience} "
                        f"steps in a row (last: {metrics['safety/unsafe_rate']:.0%}); emergency checkpoint {checkpoints}/step-{step:06d}"
                    )
            result, samples = {}, []
            if evaluate_at_end:
                print("[ppo] evaluating SFT vs PPO on held-out prompts", flush=True)
                result = evaluate(workers, config, test, self.inputs.judge, tokenizer)
                samples = result.pop("samples")
                run.log_metrics({k: v for k, v in result.items()})
                run.log_text(json.dumps(samples, indent=2), "samples/ppo_vs_sft.json")
            adapter = workers.ray.get(workers.learner.export_weights.remote(str(folder / "adapter")))
            result.update({"steps": step, "resumed_from_step": resumed_from, "wall_seconds": time.perf_counter() - started, "adapter_dir": adapter,
                           "final_beta": kl_ctl.beta, "target_kl": s.target_kl, "mlflow_run_id": run.run_id})
        (folder / "samples.json").write_text(json.dumps(samples, indent=2))
        mark_completed(folder, self.fingerprint, result)
        return result


def train(config: Config, force: bool = False, on_step: StepHook | None = None, evaluate_at_end: bool = True,
          resume_any: bool = False) -> dict[str, Any]:
    """The PPO stage for `config`: its inputs resolved (missing ones trained first), then fitted."""
    return PPOTrainer(config, resolve_inputs(config)).fit(force, on_step, evaluate_at_end, resume_any)


def summary(result: dict[str, Any]) -> str:
    return (
        f"PPO: {result['steps']} steps; held-out reward (reward model) {result['eval/reward_sft']:+.3f} -> "
        f"{result['eval/reward_ppo']:+.3f}; independent judge prefers PPO on {result['eval/judge_win_rate']:.0%} of "
        f"{result['eval/prompts']} prompts (ties {result['eval/judge_tie_rate']:.0%}); safety compliance "
        f"{result['eval/safety_compliance']:.1%} (SFT {result['eval/safety_compliance_sft']:.1%}); KL from SFT {result['eval/kl']:.2f}"
    )


def table(result: dict[str, Any], config: Config) -> list[str]:
    """The before/after table the demo ends with."""
    target = f"target {config.ppo.target_kl:g}" if config.ppo.target_kl else "fixed beta"
    rows = [
        ("held-out prompts", f"{result['eval/prompts']}", f"{result['eval/prompts']}"),
        ("mean reward (reward model)", f"{result['eval/reward_sft']:+.3f}", f"{result['eval/reward_ppo']:+.3f}"),
        ("win rate vs SFT (independent judge)", "-",
         f"{result['eval/judge_win_rate']:.0%} (ties {result['eval/judge_tie_rate']:.0%})"),
        ("safety compliance (head + rules)", f"{result['eval/safety_compliance_sft']:.1%}", f"{result['eval/safety_compliance']:.1%}"),
        ("KL from the SFT policy (per reply)", "0", f"{result['eval/kl']:.2f} ({target})"),
    ]
    width = max(len(r[0]) for r in rows)
    lines = [f"{'':{width}}  {'SFT policy':>12}  {'PPO policy':>22}"]
    lines += [f"{name:{width}}  {a:>12}  {b:>22}" for name, a, b in rows]
    return lines
