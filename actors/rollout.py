"""Rollout actor: generates replies with token log-probs (vLLM, or HF `generate` if the config says so)."""

from __future__ import annotations

import logging
from typing import Any

import ray

from actors._worker import start
from rlhf.generation import Generation, HFBackend, VLLMBackend

log = logging.getLogger(__name__)


@ray.remote
class RolloutActor:
    def __init__(self, config: dict[str, Any], model_dir: str, cpus: float, gpu_fraction: float):
        self.config, self.device = start(config, cpus)
        settings = self.config.generation
        self.lora = self.config.model.lora.enabled
        self.backend_name = settings.backend
        if settings.backend == "vllm":
            max_len = self.config.data.max_prompt_tokens + settings.max_new_tokens
            self.backend = VLLMBackend(model_dir, settings, self.config.runtime.seed, self.config.model.lora.r if self.lora else None,
                                       gpu_fraction if self.device == "cuda" else None, max_len)
        else:
            from rlhf.models.loading import load_causal_lm

            loaded = load_causal_lm(self.config.model.model_copy(update={"name": model_dir}), trainable=False, device=self.device)
            self.backend = HFBackend(loaded.model, loaded.tokenizer)
        self.weights: str | None = None
        log.info("rollout actor ready: %s backend on %s", settings.backend, self.device)

    def generate(self, prompts: list[list[int]], seed: int, policy: bool = True) -> list[Generation]:
        """One reply per prompt from the current policy, or (policy=False) from the SFT policy it started from."""
        if not policy and self.weights is not None:
            return self._without_adapter(prompts, seed)
        return self.backend.generate(prompts, self.config.generation, seed=seed)

    def _without_adapter(self, prompts: list[list[int]], seed: int) -> list[Generation]:
        if isinstance(self.backend, VLLMBackend) and self.lora:
            saved, self.backend._lora = self.backend._lora, None
            try:
                return self.backend.generate(prompts, self.config.generation, seed=seed)
            finally:
                self.backend._lora = saved
        model = self.backend.model
        if hasattr(model, "disable_adapter"):
            with model.disable_adapter():
                return self.backend.generate(prompts, self.config.generation, seed=seed)
        raise RuntimeError("the SFT policy is no longer held by this engine (full fine-tuning reloads weights in place)")

    def sync(self, weights_dir: str) -> str:
        """Load the learner's newest weights: the LoRA adapter (a new adapter id), or a full checkpoint."""
        if isinstance(self.backend, VLLMBackend):
            if self.lora:
                self.backend.use_adapter(weights_dir)
            else:
                self.backend.reload_weights(weights_dir)
        else:
            self._sync_hf(weights_dir)
        self.weights = weights_dir
        return weights_dir

    def _sync_hf(self, weights_dir: str) -> None:
        if not self.lora:
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
