"""Plots people look at rather than read: reward distributions and safety-head calibration."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def reward_histogram(r_chosen: Sequence[float], r_rejected: Sequence[float], path: Path, title: str) -> Path:
    fig, ax = plt.subplots(figsize=(7, 4))
    bins = 40
    ax.hist(r_rejected, bins=bins, alpha=0.6, label=f"rejected (n={len(r_rejected)})", color="tab:red")
    ax.hist(r_chosen, bins=bins, alpha=0.6, label=f"physician-preferred (n={len(r_chosen)})", color="tab:green")
    ax.set_xlabel("normalised reward")
    ax.set_ylabel("responses")
    ax.set_title(title)
    ax.legend()
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def calibration_plot(labels: Sequence[int], probs: Sequence[float], path: Path, title: str, bins: int = 10) -> Path:
    """Reliability diagram: observed escalation rate per bin of predicted probability."""
    centers, observed, counts = [], [], []
    for b in range(bins):
        low, high = b / bins, (b + 1) / bins
        idx = [i for i, p in enumerate(probs) if low <= p < high or (b == bins - 1 and p == 1.0)]
        if idx:
            centers.append(sum(probs[i] for i in idx) / len(idx))
            observed.append(sum(labels[i] for i in idx) / len(idx))
            counts.append(len(idx))
    fig, ax = plt.subplots(figsize=(5, 5))
    ax.plot([0, 1], [0, 1], "--", color="grey", label="perfect calibration")
    ax.plot(centers, observed, "o-", label="safety head")
    for x, y, n in zip(centers, observed, counts):
        ax.annotate(str(n), (x, y), textcoords="offset points", xytext=(4, -10), fontsize=7)
    ax.set_xlabel("predicted P(escalation)")
    ax.set_ylabel("observed share needing escalation")
    ax.set_title(title)
    ax.legend(loc="upper left")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
