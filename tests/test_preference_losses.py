"""DPO, IPO and KTO losses (rlhf/losses/preference.py): hand-computed values, and TRL's own loss code on
the same tensors (TRL 1.16 computes them inline in `DPOTrainer._compute_loss` / `KTOTrainer._compute_loss`,
so its methods run here on a stand-in trainer whose model returns the log-probs given)."""

import math
from collections import defaultdict
from contextlib import nullcontext
from types import SimpleNamespace

import pytest
import torch
import trl.trainer.dpo_trainer as trl_dpo  # the test extra installs TRL
import trl.trainer.kto_trainer as trl_kto

from rlhf.config import DPOSettings
from rlhf.errors import ConfigError
from rlhf.losses.preference import LogpBatch, is_unpaired, kto_kl, sequence_logps
from rlhf.ppo.registry import preference_loss


def settings(**overrides) -> DPOSettings:
    return DPOSettings(**overrides)


def paired_batch(policy_c, policy_r, ref_c, ref_r, tokens_c=None, tokens_r=None, weights=None) -> LogpBatch:
    b = len(policy_c)
    return LogpBatch(
        policy=torch.tensor([*policy_c, *policy_r], dtype=torch.float64),
        reference=torch.tensor([*ref_c, *ref_r], dtype=torch.float64),
        tokens=torch.tensor([*(tokens_c or [1] * b), *(tokens_r or [1] * b)]),
        desirable=torch.tensor([True] * b + [False] * b),
        weights=torch.tensor([*(weights or [1.0] * b)] * 2, dtype=torch.float64),
    )


def softplus(x: float) -> float:  # -log sigmoid(-x)
    return math.log1p(math.exp(x))


def test_dpo_and_conservative_dpo_by_hand():
    # log-ratios: chosen -10 - (-11) = 1, rejected -12 - (-11) = -1; beta 0.5: z = 0.5 * 2 = 1
    batch = paired_batch([-10.0], [-12.0], [-11.0], [-11.0])
    out = preference_loss("dpo")(batch, settings(beta=0.5))
    assert float(out.loss) == pytest.approx(softplus(-1.0))  # -log sigmoid(1) = 0.3133
    assert out.metrics == pytest.approx({"rewards/chosen": 0.5, "rewards/rejected": -0.5, "rewards/margins": 1.0,
                                         "rewards/accuracies": 1.0, "logps/chosen": -10.0, "logps/rejected": -12.0})
    smoothed = preference_loss("dpo")(batch, settings(beta=0.5, label_smoothing=0.1))
    assert float(smoothed.loss) == pytest.approx(0.9 * softplus(-1.0) + 0.1 * softplus(1.0))  # 0.4133


def test_ipo_by_hand_averages_each_log_ratio_over_its_reply():
    # chosen log-ratio 1 over 2 tokens = 0.5, rejected -1 over 4 = -0.25: delta 0.75; target 1 / (2 * 0.5) = 1
    batch = paired_batch([-10.0], [-12.0], [-11.0], [-11.0], tokens_c=[2], tokens_r=[4])
    assert float(preference_loss("ipo")(batch, settings(beta=0.5)).loss) == pytest.approx(0.0625)


def test_kto_by_hand_with_its_kl_reference_point():
    batch = LogpBatch(
        policy=torch.tensor([-10.0, -12.0]), reference=torch.tensor([-11.0, -11.0]), tokens=torch.tensor([3, 3]),
        desirable=torch.tensor([True, False]), weights=torch.ones(2),
        kl_policy=torch.tensor([-5.0, -6.0]), kl_reference=torch.tensor([-6.0, -6.0]),  # mean log-ratio 0.5
    )
    out = preference_loss("kto")(batch, settings(beta=1.0, undesirable_weight=2.0))
    desirable = 1 - 1 / (1 + math.exp(-(1.0 - 0.5)))  # 1 - sigmoid(0.5)
    undesirable = 2.0 * (1 - 1 / (1 + math.exp(-(0.5 + 1.0))))  # 2 x (1 - sigmoid(1.5))
    assert float(out.loss) == pytest.approx((desirable + undesirable) / 2)
    assert out.metrics["kl"] == pytest.approx(0.5) and out.metrics["rewards/margins"] == pytest.approx(2.0)
    assert float(kto_kl(torch.tensor([-7.0]), torch.tensor([-6.0]))) == 0.0  # a negative estimate counts as 0
    assert is_unpaired(preference_loss("kto")) and not is_unpaired(preference_loss("dpo"))


def test_safety_weight_scales_a_pairs_loss_and_rows_must_come_in_pair_order():
    plain = paired_batch([-10.0, -10.0], [-12.0, -12.0], [-11.0, -11.0], [-11.0, -11.0])
    weighted = paired_batch([-10.0, -10.0], [-12.0, -12.0], [-11.0, -11.0], [-11.0, -11.0], weights=[1.0, 3.0])
    loss = preference_loss("dpo")
    assert float(loss(weighted, settings(beta=0.5)).loss) == pytest.approx(2.0 * float(loss(plain, settings(beta=0.5)).loss))
    shuffled = LogpBatch(plain.policy, plain.reference, plain.tokens, torch.tensor([True, False, True, False]), plain.weights)
    with pytest.raises(ValueError, match="B chosen rows followed by B rejected rows"):
        loss(shuffled, settings())
    with pytest.raises(ValueError, match="mismatched"):
        preference_loss("kto")(plain, settings())


def test_length_desensitised_log_probs_count_the_longer_replys_tail_alpha_times():
    per_token = torch.tensor([[-1.0, -1.0, -1.0], [-2.0, -2.0, 0.0]])  # chosen 3 tokens, rejected 2 (padded)
    mask = torch.tensor([[1, 1, 1], [1, 1, 0]])
    assert sequence_logps(per_token, mask).tolist() == [-3.0, -4.0]
    assert sequence_logps(per_token, mask, ld_alpha=0.5).tolist() == [-2.5, -4.0]  # -2 shared + 0.5 x -1 tail


def test_an_unknown_loss_is_a_config_error_naming_the_choices():
    with pytest.raises(ConfigError, match=r"dpo.loss: 'dpp' is not registered \(did you mean 'dpo'\?\); registered: dpo, ipo, kto"):
        preference_loss("dpp")


# --- TRL's own loss code on the same tensors ------------------------------------------------------------



class _Model:
    """Stands in for the policy: returns the per-token log-probs it was given for the input it is asked about."""

    training = True

    def __init__(self, by_input: dict[int, torch.Tensor]):
        self.by_input = by_input

    def __call__(self, input_ids, **_):
        log_probs = self.by_input[id(input_ids)]
        zeros = torch.zeros_like(log_probs)
        return SimpleNamespace(log_probs=log_probs, entropy=zeros, mean_logits=zeros, is_top1=zeros.bool(),
                               log_sum_sq_probs=zeros)


def _trainer(model, **attrs) -> SimpleNamespace:
    accelerator = SimpleNamespace(device=torch.device("cpu"), gather=lambda x: x, gather_for_metrics=lambda x: x,
                                  autocast=nullcontext, unwrap_model=lambda m: m)
    return SimpleNamespace(model=model, accelerator=accelerator, aux_loss_enabled=False, precompute_ref_logps=True,
                           _metrics=defaultdict(lambda: defaultdict(list)), _total_train_tokens=0, _tp_size=1, **attrs)


def _completions(lengths: list[int], width: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """(input_ids, completion_mask, per-token log-probs (N, width - 1) zero off the completion): a 2-token
    prompt then each row's completion, right padded."""
    generator = torch.Generator().manual_seed(len(lengths) * 7 + width)
    completion = torch.zeros(len(lengths), width, dtype=torch.long)
    for row, n in enumerate(lengths):
        completion[row, 2 : 2 + n] = 1
    per_token = -torch.rand(len(lengths), width - 1, generator=generator, dtype=torch.float64) * 3 * completion[:, 1:]
    return torch.ones(len(lengths), width, dtype=torch.long), completion, per_token


@pytest.mark.parametrize("loss_type, ld_alpha", [("sigmoid", None), ("sigmoid", 0.5), ("ipo", None)])
def test_dpo_and_ipo_match_trl(loss_type, ld_alpha):
    lengths = [3, 5, 2, 4, 5, 1]  # 3 pairs: chosen rows, then rejected rows
    ids, completion, per_token = _completions(lengths, 8)
    ref = sequence_logps(per_token * 0.9 - 0.1 * completion[:, 1:], completion[:, 1:], ld_alpha)
    inputs = {"input_ids": ids, "attention_mask": torch.ones_like(ids), "completion_mask": completion,
              "ref_chosen_logps": ref[:3], "ref_rejected_logps": ref[3:]}
    beta = 0.3
    trl = _trainer(_Model({id(ids): per_token}), ld_alpha=ld_alpha, f_divergence_type="reverse_kl", loss_types=[loss_type],
                   loss_weights=[1.0], beta=beta, label_smoothing=0.0, use_weighting=False)
    trl_loss = trl_dpo.DPOTrainer._compute_loss(trl, trl.model, inputs, False)

    ours = preference_loss("ipo" if loss_type == "ipo" else "dpo")(
        LogpBatch(policy=sequence_logps(per_token, completion[:, 1:], ld_alpha), reference=ref,
                  tokens=completion.sum(-1), desirable=torch.tensor([True] * 3 + [False] * 3),
                  weights=torch.ones(6, dtype=torch.float64)),
        settings(beta=beta, ld_alpha=ld_alpha))
    assert float(ours.loss) == pytest.approx(float(trl_loss), rel=1e-9)
    for name, value in ours.metrics.items():
        assert value == pytest.approx(trl._metrics["train"][name][-1], rel=1e-9), name


def test_kto_matches_trl():
    lengths = [3, 5, 2, 4, 1, 4]
    labels = [True, False, True, True, False, False]
    ids, completion, per_token = _completions(lengths, 8)
    kl_ids, kl_completion, kl_per_token = _completions(lengths[1:] + lengths[:1], 9)
    ref = sequence_logps(per_token * 1.1, completion[:, 1:])
    ref_kl = sequence_logps(kl_per_token * 1.2, kl_completion[:, 1:])  # the policy above the reference there: kl > 0
    inputs = {"input_ids": ids, "attention_mask": torch.ones_like(ids), "completion_mask": completion,
              "KL_input_ids": kl_ids, "KL_attention_mask": torch.ones_like(kl_ids), "KL_completion_mask": kl_completion,
              "label": torch.tensor(labels), "ref_logps": ref, "ref_KL_logps": ref_kl}
    beta, desirable_weight, undesirable_weight = 0.2, 1.0, 1.5
    trl = _trainer(_Model({id(ids): per_token, id(kl_ids): kl_per_token}), calculate_KL=True, loss_type="kto", beta=beta,
                   desirable_weight=desirable_weight, undesirable_weight=undesirable_weight)
    trl._compute_kl_logps = lambda model, batch: trl_kto.KTOTrainer._compute_kl_logps(trl, model, batch)
    trl_loss = trl_kto.KTOTrainer._compute_loss(trl, trl.model, inputs, False)

    ours = preference_loss("kto")(
        LogpBatch(policy=sequence_logps(per_token, completion[:, 1:]), reference=ref, tokens=completion.sum(-1),
                  desirable=torch.tensor(labels), weights=torch.ones(6, dtype=torch.float64),
                  kl_policy=sequence_logps(kl_per_token, kl_completion[:, 1:]), kl_reference=ref_kl),
        settings(beta=beta, desirable_weight=desirable_weight, undesirable_weight=undesirable_weight))
    assert ours.metrics["kl"] > 0
    assert float(ours.loss) == pytest.approx(float(trl_loss), rel=1e-9)
    for name, value in ours.metrics.items():
        assert value == pytest.approx(trl._metrics["train"][name][-1], rel=1e-9), name
