"""Rebuild the bundled SYNTHETIC, de-identified clinical preference data (deterministic).

    python jobs/generate_data.py [--out data/clinical_prefs] [--rows 4000] [--seed 20261122]
"""

from __future__ import annotations

import argparse

from jobs._cli import run

from rlhf.data.loading import load_preferences, summarize
from rlhf.data.synthetic import DEFAULT_ROWS, DEFAULT_SEED, write_dataset


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--out", default="data/clinical_prefs", help="output folder (default: %(default)s)")
    p.add_argument("--rows", type=int, default=DEFAULT_ROWS, help="pairs over all splits (default: %(default)s)")
    p.add_argument("--seed", type=int, default=DEFAULT_SEED, help="generator seed (default: %(default)s)")
    args = p.parse_args(argv)
    if args.rows < 30:
        p.error("--rows must be at least 30, so every split gets rows")
    for split, path in write_dataset(args.out, args.rows, args.seed).items():
        summary = summarize(load_preferences(path))
        print(f"{split:5s} {summary.rows:5d} rows  escalation {summary.escalation_share:.1%}  -> {path}")
    return 0


if __name__ == "__main__":
    run(main)
