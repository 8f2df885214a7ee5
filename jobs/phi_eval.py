"""Measure the PHI guard on a labelled JSON-lines file: recall per kind (95% Wilson interval) and the share of benign lines it alters.

    python jobs/phi_eval.py tests/fixtures/heldout/phi_dev.jsonl [--misses]

Each line: {"id", "text", "phi": [{"kind", "value"}]}; benign lines have "phi": [].
Exit 0 when recall >= --min-recall, every kind is caught at least once and the benign share is
<= --max-benign; 1 otherwise.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from rlhf.safety.phi import warm_up
from rlhf.safety.phi_eval import evaluate


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("path", help="a JSON-lines file of labelled lines")
    p.add_argument("--misses", action="store_true", help="also print each missed value (test fixtures only: it prints the identifier)")
    p.add_argument("--min-recall", type=float, default=0.95)
    p.add_argument("--max-benign", type=float, default=0.03)
    args = p.parse_args(argv)
    path = Path(args.path)
    if not path.is_file():
        print(f"error: no such file: {path}", file=sys.stderr)
        return 2
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    warm_up()
    started = time.perf_counter()
    ev = evaluate(rows)
    per_line = (time.perf_counter() - started) / max(1, len(rows))

    print(f"{path}: {len(rows)} lines, {ev.overall.n} identifiers, {ev.benign.n} benign lines ({per_line * 1000:.1f} ms a line)")
    print(f"{'kind':<14}{'n':>5}{'caught':>8}{'recall':>9}   95% interval")
    for kind, n, hits, rate, low, high in ev.table():
        if kind == "overall":
            print("-" * 52)
        shown = f"{rate:.3f}" if n else "  -  "
        print(f"{kind:<14}{n:>5}{hits:>8}{shown:>9}   [{low:.3f}, {high:.3f}]")
    low, high = ev.benign.interval
    print(f"benign lines altered: {ev.benign.hits}/{ev.benign.n} = {ev.benign.rate:.3f}   [{low:.3f}, {high:.3f}]")
    if ev.kinds_missed_entirely:
        print("kinds never caught: " + ", ".join(ev.kinds_missed_entirely))
    if args.misses:
        for miss in ev.misses:
            print(f"  missed {miss.row_id} {miss.kind}: {miss.value!r} ({miss.reason})")
        if ev.altered_ids:
            print("  benign lines altered: " + ", ".join(ev.altered_ids))
    return 0 if ev.meets(args.min_recall, args.max_benign) else 1


if __name__ == "__main__":
    sys.exit(main())
