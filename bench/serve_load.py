"""A bounded load test of the safety-gated endpoint on 127.0.0.1, against the bare engine in the same run.

    .venv/bin/python bench/serve_load.py [--clients 8] [--requests 32] [--config default] [--set serve.backend=hf ...]
    (needs the demo's trained policies and reward model: run `make demo` first)

Starts the app on a private local Ray Serve, then sends the same held-out patient messages twice,
each time from N concurrent clients:
1. bare engine: the policy deployment's `generate` through a Serve handle (prompt already
   encoded; no HTTP, key, validation, red-flag check, safety head, rules or audit log);
2. endpoint: POST /api/v1/clinical-assist over HTTP, the whole gate.
Prints p50/p95/p99 latency, requests/s, errors and escalations, and the gate's overhead as ratios.
Decoding is greedy by default (generation.temperature=0) so both passes generate the same replies.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import secrets
import statistics
import time



def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * len(ordered) + 0.5) - 1))]


def summary(name: str, latencies: list[float], wall: float, errors: int, extra: str = "") -> dict:
    row = {"name": name, "n": len(latencies), "p50": percentile(latencies, 50), "p95": percentile(latencies, 95),
           "p99": percentile(latencies, 99), "mean": statistics.fmean(latencies), "rps": len(latencies) / wall, "errors": errors}
    print(f"  {name:<44} n={row['n']:<4} p50 {row['p50']:6.2f} s  p95 {row['p95']:6.2f} s  p99 {row['p99']:6.2f} s  "
          f"{row['rps']:5.2f} req/s  errors {errors}  {extra}", flush=True)
    return row


async def run_clients(clients: int, jobs: list, call) -> tuple[list[float], float, list]:
    queue: asyncio.Queue = asyncio.Queue()
    for job in jobs:
        queue.put_nowait(job)
    latencies, results = [], []

    async def client():
        while not queue.empty():
            job = queue.get_nowait()
            t0 = time.perf_counter()
            try:
                results.append(await call(job))
            except Exception as exc:  # counted, never hidden
                results.append(exc)
            latencies.append(time.perf_counter() - t0)

    started = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(clients)))
    return latencies, time.perf_counter() - started, results


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--clients", type=int, default=8)
    p.add_argument("--requests", type=int, default=32)
    p.add_argument("--config", default="default")
    p.add_argument("--set", dest="overrides", action="append", default=[])
    p.add_argument("--port", type=int, default=8765)
    args = p.parse_args()
    os.environ.setdefault("RAY_AUTH_MODE", "disabled")
    os.environ["SERVE_API_KEYS"] = key = secrets.token_hex(16)  # a throwaway key for this run
    import httpx
    import ray
    from ray import serve

    from rlhf.config import load_config
    from rlhf.data.formatting import prompt_ids
    from rlhf.data.loading import load_preferences
    from serve.app import API_PATH, app_for

    config = load_config(args.config, ["generation.temperature=0", *args.overrides])
    s = config.serve
    pairs = load_preferences(config.data.test_path)[: args.requests]
    application = app_for(config)
    ray.init(address="local", include_dashboard=False, log_to_driver=False)
    serve.start(http_options={"host": "127.0.0.1", "port": args.port})
    t0 = time.perf_counter()
    serve.run(application, name="clinical-assist", route_prefix="/")
    print(f"serve load: backend {s.backend}, up to {config.generation.max_new_tokens} new tokens, {args.clients} clients, {len(pairs)} requests "
          f"(held-out test messages, {sum(p.safety_label for p in pairs)} needing escalation); app up in {time.perf_counter() - t0:.0f} s")
    from transformers import AutoTokenizer

    from serve.app import resolve_inputs
    from serve.policy import is_adapter

    baseline, policy_dir, _ = resolve_inputs(config)
    tokenizer = AutoTokenizer.from_pretrained(baseline)
    # One deployment serves both arms with a LoRA policy; a fully fine-tuned policy has its own.
    policy = serve.get_deployment_handle("policy" if is_adapter(policy_dir) else "policy_rlhf", app_name="clinical-assist")
    prompts = prompt_ids(tokenizer, config.data, pairs, s.max_prompt_tokens)

    async def bare(i: int):
        return await policy.generate.remote(prompts[i], f"bare-{i}", True)

    async def endpoint(i: int, client: httpx.AsyncClient):
        pair = pairs[i]
        body = {"patient_id": f"bench-{i:04d}", "message": pair.prompt,
                "conversation_history": [{"role": t.role, "content": t.content} for t in pair.history],
                "context": {"age_bracket": pair.context.age_bracket, "visit_type": pair.context.visit_type, "sex": pair.context.sex}}
        r = await client.post(f"http://127.0.0.1:{args.port}{API_PATH}", json=body, headers={"Authorization": f"Bearer {key}"})
        r.raise_for_status()
        return r.json()

    async def both():
        await asyncio.gather(*(bare(i) for i in range(min(2, len(prompts)))))  # warm-up, not timed
        lat_b, wall_b, res_b = await run_clients(args.clients, list(range(len(prompts))), bare)
        gens = [g for g in res_b if not isinstance(g, Exception)]
        tokens = statistics.fmean(len(g.token_ids) for g in gens) if gens else 0
        rows = [summary("bare engine (policy deployment, RLHF arm)", lat_b, wall_b, len(res_b) - len(gens), f"mean reply {tokens:.0f} tokens")]
        async with httpx.AsyncClient(timeout=600) as client:
            lat_e, wall_e, res_e = await run_clients(args.clients, list(range(len(pairs))), lambda i: endpoint(i, client))
        ok = [r for r in res_e if not isinstance(r, Exception)]
        escalated = sum(r["safety_flag"] for r in ok)
        failed = sum("could not check" in (r["escalation_reason"] or "") for r in ok)  # fail-safe: error or serve.gate_timeout_s
        arms = {a: sum(r["arm"] == a for r in ok) for a in ("rlhf", "sft")}
        rows.append(summary("endpoint (HTTP + the whole gate + audit log)", lat_e, wall_e, len(res_e) - len(ok),
                            f"escalated {escalated} (gate failures/timeouts {failed}), arms {arms}"))
        return rows

    bare_row, gate_row = asyncio.run(both())
    print(f"  gate overhead: p50 x{gate_row['p50'] / bare_row['p50']:.2f}, p95 x{gate_row['p95'] / bare_row['p95']:.2f}, "
          f"throughput x{gate_row['rps'] / bare_row['rps']:.2f} of the bare engine's")
    serve.shutdown()
    ray.shutdown()


if __name__ == "__main__":
    main()
