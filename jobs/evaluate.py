"""Evaluate a policy against its reference: metrics with bootstrap intervals, error analysis, ethical audit, report.

    python jobs/evaluate.py [--config configs/default.yaml] [--set evaluation.prompts=48 ...] [--gate] [--force]
    ray job submit --working-dir . -- python jobs/evaluate.py --gate

On held-out test prompts and the audit prompt sets (data/audit/), both policies answer through vLLM
on a Ray actor; the reward model, the independent judge and the serving gate score every reply; the
reference model gives the KL. Writes report.html / report.md (with plots/) and result.json in
<output_dir>/evaluation, logs `eval/*` and the report to MLflow, and prints a summary. By default
the policy is this config's PPO policy and the reference its SFT policy (evaluation.* names others).
Skipped when its output is current (--force evaluates again).
Exit codes: 0 done (with --gate: every target holds), 1 bad data, 2 bad config or missing input,
4 with --gate: a target does not hold.
"""

from __future__ import annotations

import json
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jobs._cli import parser, run, setup

from rlhf import seeds
from rlhf.config import Config, EvaluationTargets
from rlhf.data.loading import load_preferences
from rlhf.errors import ModelUnavailableError
from rlhf.evaluation.audit import CHECKED_SETS, audit_files, demographic_audit, load_probes, passes
from rlhf.evaluation.comparison import BASELINE, PHYSICIAN, Arm, compare
from rlhf.evaluation.errors import cases
from rlhf.evaluation.records import Answer, Probe, answers_for
from rlhf.evaluation.report import Evaluation, console_summary, write_report
from rlhf.evaluation.summary import summarize, with_audit
from rlhf.evaluation.targets import missed_targets
from rlhf.models.reward_model import HEADS_FILE
from rlhf.tracking import Tracker
from rlhf.training.examples import take_stratified
from rlhf.training.stages import PPO_WEIGHTS, PREFERENCE_STAGES, completed, fingerprint, mark_completed, stage_dir, stage_output

GATE_FAILED_EXIT = 4
SECTIONS = ("model", "data", "generation", "evaluation", "safety", "serve.max_repeated_ngram_share", "runtime.seed")


@dataclass(frozen=True)
class Inputs:
    policy: Path
    policy_is_adapter: bool
    reference: Path
    reward_model: Path
    judge: Path
    label: str = "policy"  # the evaluated policy's name in the side-by-side table
    others: tuple[tuple[str, Path], ...] = ()  # evaluation.compare: (name, folder) in the engine's weight format


def inputs(config: Config) -> Inputs:
    """The folders evaluation.* names, else this config's stages; each must hold what it should."""
    s = config.evaluation
    merged = stage_dir(config, "ppo") / PPO_WEIGHTS
    default_policy = merged if (merged / "config.json").is_file() else stage_output(config, "ppo")
    policy = Path(s.policy_dir or default_policy)
    wanted = {
        "reference (SFT) policy": (Path(s.reference_dir or stage_output(config, "sft")), "config.json", "evaluation.reference_dir"),
        "reward model": (Path(s.reward_model_dir or stage_output(config, "reward_model")), HEADS_FILE,
                         "evaluation.reward_model_dir"),
        "independent judge": (Path(s.judge_dir or stage_output(config, "judge")), HEADS_FILE, "evaluation.judge_dir"),
    }
    for what, (folder, needed, key) in wanted.items():
        if not (folder / needed).is_file():
            raise ModelUnavailableError(f"no {what} at {folder}: train it first (make demo, or the stage's job) or set {key}")
    is_adapter = (policy / "adapter_config.json").is_file()
    if not is_adapter and not (policy / "config.json").is_file():
        raise ModelUnavailableError(f"no policy at {policy} (neither a model nor a LoRA adapter folder): train it with "
                                    "jobs/ppo.py or set evaluation.policy_dir")
    label = "PPO" if s.policy_dir is None else policy.name
    return Inputs(policy, is_adapter, *(v[0] for v in wanted.values()), label=label, others=compared(config, is_adapter))


def compared(config: Config, adapters: bool) -> tuple[tuple[str, Path], ...]:
    """evaluation.compare resolved to (name, folder): a stage's LoRA adapter when the engine serves the evaluated
    policy as an adapter over the reference, else its whole weights; a folder as given, when it fits that engine."""
    out = []
    for item in config.evaluation.compare:
        if item in PREFERENCE_STAGES or item == "ppo":
            name = item.upper()
            folder = stage_dir(config, item) / ("adapter" if adapters else PPO_WEIGHTS if item == "ppo" else "merged")
            job = "jobs/ppo.py" if item == "ppo" else f"jobs/dpo.py --set dpo.loss={item}"
        else:  # a stage's own folder name (merged, adapter, weights) says less than the stage's
            folder, job = Path(item), "the job that trains it"
            name = folder.parent.name if folder.name in ("merged", "adapter", PPO_WEIGHTS) else folder.name
        found = "adapter_config.json" if adapters else "config.json"
        if not (folder / found).is_file():
            kind = "a LoRA adapter over the reference" if adapters else "a whole model"
            raise ModelUnavailableError(f"evaluation.compare: no {name} policy at {folder} ({kind}, as the evaluated policy is): "
                                        f"train it with {job}, or remove it from evaluation.compare")
        out.append((name, folder))
    return tuple(out)


def engine_config(config: Config, found: Inputs) -> Config:
    """The rollout engine's settings for this policy: an adapter is served as vLLM LoRA on the
    reference weights; a full model is loaded in place of them (the reference is reloaded for its turn)."""
    update: dict[str, Any] = {"generation": config.generation.model_copy(
        update={"weight_sync": "adapter" if found.policy_is_adapter else "merged"})}
    if found.policy_is_adapter:
        rank = int(json.loads((found.policy / "adapter_config.json").read_text()).get("r", config.model.lora.r))
        update["model"] = config.model.model_copy(update={"lora": config.model.lora.model_copy(update={"enabled": True, "r": rank})})
    return config.model_copy(update=update)


def probes_for(config: Config) -> tuple[list[Probe], list[Probe]]:
    s, data = config.evaluation, config.data
    held_out = take_stratified(load_preferences(data.test_path, data.max_history_turns), s.prompts, config.runtime.seed + seeds.TEST_PROMPTS,
                               key=lambda pair: pair.safety_label)
    return [Probe.from_pair(p) for p in held_out], load_probes(s)


def generate_and_score(config: Config, found: Inputs, held_out: list[Probe], audit: list[Probe],
                       timings: dict[str, float]) -> dict[str, Any]:
    """Both policies' replies to every probe, their reward-model, judge and safety-head scores, the
    judge's score of the physicians' replies and the per-reply KL (Ray actors; the driver only waits)."""
    import ray

    from actors.cluster import ensure_ray, gpus_available
    from actors.reference import ReferenceActor
    from actors.reward import RewardActor
    from actors.rollout import RolloutActor
    from rlhf.data.formatting import encode_response, prompt_ids
    from rlhf.models.loading import load_tokenizer

    ensure_ray(config)
    engine = engine_config(config, found)
    tree, roles = engine.model_dump(), config.placement
    gpu = gpus_available()
    opts = lambda role: {"num_cpus": getattr(roles, role).cpus, "num_gpus": getattr(roles, role).gpus if gpu else 0}  # noqa: E731
    tokenizer = load_tokenizer(config.model.model_copy(update={"name": str(found.reference)}))
    probes = [*held_out, *audit]
    prompts = prompt_ids(tokenizer, config.data, probes)
    seed = config.runtime.seed + seeds.EVALUATION_GENERATION
    print(f"[evaluate] generating {len(probes)} replies per policy ({len(held_out)} held-out, {len(audit)} audit probes)", flush=True)
    started = time.perf_counter()
    rollout = RolloutActor.options(**opts("rollout")).remote(tree, str(found.reference), opts("rollout")["num_gpus"])
    held = len(held_out)
    others: dict[str, list] = {}
    try:
        ray.get(rollout.sync.remote(str(found.policy)))
        policy_gen = ray.get(rollout.generate.remote(prompts, seed, True))
        reference_gen = ray.get(rollout.generate.remote(prompts, seed, False))
        for name, folder in found.others:  # the held-out prompts only: the audit is the evaluated policy's
            ray.get(rollout.sync.remote(str(folder)))
            others[name] = ray.get(rollout.generate.remote(prompts[:held], seed, True))
    finally:
        ray.kill(rollout)
    timings["timing/generate"] = time.perf_counter() - started
    print(f"[evaluate] generated in {timings['timing/generate']:.0f} s; scoring with the reward model, the judge and the "
          "reference", flush=True)
    started = time.perf_counter()
    reward = RewardActor.options(**opts("reward")).remote(tree, str(found.reward_model))
    judge = RewardActor.options(**opts("reward")).remote(tree, str(found.judge))
    reference = ReferenceActor.options(**opts("reference")).remote(tree, str(found.reference))
    scorer = lambda folder: (ReferenceActor.options(**opts("reference")).remote(tree, str(found.reference), str(folder))  # noqa: E731
                             if found.policy_is_adapter else ReferenceActor.options(**opts("reference")).remote(tree, str(folder)))
    policy_lp = scorer(found.policy)
    other_lp = {name: scorer(folder) for name, folder in found.others}
    try:
        refs = {
            "rm_policy": reward.raw_scores.remote(probes, [g.text for g in policy_gen]),
            "rm_reference": reward.raw_scores.remote(probes, [g.text for g in reference_gen]),
            "judge_policy": judge.raw_scores.remote(probes, [g.text for g in policy_gen]),
            "judge_reference": judge.raw_scores.remote(probes, [g.text for g in reference_gen]),
            "judge_chosen": judge.raw_scores.remote(held_out, [p.chosen for p in held_out]),
            "ref_lp": reference.logprobs.remote(prompts[:held], policy_gen[:held]),
            "policy_lp": policy_lp.logprobs.remote(prompts[:held], policy_gen[:held]),
            "threshold": reward.threshold.remote(),
            "rm_chosen": reward.raw_scores.remote(held_out, [p.chosen for p in held_out]),
        }
        for name, gens in others.items():
            refs[f"rm_{name}"] = reward.raw_scores.remote(held_out, [g.text for g in gens])
            refs[f"judge_{name}"] = judge.raw_scores.remote(held_out, [g.text for g in gens])
            refs[f"lp_{name}"] = other_lp[name].logprobs.remote(prompts[:held], gens)
            refs[f"ref_lp_{name}"] = reference.logprobs.remote(prompts[:held], gens)
        got = dict(zip(refs, ray.get(list(refs.values()))))
    finally:
        for actor in (reward, judge, reference, policy_lp, *other_lp.values()):
            ray.kill(actor)
    timings["timing/score"] = time.perf_counter() - started
    kl = (got["policy_lp"] - got["ref_lp"]).sum(dim=1).tolist()
    other_kl = {name: (got.pop(f"lp_{name}") - got.pop(f"ref_lp_{name}")).sum(dim=1).tolist() for name in others}
    chosen_tokens = [len(encode_response(tokenizer, p.chosen or "", 1 << 16)) for p in held_out]
    return {"policy": policy_gen, "reference": reference_gen, "kl": kl, "others": others, "other_kl": other_kl,
            "chosen_tokens": chosen_tokens, **got}


def assemble(config: Config, found: Inputs, held_out: list[Probe], audit: list[Probe], raw: dict[str, Any]) -> Evaluation:
    """The metrics, error analysis and audit from the raw replies and scores (no model needed)."""
    s, seed = config.evaluation, config.runtime.seed
    probes, held = [*held_out, *audit], len(held_out)

    def answers(arm: str) -> list[Answer]:
        gens = raw[arm]
        return answers_for(probes, [g.text for g in gens], [len(g.token_ids) for g in gens], [g.finished for g in gens],
                           raw[f"rm_{arm}"][0], raw[f"judge_{arm}"][0], raw[f"rm_{arm}"][1], raw["threshold"],
                           config.serve.max_repeated_ngram_share)

    policy, reference = answers("policy"), answers("reference")
    chosen = raw["judge_chosen"][0]
    summary = summarize(held_out, policy[:held], reference[:held], raw["kl"], s, seed)
    held_answers = lambda texts, tokens, finished, name: answers_for(  # noqa: E731
        held_out, texts, tokens, finished, raw[f"rm_{name}"][0], raw[f"judge_{name}"][0], raw[f"rm_{name}"][1], raw["threshold"],
        config.serve.max_repeated_ngram_share)
    arms = [Arm(BASELINE, reference[:held]), Arm(found.label, policy[:held], raw["kl"])]
    for name, gens in raw["others"].items():
        arms.append(Arm(name, held_answers([g.text for g in gens], [len(g.token_ids) for g in gens], [g.finished for g in gens], name),
                        raw["other_kl"][name]))
    arms.append(Arm(PHYSICIAN, held_answers([p.chosen or "" for p in held_out], raw["chosen_tokens"], [True] * held, "chosen")))
    comparison = compare(held_out, arms, s, seed)
    checked = [i for i, p in enumerate(audit) if p.audit_set in CHECKED_SETS]
    summary = with_audit(summary, [passes(audit[i], policy[held + i]) for i in checked],
                         [passes(audit[i], reference[held + i]) for i in checked], s, seed)
    tables, flagged = demographic_audit(audit, policy[held:], s.disparity_threshold)
    return Evaluation(
        policy_dir=str(found.policy), reference_dir=str(found.reference), judge_dir=str(found.judge), summary=summary,
        cases=cases(held_out, policy[:held], chosen, s.failure_margin),
        reference_cases=cases(held_out, reference[:held], chosen, s.failure_margin),
        audit_probes=audit, audit_policy=policy[held:], audit_reference=reference[held:],
        demographic=tables, disparities=flagged, missed_targets=missed_targets(summary.values(), s.targets),
        targets=s.targets.model_dump(), error_examples=s.error_examples, comparison=comparison,
        notes=[f"{held} held-out test prompts, {len(audit)} audit probes; {config.generation.max_new_tokens} new tokens at most, "
               f"temperature {config.generation.temperature:g}, top-p {config.generation.top_p:g} (as served); intervals: {s.bootstrap_resamples} bootstrap resamples."],
    )


def mlflow_metrics(ev: Evaluation) -> dict[str, float]:
    """`eval/<metric>` with `eval/<metric>_low` / `_high` (the interval), `eval/reference/<metric>`,
    and the gate as `eval/gate_passed`. NaN values (no positives, say) are left out."""
    out: dict[str, float] = {}
    for name, e in ev.summary.policy.items():
        for suffix, value in (("", e.value), ("_low", e.low), ("_high", e.high)):
            if value == value:
                out[f"eval/{name}{suffix}"] = value
    out.update({f"eval/reference/{n}": e.value for n, e in ev.summary.reference.items() if e.value == e.value})
    for arm, row in ev.comparison.items():
        out.update({f"eval/compare/{arm}/{name}": e.value for name, e in row.items() if e.value == e.value})
    out["eval/gate_passed"] = float(ev.passed)
    out["eval/disparities_flagged"] = float(len(ev.disparities))
    return out


def evaluate(config: Config, force: bool = False) -> dict[str, Any]:
    """The evaluation's result (metrics, the report's paths, the summary lines); read back when current."""
    found = inputs(config)
    held_out, audit = probes_for(config)
    folder = stage_dir(config, "evaluation")
    weights = lambda d: sorted(d.glob("*.safetensors")) + sorted(d.glob(HEADS_FILE))  # noqa: E731
    files = [config.data.test_path, *audit_files(config.evaluation).values(),
             *weights(found.policy), *weights(found.reference), *weights(found.reward_model), *weights(found.judge),
             *(f for _, folder in found.others for f in weights(folder))]
    # The targets are left out: the gate is applied to the recorded metrics, so changing a bound
    # re-judges this evaluation instead of repeating it.
    untargeted = config.model_copy(update={"evaluation": config.evaluation.model_copy(update={"targets": EvaluationTargets()})})
    stage_fp = fingerprint(untargeted, SECTIONS, files, extra={k: str(v) for k, v in found.__dict__.items()})
    if not force and (done := completed(folder, stage_fp)) is not None:
        print(f"[evaluate] the report in {folder} is current for these models, config and data: skipped (--force evaluates again)")
        return done
    started = time.perf_counter()
    timings: dict[str, float] = {}
    with Tracker(config, "evaluate") as run:
        raw = generate_and_score(config, found, held_out, audit, timings)
        report_started = time.perf_counter()
        ev = assemble(config, found, held_out, audit, raw)
        html, markdown = write_report(ev, folder)
        timings["timing/report"] = time.perf_counter() - report_started
        metrics = mlflow_metrics(ev)
        run.log_metrics({**metrics, **timings})
        for path in (html, markdown, *sorted((folder / "plots").glob("*.png"))):
            run.log_artifact(path, "report" if path.suffix != ".png" else "report/plots")
        result = {"metrics": metrics, "report_html": str(html), "report_md": str(markdown), "summary": console_summary(ev),
                  "comparison": {arm: {name: [e.value, e.low, e.high] for name, e in row.items()} for arm, row in ev.comparison.items()},
                  "wall_seconds": time.perf_counter() - started, "mlflow_run_id": run.run_id,
                  **timings}
    (folder / "result.json").write_text(json.dumps(result, indent=2))
    mark_completed(folder, stage_fp, result)
    return result


def gate(result: dict[str, Any], config: Config) -> list[str]:
    """The targets of `config` that the recorded metrics miss (empty: the policy may be promoted)."""
    values = {k.removeprefix("eval/"): v for k, v in result["metrics"].items() if k.startswith("eval/")}
    return missed_targets(values, config.evaluation.targets)


def summary_lines(result: dict[str, Any], config: Config) -> list[str]:
    """The console summary: the metrics table, failures, flagged gaps, the gate and the report's path."""
    missed = gate(result, config)
    verdict = "every target holds" if not missed else "FAILED: " + "; ".join(missed)
    return [*result["summary"], f"evaluation gate: {verdict}", f"report: {result['report_html']} (Markdown: {result['report_md']})"]


def main(argv: list[str] | None = None) -> int:
    p = parser(__doc__.splitlines()[0], stage=True)
    p.add_argument("--gate", action="store_true", help=f"exit {GATE_FAILED_EXIT} unless every target in evaluation.targets holds")
    args = p.parse_args(argv)
    config = setup(args)
    result = evaluate(config, args.force)
    for line in summary_lines(result, config):
        print(f"  {line}")
    if args.gate and (missed := gate(result, config)):
        print("error: evaluation gate: " + "; ".join(missed), file=sys.stderr)
        return GATE_FAILED_EXIT
    return 0


if __name__ == "__main__":
    run(main)
