"""What every job shares: `--config` / `--set` parsing, logging, thread limits, clean errors.

jobs/ is the only place that parses command lines; the core takes typed config objects.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Callable

from rlhf.config import Config, explain, load_config
from rlhf.quiet import quiet_libraries
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
    p.add_argument(
        "--explain", metavar="KEY",
        help="describe a setting (e.g. ppo.beta: type, bounds, default, resolved value) or a section's settings (e.g. ppo), and exit",
    )
    return p


def setup(args: argparse.Namespace) -> Config:
    """Logging, quiet third-party chatter, the config, and torch's thread count."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s", datefmt="%H:%M:%S")
    quiet_libraries()
    config = load_config(args.config, args.overrides)
    if args.print_config:
        import yaml

        print(yaml.safe_dump(config.model_dump(), sort_keys=False), end="")
        sys.exit(0)
    if args.explain:
        print(explain(config, args.explain))  # an unknown key is a ConfigError: run() prints it and exits 2
        sys.exit(0)
    import torch

    torch.set_num_threads(config.runtime.torch_threads)
    torch.manual_seed(config.runtime.seed)
    return config


def exit_code(main: Callable[[list[str] | None], int | None], argv: list[str] | None = None) -> int:
    """Run a job's `main(argv)` and return its exit code: a user-facing error becomes one message on
    stderr (1 bad data, 2 bad config or missing input), never a traceback. Tests call jobs this way,
    in-process, where a new process would add only its start-up."""
    try:
        code = main(argv)
    except DataValidationError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except RLHFError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except SystemExit as exc:  # argparse's usage errors and --help; --print-config and --explain
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 2)
    return code or 0


def run(main: Callable[[list[str] | None], int | None]) -> None:
    """A job script's entry point: its main on the command line's arguments, then exit with its code."""
    sys.exit(exit_code(main))
