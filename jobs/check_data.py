"""Check preference Parquet files: schema, every row, identifiers. Exit 0 with a summary, or 1 with the bad rows.

    python jobs/check_data.py data/clinical_prefs/train.parquet [more.parquet ...] [--rejects bad.jsonl]
"""

from __future__ import annotations

import argparse

from jobs._cli import run

from rlhf.data.loading import load_preferences, summarize


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("paths", nargs="+", help="Parquet files in the preference schema")
    p.add_argument("--rejects", help="write every invalid row's number and reasons here (JSON lines)")
    p.add_argument("--max-history-turns", type=int, default=3, help="most prior turns a row may hold (default 3)")
    args = p.parse_args(argv)
    for path in args.paths:
        pairs = load_preferences(path, args.max_history_turns, rejects_path=args.rejects)
        print(f"{path}: OK")
        for line in summarize(pairs).lines():
            print(f"  {line}")
    return 0


if __name__ == "__main__":
    run(main)
