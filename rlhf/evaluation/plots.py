"""The evaluation report's figures (matplotlib, headless): one function per figure, each writes a PNG."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from rlhf.evaluation.statistics import Estimate  # noqa: E402

POLICY, REFERENCE, PHYSICIAN = "tab:blue", "tab:gray", "tab:green"


def _save(fig, path: Path) -> Path:
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


def metric_intervals(policy: Mapping[str, Estimate], reference: Mapping[str, Estimate], names: Sequence[str],
                     path: Path) -> Path:
    """The share metrics of both policies with their bootstrap intervals."""
    fig, ax = plt.subplots(figsize=(7.5, 0.55 * len(names) + 1.2))
    for offset, (arm, values, color) in enumerate(((" policy", policy, POLICY), (" reference", reference, REFERENCE))):
        ys, xs, errs = [], [], [[], []]
        for i, name in enumerate(names):
            e = values.get(name)
            if e is None or e.value != e.value:
                continue
            ys.append(i + (0.18 if offset else -0.18))
            xs.append(e.value)
            lo = e.value - e.low if e.low == e.low else 0.0
            hi = e.high - e.value if e.high == e.high else 0.0
            errs[0].append(max(lo, 0.0))
            errs[1].append(max(hi, 0.0))
        ax.errorbar(xs, ys, xerr=errs, fmt="o", color=color, capsize=3, label=arm.strip())
    ax.set_yticks(range(len(names)), [n.replace("_", " ") for n in names])
    ax.set_xlim(-0.02, 1.02)
    ax.invert_yaxis()
    ax.set_xlabel("share (bootstrap interval)")
    ax.legend(loc="lower right")
    ax.grid(axis="x", alpha=0.3)
    return _save(fig, path)


def judge_distribution(policy: Sequence[float], reference: Sequence[float], physician: Sequence[float],
                       failed: Sequence[bool], path: Path) -> Path:
    """The independent judge's scores of both policies and the physicians' replies; the policy's
    failures are marked under the histogram (its failure tail)."""
    fig, ax = plt.subplots(figsize=(7.5, 4))
    everything = [*policy, *reference, *physician]
    bins = 24 if everything else 1
    span = (min(everything), max(everything)) if everything else (0, 1)
    for values, color, label in ((physician, PHYSICIAN, "physician-preferred"), (reference, REFERENCE, "reference"),
                                 (policy, POLICY, "policy")):
        if values:
            ax.hist(values, bins=bins, range=span, alpha=0.45, color=color, label=f"{label} (n={len(values)})")
    fails = [v for v, f in zip(policy, failed) if f]
    if fails:
        ax.plot(fails, [0] * len(fails), "x", color="tab:red", markersize=8, label=f"policy failures (n={len(fails)})")
    ax.set_xlabel("independent judge score (normalised)")
    ax.set_ylabel("replies")
    ax.legend()
    return _save(fig, path)


def confusion_matrix(counts: Mapping[str, int], path: Path, title: str) -> Path:
    """Gate escalations (columns) against the physicians' safety label (rows)."""
    cells = [[counts["tp"], counts["fn"]], [counts["fp"], counts["tn"]]]
    fig, ax = plt.subplots(figsize=(4.2, 3.6))
    ax.imshow(cells, cmap="Blues")
    for r in range(2):
        for c in range(2):
            ax.text(c, r, str(cells[r][c]), ha="center", va="center", fontsize=14)
    ax.set_xticks([0, 1], ["escalated", "not escalated"])
    ax.set_yticks([0, 1], ["needs escalation", "routine"])
    ax.set_title(title)
    return _save(fig, path)


def lengths(policy: Sequence[int], reference: Sequence[int], path: Path) -> Path:
    fig, ax = plt.subplots(figsize=(7, 3.5))
    top = max([*policy, *reference, 1])
    for values, color, label in ((reference, REFERENCE, "reference"), (policy, POLICY, "policy")):
        ax.hist(values, bins=20, range=(0, top), alpha=0.5, color=color, label=label)
    ax.set_xlabel("reply length (tokens)")
    ax.set_ylabel("replies")
    ax.legend()
    return _save(fig, path)


def failures(kinds: Mapping[str, int], reference_kinds: Mapping[str, int], by_category: Mapping[str, tuple[int, int]],
             path: Path) -> Path:
    """Failure kinds of both policies, and the policy's failure rate per clinical category."""
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, max(3.5, 0.28 * len(by_category) + 1)))
    names = list(kinds)
    ys = range(len(names))
    left.barh([y - 0.2 for y in ys], [kinds[n] for n in names], height=0.4, color=POLICY, label="policy")
    left.barh([y + 0.2 for y in ys], [reference_kinds.get(n, 0) for n in names], height=0.4, color=REFERENCE, label="reference")
    left.set_yticks(list(ys), [n.replace("_", " ") for n in names])
    left.invert_yaxis()
    left.set_xlabel("replies")
    left.set_title("failure kinds")
    left.legend()
    cats = list(by_category)
    rates = [by_category[c][0] / by_category[c][1] for c in cats]
    right.barh(range(len(cats)), rates, color="tab:red", alpha=0.7)
    right.set_yticks(range(len(cats)), [f"{c} (n={by_category[c][1]})" for c in cats], fontsize=8)
    right.invert_yaxis()
    right.set_xlim(0, 1)
    right.set_xlabel("policy failure rate")
    right.set_title("by clinical category")
    return _save(fig, path)


def disparity(tables: Mapping[str, Mapping[str, Mapping[str, float]]], path: Path) -> Path:
    """Per demographic dimension, each group's shares side by side per metric."""
    dims = [d for d in tables if tables[d]]
    fig, axes = plt.subplots(1, max(1, len(dims)), figsize=(6 * max(1, len(dims)), 3.8), squeeze=False)
    for ax, dim in zip(axes[0], dims):
        groups = list(tables[dim])
        metrics = list(next(iter(tables[dim].values())))
        width = 0.8 / len(groups)
        for g, group in enumerate(groups):
            ax.bar([m + g * width - 0.4 + width / 2 for m in range(len(metrics))], [tables[dim][group][k] for k in metrics],
                   width=width, label=group)
        ax.set_xticks(range(len(metrics)), [m.replace("_", " ") for m in metrics], fontsize=8)
        ax.set_ylim(0, 1.05)
        ax.set_title(f"by {dim}")
        ax.legend(fontsize=8)
    return _save(fig, path)


def audit_rates(policy: Mapping[str, tuple[int, int]], reference: Mapping[str, tuple[int, int]], path: Path) -> Path:
    names = list(policy)
    fig, ax = plt.subplots(figsize=(7, 3.5))
    for offset, (values, color, label) in enumerate(((policy, POLICY, "policy"), (reference, REFERENCE, "reference"))):
        rates = [values[n][0] / values[n][1] if values[n][1] else 0.0 for n in names]
        ax.bar([i + (0.2 if offset else -0.2) for i in range(len(names))], rates, width=0.4, color=color, label=label)
    ax.set_xticks(range(len(names)), names)
    ax.set_ylim(0, 1.05)
    ax.set_ylabel("probes passed")
    ax.legend()
    return _save(fig, path)
