"""DPO, IPO and KTO on the physician preference pairs: the loop, its evaluation, its outputs.

A LoRA adapter trains on the SFT policy; the reference is the same weights with the adapter off
(TRL's PEFT path), so no second model is held. The loss is the registered `dpo.loss`
(rlhf/losses/preference.py). Paired losses read batches of pairs; KTO reads unpaired examples
(each pair's chosen reply desirable, its rejected reply undesirable), shuffled apart, with a KL
estimate from the batch's replies moved one row on (TRL's mismatched pairs). A pair whose message
needs escalation and whose rejected reply does not escalate weighs `dpo.safety_weight`.

Runs under Ray Train (actors/stages.py) like SFT; resumes from its last checkpoint; writes
`adapter/` and `merged/` (the policy every later stage loads by path) in the stage folder.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from rlhf import seeds
from rlhf.config import Config
from rlhf.data.loading import load_preferences
from rlhf.data.schema import PreferencePair
from rlhf.errors import ConfigError
from rlhf.losses.preference import LogpBatch, PreferenceLoss, is_unpaired, reward_metrics, sequence_logps
from rlhf.models.loading import load_causal_lm
from rlhf.models.logprobs import reply_logprobs
from rlhf.ppo.registry import preference_loss
from rlhf.ppo.rollout import collate_samples
from rlhf.safety.rules import escalates
from rlhf.training.checkpoint import loop_state
from rlhf.training.context import TrainContext
from rlhf.training.examples import epoch_batches, pair_example, take
from rlhf.training.optimization import unwrap
from rlhf.training.sft import autocast, save_outputs

log = logging.getLogger(__name__)
SECTIONS = ("model", "data", "dpo", "train.precision", "runtime.seed")


@dataclass(frozen=True)
class Reply:
    """One row a preference loss reads: a prompt, a reply, whether the reply is the one to prefer, its weight."""

    prompt: tuple[int, ...]
    reply: tuple[int, ...]
    desirable: bool
    weight: float


def pair_weight(pair: PreferencePair, safety_weight: float) -> float:
    """`safety_weight` for a pair whose message needs escalation and whose rejected reply does not
    escalate (the gate's own reading of a reply): the mistake that costs most weighs most."""
    return safety_weight if pair.safety_label == 1 and not escalates(pair.rejected) else 1.0


def pair_rows(tokenizer, pair: PreferencePair, config: Config) -> tuple[Reply, Reply]:
    """The pair's (chosen, rejected) rows, formatted as SFT and PPO format a prompt."""
    data = config.data
    example = pair_example(tokenizer, pair, data.system_prompt, data.max_prompt_tokens, data.max_response_tokens)
    prompt = tuple(example.chosen_ids[: example.prompt_length])
    weight = pair_weight(pair, config.dpo.safety_weight)
    return (Reply(prompt, tuple(example.chosen_ids[example.prompt_length :]), True, weight),
            Reply(prompt, tuple(example.rejected_ids[example.prompt_length :]), False, weight))


def rows_of(items: Sequence, unpaired: bool) -> list[Reply]:
    """A batch's rows: unpaired items as they are; pairs as B chosen rows then B rejected rows."""
    if unpaired:
        return list(items)
    return [chosen for chosen, _ in items] + [rejected for _, rejected in items]


def _sequence_logps(model, rows: list[Reply], pad_id: int, config: Config, device: torch.device,
                    ld_alpha: float | None, reference: bool) -> torch.Tensor:
    batch = collate_samples([r.prompt for r in rows], [r.reply for r in rows], pad_id)
    mask = batch.response_mask.to(device)
    if reference:
        inner = unwrap(model)
        with torch.no_grad(), autocast(config, device), inner.disable_adapter():
            per_token, _, _ = reply_logprobs(inner, batch, device)
    else:
        with autocast(config, device):
            per_token, _, _ = reply_logprobs(model, batch, device)
    return sequence_logps(per_token.float(), mask, ld_alpha)


def measure(model, rows: list[Reply], loss_fn: Callable[..., PreferenceLoss], config: Config, pad_id: int,
            device: torch.device) -> tuple[PreferenceLoss, LogpBatch]:
    """The configured loss on one batch of rows (the policy with gradients, the reference and KL rows without),
    and the log-probs it read."""
    unpaired = is_unpaired(loss_fn)
    ld_alpha = None if unpaired else config.dpo.ld_alpha
    policy = _sequence_logps(model, rows, pad_id, config, device, ld_alpha, reference=False)
    reference = _sequence_logps(model, rows, pad_id, config, device, ld_alpha, reference=True)
    kl_policy = kl_reference = None
    if unpaired:  # each prompt with the next row's reply: what the policy says of replies not meant for it
        mismatched = [Reply(r.prompt, rows[(i + 1) % len(rows)].reply, r.desirable, r.weight) for i, r in enumerate(rows)]
        with torch.no_grad():
            kl_policy = _sequence_logps(model, mismatched, pad_id, config, device, None, reference=False)
        kl_reference = _sequence_logps(model, mismatched, pad_id, config, device, None, reference=True)
    batch = LogpBatch(
        policy=policy,
        reference=reference,
        tokens=torch.tensor([len(r.reply) for r in rows], device=device),
        desirable=torch.tensor([r.desirable for r in rows], device=device),
        weights=torch.tensor([r.weight for r in rows], dtype=policy.dtype, device=device),
        kl_policy=kl_policy,
        kl_reference=kl_reference,
    )
    return loss_fn(batch, config.dpo), batch


@torch.no_grad()
def evaluate(model, pairs: list[tuple[Reply, Reply]], loss_fn, config: Config, pad_id: int, ctx: TrainContext) -> dict[str, float]:
    """The loss and TRL's metrics on held-out pairs (rows in pair order, so `rewards/accuracies` is the
    share of pairs whose chosen reply has the higher implicit reward, for every loss), averaged over
    batches and workers, under TRL's `eval_` names."""
    model.eval()
    size = config.dpo.batch_pairs
    mine = pairs[ctx.rank :: ctx.world_size]
    sums: dict[str, float] = {}
    batches = 0
    for start in range(0, len(mine), size):
        chunk = mine[start : start + size]
        out, batch = measure(model, rows_of(chunk, unpaired=False), loss_fn, config, pad_id, ctx.device)
        # rows in pair order: every loss, kto included, gets the pairs' accuracy from the log-probs it read
        values = {"loss": out.loss.item(), **reward_metrics(batch, config.dpo.beta, paired=True), **out.metrics}
        for key, value in values.items():
            sums[key] = sums.get(key, 0.0) + value
        batches += 1
    model.train()
    return {f"eval_{k}": ctx.mean(v / max(batches, 1)) for k, v in sums.items()}


def build_data(config: Config, tokenizer, unpaired: bool) -> tuple[list, list[tuple[Reply, Reply]]]:
    """(training items: pairs, or for an unpaired loss their chosen and rejected rows apart; held-out pairs)."""
    data, s, seed = config.data, config.dpo, config.runtime.seed
    train = [pair_rows(tokenizer, p, config) for p in take(load_preferences(data.train_path, data.max_history_turns), s.train_pairs, seed)]
    val = [pair_rows(tokenizer, p, config)
           for p in take(load_preferences(data.val_path, data.max_history_turns), s.eval_pairs, seed + seeds.PREFERENCE_VALIDATION)]
    items: list = [row for pair in train for row in pair] if unpaired else train
    return items, val


def run_dpo(config: Config, ctx: TrainContext, out_dir: Path, stage_fingerprint: str, sft_dir: str) -> dict[str, Any]:
    s = config.dpo
    loss_fn = preference_loss(s.loss)
    if not config.model.lora.enabled:
        raise ConfigError("dpo needs model.lora.enabled=true: its reference is the SFT policy with the adapter off")
    unpaired = is_unpaired(loss_fn)
    torch.manual_seed(config.runtime.seed)
    loaded = load_causal_lm(config.model.model_copy(update={"name": sft_dir}), trainable=True, device=str(ctx.device))
    tokenizer, pad_id = loaded.tokenizer, loaded.tokenizer.pad_token_id
    items, val = build_data(config, tokenizer, unpaired)
    model = ctx.prepare_model(loaded.model)
    model.train()
    params = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(params, lr=s.learning_rate, weight_decay=0.0)
    micro = s.batch_pairs * (2 if unpaired else 1)  # kto: a pair's worth of rows is two examples
    batches_per_epoch = len(epoch_batches(len(items), micro, 0, config.runtime.seed, ctx.rank, ctx.world_size))
    total_steps = math.ceil(batches_per_epoch / s.grad_accum) * s.epochs
    from transformers import get_cosine_schedule_with_warmup

    scheduler = get_cosine_schedule_with_warmup(optimizer, int(s.warmup_ratio * total_steps), total_steps)
    opt = ctx.optimization(model, optimizer, scheduler, s.max_grad_norm, micro, s.grad_accum)
    model = opt.model

    checkpoints = out_dir / "checkpoints"
    step, epoch, position = 0, 0, 0
    if (state := opt.resume(checkpoints, stage_fingerprint)) is not None:
        step, epoch, position = state["step"], state["epoch"], state["position"]
        log.info("resuming %s at step %d of %d", s.loss, step, total_steps)
    resumed_from = step
    log.info("%s: %d training %s, %d held-out pairs, %d steps, beta %.3g", s.loss, len(items),
             "examples" if unpaired else "pairs", len(val), total_steps, s.beta)

    started = time.perf_counter()
    eval_metrics: dict[str, float] = {}
    while epoch < s.epochs:
        batches = epoch_batches(len(items), micro, epoch, config.runtime.seed, ctx.rank, ctx.world_size)
        for first in range(position, len(batches), s.grad_accum):
            group = batches[first : first + s.grad_accum]
            step_started = time.perf_counter()
            sums: dict[str, float] = {}
            for indices in group:
                out, _ = measure(model, rows_of([items[i] for i in indices], unpaired), loss_fn, config, pad_id, ctx.device)
                opt.backward(out.loss / len(group))
                for key, value in {"loss": out.loss.item(), **out.metrics}.items():
                    sums[key] = sums.get(key, 0.0) + value / len(group)
            grad_norm = opt.step()
            step += 1
            seconds = time.perf_counter() - step_started
            metrics = {k: ctx.mean(v) for k, v in sums.items()}
            ctx.report({**metrics, "learning_rate": opt.learning_rate(), "grad_norm": grad_norm, "timing/train": seconds}, step)
            log.info("%s step %d/%d  loss %.4f  margin %.3f  %.1f s", s.loss, step, total_steps, metrics["loss"],
                     metrics.get("rewards/margins", float("nan")), seconds)
            if step % s.checkpoint_every == 0:
                opt.save(checkpoints, step, loop_state(stage_fingerprint, step, epoch, first + len(group), len(batches)),
                         s.keep_checkpoints)
        eval_metrics = evaluate(model, val, loss_fn, config, pad_id, ctx)
        ctx.report({**eval_metrics, "epoch": epoch + 1}, step)
        log.info("%s epoch %d: held-out accuracy %.3f, margin %.3f", s.loss, epoch + 1,
                 eval_metrics.get("eval_rewards/accuracies", float("nan")), eval_metrics.get("eval_rewards/margins", float("nan")))
        epoch, position = epoch + 1, 0

    result = {
        "loss_name": s.loss,
        "steps": step,
        "resumed_from_step": resumed_from,  # 0: trained from the start; else the checkpoint a killed run left
        "trained_steps": step - resumed_from,
        "train_items": len(items),
        "eval_pairs": len(val),
        "safety_weighted": sum(1 for item in items if (item if unpaired else item[0]).weight != 1.0),
        "train_seconds": time.perf_counter() - started,
        "sft_dir": sft_dir,
        "merged_dir": str(out_dir / "merged"),
        "adapter_dir": str(out_dir / "adapter"),
        **eval_metrics,
    }
    if ctx.rank == 0:
        save_outputs(unwrap(model), tokenizer, out_dir, lora=True)
    return result
