"""Sample logged interactions into blinded preference pairs for physician annotation (docs/requirements.md, Operations).

    python jobs/export_annotations.py [--config configs/default.yaml] [--n 500] [--since 2026-11-15] [--until ...]
                                      [--db runs/serve/audit.db] [--out runs/serve/annotation/<date>] [--seed 0]

For each sampled interaction the other A/B arm answers the same redacted message (HF generate),
and the two replies go side by side in random order: pairs.parquet for the physicians, key.parquet
(which arm wrote which) kept apart. Exit codes: 0 written, 2 bad config or no audit log / models.
"""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

from jobs._cli import parser, run, setup

from rlhf.data.formatting import encode_prompt
from rlhf.data.schema import PatientContext, Turn
from rlhf.errors import RLHFError


def arm_generator(config, baseline: str, policy: str, seed: int):
    """generate(arm, records) -> one Generation per logged message, by that arm's policy (HF generate)."""
    from rlhf.generation import HFBackend
    from serve.policy import generation_settings, is_adapter

    if is_adapter(policy):  # one model: the adapter on for the RLHF arm, off for the baseline
        backends = dict.fromkeys(("rlhf", "sft"), HFBackend.load(config.model, baseline, policy))
    else:
        backends = {"sft": HFBackend.load(config.model, baseline), "rlhf": HFBackend.load(config.model, policy)}
    settings = generation_settings(config)

    def generate(arm: str, records: list[dict]):
        backend = backends[arm]
        prompts = [encode_prompt(backend.tokenizer, config.data.system_prompt, PatientContext(**{"sex": "unspecified", **r["context"]}),
                                 tuple(Turn(t["role"], t["content"]) for t in r["history"]), r["message"],
                                 config.serve.max_prompt_tokens).input_ids for r in records]
        return backend.generate(prompts, settings, seed=seed, adapter=arm == "rlhf")

    return generate


def main(argv: list[str] | None = None) -> int:
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--n", type=int, default=500, help="interactions to sample (default: %(default)s)")
    p.add_argument("--since", help="ISO date or time, inclusive (default: all)")
    p.add_argument("--until", help="ISO date or time, exclusive (default: now)")
    p.add_argument("--db", help="audit log (default: serve.audit_db, else <runtime.output_dir>/serve/audit.db)")
    p.add_argument("--out", help="output folder (default: <runtime.output_dir>/serve/annotation/<UTC date>)")
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args(argv)
    if args.n < 1:
        raise RLHFError("--n must be at least 1")
    config = setup(args)
    import pyarrow.parquet as pq

    from rlhf.serving.annotation import blinded_pairs, other_arm, sample_interactions
    from rlhf.serving.audit import AuditLog
    from serve.app import resolve_inputs

    s = config.serve
    db = Path(args.db or s.audit_db or Path(config.runtime.output_dir) / "serve" / "audit.db")
    if not db.is_file():
        raise RLHFError(f"no audit log at {db}: serve requests first (python jobs/serve_endpoint.py) or pass --db")
    records = sample_interactions(list(AuditLog(db).records(args.since, args.until)), args.n, args.seed)
    if not records:
        raise RLHFError(f"no interactions with a model reply in {db} for that period")
    baseline, policy, _ = resolve_inputs(config, reward_model=False)
    print(f"[export] {len(records)} interactions sampled from {db}; the other arm answers each", flush=True)
    generate = arm_generator(config, baseline, policy, args.seed)
    replies: dict[int, str] = {}
    for arm in ("rlhf", "sft"):
        todo = [i for i, r in enumerate(records) if other_arm(r["arm"]) == arm]
        for start in range(0, len(todo), 8):
            batch = todo[start : start + 8]
            out = generate(arm, [records[i] for i in batch])
            replies.update({i: g.text for i, g in zip(batch, out)})
            print(f"[export] {len(replies)}/{len(records)} replies", flush=True)
    pairs, key = blinded_pairs(records, [replies[i] for i in range(len(records))], args.seed)
    out = Path(args.out or Path(config.runtime.output_dir) / "serve" / "annotation" / datetime.now(timezone.utc).strftime("%Y-%m-%d"))
    out.mkdir(parents=True, exist_ok=True)
    pq.write_table(pairs, out / "pairs.parquet")
    pq.write_table(key, out / "key.parquet")
    print(f"[export] {pairs.num_rows} blinded pairs -> {out / 'pairs.parquet'} (for the physicians); "
          f"which arm wrote which -> {out / 'key.parquet'} (keep it from the reviewers)")
    return 0


if __name__ == "__main__":
    run(main)
