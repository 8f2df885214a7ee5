"""One evaluation's report: a self-contained HTML page (figures embedded) and a Markdown twin
(figures beside it in plots/), plus the console summary the job ends with."""

from __future__ import annotations

import base64
import html
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from rlhf.config import EVAL_METRICS
from rlhf.evaluation import plots
from rlhf.evaluation.audit import pass_rates, passes
from rlhf.evaluation.errors import FAILURE_KINDS, Case, clusters, confusion, kind_counts, lowest
from rlhf.evaluation.records import Answer, Probe
from rlhf.evaluation.comparison import COMPARISON_METRICS
from rlhf.evaluation.statistics import Disparity, Estimate
from rlhf.evaluation.summary import PERCENT_METRICS, Summary

HEADLINE = EVAL_METRICS  # the metrics targets may bound, in the order the tables show them


@dataclass
class Evaluation:
    """Everything one evaluation measured, as the report shows it."""

    policy_dir: str
    reference_dir: str
    judge_dir: str
    summary: Summary
    cases: list[Case]  # the policy's held-out replies with their failure kind
    reference_cases: list[Case]
    audit_probes: list[Probe]
    audit_policy: list[Answer]
    audit_reference: list[Answer]
    demographic: dict[str, dict[str, dict[str, float]]]
    disparities: list[tuple[str, Disparity]]
    missed_targets: list[str]
    targets: dict[str, dict[str, float]]
    error_examples: int = 20
    notes: list[str] = field(default_factory=list)
    comparison: dict[str, dict[str, Estimate]] = field(default_factory=dict)  # arm -> metric (rlhf/evaluation/comparison.py)

    @property
    def passed(self) -> bool:
        return not self.missed_targets


def _fmt(name: str, value: float) -> str:
    if math.isnan(value):
        return "n/a"
    return f"{value:.1%}" if name in PERCENT_METRICS else f"{value:.3f}"


def _estimate_text(summary_part, name: str) -> str:
    e = summary_part.get(name)
    return "-" if e is None else e.as_text(percent=name in PERCENT_METRICS)


def _target_text(name: str, targets: dict[str, dict[str, float]]) -> str:
    parts = [f"> {_fmt(name, v)}" for k, v in targets.get("above", {}).items() if k == name]
    parts += [f"< {_fmt(name, v)}" for k, v in targets.get("below", {}).items() if k == name]
    return " ".join(parts)


def withheld_reasons(found: Sequence[Case]) -> dict[str, int]:
    """How often each check withheld a held-out reply (red flags and the head escalate, they do not withhold)."""
    counts: dict[str, int] = {}
    for case in found:
        if case.answer.passes_gate:
            continue
        for finding in case.answer.decision.findings:
            if finding.startswith(("red flag", "safety head")):
                continue
            reason = "degenerate (looping) reply" if finding.startswith("degenerate") else finding
            counts[reason] = counts.get(reason, 0) + 1
    return counts


def tables(ev: Evaluation) -> dict[str, tuple[list[str], list[list[str]]]]:
    """Every table of the report as (header, rows), shared by the HTML and Markdown writers."""
    out: dict[str, tuple[list[str], list[list[str]]]] = {}
    if ev.comparison:
        out[COMPARISON_TITLE] = comparison_table(ev.comparison)
    s = ev.summary
    out["Headline metrics (95% bootstrap intervals over prompts)"] = (
        ["metric", "policy", "reference", "target"],
        [[n.replace("_", " "), _estimate_text(s.policy, n), _estimate_text(s.reference, n), _target_text(n, ev.targets)]
         for n in HEADLINE if n in s.policy],
    )
    out["Reply length (tokens)"] = (["", "mean", "median", "p90", "max"],
                                    [[arm, *(f"{v:.1f}" for v in s.lengths[arm].values())] for arm in ("policy", "reference")])
    conf = confusion([c.probe for c in ev.cases], [c.answer for c in ev.cases])
    out["Safety decisions of the gate on the policy's replies (rows: physicians' label)"] = (
        ["", "escalated", "not escalated"],
        [["needs escalation", str(conf["tp"]), str(conf["fn"])], ["routine", str(conf["fp"]), str(conf["tn"])]],
    )
    why, ref_why = withheld_reasons(ev.cases), withheld_reasons(ev.reference_cases)
    out["Why the gate withheld replies (a reply can have several reasons)"] = (
        ["reason", "policy", "reference"], [[r, str(why.get(r, 0)), str(ref_why.get(r, 0))] for r in sorted({*why, *ref_why})]
        or [["none withheld", "0", "0"]])
    kinds, ref_kinds = kind_counts(ev.cases), kind_counts(ev.reference_cases)
    out["Failure kinds (docs/metrics.md#error-analysis)"] = (
        ["kind", "policy", "reference"], [[k.replace("_", " "), str(kinds[k]), str(ref_kinds[k])] for k in FAILURE_KINDS])
    for dim, rates in clusters(ev.cases).items():
        out[f"Policy failures by {dim}"] = ([dim, "failures", "replies", "rate"],
                                            [[g, str(f), str(n), f"{f / n:.0%}"] for g, (f, n) in rates.items()])
    shown = lowest(ev.cases, ev.error_examples)
    out[f"The {len(shown)} lowest-scoring replies (independent judge) beside the physician-preferred one"] = (
        ["#", "category", "patient", "policy reply", "judge", "physician-preferred reply", "judge", "failure"],
        [[str(i + 1), c.probe.category, c.probe.prompt, c.answer.text, f"{c.answer.judge:+.2f}", c.probe.chosen or "",
          "" if c.chosen_judge is None else f"{c.chosen_judge:+.2f}", (c.kind or "").replace("_", " ")]
         for i, c in enumerate(shown)],
    )
    rates, ref_rates = pass_rates(ev.audit_probes, ev.audit_policy), pass_rates(ev.audit_probes, ev.audit_reference)
    out["Ethical audit: probes passed"] = (["set", "policy", "reference"],
                                           [[k, f"{v[0]}/{v[1]}", f"{ref_rates[k][0]}/{ref_rates[k][1]}"] for k, v in rates.items()])
    for dim, table in ev.demographic.items():
        metrics = list(next(iter(table.values()))) if table else []
        out[f"Demographic audit by {dim} (policy)"] = ([dim, *(m.replace("_", " ") for m in metrics)],
                                                       [[g, *(f"{v[m]:.0%}" for m in metrics)] for g, v in table.items()])
    out["Flagged demographic gaps"] = (
        ["dimension", "metric", "lowest group", "highest group", "gap"],
        [[dim, d.metric.replace("_", " "), f"{d.low_group} ({d.low:.0%})", f"{d.high_group} ({d.high:.0%})", f"{d.gap:.0%}"]
         for dim, d in ev.disparities] or [["-", "none over the threshold", "", "", ""]],
    )
    out["Audit probes and the policy's replies"] = (
        ["set", "probe", "patient", "policy reply", "passes"],
        [[p.audit_set or "", p.probe_id, p.prompt, a.text, "yes" if passes(p, a) else "NO"]
         for p, a in zip(ev.audit_probes, ev.audit_policy) if p.audit_set != "demographic"],
    )
    return out


COMPARISON_TITLE = ("Every policy side by side on the held-out prompts (95% bootstrap intervals; win rates against SFT by the "
                    "independent judge, a reply the gate withholds losing to one it lets through)")
COMPARISON_LABELS = {"win_rate": "win rate vs SFT (ties apart)", "tie_rate": "tie rate vs SFT",
                     "lc_win_rate": "length-controlled win rate vs SFT", "win_vs_physician": "win rate vs physician reply",
                     "safety_compliance": "gate compliance", "over_refusal": "over-refusal (benign)",
                     "over_escalation": "over-escalation (benign)", "kl": "KL from SFT", "length_mean": "length (tokens)"}


def comparison_table(comparison: dict[str, dict[str, Estimate]]) -> tuple[list[str], list[list[str]]]:
    """Metrics as rows, policies as columns (the physicians' replies last, as the ceiling)."""
    arms = list(comparison)
    metrics = [m for m in COMPARISON_METRICS if any(m in row for row in comparison.values())]
    return (["metric", *arms],
            [[COMPARISON_LABELS.get(m, m.replace("_", " ")), *(_estimate_text(comparison[a], m) for a in arms)] for m in metrics])


def figures(ev: Evaluation, folder: Path) -> dict[str, Path]:
    """Caption -> PNG path of every figure."""
    s = ev.summary
    shares = [n for n in HEADLINE if n in PERCENT_METRICS and n in s.policy]
    conf = confusion([c.probe for c in ev.cases], [c.answer for c in ev.cases])
    cats = clusters(ev.cases)["category"]
    figs = {
        "Share metrics with bootstrap intervals": plots.metric_intervals(s.policy, s.reference, shares, folder / "metrics.png"),
        "Independent judge scores; the policy's failures marked (x) in the tail": plots.judge_distribution(
            [c.answer.judge for c in ev.cases], [c.answer.judge for c in ev.reference_cases],
            [c.chosen_judge for c in ev.cases if c.chosen_judge is not None], [c.kind is not None for c in ev.cases],
            folder / "judge_scores.png"),
        "Confusion matrix of the gate's escalations (policy)": plots.confusion_matrix(conf, folder / "confusion.png", "policy"),
        "Failure kinds and failure rate by category": plots.failures(kind_counts(ev.cases), kind_counts(ev.reference_cases), cats,
                                                                     folder / "failures.png"),
        "Reply lengths": plots.lengths([c.answer.tokens for c in ev.cases], [c.answer.tokens for c in ev.reference_cases],
                                       folder / "lengths.png"),
        "Ethical audit pass rates": plots.audit_rates(pass_rates(ev.audit_probes, ev.audit_policy),
                                                      pass_rates(ev.audit_probes, ev.audit_reference), folder / "audit.png"),
    }
    if any(ev.demographic.values()):
        figs["Demographic audit: the same queries by age bracket and sex"] = plots.disparity(ev.demographic, folder / "demographic.png")
    return figs


def _verdict(ev: Evaluation) -> str:
    """The gate as it stood when the report was written (jobs/evaluate.py --gate applies the targets in force)."""
    return "PASSED: every target holds" if ev.passed else "FAILED: " + "; ".join(ev.missed_targets)


_CSS = """body{font-family:system-ui,sans-serif;margin:2em auto;max-width:1200px;color:#222}
table{border-collapse:collapse;margin:.5em 0 1.5em}td,th{border:1px solid #ccc;padding:4px 8px;vertical-align:top;font-size:13px}
th{background:#f3f3f3}td{max-width:420px}img{max-width:100%;border:1px solid #eee;margin:.3em 0 1.5em}
.pass{color:#176b2c;font-weight:bold}.fail{color:#b00020;font-weight:bold}"""


def write_html(ev: Evaluation, figs: dict[str, Path], path: Path) -> Path:
    e = html.escape
    parts = [f"<!doctype html><html><head><meta charset='utf-8'><title>Clinical RLHF evaluation</title><style>{_CSS}</style>"
             "</head><body><h1>Clinical RLHF evaluation</h1>",
             f"<p>policy <code>{e(ev.policy_dir)}</code> against reference <code>{e(ev.reference_dir)}</code>; "
             f"independent judge <code>{e(ev.judge_dir)}</code>. Synthetic data: not for clinical use.</p>",
             f"<p class='{'pass' if ev.passed else 'fail'}'>Evaluation gate {e(_verdict(ev))}</p>"]
    parts += [f"<p>{e(n)}</p>" for n in ev.notes]
    for title, (header, rows) in tables(ev).items():
        parts.append(f"<h2>{e(title)}</h2><table><tr>{''.join(f'<th>{e(h)}</th>' for h in header)}</tr>")
        parts += [f"<tr>{''.join(f'<td>{e(c)}</td>' for c in row)}</tr>" for row in rows]
        parts.append("</table>")
    parts.append("<h2>Figures</h2>")
    for caption, png in figs.items():
        data = base64.b64encode(png.read_bytes()).decode()
        parts.append(f"<h3>{e(caption)}</h3><img alt='{e(caption)}' src='data:image/png;base64,{data}'>")
    parts.append("</body></html>")
    path.write_text("\n".join(parts))
    return path


def _md_cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def write_markdown(ev: Evaluation, figs: dict[str, Path], path: Path) -> Path:
    lines = ["# Clinical RLHF evaluation", "",
             f"Policy `{ev.policy_dir}` against reference `{ev.reference_dir}`; independent judge `{ev.judge_dir}`. "
             "Synthetic data: not for clinical use.", "", f"**Evaluation gate {_verdict(ev)}**", "", *ev.notes]
    for title, (header, rows) in tables(ev).items():
        lines += ["", f"## {title}", "", "| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
        lines += ["| " + " | ".join(_md_cell(c) for c in row) + " |" for row in rows]
    lines += ["", "## Figures"]
    for caption, png in figs.items():
        lines += ["", f"### {caption}", "", f"![{caption}]({png.relative_to(path.parent)})"]
    path.write_text("\n".join(lines) + "\n")
    return path


def write_report(ev: Evaluation, folder: Path) -> tuple[Path, Path]:
    """report.html (self-contained) and report.md with plots/*.png, in `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    figs = figures(ev, folder / "plots")
    return write_html(ev, figs, folder / "report.html"), write_markdown(ev, figs, folder / "report.md")


def console_summary(ev: Evaluation) -> list[str]:
    """The metric lines the job prints at the end (the gate's verdict is added by the job, from the
    targets in force then)."""
    s = ev.summary
    lines = []
    if ev.comparison:
        header, rows = comparison_table(ev.comparison)
        first = max(len(r[0]) for r in rows)
        cells = [max(len(r[i]) for r in [header, *rows]) for i in range(1, len(header))]
        lines.append("side by side on the held-out prompts (win rates vs SFT by the independent judge):")
        for row in [header, *rows]:
            lines.append(f"{row[0]:{first}}  " + "  ".join(f"{c:>{w}}" for c, w in zip(row[1:], cells)))
    width = max(len(n) for n in HEADLINE)
    lines.append(f"{'':{width}}  {'policy':>28}  {'reference':>28}")
    for name in HEADLINE:
        if name in s.policy:
            lines.append(f"{name.replace('_', ' '):{width}}  {_estimate_text(s.policy, name):>28}  "
                         f"{_estimate_text(s.reference, name):>28}")
    kinds = kind_counts(ev.cases)
    lines.append("failures: " + ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in kinds.items()))
    lines.append("demographic gaps flagged: " + (", ".join(f"{d.metric.replace('_', ' ')} by {dim} {d.gap:.0%}"
                                                           for dim, d in ev.disparities) or "none"))
    return lines

