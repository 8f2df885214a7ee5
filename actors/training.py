"""Ray Train shell around the Ray-free training loops: one TorchTrainer, N workers, DDP or DeepSpeed ZeRO.

The same call runs one CPU worker on a laptop or N GPU workers on a cluster; only the config's
`train` section changes.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import torch

from actors.cluster import ensure_ray, gpus_available
from rlhf.config import Config, TrainSettings
from rlhf.quiet import quiet_libraries
from rlhf.training.optimization import Optimization, make_optimization
from rlhf.tracking import RunLogger, tracking_uri

log = logging.getLogger(__name__)
RESULT_FILE = "result.json"


class RayTrainContext:
    """rlhf.training.context.TrainContext on a Ray Train worker."""

    def __init__(self, settings: TrainSettings, metrics_uri: str | None, run_id: str | None):
        import ray.train
        import ray.train.torch

        self._train, self._settings = ray.train, settings
        self._torch = ray.train.torch
        context = ray.train.get_context()
        self.rank, self.world_size = context.get_world_rank(), context.get_world_size()
        self.device = ray.train.torch.get_device()
        self._mlflow = RunLogger(metrics_uri, run_id) if (metrics_uri and run_id and self.rank == 0) else None

    def prepare_model(self, model: torch.nn.Module) -> torch.nn.Module:
        if self._settings.strategy == "deepspeed":
            return model.to(self.device)  # deepspeed.initialize wraps it in `optimization`
        return self._torch.prepare_model(model)

    def optimization(self, model: torch.nn.Module, optimizer: torch.optim.Optimizer, scheduler, max_grad_norm: float,
                     micro_batch: int, grad_accum: int) -> Optimization:
        return make_optimization(self._settings, model, optimizer, scheduler, max_grad_norm, micro_batch, grad_accum,
                                 self.rank, self.world_size)

    def report(self, metrics: Mapping[str, float], step: int) -> None:
        if step % self._settings.ray_report_every == 0:  # the same steps on every worker: Ray Train needs equal counts
            self._train.report({**metrics, "step": step})
        if self._mlflow is not None:
            self._mlflow.log_metrics(metrics, step)

    def mean(self, value: float) -> float:
        if self.world_size == 1 or not torch.distributed.is_initialized():
            return value
        tensor = torch.tensor([value], dtype=torch.float64, device=self.device)
        torch.distributed.all_reduce(tensor)
        return float(tensor.item()) / self.world_size


def _loop(loop_config: dict[str, Any]) -> None:
    """Runs on every worker: rebuild the config, run the stage's loop, rank 0 writes the result."""
    import importlib

    config = Config.model_validate(loop_config["config"])
    torch.set_num_threads(loop_config["threads"])
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s", datefmt="%H:%M:%S")
    quiet_libraries()  # ray.train among them: it logs every report at INFO
    try:  # ...and so does Ray Train v2's worker context, under a logger named by its file path
        from ray.train.v2._internal.execution import context as ray_train_context

        logging.getLogger(ray_train_context.__file__).setLevel(logging.WARNING)
    except ImportError:
        pass
    module, name = loop_config["entry"].rsplit(".", 1)
    entry: Callable = getattr(importlib.import_module(module), name)
    ctx = RayTrainContext(config.train, loop_config["metrics_uri"], loop_config["run_id"])
    out_dir = Path(loop_config["out_dir"])
    result = entry(config, ctx, out_dir, loop_config["fingerprint"], **loop_config.get("kwargs", {}))
    if ctx.rank == 0:
        (out_dir / RESULT_FILE).write_text(json.dumps(result, indent=2))


def fit(entry: str, config: Config, out_dir: Path, fingerprint: str, run_id: str | None, **kwargs: Any) -> dict[str, Any]:
    """Run `entry` (a dotted path to a loop `(config, ctx, out_dir, fingerprint, **kwargs) -> dict`)
    under Ray Train and return rank 0's result."""
    from ray.train import RunConfig, ScalingConfig
    from ray.train.torch import TorchTrainer

    ensure_ray(config)
    train = config.train
    use_gpu = gpus_available() if train.use_gpu == "auto" else bool(train.use_gpu)
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / RESULT_FILE).unlink(missing_ok=True)
    trainer = TorchTrainer(
        _loop,
        train_loop_config={
            "entry": entry,
            "config": config.model_dump(),
            "out_dir": str(out_dir),
            "fingerprint": fingerprint,
            "run_id": run_id,
            "metrics_uri": tracking_uri(config.tracking) if config.tracking.enabled else None,
            "threads": max(1, int(train.cpus_per_worker)),
            "kwargs": kwargs,
        },
        scaling_config=ScalingConfig(
            num_workers=train.num_workers, use_gpu=use_gpu, resources_per_worker={"CPU": train.cpus_per_worker}
        ),
        run_config=RunConfig(name=out_dir.name, storage_path=str(out_dir / "ray")),
    )
    strategy = f"DeepSpeed ZeRO-{train.zero_stage}" if train.strategy == "deepspeed" else "DDP"
    log.info("Ray Train: %d worker(s), %s, %s CPU each, %s", train.num_workers, "GPU" if use_gpu else "CPU",
             train.cpus_per_worker, strategy)
    trainer.fit()
    return json.loads((out_dir / RESULT_FILE).read_text())
