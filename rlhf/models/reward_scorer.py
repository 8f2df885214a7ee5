"""A saved reward model ready to score replies: the prompt format and normalisation it was trained with.

The one reward-model reader the reward actor, the endpoint's safety scorer, the sweep's judge and the
gate check share. It knows nothing of PPO: what PPO adds to a score (clipping, penalties) is
rlhf/ppo/scoring.py's.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from rlhf.data.formatting import encode_prompt, encode_response
from rlhf.data.schema import PatientMessage, PreferencePair
from rlhf.models.reward_model import load_reward_model
from rlhf.models.reward_scoring import Scores, score_sequences


SERVING_BATCH = 8  # replies scored in one forward pass where no training batch applies (the endpoint, the gate check)


class RewardScorer:
    """A saved ClinicalRewardModel, with the prompt format and normalisation it was trained with.
    `max_prompt_tokens`: serving may pass longer messages than training saw, and the safety head
    must read their end; None keeps the training budget."""

    def __init__(self, model_dir: str | Path, batch_size: int, device: str = "cpu", bf16: bool = False,
                 max_prompt_tokens: int | None = None):
        from transformers import AutoTokenizer

        self.model, self.meta = load_reward_model(model_dir)
        self.model.to(device)
        self.tokenizer = AutoTokenizer.from_pretrained(self.meta.base_model)
        extra = self.meta.extra
        self.system_prompt, self.threshold = extra["system_prompt"], extra["safety_threshold"]
        self.max_prompt, self.max_response = max_prompt_tokens or extra["max_prompt_tokens"], extra["max_response_tokens"]
        self.batch_size, self.device, self.bf16 = batch_size, device, bf16

    def raw_scores(self, pairs: Sequence[PreferencePair | PatientMessage], replies: Sequence[str]) -> tuple[list[float], list[float]]:
        """(normalised rewards, escalation probabilities) of each reply to its pair's (or message's) prompt."""
        scores = self.scores(pairs, replies)
        return scores.rewards, scores.escalation_probs

    def scores(self, pairs: Sequence[PreferencePair | PatientMessage], replies: Sequence[str]) -> Scores:
        """Every head's scores: normalised rewards, escalation probabilities and, with a rating head, the five ratings in [0, 1]."""
        prompts = [encode_prompt(self.tokenizer, self.system_prompt, p.context, p.history, p.prompt, self.max_prompt).input_ids
                   for p in pairs]
        seqs = [prompt + encode_response(self.tokenizer, reply, self.max_response) for prompt, reply in zip(prompts, replies)]
        scores = score_sequences(self.model, seqs, self.tokenizer.pad_token_id, self.batch_size, self.device, self.bf16,
                                 [len(p) for p in prompts])
        rewards = [(r - self.meta.reward_mean) / self.meta.reward_std for r in scores.rewards]
        return Scores(rewards, scores.escalation_probs, scores.ratings)
