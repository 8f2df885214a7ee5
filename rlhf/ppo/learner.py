"""The PPO learner: policy (LoRA on the SFT policy) + value head, its update, its state.

Ray-free: actors/learner.py holds one of these in an actor. The update is PPO's: epochs over the
rollout batch in shuffled minibatches, clipped surrogate + vf_coef * clipped value loss -
entropy_coef * entropy, gradients clipped to max_grad_norm, and an early end of the epoch once the
update's approximate KL passes `approx_kl_stop`.
"""

from __future__ import annotations

import logging
import shutil
from pathlib import Path
from typing import Any

import torch

from rlhf.models.precision import use_bf16
from rlhf.config import Config
from rlhf.models.loading import load_causal_lm
from rlhf.ppo.advantages import masked_mean
from rlhf.ppo.losses import value_loss
from rlhf.ppo.policy import PolicyWithValue
from rlhf.ppo.registry import variants
from rlhf.ppo.rollout import Experience, RolloutBatch, SequenceBatch, collate_samples
from rlhf.training.checkpoint import trainable_state

log = logging.getLogger(__name__)


def disable_dropout(model: torch.nn.Module) -> None:
    """Every dropout off, LoRA's included (as TRL and OpenRLHF do for PPO): the update's log-probs are taken in
    train mode and the rollout's old ones in eval mode, so a dropout would put noise into every PPO ratio that
    no update caused (on the demo it was part of the ~0.04 nats of ratio spread, with clipfrac 0)."""
    for module in model.modules():
        if isinstance(module, torch.nn.Dropout):
            module.p = 0.0


class PPOLearner:
    def __init__(self, config: Config, sft_dir: str, device: str = "cpu"):
        _, self.policy_loss = variants(config.ppo.advantage_estimator, config.ppo.policy_loss)  # a wrong name fails first
        torch.manual_seed(config.runtime.seed)
        self.config, self.settings, self.device = config, config.ppo, torch.device(device)
        model_settings = config.model.model_copy(update={"name": sft_dir})
        loaded = load_causal_lm(model_settings, trainable=True, device=device)
        self.tokenizer, self.lora = loaded.tokenizer, config.model.lora.enabled
        self.policy = PolicyWithValue(loaded.model, loaded.model.config.hidden_size).to(self.device)
        disable_dropout(self.policy)
        self.params = [p for p in self.policy.parameters() if p.requires_grad]
        self.optimizer = torch.optim.AdamW(self.params, lr=self.settings.learning_rate, weight_decay=0.0)
        self.bf16 = use_bf16(config.train.precision, self.device)

    def _cast(self):
        from contextlib import nullcontext

        return torch.autocast(self.device.type, dtype=torch.bfloat16) if self.bf16 else nullcontext()

    def collate(self, prompts: list[list[int]], responses: list[list[int]]) -> SequenceBatch:
        return collate_samples(prompts, responses, self.tokenizer.pad_token_id)

    @torch.no_grad()
    def evaluate(self, prompts: list[list[int]], responses: list[list[int]], with_reference: bool) -> RolloutBatch:
        """The rollout collated once, with its rollout-time log-probs and values (and the
        adapter-disabled reference log-probs if asked)."""
        batch = self.collate(prompts, responses)
        self.policy.eval()
        logprobs, values, entropy = [], [], []
        refs = []
        size = self.settings.minibatch_size
        for start in range(0, len(prompts), size):
            part = batch.rows(slice(start, start + size))
            with self._cast():
                lp, v, ent = self.policy(part, self.device, with_values=True, with_entropy=True)
            logprobs.append(lp.cpu()), values.append(v.cpu()), entropy.append(ent.cpu())
            if with_reference:
                with self._cast(), self.policy.adapter_disabled():
                    ref, _, _ = self.policy(part, self.device, with_values=False)
                refs.append(ref.cpu())
        self.policy.train()
        mask = batch.response_mask
        return RolloutBatch(batch, torch.cat(logprobs) * mask, torch.cat(values) * mask, torch.cat(entropy) * mask,
                            torch.cat(refs) * mask if with_reference else None)

    def update(self, exp: Experience, generator: torch.Generator) -> dict[str, float]:
        """PPO epochs x minibatches over one rollout batch; the metrics averaged over minibatches."""
        s = self.settings
        self.policy.train()
        n = exp.batch.input_ids.shape[0]
        stats: dict[str, list[float]] = {k: [] for k in ("loss/policy", "loss/value", "loss/total", "policy/clipfrac",
                                                          "policy/approxkl", "value/clipfrac", "policy/entropy", "grad_norm")}
        epochs_run, stopped_early = 0, False
        for _epoch in range(s.epochs):
            order = torch.randperm(n, generator=generator)
            epoch_kl = []
            for start in range(0, n, s.minibatch_size):
                idx = order[start : start + s.minibatch_size]
                part = exp.batch.rows(idx)
                mask = part.response_mask.to(self.device)
                with self._cast():
                    logprobs, values, entropy = self.policy(part, self.device, with_values=True, with_entropy=s.entropy_coef > 0)
                pl = self.policy_loss(logprobs, exp.old_logprobs[idx].to(self.device), exp.advantages[idx].to(self.device), mask, s)
                vl, vclip = value_loss(values, exp.old_values[idx].to(self.device), exp.returns[idx].to(self.device), mask, s.value_clip)
                total = pl.loss + s.vf_coef * vl
                if entropy is not None:
                    ent = masked_mean(entropy, mask)
                    total = total - s.entropy_coef * ent
                    stats["policy/entropy"].append(float(ent))
                self.optimizer.zero_grad(set_to_none=True)
                total.backward()
                grad_norm = torch.nn.utils.clip_grad_norm_(self.params, s.max_grad_norm)
                self.optimizer.step()
                for key, value in (("loss/policy", pl.loss.item()), ("loss/value", vl.item()), ("loss/total", total.item()),
                                   ("policy/clipfrac", pl.clipfrac), ("policy/approxkl", pl.approxkl), ("value/clipfrac", vclip),
                                   ("grad_norm", float(grad_norm))):
                    stats[key].append(value)
                epoch_kl.append(pl.approxkl)
            epochs_run += 1
            if s.approx_kl_stop is not None and sum(epoch_kl) / len(epoch_kl) > s.approx_kl_stop:
                stopped_early = True
                break
        metrics = {k: sum(v) / len(v) for k, v in stats.items() if v}
        metrics.update({"policy/epochs": float(epochs_run), "policy/early_stop": float(stopped_early)})
        return metrics

    def export_weights(self, folder: Path, merged: bool = False) -> str:
        """What the rollout engine loads: the LoRA adapter, or (merged, or no LoRA) a whole checkpoint."""
        tmp = folder.with_name(folder.name + ".tmp")
        shutil.rmtree(tmp, ignore_errors=True)
        if self.lora and merged:
            from safetensors.torch import save_file

            tmp.mkdir(parents=True)
            save_file(merged_state_dict(self.policy.lm), str(tmp / "model.safetensors"))
            self.policy.lm.get_base_model().config.save_pretrained(tmp)
        else:
            self.policy.lm.save_pretrained(tmp)
        if not self.lora or merged:
            self.tokenizer.save_pretrained(tmp)
        shutil.rmtree(folder, ignore_errors=True)
        tmp.rename(folder)
        return str(folder)

    def state_dict(self) -> dict[str, Any]:
        return {"trainable": trainable_state(self.policy), "optimizer": self.optimizer.state_dict()}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.policy.load_state_dict(state["trainable"], strict=False)
        self.optimizer.load_state_dict(state["optimizer"])
        for group in self.optimizer.param_groups:  # the config's rate governs (a PBT restore changes it)
            group["lr"] = self.settings.learning_rate


@torch.no_grad()
def merged_state_dict(peft_model) -> dict[str, torch.Tensor]:
    """The base model's weights with each LoRA delta (scale * B @ A) added, under the base model's
    own names; computed aside, so the trained model is never merged and unmerged (no drift)."""
    from peft.tuners.lora import LoraLayer

    base = peft_model.get_base_model()
    out: dict[str, torch.Tensor] = {}
    for name, tensor in base.state_dict().items():
        if "lora_" in name:
            continue
        out[name.replace(".base_layer.", ".")] = tensor.detach().to("cpu", copy=True).contiguous()
    for name, module in base.named_modules():
        if isinstance(module, LoraLayer) and module.active_adapters:
            delta = sum(module.get_delta_weight(a) for a in module.active_adapters if a in module.lora_A)
            key = f"{name}.weight"
            out[key] = (out[key].float() + delta.detach().float().cpu()).to(out[key].dtype).contiguous()
    return out
