"""Where things live: the project root, the model cache, relative data paths."""

from __future__ import annotations

import os
from pathlib import Path

CACHE_ENV = "CLINICAL_RLHF_CACHE"


def project_root() -> Path:
    """The checkout this package runs from (the folder holding configs/ and data/)."""
    return Path(__file__).resolve().parent.parent


def cache_dir(configured: str | None = None) -> Path:
    """Converted and generated checkpoints: config, then $CLINICAL_RLHF_CACHE, then ~/.cache."""
    raw = configured or os.environ.get(CACHE_ENV) or Path.home() / ".cache" / "clinical-rlhf"
    path = Path(raw).expanduser()
    path.mkdir(parents=True, exist_ok=True)
    return path


def resolve_data_path(path: str | Path) -> Path:
    """Absolute paths as given; relative ones from the working folder, else from the project root."""
    candidate = Path(path).expanduser()
    if candidate.is_absolute() or candidate.exists():
        return candidate
    rooted = project_root() / candidate
    return rooted if rooted.exists() else candidate
