"""Rollout actor: generates replies with token log-probs (vLLM, or HF `generate` if the config says so)."""

from __future__ import annotations

import logging
from typing import Any

import ray

from actors._worker import start
from rlhf.generation import Generation, HFBackend, VLLMBackend

log = logging.getLogger(__name__)


def memory_share(gpu_fraction: float, device: str) -> float | None:
    """vLLM's gpu_memory_utilization: the role's GPU fraction when it shares a GPU; vLLM's own
    default on a whole GPU (or on CPU, where the KV cache is sized by generation.vllm_cpu_kv_cache_gib)."""
    return gpu_fraction if device == "cuda" and 0 < gpu_fraction < 1 else None


@ray.remote
class RolloutActor:
    def __init__(self, config: dict[str, Any], model_dir: str, gpu_fraction: float):
        self.config, self.device = start(config, "rollout")
        settings = self.config.generation
        self.lora = self.config.model.lora.enabled
        self.adapters = self.lora and settings.weight_sync == "adapter"  # else whole weights are reloaded in place
        self.model_dir = model_dir
        self.backend_name = settings.backend
        if settings.backend == "vllm":
            max_len = self.config.data.max_prompt_tokens + settings.max_new_tokens
            self.backend = VLLMBackend(model_dir, settings, self.config.runtime.seed, self.config.model.lora.r if self.adapters else None,
                                       memory_share(gpu_fraction, self.device), max_len)
        else:
            from rlhf.models.loading import load_causal_lm

            loaded = load_causal_lm(self.config.model.model_copy(update={"name": model_dir}), trainable=False, device=self.device)
            self.backend = HFBackend(loaded.model, loaded.tokenizer)
        self.weights: str | None = None
        log.info("rollout actor ready: %s backend on %s", settings.backend, self.device)

    def generate(self, prompts: list[list[int]], seed: int, policy: bool = True) -> list[Generation]:
        """One reply per prompt from the current policy, or (policy=False) from the SFT policy it started from,
        decoded as every reply is (generation.*: what the endpoint serves)."""
        settings = self.config.generation
        if not policy and self.weights is not None:
            return self._without_adapter(prompts, seed, settings)
        return self.backend.generate(prompts, settings, seed=seed)

    def _without_adapter(self, prompts: list[list[int]], seed: int, settings) -> list[Generation]:
        if self.adapters:
            return self.backend.generate(prompts, settings, seed=seed, adapter=False)
        if isinstance(self.backend, VLLMBackend):
            self.backend.reload_weights(self.model_dir)  # the SFT policy for this call, then the current weights back
            try:
                return self.backend.generate(prompts, settings, seed=seed)
            finally:
                self.backend.reload_weights(self.weights)
        from transformers import AutoModelForCausalLM

        sft = AutoModelForCausalLM.from_pretrained(self.model_dir).to(self.device).eval()
        return HFBackend(sft, self.backend.tokenizer).generate(prompts, settings, seed=seed)

    def score(self, prompts: list[list[int]], replies: list[list[int]]) -> list[list[float]]:
        """The engine's log-probs of given replies under the weights it now samples from (the sync check)."""
        return self.backend.score(prompts, replies)

    def sync(self, weights_dir: str) -> str:
        """Load the learner's newest weights: the LoRA adapter (a new adapter id), or a full checkpoint."""
        if isinstance(self.backend, VLLMBackend):
            if self.adapters:
                self.backend.use_adapter(weights_dir)
            else:
                self.backend.reload_weights(weights_dir)
        else:
            self._sync_hf(weights_dir)
        self.weights = weights_dir
        return weights_dir

    def _sync_hf(self, weights_dir: str) -> None:
        if not self.adapters:
            from transformers import AutoModelForCausalLM

            self.backend.model = AutoModelForCausalLM.from_pretrained(weights_dir).to(self.device).eval()
            return
        from peft import PeftModel

        self._version = getattr(self, "_version", 0) + 1
        name, model = f"policy-{self._version}", self.backend.model
        if isinstance(model, PeftModel):
            previous = model.active_adapter
            model.load_adapter(weights_dir, adapter_name=name, is_trainable=False)
            model.set_adapter(name)
            model.delete_adapter(previous)
        else:
            self.backend.model = PeftModel.from_pretrained(model, weights_dir, adapter_name=name).eval()

    def ping(self) -> str:
        return self.backend_name

    def info(self) -> dict[str, Any]:
        """Which process this is and which weights it serves (a restarted actor starts from the SFT policy)."""
        import os

        return {"pid": os.getpid(), "weights": self.weights, "backend": self.backend_name}
