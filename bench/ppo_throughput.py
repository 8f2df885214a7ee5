"""One online-RL iteration three ways, side by side in one run, on the same model, data and batch.

    .venv/bin/python bench/ppo_throughput.py [--iterations 3] [--samples 8] [--tokens 64] [--config default]
    (needs the demo's SFT policy and reward model: run `make demo` or jobs/sft.py + jobs/reward_model.py
    first; TRL comes with `pip install -e .[bench]`)

1. floor: bare vLLM generation of the batch in this process + one bare PPO update of the same batch
   (no Ray, no scoring, no KL, no weight sync): what the hardware allows at best;
2. this system: jobs/ppo.py's iteration on Ray actors (vLLM rollout, reward + reference + critic
   at once, GAE, PPO update, weight sync), per phase;
3. TRL's single-process online RL trainer (GRPOTrainer; TRL has no PPOTrainer any more) with the
   same LoRA policy, the same reward model as its reward function, the same number of samples per
   iteration (prompts x num_generations = --samples) and reply length, its HF `generate` backend.

Prints samples/s, tokens/s, per-phase seconds and the ratios to the floor. The first iteration of
each is a warm-up and is not timed.
"""

from __future__ import annotations

import argparse
import gc
import sys
import time
from pathlib import Path



def floor(config, pairs, sft: Path, iterations: int) -> dict:
    import torch

    from rlhf.data.formatting import prompt_ids
    from rlhf.generation import VLLMBackend
    from rlhf.ppo.learner import PPOLearner
    from rlhf.ppo.rollout import Experience

    torch.set_num_threads(2)
    backend = VLLMBackend(str(sft), config.generation, config.runtime.seed, None, None,
                          config.data.max_prompt_tokens + config.generation.max_new_tokens)
    learner = PPOLearner(config, str(sft), "cpu")
    prompts = prompt_ids(learner.tokenizer, config.data, pairs)
    gen_s, train_s, tokens = [], [], []
    for i in range(iterations + 1):
        t0 = time.perf_counter()
        gens = backend.generate(prompts, config.generation, seed=i)
        t1 = time.perf_counter()
        batch = learner.collate(prompts, [g.token_ids for g in gens])
        zeros = torch.zeros_like(batch.response_mask)
        learner.update(Experience(batch, zeros, zeros, torch.randn_like(zeros) * batch.response_mask, zeros),
                       torch.Generator().manual_seed(i))
        t2 = time.perf_counter()
        if i:  # the first is a warm-up
            gen_s.append(t1 - t0), train_s.append(t2 - t1), tokens.append(sum(len(g.token_ids) for g in gens))
    del backend, learner
    gc.collect()
    return summarise("floor: bare vLLM + bare update", gen_s, [0.0] * iterations, train_s, [0.0] * iterations, tokens, len(pairs))


def ours(config, pairs, sft: Path, rm: Path, iterations: int) -> dict:
    from actors.cluster import ensure_ray
    from actors.ppo_trainer import Workers, ppo_step
    from rlhf.data.formatting import prompt_ids
    from rlhf.models.loading import load_tokenizer

    ensure_ray(config)
    workers = Workers(config, sft, rm)
    tokenizer = load_tokenizer(config.model.model_copy(update={"name": str(sft)}))
    prompts = prompt_ids(tokenizer, config.data, pairs)
    phases = {k: [] for k in ("timing/generate", "timing/score", "timing/train", "timing/sync")}
    tokens = []
    try:
        for i in range(iterations + 1):
            metrics, _scores, gens = ppo_step(workers, config, pairs, prompts, config.ppo.beta, i)
            metrics.update(workers.sync(Path("/tmp") / "clinical-rlhf-bench-weights"))
            if i:
                for key in phases:
                    phases[key].append(metrics[key])
                tokens.append(sum(len(g.token_ids) for g in gens))
    finally:
        workers.shutdown()
        import ray

        ray.shutdown()
    return summarise("this system: PPO on Ray actors", phases["timing/generate"], phases["timing/score"],
                     phases["timing/train"], phases["timing/sync"], tokens, len(pairs))


def trl_grpo(config, pairs, sft: Path, rm: Path, iterations: int, samples: int) -> dict:
    try:
        from datasets import Dataset
        from peft import LoraConfig
        from trl import GRPOConfig, GRPOTrainer
    except ImportError:
        print("TRL is not installed: pip install -e .[bench]  (skipping the TRL row)")
        return {}
    import torch

    from rlhf.data.formatting import build_messages
    from rlhf.models.reward_scorer import RewardScorer
    from rlhf.ppo.scoring import RolloutScorer

    torch.set_num_threads(2)
    generations = 2
    groups = samples // generations
    scorer = RolloutScorer(RewardScorer(rm, config.ppo.minibatch_size), config.safety, config.ppo, config.serve.max_repeated_ngram_share)
    by_index = {i: p for i, p in enumerate(pairs)}

    def reward(prompts, completions, pair_index, **_):
        texts = [c[-1]["content"] if isinstance(c, list) else c for c in completions]
        # TRL's reward functions see text only: no reply-shape penalties here (throughput is compared, not shaping).
        return [s.score for s in scorer.score([by_index[i] for i in pair_index], texts, [True] * len(texts))]

    rows = [{"prompt": build_messages(config.data.system_prompt, p.context, list(p.history), p.prompt), "pair_index": i}
            for i, p in enumerate(pairs[:groups])] * (iterations + 1)
    lora = config.model.lora
    args = GRPOConfig(
        output_dir="/tmp/clinical-rlhf-bench-trl", per_device_train_batch_size=samples, num_generations=generations,
        max_completion_length=config.generation.max_new_tokens, temperature=config.generation.temperature,
        top_p=config.generation.top_p, beta=config.ppo.beta, epsilon=config.ppo.clip_epsilon,
        learning_rate=config.ppo.learning_rate, max_steps=iterations + 1, logging_steps=1, report_to="none",
        use_cpu=True, bf16=config.train.precision == "bf16", save_strategy="no", seed=config.runtime.seed,
        dataloader_num_workers=0, shuffle_dataset=False,
    )
    trainer = GRPOTrainer(model=str(sft), reward_funcs=reward, args=args, train_dataset=Dataset.from_list(rows),
                          peft_config=LoraConfig(r=lora.r, lora_alpha=lora.alpha, lora_dropout=lora.dropout,
                                                 target_modules="all-linear", task_type="CAUSAL_LM"))
    gen_s: list[float] = []
    tokens: list[int] = []
    inner = trainer._generate_and_score_completions

    def timed(*a, **k):  # generation + reward scoring + reference log-probs: TRL's rollout phase
        t0 = time.perf_counter()
        out = inner(*a, **k)
        gen_s.append(time.perf_counter() - t0)
        tokens.append(int(out["completion_mask"].sum()))
        return out

    trainer._generate_and_score_completions = timed
    step_ends: list[float] = []

    from transformers import TrainerCallback

    class Clock(TrainerCallback):
        def on_step_end(self, *_a, **_k):
            step_ends.append(time.perf_counter())

    trainer.add_callback(Clock())
    start = time.perf_counter()
    trainer.train()
    steps = [b - a for a, b in zip([start, *step_ends[:-1]], step_ends)][1:]
    rollout = gen_s[1 : 1 + len(steps)]
    train = [s - g for s, g in zip(steps, rollout)]
    return summarise("TRL GRPOTrainer (HF generate)", rollout, [0.0] * len(steps), train, [0.0] * len(steps),
                     tokens[1 : 1 + len(steps)], samples, rollout_includes_scoring=True)


def summarise(name, gen, score, train, sync, tokens, samples, rollout_includes_scoring=False) -> dict:
    n = len(gen)
    step = [g + s + t + y for g, s, t, y in zip(gen, score, train, sync)]
    mean = lambda xs: sum(xs) / max(len(xs), 1)  # noqa: E731
    return {"name": name, "generate": mean(gen), "score": mean(score), "train": mean(train), "sync": mean(sync),
            "step": mean(step), "samples_per_s": samples / mean(step), "tokens_per_s": mean(tokens) / mean(step),
            "iterations": n, "note": "generate includes scoring and reference" if rollout_includes_scoring else ""}


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--config", default="default")
    p.add_argument("--iterations", type=int, default=3)
    p.add_argument("--samples", type=int, default=8)
    p.add_argument("--tokens", type=int, default=64)
    p.add_argument("--skip", action="append", default=[], choices=["floor", "ours", "trl"])
    args = p.parse_args()
    import os

    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    from rlhf.config import load_config
    from rlhf.data.loading import load_preferences
    from rlhf.training.examples import take
    from rlhf.training.stages import stage_output

    config = load_config(args.config, [f"generation.max_new_tokens={args.tokens}", f"ppo.prompts_per_step={args.samples}",
                                       f"ppo.minibatch_size={min(args.samples, 4)}", "tracking.enabled=false"])
    sft = Path(config.ppo.sft_dir or stage_output(config, "sft"))
    rm = Path(config.ppo.reward_model_dir or stage_output(config, "reward_model"))
    if not sft.is_dir() or not rm.is_dir():
        print(f"needs {sft} and {rm}: run `make demo` (or jobs/sft.py and jobs/reward_model.py) first")
        return 2
    pairs = take(load_preferences(config.data.train_path), args.samples, config.runtime.seed)
    print(f"{args.samples} samples per iteration, up to {args.tokens} new tokens, {config.model.name} SFT policy with "
          f"LoRA r={config.model.lora.r}; {args.iterations} timed iterations after one warm-up\n", flush=True)
    rows = []
    if "floor" not in args.skip:
        rows.append(floor(config, pairs, sft, args.iterations))
    if "ours" not in args.skip:
        rows.append(ours(config, pairs, sft, rm, args.iterations))
    if "trl" not in args.skip:
        rows.append(trl_grpo(config, pairs, sft, rm, args.iterations, args.samples))
    rows = [r for r in rows if r]
    base = rows[0]["step"]
    print(f"\n{'':34s} {'gen s':>7s} {'score s':>8s} {'train s':>8s} {'sync s':>7s} {'step s':>7s} {'samples/s':>10s} "
          f"{'tokens/s':>9s} {'x floor':>8s}")
    for r in rows:
        print(f"{r['name']:34s} {r['generate']:7.2f} {r['score']:8.2f} {r['train']:8.2f} {r['sync']:7.2f} {r['step']:7.2f} "
              f"{r['samples_per_s']:10.3f} {r['tokens_per_s']:9.1f} {r['step'] / base:8.2f}  {r['note']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
