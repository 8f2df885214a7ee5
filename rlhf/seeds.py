"""Offsets from `runtime.seed`, one per random draw, in one place: each draw gets its own stream, so
changing how one sample is drawn leaves the others as they were, and no two draws share a seed."""

SFT_VALIDATION = 1  # the SFT job's held-out examples
TEST_PROMPTS = 2  # held-out test prompts (PPO's before/after check and jobs/evaluate.py)
SWEEP_VALIDATION = 3  # a sweep trial's validation prompts
PREFERENCE_VALIDATION = 4  # the DPO/IPO/KTO job's held-out pairs
ANNOTATION_ORDER = 1  # which arm's reply an annotator sees first (its own generator, apart from the data draws)
PPO_EVAL_GENERATION = 10_000  # sampling in PPO's held-out check, apart from every rollout step's seed (runtime.seed + step)
EVALUATION_GENERATION = 20_000  # sampling in jobs/evaluate.py
SWEEP_GENERATION = 30_000  # sampling in a sweep trial's objective
