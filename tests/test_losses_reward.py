import math

import pytest
import torch

from rlhf.losses.reward import (
    bradley_terry_loss,
    preference_probability,
    rating_loss,
    reward_model_loss,
    safety_loss,
)
from rlhf.losses.sft import IGNORE_INDEX, masked_lm_loss, response_labels
from rlhf.models.pooling import last_token_index, last_token_pool


def test_the_documented_worked_example():
    # sigma(2.8 - 0.5) = sigma(2.3) = 0.909: the model is 90.9% confident the physician prefers A
    p = preference_probability(torch.tensor([2.8]), torch.tensor([0.5]))
    assert p.item() == pytest.approx(0.9089, abs=1e-4)
    assert bradley_terry_loss(torch.tensor([2.8]), torch.tensor([0.5])).item() == pytest.approx(-math.log(0.908877), abs=1e-5)


def test_bradley_terry_by_hand():
    rc, rr = torch.tensor([1.0, 0.0, -2.0]), torch.tensor([0.0, 0.0, 1.0])
    # -log sigma(1) = 0.313262, -log sigma(0) = 0.693147, -log sigma(-3) = 3.048587
    assert bradley_terry_loss(rc, rr).item() == pytest.approx((0.313262 + 0.693147 + 3.048587) / 3, abs=1e-5)
    # stays finite for huge margins
    assert bradley_terry_loss(torch.tensor([-200.0]), torch.tensor([200.0])).item() == pytest.approx(400.0, rel=1e-6)


def test_safety_cross_entropy_and_the_combined_loss():
    logits = torch.tensor([[2.0, 0.0], [0.0, 1.0]])
    labels = torch.tensor([0, 1])
    # CE = mean(log(1 + e^-2), log(1 + e^-1)) = mean(0.126928, 0.313262)
    ce = (0.126928 + 0.313262) / 2
    assert safety_loss(logits, labels).item() == pytest.approx(ce, abs=1e-5)
    out = reward_model_loss(torch.tensor([2.8]), torch.tensor([0.5]), logits[:1], labels[:1], safety_weight=2.0)
    assert out.preference.item() == pytest.approx(0.095545, abs=1e-5)
    assert out.safety.item() == pytest.approx(0.126928, abs=1e-5)
    assert out.total.item() == pytest.approx(0.095545 + 2.0 * 0.126928, abs=1e-5)
    assert out.ratings is None


def test_rating_loss():
    ratings = torch.tensor([[5, 1, 3, 5, 5]])  # mapped to [1, 0, 0.5, 1, 1]
    predicted = torch.tensor([[1.0, 0.0, 0.5, 1.0, 0.5]])
    assert rating_loss(predicted, ratings).item() == pytest.approx(0.25 / 5)


def test_sft_masks_the_prompt():
    assert response_labels(3, [7, 8, 9, 10, 11]) == [IGNORE_INDEX] * 3 + [10, 11]
    vocab = 4
    logits = torch.zeros(1, 4, vocab)  # uniform: every learned token costs log(4)
    labels = torch.tensor([[IGNORE_INDEX, IGNORE_INDEX, 2, 3]])
    total, count = masked_lm_loss(logits, labels)
    assert count.item() == 2 and total.item() == pytest.approx(2 * math.log(4), abs=1e-6)
    logits[0, 1, 2] = 10.0  # position 1 predicts token 2 almost surely
    total, _ = masked_lm_loss(logits, labels)
    assert total.item() == pytest.approx(math.log(4) + math.log(1 + 3 * math.exp(-10)), abs=1e-5)


def test_pooling_with_left_and_right_padding():
    hidden = torch.arange(2 * 5 * 1, dtype=torch.float).reshape(2, 5, 1)
    right = torch.tensor([[1, 1, 1, 0, 0], [1, 1, 1, 1, 1]])
    left = torch.tensor([[0, 0, 1, 1, 1], [0, 1, 1, 1, 1]])
    assert last_token_index(right).tolist() == [2, 4]
    assert last_token_index(left).tolist() == [4, 4]
    assert last_token_pool(hidden, right)[:, 0].tolist() == [2.0, 9.0]
    assert last_token_pool(hidden, left)[:, 0].tolist() == [4.0, 9.0]
    with pytest.raises(ValueError, match="no real token"):
        last_token_pool(hidden, torch.tensor([[0, 0, 0, 0, 0], [1, 1, 1, 1, 1]]))


def test_pooling_ignores_a_pad_token_equal_to_eos():
    # eos (=pad, id 2) closes the response: pooling must land on it, not on the token before
    input_ids = torch.tensor([[5, 6, 2, 2, 2]])
    mask = torch.tensor([[1, 1, 1, 0, 0]])
    assert input_ids[0, last_token_index(mask)[0]].item() == 2 and last_token_index(mask).item() == 2


def test_prompt_end_pooling_with_left_and_right_padding():
    from rlhf.models.pooling import pool_at, prompt_end_index

    hidden = torch.arange(2 * 6, dtype=torch.float).reshape(2, 6, 1)
    right = torch.tensor([[1, 1, 1, 1, 0, 0], [1, 1, 1, 1, 1, 1]])
    left = torch.tensor([[0, 0, 1, 1, 1, 1], [1, 1, 1, 1, 1, 1]])
    prompts = torch.tensor([2, 3])  # tokens of each row's prompt
    assert prompt_end_index(right, prompts).tolist() == [1, 2]
    assert prompt_end_index(left, prompts).tolist() == [3, 2]
    assert pool_at(hidden, prompt_end_index(left, prompts))[:, 0].tolist() == [3.0, 8.0]


def test_safety_head_reads_the_message_not_the_reply():
    from rlhf.models.reward_model import ClinicalRewardModel

    class Echo(torch.nn.Module):  # hidden state = the token id, so pooling positions are visible
        def forward(self, input_ids, attention_mask):
            return type("Out", (), {"last_hidden_state": input_ids[..., None].float().repeat(1, 1, 4)})()

    model = ClinicalRewardModel(Echo(), hidden_size=4)
    ids = torch.tensor([[7, 8, 9, 1, 2], [7, 8, 9, 5, 6]])  # same 3-token message, different replies
    mask = torch.ones_like(ids)
    out = model(ids, mask, torch.tensor([3, 3]))
    assert torch.equal(out.safety_logits[0], out.safety_logits[1])  # the replies do not move it
    assert out.reward[0] != out.reward[1]  # the reward does read the reply
