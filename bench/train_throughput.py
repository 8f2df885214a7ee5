"""Training throughput of SFT and the reward model on the embedded default, side by side.

    .venv/bin/python bench/train_throughput.py [--steps 3] [--batch 8] [--threads 2] [--stage sft|rm] [--model smollm2-135m]

Variants: SFT with LoRA vs full fine-tuning, reward model on the preset's cut backbone vs the whole
backbone, each in fp32 and bf16 autocast. Each variant runs in a fresh subprocess (so its peak
memory is its own) on real batches of the bundled data: one warm-up step, then `--steps` timed
optimizer steps. Prints tokens/s, seconds per step, peak RSS, and ratios against the first row of
each group.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

VARIANTS = [
    ("sft", "lora", "fp32"), ("sft", "lora", "bf16"), ("sft", "full", "fp32"), ("sft", "full", "bf16"),
    ("rm", "cut", "fp32"), ("rm", "cut", "bf16"), ("rm", "whole", "fp32"), ("rm", "whole", "bf16"),
]


def run_variant(stage: str, mode: str, precision: str, steps: int, batch: int, threads: int, model: str) -> dict:
    import torch

    from rlhf.config import load_config
    from rlhf.data.loading import load_preferences
    from rlhf.losses.reward import reward_model_loss
    from rlhf.models.loading import load_causal_lm, load_tokenizer
    from rlhf.training.examples import collate_pairs, collate_sft, pair_example, sft_example
    from rlhf.training.reward import build_model
    from rlhf.training.sft import reply_loss

    torch.set_num_threads(threads)
    overrides = [f"model.name={model}", f"train.precision={precision}", f"model.lora.enabled={mode == 'lora'}"]
    if mode == "whole":
        overrides += ["reward.backbone_layers=null", "reward.frozen_layers=26"]
    config = load_config("default", overrides)
    pairs = load_preferences(config.data.train_path)[: batch * (steps + 1)]
    cast = torch.autocast("cpu", dtype=torch.bfloat16) if precision == "bf16" else torch.autocast("cpu", enabled=False)
    if stage == "sft":
        loaded = load_causal_lm(config.model, trainable=True, device="cpu")
        model_, tok = loaded.model, loaded.tokenizer
        d = config.data
        examples = [sft_example(tok, p, d.system_prompt, d.max_prompt_tokens, d.max_response_tokens) for p in pairs]
        batches = [collate_sft(examples[i : i + batch], tok.pad_token_id) for i in range(0, len(examples), batch)]

        def step(b):  # the SFT loop's own path: LM head on the reply positions only
            total, count = reply_loss(model_, b, config, torch.device("cpu"))
            (total / count).backward()
            return int(b["attention_mask"].sum())
    else:
        tok = load_tokenizer(config.model)
        model_, _ = build_model(config)
        r = config.reward
        examples = [pair_example(tok, p, r.system_prompt, r.max_prompt_tokens, r.max_response_tokens) for p in pairs]
        batches = [collate_pairs(examples[i : i + batch], tok.pad_token_id) for i in range(0, len(examples), batch)]

        def step(b):
            with cast:
                out = model_(b["input_ids"], b["attention_mask"], b["prompt_lengths"])
            n = b["safety_labels"].numel()
            loss = reward_model_loss(out.reward[:n].float(), out.reward[n:].float(), out.safety_logits.float(),
                                     b["safety_labels"].repeat(2), r.safety_weight)
            loss.total.backward()
            return int(b["attention_mask"].sum())

    params = [p for p in model_.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(params, lr=1e-5)
    model_.train()
    timings, tokens = [], 0
    for i, b in enumerate(batches[: steps + 1]):
        started = time.perf_counter()
        n = step(b)
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        if i > 0:  # the first step warms up allocators and kernels
            timings.append(time.perf_counter() - started)
            tokens += n
    return {
        "stage": stage, "mode": mode, "precision": precision,
        "trainable_m": sum(p.numel() for p in params) / 1e6,
        "s_per_step": sum(timings) / len(timings), "tokens_per_s": tokens / sum(timings),
        "peak_rss_gb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2,
    }


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--steps", type=int, default=3)
    p.add_argument("--batch", type=int, default=8, help="SFT examples or reward-model pairs per step")
    p.add_argument("--threads", type=int, default=os.cpu_count())
    p.add_argument("--model", default="smollm2-135m")
    p.add_argument("--stage", choices=("sft", "rm"), help="run only this stage's variants")
    p.add_argument("--only", help=argparse.SUPPRESS)  # one variant, in a subprocess
    args = p.parse_args()
    if args.only:
        stage, mode, precision = args.only.split(",")
        print(json.dumps(run_variant(stage, mode, precision, args.steps, args.batch, args.threads, args.model)))
        return
    rows = []
    for stage, mode, precision in VARIANTS:
        if args.stage and stage != args.stage:
            continue
        cmd = [sys.executable, __file__, "--only", f"{stage},{mode},{precision}", "--steps", str(args.steps),
               "--batch", str(args.batch), "--threads", str(args.threads), "--model", args.model]
        print(f"running {stage} {mode} {precision} ...", flush=True)
        out = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, env={**os.environ, "TOKENIZERS_PARALLELISM": "false"})
        if out.returncode != 0:
            print(out.stderr[-2000:])
            raise SystemExit(f"variant {stage},{mode},{precision} failed")
        rows.append(json.loads(out.stdout.strip().splitlines()[-1]))
    print(f"\n{args.model}, batch {args.batch} (SFT examples / RM pairs), {args.threads} threads, {args.steps} timed steps each\n")
    print(f"{'stage':5} {'variant':6} {'prec':5} {'trainable M':>11} {'s/step':>7} {'tokens/s':>9} {'peak GB':>8} {'speed vs first':>15}")
    for stage in ("sft", "rm"):
        group = [r for r in rows if r["stage"] == stage]
        if not group:
            continue
        base = group[0]["tokens_per_s"]
        for r in group:
            print(f"{r['stage']:5} {r['mode']:6} {r['precision']:5} {r['trainable_m']:11.2f} {r['s_per_step']:7.2f} "
                  f"{r['tokens_per_s']:9.0f} {r['peak_rss_gb']:8.2f} {r['tokens_per_s'] / base:14.2f}x")


if __name__ == "__main__":
    main()
