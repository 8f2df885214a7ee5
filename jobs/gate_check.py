"""The safety gate's verdict offline, the endpoint's code path without Serve.

    python jobs/gate_check.py IN.jsonl [--out OUT.jsonl] [--reward-model DIR | --no-head] [--summary]

Each input line: {"message": ..., "conversation_history"?: [...], "context"?: {...}, "reply"?: ...}.
Each output line adds red_flags, p_escalation, safety_flag, escalation_reason, replaced and response
(exactly what the patient would receive). With --summary, lines labelled with `category` and
`escalate` (the held-out sets in tests/fixtures/heldout/) are counted per category: recall of the rules,
the safety head and their union, and false escalations on the benign lines, with 95% Wilson intervals.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from jobs._cli import parser, run, setup

from rlhf.errors import DataValidationError, ModelUnavailableError
from rlhf.serving.offline import by_category, summary_lines, verdict
from rlhf.training.stages import stage_output


def _records(path: Path) -> list[dict]:
    records, bad = [], []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            bad.append(f"line {number}: not JSON ({exc.msg})")
            continue
        if not isinstance(record, dict) or not isinstance(record.get("message"), str) or not record["message"].strip():
            bad.append(f"line {number}: needs a non-empty string 'message'")
            continue
        if "reply" in record and not isinstance(record["reply"], str):
            bad.append(f"line {number}: 'reply' must be a string")
            continue
        records.append(record)
    if bad:
        raise DataValidationError(f"{path}: {len(bad)} bad lines, nothing checked:\n  " + "\n  ".join(bad))
    return records


def main(argv: list[str] | None = None) -> int:
    p = parser(__doc__.splitlines()[0])
    p.add_argument("input", type=Path, help="JSON lines: message, and optionally conversation_history, context, reply")
    p.add_argument("--out", type=Path, help="write the verdicts here (JSON lines); default: standard output")
    p.add_argument("--reward-model", help="the reward model folder for the safety head (default: this config's stage)")
    p.add_argument("--no-head", action="store_true", help="rules and reply checks only, without the safety head")
    p.add_argument("--summary", action="store_true", help="print per-category figures for labelled lines")
    args = p.parse_args(argv)
    config = setup(args)
    records = _records(args.input)
    head, threshold, tokenizer = None, 0.5, None
    if not args.no_head:
        from rlhf.data.schema import PatientContext, PatientMessage
        from rlhf.models.reward_scorer import SERVING_BATCH, RewardScorer

        folder = Path(args.reward_model or stage_output(config, "reward_model"))
        if not folder.is_dir():
            raise ModelUnavailableError(f"no reward model at {folder}: train one (make demo) or pass --no-head")
        scorer = RewardScorer(str(folder), SERVING_BATCH, max_prompt_tokens=config.serve.max_prompt_tokens)
        threshold, tokenizer = float(scorer.threshold), scorer.tokenizer  # the base model's (the folder holds none)

        def head(record, history, reply):
            ctx = record.get("context") or {}
            context = PatientContext(ctx.get("age_bracket", "40-50"), ctx.get("visit_type", "follow-up"), ctx.get("sex", "unspecified"))
            return float(scorer.raw_scores([PatientMessage(record["message"], tuple(history), context)], [reply])[1][0])
    verdicts = [verdict(r, threshold, head, tokenizer) for r in records]
    lines = "".join(json.dumps(v, ensure_ascii=False) + "\n" for v in verdicts)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(lines, encoding="utf-8")
        print(f"[gate_check] {len(verdicts)} verdicts -> {args.out}", file=sys.stderr)
    elif not args.summary:
        sys.stdout.write(lines)
    if args.summary:
        print("\n".join(summary_lines(by_category(verdicts, threshold))))
    return 0


if __name__ == "__main__":
    run(main)
