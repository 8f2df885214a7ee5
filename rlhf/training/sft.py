"""Supervised fine-tuning on the physician-preferred replies: the loop, its evaluation, its outputs.

Loss is next-token cross-entropy on the reply tokens only (prompt, history and context masked).
LoRA by default (`model.lora.enabled`), full fine-tuning otherwise; gradient accumulation; cosine
schedule with warm-up; validation loss before training and after each epoch; a checkpoint every
`sft.checkpoint_every` optimizer steps that a killed run resumes from. Outputs, in the stage folder:
`adapter/` (LoRA only) and `merged/` (a plain checkpoint every later stage loads by path).
"""

from __future__ import annotations

import logging
import math
import time
from contextlib import nullcontext
from pathlib import Path
from typing import Any

import torch

from rlhf.models.precision import use_bf16
from rlhf import seeds
from rlhf.config import Config
from rlhf.data.loading import load_preferences
from rlhf.losses.sft import masked_lm_loss
from rlhf.models.loading import load_causal_lm
from rlhf.training.checkpoint import loop_state
from rlhf.training.context import TrainContext
from rlhf.training.optimization import unwrap
from rlhf.training.examples import SFTExample, collate_sft, epoch_batches, sft_example, take

log = logging.getLogger(__name__)
SECTIONS = ("model", "data", "sft", "train.precision", "runtime.seed")


def autocast(config: Config, device: torch.device):
    if not use_bf16(config.train.precision, device):
        return nullcontext()
    return torch.autocast(device_type=device.type, dtype=torch.bfloat16)


def build_examples(config: Config, tokenizer) -> tuple[list[SFTExample], list[SFTExample]]:
    data, seed = config.data, config.runtime.seed
    train_pairs = take(load_preferences(data.train_path, data.max_history_turns), config.sft.train_examples, seed)
    val_pairs = take(load_preferences(data.val_path, data.max_history_turns), config.sft.eval_examples, seed + seeds.SFT_VALIDATION)
    make = lambda p: sft_example(tokenizer, p, data.system_prompt, data.max_prompt_tokens, data.max_response_tokens)  # noqa: E731
    return [make(p) for p in train_pairs], [make(p) for p in val_pairs]


def reply_loss(model, batch: dict[str, torch.Tensor], config: Config, device: torch.device) -> tuple[torch.Tensor, int]:
    """(sum of reply-token losses, reply tokens) with the LM head run on the reply positions only."""
    keep = int(batch["logits_to_keep"])
    with autocast(config, device):
        logits = model(
            input_ids=batch["input_ids"].to(device),
            attention_mask=batch["attention_mask"].to(device),
            position_ids=batch["position_ids"].to(device),
            logits_to_keep=keep,
        ).logits
    total, count = masked_lm_loss(logits, batch["labels"][:, -keep:].to(device))
    return total, int(count)


@torch.no_grad()
def evaluate_loss(model, examples: list[SFTExample], pad_id: int, batch_size: int, config: Config, ctx: TrainContext) -> float:
    """Token-averaged reply loss over this worker's share of `examples`, averaged over workers."""
    model.eval()
    total, count = 0.0, 0
    mine = examples[ctx.rank :: ctx.world_size]
    for start in range(0, len(mine), batch_size):
        loss_sum, n = reply_loss(model, collate_sft(mine[start : start + batch_size], pad_id), config, ctx.device)
        total, count = total + loss_sum.item(), count + n
    model.train()
    return ctx.mean(total / max(count, 1))


def run_sft(config: Config, ctx: TrainContext, out_dir: Path, stage_fingerprint: str) -> dict[str, Any]:
    settings = config.sft
    torch.manual_seed(config.runtime.seed)
    loaded = load_causal_lm(config.model, trainable=True, device=str(ctx.device))
    tokenizer, pad_id = loaded.tokenizer, loaded.tokenizer.pad_token_id
    train, val = build_examples(config, tokenizer)
    model = ctx.prepare_model(loaded.model)
    model.train()
    params = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(params, lr=settings.learning_rate, weight_decay=settings.weight_decay)
    batches_per_epoch = len(epoch_batches(len(train), settings.batch_size, 0, config.runtime.seed, ctx.rank, ctx.world_size))
    steps_per_epoch = math.ceil(batches_per_epoch / settings.grad_accum)
    total_steps = steps_per_epoch * settings.epochs
    from transformers import get_cosine_schedule_with_warmup

    scheduler = get_cosine_schedule_with_warmup(optimizer, int(settings.warmup_ratio * total_steps), total_steps)
    opt = ctx.optimization(model, optimizer, scheduler, settings.max_grad_norm, settings.batch_size, settings.grad_accum)
    model = opt.model

    checkpoints = out_dir / "checkpoints"
    step, epoch, position, base_eval_loss, resumed_from = 0, 0, 0, None, 0
    state = opt.resume(checkpoints, stage_fingerprint)
    if state is not None:
        step, epoch, position, base_eval_loss = state["step"], state["epoch"], state["position"], state["base_eval_loss"]
        log.info("resuming SFT at step %d of %d", step, total_steps)
    resumed_from = step
    if base_eval_loss is None:
        base_eval_loss = evaluate_loss(model, val, pad_id, settings.batch_size, config, ctx)
    ctx.report({"sft/base_eval_loss": base_eval_loss, "sft/base_eval_perplexity": math.exp(base_eval_loss)}, step)
    log.info("SFT: %d train / %d val examples, %d steps; base model eval loss %.4f", len(train), len(val), total_steps, base_eval_loss)

    eval_loss = base_eval_loss
    started = time.perf_counter()
    trained_tokens = 0
    while epoch < settings.epochs:
        batches = epoch_batches(len(train), settings.batch_size, epoch, config.runtime.seed, ctx.rank, ctx.world_size)
        for first in range(position, len(batches), settings.grad_accum):
            group = batches[first : first + settings.grad_accum]
            step_started, loss_total, tokens = time.perf_counter(), 0.0, 0
            for indices in group:
                batch = collate_sft([train[i] for i in indices], pad_id)
                loss_sum, count = reply_loss(model, batch, config, ctx.device)
                opt.backward(loss_sum / max(count, 1) / len(group))
                loss_total += loss_sum.item() / max(count, 1) / len(group)
                tokens += int(batch["attention_mask"].sum())
            grad_norm = opt.step()
            step += 1
            trained_tokens += tokens
            seconds = time.perf_counter() - step_started
            ctx.report(
                {
                    "sft/train_loss": ctx.mean(loss_total),
                    "sft/learning_rate": opt.learning_rate(),
                    "sft/grad_norm": grad_norm,
                    "sft/tokens_per_s": tokens * ctx.world_size / seconds,
                    "timing/train": seconds,
                },
                step,
            )
            log.info("SFT step %d/%d  loss %.4f  %.1f s", step, total_steps, loss_total, seconds)
            if step % settings.checkpoint_every == 0:
                opt.save(checkpoints, step, loop_state(stage_fingerprint, step, epoch, first + len(group), len(batches),
                                                       base_eval_loss=base_eval_loss), settings.keep_checkpoints)
        eval_loss = evaluate_loss(model, val, pad_id, settings.batch_size, config, ctx)
        ctx.report({"sft/eval_loss": eval_loss, "sft/eval_perplexity": math.exp(eval_loss), "sft/epoch": epoch + 1}, step)
        log.info("SFT epoch %d: eval loss %.4f (base %.4f)", epoch + 1, eval_loss, base_eval_loss)
        epoch, position = epoch + 1, 0

    seconds = time.perf_counter() - started
    result = {
        "steps": step,
        "resumed_from_step": resumed_from,  # 0: trained from the start; else the checkpoint a killed run left
        "trained_steps": step - resumed_from,  # optimizer steps run by this call
        "train_examples": len(train),
        "eval_examples": len(val),
        "base_eval_loss": base_eval_loss,
        "eval_loss": eval_loss,
        "base_eval_perplexity": math.exp(base_eval_loss),
        "eval_perplexity": math.exp(eval_loss),
        "train_seconds": seconds,
        "tokens_per_s": trained_tokens * ctx.world_size / seconds if seconds > 0 else 0.0,
        "merged_dir": str(out_dir / "merged"),
        "adapter_dir": str(out_dir / "adapter") if config.model.lora.enabled else None,
    }
    if ctx.rank == 0:
        save_outputs(unwrap(model), tokenizer, out_dir, config.model.lora.enabled)
    return result


def save_outputs(model, tokenizer, out_dir: Path, lora: bool) -> None:
    """`adapter/` (LoRA) and `merged/`, a plain checkpoint loadable by path."""
    import shutil

    for name in ("adapter", "merged"):
        shutil.rmtree(out_dir / name, ignore_errors=True)
    if lora:
        model.save_pretrained(out_dir / "adapter")
        model = model.merge_and_unload()
    model.save_pretrained(out_dir / "merged")
    tokenizer.save_pretrained(out_dir / "merged")
