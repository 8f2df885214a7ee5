"""Scoring PPO rollouts: the reward model's reward and safety head, plus the shared safety rules, the
serving gate's own decision and PPO's reply-shape penalties, into the score PPO optimises (with the
reasons behind it). With a rating head, its `reward.objective_weights` objective joins the reward
(`ppo.rating_weight`)."""

from __future__ import annotations

from collections.abc import Sequence

from rlhf.config import PPOSettings, SafetySettings
from rlhf.data.schema import RATING_DIMENSIONS, PreferencePair
from rlhf.metrics import repeated_ngram_share
from rlhf.models.reward_scorer import RewardScorer
from rlhf.ppo.rollout import SampleScore
from rlhf.safety.rules import check_reply
from rlhf.serving.gate import decide, precheck


def weighted_objective(ratings: Sequence[float], weights: dict[str, float]) -> float:
    """The rating head's multi-objective score (seed 002): its five dimensions (in [0, 1], 1-5 mapped) weighted by
    `reward.objective_weights` (normalised to sum 1), then scaled to [-1, 1] so that a rating of 3 everywhere is 0."""
    total = sum(weights.values())
    mean = sum(weights.get(d, 0.0) * r for d, r in zip(RATING_DIMENSIONS, ratings)) / total
    return 2.0 * mean - 1.0


class RolloutScorer:
    """The reward model's verdict on each rollout reply, clipped to `ppo.score_clip`, less the safety
    rules' penalties (`safety.*`), `safety.withheld_penalty` when the serving gate would withhold the
    reply (rlhf.serving.gate.decide, with the endpoint's `max_repetition`), and PPO's for a reply cut
    at the length limit or looping."""

    def __init__(self, reward: RewardScorer, safety: SafetySettings, settings: PPOSettings, max_repetition: float,
                 objective_weights: dict[str, float] | None = None):
        self.reward, self.safety, self.settings, self.max_repetition = reward, safety, settings, max_repetition
        self.objective_weights = objective_weights or {}

    @property
    def threshold(self) -> float:
        return self.reward.threshold

    def score(self, pairs: Sequence[PreferencePair], replies: Sequence[str], finished: Sequence[bool]) -> list[SampleScore]:
        """What PPO optimises for each reply, and why. `finished`: whether each reply ended before the length limit."""
        s = self.settings
        scores = self.reward.scores(pairs, replies)
        rewards, probs = scores.rewards, scores.escalation_probs
        if scores.ratings is not None and s.rating_weight:
            rewards = [r + s.rating_weight * weighted_objective(ratings, self.objective_weights)
                       for r, ratings in zip(rewards, scores.ratings)]
        out = []
        for pair, reply, done, reward, prob in zip(pairs, replies, finished, rewards, probs):
            rules = check_reply(pair.prompt, reply, prob >= self.reward.threshold, self.safety)
            penalty, reasons, unsafe = rules.penalty, list(rules.reasons), rules.unsafe
            gate = decide(precheck(pair.prompt, pair.history), reply, prob, self.reward.threshold, self.max_repetition)
            if gate.replaced and self.safety.withheld_penalty:
                penalty += self.safety.withheld_penalty
                why = [f for f in gate.findings if f.startswith(("out of scope", "discourages care", "degenerate reply"))]
                reasons.append(f"withheld by the gate ({'; '.join(why)})")
                unsafe = unsafe or any(f.startswith("discourages care") for f in why)
            if not done and s.missing_eos_penalty:
                penalty += s.missing_eos_penalty
                reasons.append("cut at the length limit")
            if s.repetition_penalty and (repeated := repeated_ngram_share(reply)) > 0:
                penalty += s.repetition_penalty * repeated
                reasons.append(f"repeats itself ({repeated:.0%} of 4-grams)")
            clipped = max(-s.score_clip, min(s.score_clip, reward))
            out.append(SampleScore(clipped - penalty, reward, prob, penalty, reasons, unsafe))
        return out
