"""Shared fixtures. Tests never reach a model hub: HF_HUB_OFFLINE is set for the whole session."""

from __future__ import annotations

import os

os.environ["HF_HUB_OFFLINE"] = "1"
os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
# Each test run validates the shipped data afresh (once: the stages and jobs it starts share this cache),
# so its duration counts the de-identification pass a new user's first run pays.
import tempfile  # noqa: E402

os.environ.setdefault("RLHF_CACHE_DIR", tempfile.mkdtemp(prefix="rlhf-test-cache-"))

import signal  # noqa: E402
import subprocess  # noqa: E402
import time  # noqa: E402
from dataclasses import dataclass  # noqa: E402
from pathlib import Path  # noqa: E402

import pytest  # noqa: E402

from rlhf.paths import project_root  # noqa: E402

ROOT = project_root()
DATA = ROOT / "data" / "clinical_prefs"


@pytest.fixture(scope="session", autouse=True)
def _one_thread():
    import torch

    torch.set_num_threads(1)


@pytest.fixture(scope="session")
def tiny_path() -> Path:
    """The tiny random model's folder (built once from the converted SmolLM2 config and tokenizer)."""
    from rlhf.models.checkpoints import resolve_checkpoint

    return resolve_checkpoint("smollm2-tiny")


@pytest.fixture(scope="session")
def tokenizer(tiny_path):
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(tiny_path)


@pytest.fixture(scope="session")
def held_out_pairs():
    from rlhf.data.loading import load_preferences

    return load_preferences(DATA / "test.parquet")


@pytest.fixture(scope="session")
def ray_cluster():
    """One local Ray for the whole run, shared by the in-process jobs, the PPO actors and Serve: a Ray
    start costs ~10 s, paid once. 8 logical CPUs: the endpoint's deployments and a Tune trial's
    bundles fit beside each other (the machine's 2 cores are shared by time, as on a real node)."""
    import ray

    os.environ.setdefault("RAY_AUTH_MODE", "disabled")
    if not ray.is_initialized():
        ray.init(address="local", num_cpus=8, include_dashboard=False, log_to_driver=True)
    yield ray


@pytest.fixture(scope="session")
def ppo_inputs(tmp_path_factory) -> Path:
    """A tiny SFT policy, reward model and judge, trained in-process once per run (the PPO job's inputs,
    in the folders a config's own stages use)."""
    from rlhf.config import load_config
    from rlhf.training.context import LocalContext
    from rlhf.training.reward import run_reward_model
    from rlhf.training.sft import run_sft

    out = tmp_path_factory.mktemp("ppo")
    config = load_config("tiny", [f"runtime.output_dir={out}"])
    run_sft(config, LocalContext(), out / "sft", "fp")
    for role in ("reward_model", "judge"):
        run_reward_model(config, LocalContext(), out / role, "fp", role=role)
    return out


@dataclass
class JobRun:
    code: int
    out: str
    err: str


@pytest.fixture
def call_job(capsys):
    """`call_job("check_data", ...)`: a job's entry function in this process, with its exit code and
    console, as `python jobs/<name>.py ...` would give them (for jobs that start no Ray: see run_job)."""
    import importlib

    import torch

    from jobs._cli import exit_code

    def call(name: str, *argv: str) -> JobRun:
        module = importlib.import_module(f"jobs.{name}")
        threads = torch.get_num_threads()
        capsys.readouterr()
        try:
            code = exit_code(module.main, [str(a) for a in argv])
        finally:
            torch.set_num_threads(threads)  # a job sets its own (runtime.torch_threads)
        captured = capsys.readouterr()
        return JobRun(code, captured.out, captured.err)

    return call


@pytest.fixture
def run_job(ray_cluster, call_job):
    """`run_job("sft", "--config", "tiny", ...)`: as call_job, on the shared Ray (a job's own
    ensure_ray finds it started)."""
    return call_job


def sets(*overrides: str) -> list[str]:
    """`--set` flags for each override."""
    return [a for o in overrides for a in ("--set", o)]


def kill_job_after_checkpoint(args: list[str], checkpoints: Path, pattern: str, timeout: float, ray) -> list[str]:
    """Start the job `args` as a driver of the shared Ray (`ray_cluster`: as `ray job submit` runs one on a
    running cluster, without a Ray start of its own), SIGKILL its whole process group once a checkpoint
    matching `pattern` exists (as an OOM killer or a lost node would), and return the checkpoint folders
    left behind. Ray ends the killed driver's actors and Ray Train workers with it."""
    env = {**os.environ, "RAY_ADDRESS": ray.get_runtime_context().gcs_address}
    proc = subprocess.Popen(args, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True, env=env)
    deadline = time.time() + timeout
    while time.time() < deadline and not list(checkpoints.glob(pattern)):
        assert proc.poll() is None, "the job ended before it could be killed"
        time.sleep(0.2)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    return sorted(p.name for p in checkpoints.glob("step-*"))


# The files that hold the long job tests, in the order the two workers should take them. `make test`
# hands whole files out in collection order (`--dist loadfile --no-loadscope-reorder`), and xdist gives a
# worker its next file once its current one has at most 2 tests left. Measured on a 2-core machine: the
# PPO file (about 8 minutes) keeps one worker busy while the other runs the Serve, end-to-end and
# training-job files (about as long together); the short files then fill in on the first one, and both
# finish close together.
LONG_FILES = ("test_ppo_job.py", "test_serve_app.py", "test_e2e.py", "test_training_jobs.py", "test_synthetic.py",
              "test_training.py", "test_models.py")


def pytest_collection_modifyitems(items):
    rank = {name: i for i, name in enumerate(LONG_FILES)}
    items.sort(key=lambda item: rank.get(item.path.name, len(LONG_FILES)))  # stable: a file's own order holds


_exit_status: list[int] = []


def pytest_sessionfinish(session, exitstatus):
    _exit_status.append(int(exitstatus))


@pytest.hookimpl(trylast=True)
def pytest_unconfigure(config):
    """Leave without the interpreter's teardown once pytest has reported. After a full run with
    in-process Ray, DeepSpeed (gloo) and vLLM-importing tests, the native libraries' exit handlers
    crashed the interpreter (SIGSEGV) after all 156 tests had passed, turning a green run red."""
    import sys

    if _exit_status:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(_exit_status[0])
