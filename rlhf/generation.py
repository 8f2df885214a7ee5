"""Generation backends behind one interface, shared by the rollout actor and the serving endpoint.

`HFBackend` runs Hugging Face `generate` on a loaded model. The vLLM backend (continuous batching,
the fast path) implements the same `GenerationBackend` protocol.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from rlhf.config import GenerationSettings


@dataclass(frozen=True)
class Generation:
    text: str
    token_ids: list[int]
    # log pi(token | prefix) for each generated token under the sampling distribution's model.
    logprobs: list[float]
    finished: bool  # ended with the end-of-turn token rather than the length limit


class GenerationBackend(Protocol):
    def generate(self, prompts: Sequence[list[int]], settings: GenerationSettings, seed: int | None = None) -> list[Generation]:
        """One generation per prompt (prompts are token ids from rlhf.data.formatting)."""
        ...


class HFBackend:
    """Batched `model.generate` with left padding; returns token log-probs of what it sampled."""

    def __init__(self, model, tokenizer):
        self.model, self.tokenizer = model, tokenizer

    def generate(self, prompts: Sequence[list[int]], settings: GenerationSettings, seed: int | None = None) -> list[Generation]:
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
