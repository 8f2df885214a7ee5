"""PPO's math against values worked out by hand."""

import math

import pytest
import torch

from rlhf.ppo.advantages import explained_variance, gae, token_rewards, whiten
from rlhf.ppo.kl import AdaptiveKLController, kl_k1, kl_k3, token_kl
from rlhf.ppo.losses import entropy_from_logits, policy_loss, value_loss

T = torch.tensor


def test_kl_estimators():
    logp, ref = T([-1.0, -0.5]), T([-2.0, -0.5])
    assert kl_k1(logp, ref).tolist() == pytest.approx([1.0, 0.0])
    # k3: log r = ref - logp = -1 -> e^-1 - 1 + 1 = 0.36788; identical log-probs give 0
    assert kl_k3(logp, ref).tolist() == pytest.approx([math.exp(-1), 0.0], abs=1e-6)
    assert kl_k3(T([-2.0]), T([-1.0])).item() == pytest.approx(math.e - 2, abs=1e-6)  # never negative
    assert token_kl(logp, ref, "k3").tolist() == kl_k3(logp, ref).tolist()


def test_kl_estimators_are_bounded_per_token_as_in_the_references():
    logp, ref = T([-20.0, -1.0, -1.0]), T([-5.0, -30.0, -1.5])  # log ratios ref - logp: 15, -29, -0.5
    assert kl_k3(logp, ref).tolist() == pytest.approx([10.0, 10.0, math.exp(-0.5) - 1 + 0.5], abs=1e-6)
    assert kl_k1(logp, ref).tolist() == pytest.approx([-10.0, 10.0, 0.5])
    assert torch.isfinite(kl_k3(T([-100.0]), T([0.0]))).all()  # exp(100) would overflow to inf


def test_token_rewards_put_the_score_on_the_last_real_token():
    rewards = token_rewards(T([2.0, -1.0]), T([[0.5, 1.0, 0.0], [0.2, 0.0, 0.0]]), T([[1.0, 1.0, 0.0], [1.0, 0.0, 0.0]]), 0.1)
    assert rewards.tolist() == [pytest.approx([-0.05, 1.9, 0.0]), pytest.approx([-1.02, 0.0, 0.0])]


def test_gae_by_hand():
    rewards, values, mask = T([[0.0, 1.0, 7.0]]), T([[0.5, 0.2, 9.0]]), T([[1.0, 1.0, 0.0]])  # last column is padding
    adv, ret = gae(rewards, values, mask, gamma=1.0, lam=0.5)
    # t=1: delta = 1 + 0 - 0.2 = 0.8;  t=0: delta = 0 + 0.2 - 0.5 = -0.3, A = -0.3 + 0.5 * 0.8 = 0.1
    assert adv.tolist()[0] == pytest.approx([0.1, 0.8, 0.0])
    assert ret.tolist()[0] == pytest.approx([0.6, 1.0, 0.0])
    adv, _ = gae(rewards, values, mask, gamma=0.9, lam=0.95)
    assert adv.tolist()[0] == pytest.approx([-0.32 + 0.9 * 0.95 * 0.8, 0.8, 0.0])


def test_whitening_ignores_padding():
    out = whiten(T([[1.0, 2.0, 3.0, 100.0]]), T([[1.0, 1.0, 1.0, 0.0]]))
    assert out.tolist()[0] == pytest.approx([-1.0, 0.0, 1.0, 0.0], abs=1e-4)  # unbiased variance of 1,2,3 is 1
    kept = whiten(T([[1.0, 2.0, 3.0]]), T([[1.0, 1.0, 1.0]]), shift_mean=False)
    assert kept.tolist()[0] == pytest.approx([1.0, 2.0, 3.0], abs=1e-4)


def test_clipped_policy_loss():
    logp = T([[math.log(1.5), math.log(0.5), 5.0]])
    out = policy_loss(logp, T([[0.0, 0.0, 0.0]]), T([[1.0, 1.0, 1.0]]), T([[1.0, 1.0, 0.0]]), clip_epsilon=0.2)
    # token 1: ratio 1.5 -> max(-1.5, -1.2) = -1.2 (clipped); token 2: ratio 0.5 -> max(-0.5, -0.8) = -0.5
    assert out.loss.item() == pytest.approx(-0.85)
    assert out.clipfrac == pytest.approx(0.5)
    assert out.approxkl == pytest.approx(0.5 * (math.log(1.5) ** 2 + math.log(0.5) ** 2) / 2)
    negative = policy_loss(T([[math.log(0.5)]]), T([[0.0]]), T([[-2.0]]), T([[1.0]]), 0.2)
    assert negative.loss.item() == pytest.approx(1.6) and negative.clipfrac == 1.0  # max(1.0, 0.8*2)


def test_clipped_value_loss():
    loss, clipfrac = value_loss(T([[1.0, 0.1]]), T([[0.0, 0.0]]), T([[0.5, 1.0]]), T([[1.0, 1.0]]), clip_range=0.2)
    # token 1: max((1-0.5)^2, (0.2-0.5)^2) = 0.25; token 2: within the clip, 0.81 -> 0.5 * mean = 0.265
    assert loss.item() == pytest.approx(0.265) and clipfrac == 0.0
    loss, clipfrac = value_loss(T([[1.0]]), T([[0.0]]), T([[2.0]]), T([[1.0]]), clip_range=0.2)
    assert loss.item() == pytest.approx(0.5 * 1.8**2) and clipfrac == 1.0  # the clipped value 0.2 is further


def test_entropy_and_explained_variance():
    assert entropy_from_logits(torch.zeros(2, 4)).tolist() == pytest.approx([math.log(4)] * 2)
    mask = T([[1.0, 1.0, 1.0]])
    assert explained_variance(T([[1.0, 2.0, 3.0]]), T([[1.0, 2.0, 3.0]]), mask) == pytest.approx(1.0)
    assert explained_variance(T([[2.0, 2.0, 2.0]]), T([[1.0, 2.0, 3.0]]), mask) == pytest.approx(0.0)


def test_adaptive_kl_controller():
    kl = AdaptiveKLController(0.1, target=6.0, horizon=10_000, ceiling=10.0, raise_factor=1.5)
    assert kl.update(12.0, 8) == pytest.approx(0.1 * (1 + 0.2 * 8 / 10_000) * 1.5)  # error capped at 0.2, then over 10
    assert kl.update(3.0, 8) == pytest.approx(0.1 * (1 + 0.2 * 8 / 10_000) * 1.5 * (1 - 0.2 * 8 / 10_000))
    fixed = AdaptiveKLController(0.1, target=None, horizon=10_000, ceiling=10.0, raise_factor=1.5)
    assert fixed.update(5.0, 8) == 0.1 and fixed.update(11.0, 8) == pytest.approx(0.15)


def test_build_targets_folds_kl_into_the_reward_and_whitens():
    from rlhf.config import PPOSettings
    from rlhf.ppo.experience import build_targets
    from rlhf.ppo.rollout import RolloutBatch, SampleScore, collate_samples

    batch = collate_samples([[5], [6]], [[1, 2], [3]], pad_id=0)
    mask = batch.response_mask
    assert mask.tolist() == [[1.0, 1.0], [1.0, 0.0]]
    evaluated = RolloutBatch(batch, T([[-1.0, -1.0], [-2.0, 0.0]]), torch.zeros(2, 2), T([[1.0, 3.0], [2.0, 0.0]]))
    ref = T([[-1.5, -1.0], [-2.0, 0.0]])
    scores = [SampleScore(1.0, 1.2, 0.1, 0.0), SampleScore(-1.0, -0.5, 0.9, 2.0, ["missed escalation"], True)]
    settings = PPOSettings(gamma=1.0, lam=1.0, kl_estimator="k1", whiten_advantages=False)
    exp, metrics = build_targets(evaluated, ref, scores, beta=0.1, settings=settings)
    # row 0: kl [0.5, 0] -> rewards [-0.05, 1.0]; with V = 0, gamma = lam = 1 the returns are the reward-to-go
    assert exp.returns.tolist()[0] == pytest.approx([0.95, 1.0])
    assert exp.returns.tolist()[1] == pytest.approx([-1.0, 0.0])
    assert exp.batch is batch and exp.old_logprobs is evaluated.logprobs  # collated once, handed on as it is
    assert metrics["objective/kl"] == pytest.approx(0.25) and metrics["objective/reward"] == pytest.approx(0.35)
    assert metrics["safety/unsafe_rate"] == 0.5 and metrics["objective/entropy"] == pytest.approx(2.0)
    whitened, _ = build_targets(evaluated, ref, scores, 0.1, PPOSettings(gamma=1.0, lam=1.0))
    adv = whitened.advantages[mask.bool()]
    assert adv.mean().item() == pytest.approx(0.0, abs=1e-5) and adv.std().item() == pytest.approx(1.0, abs=1e-3)


def test_safety_guard_needs_k_steps_in_a_row():
    from rlhf.ppo.experience import SafetyGuard

    guard = SafetyGuard(bound=0.5, patience=3)
    assert [guard.observe(r) for r in (0.6, 0.7, 0.2, 0.6, 0.6, 0.9)] == [False, False, False, False, False, True]


def test_win_rate_counts_ties_apart():
    from rlhf.metrics import win_rate

    assert win_rate([1.0, 2.0, 0.5, 3.0], [0.0, 2.0, 1.0, 1.0], tie_margin=1e-6) == {"win": 0.5, "tie": 0.25, "loss": 0.25}
    with pytest.raises(ValueError):
        win_rate([], [], tie_margin=1e-6)


# Several rows of different lengths: a loss that averaged per sequence first, or a GAE that let one row's
# padding leak into another's, gives other numbers than these.
MASK = T([[1.0, 1.0, 1.0], [1.0, 0.0, 0.0]])


def test_policy_loss_is_a_token_mean_over_the_whole_minibatch():
    logp = T([[math.log(1.1), 0.0, 0.0], [math.log(1.5), 9.0, 9.0]])
    adv = T([[1.0, 2.0, -1.0], [1.0, 5.0, 5.0]])
    out = policy_loss(logp, torch.zeros(2, 3), adv, MASK, clip_epsilon=0.2)
    # per token: -1.1, -2, 1 (row 0); max(-1.5, -1.2) = -1.2 (row 1, clipped); padding ignored
    assert out.loss.item() == pytest.approx((-1.1 - 2 + 1 - 1.2) / 4)
    sequence_mean = ((-1.1 - 2 + 1) / 3 + -1.2) / 2
    assert out.loss.item() != pytest.approx(sequence_mean)
    assert out.clipfrac == pytest.approx(0.25)  # one of the four real tokens used its clipped term


def test_value_loss_is_a_token_mean_over_the_whole_minibatch():
    values, returns = T([[1.0, 1.0, 1.0], [3.0, 7.0, 7.0]]), T([[0.0, 1.0, 1.0], [1.0, 0.0, 0.0]])
    loss, clipfrac = value_loss(values, values.clone(), returns, MASK, clip_range=10.0)
    # squared errors 1, 0, 0 and 4 over four real tokens; a per-sequence mean would give 0.5 * (1/3 + 4) / 2
    assert loss.item() == pytest.approx(0.5 * 5 / 4) and clipfrac == 0.0


def test_gae_with_discounting_on_rows_of_different_lengths():
    rewards, values = T([[0.0, 0.0, 1.0], [2.0, 5.0, 5.0]]), T([[0.5, 0.4, 0.3], [1.0, 9.0, 9.0]])
    adv, ret = gae(rewards, values, MASK, gamma=0.9, lam=0.8)
    d2 = 1.0 - 0.3  # row 0, last token: the episode ends, no next value
    d1 = 0.0 + 0.9 * 0.3 - 0.4
    d0 = 0.0 + 0.9 * 0.4 - 0.5
    a2, a1 = d2, d1 + 0.72 * d2
    assert adv[0].tolist() == pytest.approx([d0 + 0.72 * a1, a1, a2])
    assert adv[1].tolist() == pytest.approx([2.0 - 1.0, 0.0, 0.0])  # row 1 ends at its first token: padding never leaks in
    assert ret[1].tolist() == pytest.approx([2.0, 0.0, 0.0]) and ret[0, 2].item() == pytest.approx(1.0)


def test_advantage_estimators_and_policy_losses_are_looked_up_by_config_name():
    from rlhf.config import PPOSettings
    from rlhf.errors import ConfigError
    from rlhf.ppo.registry import ADVANTAGE_ESTIMATORS, variants

    estimator, loss = variants("reinforce", "clipped")
    rewards = T([[0.0, 0.0, 1.0], [2.0, 5.0, 5.0]])
    adv, ret = estimator(rewards, torch.full((2, 3), 7.0), MASK, PPOSettings(gamma=0.5))
    assert ret.tolist() == [pytest.approx([0.25, 0.5, 1.0]), pytest.approx([2.0, 0.0, 0.0])]  # discounted reward-to-go
    assert adv.tolist() == ret.tolist()  # no critic: the values play no part
    assert loss(T([[0.0]]), T([[0.0]]), T([[1.0]]), T([[1.0]]), PPOSettings()).loss.item() == pytest.approx(-1.0)
    assert "gae" in ADVANTAGE_ESTIMATORS.names()
    with pytest.raises(ConfigError, match="ppo.policy_loss: 'clipd' is not registered \\(did you mean 'clipped'\\?\\)"):
        variants("gae", "clipd")


def test_the_default_kl_horizon_moves_beta_within_a_demo_run():
    from rlhf.config import load_config

    s = load_config("default").ppo
    for kl, direction in ((s.target_kl * 3, 1), (s.target_kl / 3, -1)):  # KL well above / below the target, under the ceiling
        ctl = AdaptiveKLController(s.beta, s.target_kl, s.kl_horizon, s.kl_ceiling, s.kl_raise_factor)
        for _ in range(s.steps):
            ctl.update(min(kl, s.kl_ceiling), s.prompts_per_step)
        assert direction * (ctl.beta / s.beta - 1) > 0.10  # more than 10% over the demo's steps


def test_the_rating_heads_weighted_objective_joins_the_reward():
    """Seed 002's weighting of the five rating dimensions, scaled to [-1, 1]; a reward model with a rating head adds it."""
    from types import SimpleNamespace

    from rlhf.config import PPOSettings, RewardSettings, SafetySettings
    from rlhf.models.reward_scoring import Scores
    from rlhf.ppo.scoring import RolloutScorer, weighted_objective

    weights = RewardSettings().objective_weights  # accuracy .30, safety .35, empathy 0, scope .25, clarity .10
    assert weighted_objective([0.5] * 5, weights) == pytest.approx(0.0)  # a 3 everywhere
    assert weighted_objective([1.0, 0.0, 1.0, 0.0, 0.0], weights) == pytest.approx(2 * 0.30 - 1)  # accuracy and empathy only
    assert weighted_objective([1.0] * 5, {"empathy": 2.0}) == pytest.approx(1.0)  # normalised to sum 1

    class Heads(SimpleNamespace):  # a reward model's three heads, as RewardScorer.scores returns them
        def scores(self, pairs, replies):
            return Scores([0.2, 0.2], [0.0, 0.0], self.ratings)

    pair = SimpleNamespace(prompt="I have a mild rash.", history=())
    no_rules = SafetySettings(missed_escalation_penalty=0, dosage_advice_penalty=0, over_escalation_penalty=0, withheld_penalty=0)
    reply = "Try a fragrance-free moisturiser and tell us if it spreads."
    for ratings, rating_weight, expected in (([[1.0] * 5, [0.0] * 5], 0.5, [0.7, -0.3]), (None, 0.5, [0.2, 0.2]),
                                             ([[1.0] * 5, [0.0] * 5], 0.0, [0.2, 0.2])):
        scorer = RolloutScorer(Heads(ratings=ratings, threshold=0.5), no_rules, PPOSettings(rating_weight=rating_weight), 0.25,
                               weights)
        assert [s.score for s in scorer.score([pair, pair], [reply, reply], [True, True])] == pytest.approx(expected)
    with pytest.raises(ValueError, match="unknown rating dimension"):
        RewardSettings(objective_weights={"kindness": 1.0})
