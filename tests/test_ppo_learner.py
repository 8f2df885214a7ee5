"""The PPO learner on the tiny model, in-process: its update, its weight export and a loss plugged in by name."""

import copy

import pytest
import torch

from rlhf.config import load_config
from rlhf.ppo.advantages import masked_mean
from rlhf.ppo.losses import PolicyLoss
from rlhf.ppo.registry import register_policy_loss
from rlhf.ppo.rollout import Experience

PROMPTS = [[1, 2, 3, 4], [5, 6, 7], [8, 9, 10, 11, 12], [13, 14]]
RESPONSES = [[20, 21, 22], [23], [24, 25], [26, 27, 28, 29]]  # different lengths: padding in every shape


def learner_for(tiny_path, *overrides):
    from rlhf.ppo.learner import PPOLearner

    config = load_config("tiny", ["ppo.epochs=1", "ppo.minibatch_size=4", "ppo.learning_rate=1e-3", "ppo.approx_kl_stop=null",
                                  *overrides])
    return PPOLearner(config, str(tiny_path))


def experience(learner, seed=0) -> Experience:
    rollout = learner.evaluate(PROMPTS, RESPONSES, with_reference=False)
    advantages = torch.randn(rollout.mask.shape, generator=torch.Generator().manual_seed(seed)) * rollout.mask
    return Experience(rollout.batch, rollout.logprobs, rollout.values, advantages, advantages + rollout.values)


def objective(learner, exp: Experience) -> float:
    """PPO's minibatch loss on `exp` at the learner's current weights (what `update` descends)."""
    rollout = learner.evaluate(PROMPTS, RESPONSES, with_reference=False)
    s = learner.settings
    ratio = torch.exp(rollout.logprobs - exp.old_logprobs)
    policy = masked_mean(torch.maximum(-exp.advantages * ratio, -exp.advantages * ratio.clamp(1 - s.clip_epsilon, 1 + s.clip_epsilon)),
                         exp.batch.response_mask)
    value = 0.5 * masked_mean((rollout.values - exp.returns) ** 2, exp.batch.response_mask)
    return float(policy + s.vf_coef * value)


@pytest.fixture(scope="module")
def updated(tiny_path):
    """A learner before and after one update on a fixed batch."""
    learner = learner_for(tiny_path)
    before = {k: v.detach().clone() for k, v in learner.policy.state_dict().items()}
    exp = experience(learner)
    loss_before = objective(learner, exp)
    metrics = learner.update(exp, torch.Generator().manual_seed(0))
    return learner, before, exp, loss_before, metrics


def test_an_update_lowers_the_loss_on_its_batch(updated):
    learner, _before, exp, loss_before, metrics = updated
    assert objective(learner, exp) < loss_before
    assert metrics["policy/epochs"] == 1.0 and metrics["grad_norm"] > 0
    assert {"loss/policy", "loss/value", "policy/clipfrac", "policy/approxkl"} <= set(metrics)


def test_the_ratio_moves_only_with_the_weights_no_dropout_noise(updated):
    """After an update the LoRA branch is live; train-mode log-probs (the update's) must equal eval-mode ones
    (the rollout's old log-probs) on the same weights, or every ratio carries dropout noise."""
    learner, *_ = updated
    batch = learner.collate(PROMPTS, RESPONSES)
    learner.policy.train()
    with torch.no_grad():
        train_mode, _, _ = learner.policy(batch, learner.device, with_values=False)
    eval_mode = learner.evaluate(PROMPTS, RESPONSES, with_reference=False).logprobs
    assert learner.config.model.lora.dropout > 0  # configured, and still off in the learner
    assert torch.allclose(train_mode * batch.response_mask, eval_mode, atol=1e-6)


def test_an_update_moves_only_the_lora_and_value_head_weights(updated):
    learner, before, _exp, _loss, _metrics = updated
    after = learner.policy.state_dict()
    changed = {k for k in before if not torch.equal(before[k], after[k])}
    assert changed and all("lora_" in k or k.startswith("value_head") for k in changed), sorted(changed)[:5]
    assert any("lora_B" in k for k in changed) and {"value_head.weight", "value_head.bias"} <= changed


def test_the_merged_weights_equal_peft_merge_and_unload(updated):
    from rlhf.ppo.learner import merged_state_dict

    learner = updated[0]
    ours = merged_state_dict(learner.policy.lm)
    theirs = copy.deepcopy(learner.policy.lm).merge_and_unload().state_dict()
    assert set(ours) == set(theirs)
    unmerged = {k.replace(".base_layer.", "."): v for k, v in learner.policy.lm.get_base_model().state_dict().items() if "lora_" not in k}
    assert sum(not torch.equal(ours[k], unmerged[k]) for k in ours) > 0  # the update's LoRA delta is in the merged weights
    for key, tensor in theirs.items():
        torch.testing.assert_close(ours[key], tensor, rtol=1e-5, atol=1e-6, msg=key)
    assert any("lora_" in k for k in learner.policy.state_dict())  # the trained model was not merged in place


def test_collation_right_pads_and_points_at_each_response_tokens_logits():
    from rlhf.ppo.rollout import collate_samples

    batch = collate_samples([[7, 8, 9], [5]], [[1, 2], [3, 4, 6]], pad_id=0)
    assert batch.input_ids.tolist() == [[7, 8, 9, 1, 2], [5, 3, 4, 6, 0]]
    assert batch.attention_mask.tolist() == [[1, 1, 1, 1, 1], [1, 1, 1, 1, 0]]
    assert batch.positions.tolist() == [[2, 3, 0], [0, 1, 2]]  # the logits at position p predict token p + 1
    assert batch.response_ids.tolist() == [[1, 2, 0], [3, 4, 6]] and batch.response_mask.tolist() == [[1, 1, 0], [1, 1, 1]]
    part = batch.rows(torch.tensor([1]))
    assert part.input_ids.shape == (1, 5) and part.response_ids.tolist() == [[3, 4, 6]]


CALLS: list[int] = []


@register_policy_loss("test_unclipped")
def unclipped_policy_gradient(logprobs, old_logprobs, advantages, mask, settings) -> PolicyLoss:
    """A vanilla importance-weighted policy gradient: what a reader adds is this one function."""
    CALLS.append(int(mask.sum()))
    return PolicyLoss(masked_mean(-advantages * torch.exp(logprobs - old_logprobs), mask), 0.0, 0.0)


def test_a_registered_policy_loss_is_used_when_the_config_names_it(tiny_path):
    learner = learner_for(tiny_path, "ppo.policy_loss=test_unclipped")
    exp = experience(learner, seed=1)
    CALLS.clear()
    metrics = learner.update(exp, torch.Generator().manual_seed(0))
    assert CALLS == [10]  # one minibatch of all four rows: 3 + 1 + 2 + 4 response tokens
    assert metrics["policy/clipfrac"] == 0.0


def test_an_unknown_variant_name_is_a_config_error_before_any_model_loads(tiny_path):
    from rlhf.errors import ConfigError

    with pytest.raises(ConfigError, match="ppo.advantage_estimator: 'gea' is not registered"):
        learner_for(tiny_path, "ppo.advantage_estimator=gea")
