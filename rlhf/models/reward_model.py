"""ClinicalRewardModel (docs/requirements.md, Training): a shared LM backbone with a scalar reward head, a 2-class
safety (escalation) head and, optionally, one score per physician rating dimension.

The reward (and rating) heads read the hidden state of the response's last token; the safety head
reads the state at the prompt's last token, since whether a message needs physician escalation is
a property of the patient's message: a reassuring reply must not talk the head out of it (pooled
at the response end, the head flagged 99% of escalations next to good replies but 66% next to
replies that missed the escalation). Positions come from the attention mask. The lower
`frozen_layers` blocks and the embeddings are frozen, or the backbone carries LoRA adapters.
Rewards are normalised with the training set's mean and std, saved with the model, so PPO sees a
stable scale whatever the run.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

import torch
from torch import nn

from rlhf.data.schema import RATING_DIMENSIONS
from rlhf.models.pooling import last_token_pool, pool_at, prompt_end_index

HEADS_FILE = "heads.pt"
META_FILE = "reward_model.json"


@dataclass
class RewardModelMeta:
    """What a saved reward model needs besides its weights."""

    base_model: str
    frozen_layers: int
    lora: bool
    rating_head: bool
    reward_mean: float = 0.0
    reward_std: float = 1.0
    extra: dict = field(default_factory=dict)


@dataclass
class RewardOutput:
    reward: torch.Tensor  # (batch,) raw scalar reward
    safety_logits: torch.Tensor  # (batch, 2); class 1 = needs escalation
    ratings: torch.Tensor | None  # (batch, 5) in [0, 1], or None without the rating head


class ClinicalRewardModel(nn.Module):
    def __init__(self, backbone: nn.Module, hidden_size: int, rating_head: bool = False):
        super().__init__()
        self.backbone = backbone
        self.reward_head = nn.Linear(hidden_size, 1)
        self.safety_head = nn.Linear(hidden_size, 2)
        self.rating_head = nn.Linear(hidden_size, len(RATING_DIMENSIONS)) if rating_head else None
        for head in (self.reward_head, self.safety_head, self.rating_head):
            if head is not None:
                nn.init.normal_(head.weight, std=1.0 / (hidden_size + 1) ** 0.5)
                nn.init.zeros_(head.bias)

    def forward(
        self, input_ids: torch.Tensor, attention_mask: torch.Tensor, prompt_lengths: torch.Tensor | None = None
    ) -> RewardOutput:
        """`prompt_lengths`: tokens of each row's prompt (without it the safety head reads the last token)."""
        hidden = self.backbone(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
        pooled = last_token_pool(hidden, attention_mask).float()
        message = pooled if prompt_lengths is None else pool_at(hidden, prompt_end_index(attention_mask, prompt_lengths)).float()
        ratings = torch.sigmoid(self.rating_head(pooled)) if self.rating_head is not None else None
        return RewardOutput(self.reward_head(pooled).squeeze(-1), self.safety_head(message), ratings)

    def heads_state(self) -> dict[str, torch.Tensor]:
        return {k: v for k, v in self.state_dict().items() if not k.startswith("backbone.")}


def decoder_layers(backbone: nn.Module) -> nn.ModuleList:
    """The transformer blocks of a (possibly peft-wrapped) decoder backbone."""
    base = backbone.get_base_model() if hasattr(backbone, "get_base_model") else backbone
    for attr in ("layers", "h", "blocks"):
        if isinstance(getattr(base, attr, None), nn.ModuleList):
            return getattr(base, attr)
    raise ValueError(f"cannot find the decoder layers of {type(base).__name__}")


def freeze_lower_layers(backbone: nn.Module, frozen_layers: int) -> int:
    """Freeze the embeddings and the lowest `frozen_layers` blocks; returns how many blocks train."""
    layers = decoder_layers(backbone)
    if not 0 <= frozen_layers <= len(layers):
        raise ValueError(f"frozen_layers={frozen_layers} but the backbone has {len(layers)} layers")
    base = backbone.get_base_model() if hasattr(backbone, "get_base_model") else backbone
    base.get_input_embeddings().requires_grad_(False)
    for i, layer in enumerate(layers):
        layer.requires_grad_(i >= frozen_layers)
    return len(layers) - frozen_layers


def save_reward_model(model: ClinicalRewardModel, meta: RewardModelMeta, folder: str | Path) -> Path:
    """Backbone (full weights, or the adapter with LoRA), heads and meta in one folder."""
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    model.backbone.save_pretrained(out / "backbone")
    torch.save(model.heads_state(), out / HEADS_FILE)
    (out / META_FILE).write_text(json.dumps(asdict(meta), indent=2))
    return out


def read_meta(folder: str | Path) -> RewardModelMeta:
    return RewardModelMeta(**json.loads((Path(folder) / META_FILE).read_text()))


def load_reward_model(folder: str | Path, base_path: str | Path | None = None, dtype=torch.float32) -> tuple[ClinicalRewardModel, RewardModelMeta]:
    """A saved reward model, ready for scoring (eval mode). `base_path`: the backbone's base
    checkpoint when the model was trained with LoRA (defaults to the path recorded in the meta)."""
    from transformers import AutoModel

    folder = Path(folder)
    meta = read_meta(folder)
    if meta.lora:
        from peft import PeftModel

        base = AutoModel.from_pretrained(base_path or meta.base_model, dtype=dtype)
        backbone = PeftModel.from_pretrained(base, folder / "backbone").merge_and_unload()
    else:
        backbone = AutoModel.from_pretrained(folder / "backbone", dtype=dtype)
    model = ClinicalRewardModel(backbone, backbone.config.hidden_size, rating_head=meta.rating_head)
    model.load_state_dict(torch.load(folder / HEADS_FILE, weights_only=True), strict=False)
    return model.eval(), meta
