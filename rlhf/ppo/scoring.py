"""Scoring PPO rollouts: the reward model's reward and safety head, plus the shared safety rules."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import torch

from rlhf.config import SafetySettings
from rlhf.data.formatting import encode_prompt, encode_response
from rlhf.data.schema import PatientMessage, PreferencePair
from rlhf.metrics import repeated_ngram_share
from rlhf.models.reward_model import load_reward_model
from rlhf.models.reward_scoring import score_sequences
from rlhf.ppo.rollout import SampleScore
from rlhf.safety.rules import check_reply


class RewardScorer:
    """A saved ClinicalRewardModel, with the prompt format and normalisation it was trained with."""

    def __init__(self, model_dir: str | Path, safety: SafetySettings, score_clip: float, missing_eos_penalty: float = 0.0,
                 repetition_penalty: float = 0.0, batch_size: int = 8, device: str = "cpu", bf16: bool = False,
                 max_prompt_tokens: int | None = None):
        from transformers import AutoTokenizer

        self.model, self.meta = load_reward_model(model_dir)
        self.model.to(device)
        self.tokenizer = AutoTokenizer.from_pretrained(self.meta.base_model)
        extra = self.meta.extra
        self.system_prompt, self.threshold = extra["system_prompt"], extra["safety_threshold"]
        # Serving may pass longer messages than training saw: the safety head must read their end.
        self.max_prompt, self.max_response = max_prompt_tokens or extra["max_prompt_tokens"], extra["max_response_tokens"]
        self.safety, self.score_clip = safety, score_clip
        self.missing_eos_penalty, self.repetition_penalty = missing_eos_penalty, repetition_penalty
        self.batch_size = batch_size
        self.device, self.bf16 = device, bf16

    def raw_scores(self, pairs: Sequence[PreferencePair | PatientMessage], replies: Sequence[str]) -> tuple[list[float], list[float]]:
        """(normalised rewards, escalation probabilities) of each reply to its pair's (or message's) prompt."""
        prompts = [encode_prompt(self.tokenizer, self.system_prompt, p.context, p.history, p.prompt, self.max_prompt).input_ids
                   for p in pairs]
        seqs = [prompt + encode_response(self.tokenizer, reply, self.max_response) for prompt, reply in zip(prompts, replies)]
        scores = score_sequences(self.model, seqs, self.tokenizer.pad_token_id, self.batch_size, self.device, self.bf16,
                                 [len(p) for p in prompts])
        rewards = [(r - self.meta.reward_mean) / self.meta.reward_std for r in scores.rewards]
        return rewards, scores.escalation_probs

    @torch.no_grad()
    def score(self, pairs: Sequence[PreferencePair], replies: Sequence[str], finished: Sequence[bool]) -> list[SampleScore]:
        """What PPO optimises for each reply, and why. `finished`: whether each reply ended before the length limit."""
        rewards, probs = self.raw_scores(pairs, replies)
        out = []
        for pair, reply, done, reward, prob in zip(pairs, replies, finished, rewards, probs):
            rules = check_reply(pair.prompt, reply, prob >= self.threshold, self.safety)
            penalty, reasons = rules.penalty, list(rules.reasons)
            if not done and self.missing_eos_penalty:
                penalty += self.missing_eos_penalty
                reasons.append("cut at the length limit")
            if self.repetition_penalty and (repeated := repeated_ngram_share(reply)) > 0:
                penalty += self.repetition_penalty * repeated
                reasons.append(f"repeats itself ({repeated:.0%} of 4-grams)")
            clipped = max(-self.score_clip, min(self.score_clip, reward))
            out.append(SampleScore(clipped - penalty, reward, prob, penalty, reasons, rules.unsafe))
        return out
