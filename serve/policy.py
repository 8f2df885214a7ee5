"""Policy deployment: generates replies for both A/B arms (vLLM AsyncLLM, or HF generate as the fallback).

With a LoRA policy one model serves both arms: the baseline weights for the SFT arm, the policy's
adapter on top for the RLHF arm (veRL's reference-as-adapter-disabled idea, applied to serving).
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from pathlib import Path
from typing import Any

from ray import serve

from rlhf.config import Config, GenerationSettings
from rlhf.generation import Generation

log = logging.getLogger("ray.serve")
WARMUP_PROMPT = [1, 2, 3, 4]  # any token ids: only the one-time costs matter


def is_adapter(folder: str | None) -> bool:
    return folder is not None and (Path(folder) / "adapter_config.json").is_file()


def generation_settings(config: Config) -> GenerationSettings:
    """The config's one decoding setting: what PPO trained on and the evaluation judged."""
    return config.generation


@serve.deployment(name="policy")
class PolicyModel:
    async def __init__(self, config: dict[str, Any], model_dir: str, adapter_dir: str | None, gpu_share: float):
        import torch

        from rlhf.models.loading import pick_device

        self.config = Config.model_validate(config)
        s = self.config.serve
        torch.set_num_threads(s.policy.threads or max(1, int(s.policy.cpus)))
        self.settings = generation_settings(self.config)
        self.backend_name = s.backend
        self.adapter = adapter_dir is not None
        if s.backend == "vllm":
            from rlhf.generation import AsyncVLLMBackend

            # the adapter's own rank (vLLM sizes its LoRA slots by it); without one, no adapter is ever loaded
            rank = json.loads((Path(adapter_dir) / "adapter_config.json").read_text())["r"] if adapter_dir else self.config.model.lora.r
            device_share = gpu_share if pick_device() == "cuda" and 0 < gpu_share < 1 else None
            self.backend = AsyncVLLMBackend(model_dir, adapter_dir, s.max_prompt_tokens + self.config.generation.max_new_tokens, self.config.runtime.seed,
                                            rank, device_share, self.config.generation.vllm_enforce_eager,
                                            self.config.generation.vllm_cpu_kv_cache_gib, s.vllm_dtype)
        else:
            from rlhf.generation import HFBackend

            self.backend = HFBackend.load(self.config.model, model_dir, adapter_dir, pick_device())
            self._lock = asyncio.Lock()  # HF generate runs one batch at a time
        # The first request through each arm pays one-time costs (vLLM loads the adapter, first kernels):
        # pay them here, before the replica takes traffic, not inside a patient's gate timeout.
        started = time.perf_counter()
        for adapter in (True, False) if self.adapter else (False,):
            await self.generate(WARMUP_PROMPT, f"warmup-{adapter}", adapter, max_new_tokens=4)
        log.info("policy ready: %s backend, %s; warm-up %.1f s", s.backend,
                 "adapter for the RLHF arm" if self.adapter else "one set of weights", time.perf_counter() - started)

    async def generate(self, prompt: list[int], request_id: str, adapter: bool, max_new_tokens: int | None = None) -> Generation:
        """One reply; `adapter` picks the RLHF policy (True) or the baseline it was trained from."""
        settings = self.settings if max_new_tokens is None else self.settings.model_copy(update={"max_new_tokens": max_new_tokens})
        if self.backend_name == "vllm":
            return await self.backend.generate(prompt, settings, request_id, adapter and self.adapter)
        async with self._lock:
            return await asyncio.to_thread(self._hf_generate, prompt, adapter and self.adapter, settings)

    def _hf_generate(self, prompt: list[int], adapter: bool, settings: GenerationSettings) -> Generation:
        return self.backend.generate([prompt], settings, adapter=adapter)[0]

    def ping(self) -> str:
        return self.backend_name
