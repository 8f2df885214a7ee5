"""The frozen reference policy (the SFT policy) as a separate model, for `ppo.reference: actor`."""

from __future__ import annotations

import torch

from rlhf.config import Config
from rlhf.models.loading import load_causal_lm
from rlhf.ppo.policy import PolicyWithValue
from rlhf.ppo.rollout import collate_samples


class ReferencePolicy:
    def __init__(self, config: Config, sft_dir: str, device: str = "cpu", adapter_dir: str | None = None):
        """`adapter_dir`: a LoRA adapter merged into the SFT weights (to score an adapter policy)."""
        settings = config.model.model_copy(update={"name": sft_dir})
        loaded = load_causal_lm(settings, trainable=False, device=device)
        if adapter_dir is not None:
            from peft import PeftModel

            loaded.model = PeftModel.from_pretrained(loaded.model, adapter_dir).merge_and_unload().eval()
        self.tokenizer, self.device = loaded.tokenizer, torch.device(device)
        self.policy = PolicyWithValue(loaded.model, loaded.model.config.hidden_size).eval()
        self.batch_size = config.ppo.minibatch_size

    @torch.no_grad()
    def logprobs(self, prompts: list[list[int]], responses: list[list[int]]) -> torch.Tensor:
        batch = collate_samples(prompts, responses, self.tokenizer.pad_token_id)
        parts = []
        for start in range(0, len(prompts), self.batch_size):
            lp, _, _ = self.policy(batch.rows(slice(start, start + self.batch_size)), self.device, with_values=False)
            parts.append(lp.cpu())
        return torch.cat(parts) * batch.response_mask
