"""What every job shares: `--config` / `--set` parsing, logging, thread limits, clean errors.

jobs/ is the only place that parses command lines; the core takes typed config objects.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Callable

from rlhf.config import Config, load_config
from rlhf.errors import DataValidationError, RLHFError

DEFAULT_PRESET = "configs/default.yaml"


def parser(description: str, stage: bool = False) -> argparse.ArgumentParser:
    """The flags every job takes; `stage` adds --force for jobs that skip current output."""
    p = argparse.ArgumentParser(description=description)
    if stage:
        p.add_argument("--force", action="store_true", help="train even when the output is current for the config and data")
    p.add_argument("--config", default=DEFAULT_PRESET, help="YAML preset: a path or a name in configs/ (default: %(default)s)")
    p.add_argument(
        "--set", dest="overrides", action="append", default=[], metavar="SECTION.KEY=VALUE",
        help="override one setting, e.g. --set ppo.beta=0.05 (repeatable)",
    )
    p.add_argument("--print-config", action="store_true", help="print the resolved config and exit")
    return p


def setup(args: argparse.Namespace) -> Config:
    """Logging, quiet third-party chatter, the config, and torch's thread count."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s", datefmt="%H:%M:%S")
    for noisy in ("httpx", "urllib3", "filelock", "alembic", "mlflow", "presidio-analyzer", "presidio-anonymizer"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
    os.environ.setdefault("MLFLOW_LOGGING_LEVEL", "WARNING")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    import transformers

    transformers.logging.disable_progress_bar()  # sub-second weight loads; the jobs print their own progress
    config = load_config(args.config, args.overrides)
    if args.print_config:
        import yaml

        print(yaml.safe_dump(config.model_dump(), sort_keys=False), end="")
        sys.exit(0)
    import torch

    torch.set_num_threads(config.runtime.torch_threads)
    torch.manual_seed(config.runtime.seed)
    return config


def run(main: Callable[[], int | None]) -> None:
    """Run a job's main; a user-facing error becomes one message and a non-zero exit."""
    try:
        code = main()
    except DataValidationError as exc:
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(1)
    except RLHFError as exc:
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(2)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        sys.exit(130)
    sys.exit(code or 0)
