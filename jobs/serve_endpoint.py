"""Start the safety-gated endpoint POST /api/v1/clinical-assist on Ray Serve, and keep it up until Ctrl-C.

    SERVE_API_KEYS=<key> python jobs/serve_endpoint.py [--config configs/default.yaml] [--port 8000] [--set serve.backend=hf ...]

Serves this config's trained policies (runs/sft/merged as the baseline, runs/ppo/adapter as the
RLHF policy) and reward model, or the folders in serve.*_dir; train them first (make demo). Joins
$RAY_ADDRESS or runtime.ray_address if set, else starts a private local Ray. Exit codes: 0 stopped,
2 bad config, no API key or a missing model.
"""

from __future__ import annotations

import signal
import time

from jobs._cli import parser, run, setup

from actors.cluster import ensure_ray


def main(argv: list[str] | None = None) -> int:
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--port", type=int, help="HTTP port (default: serve.port)")
    p.add_argument("--host", help="HTTP host (default: serve.host, 127.0.0.1)")
    args = p.parse_args(argv)
    if args.port is not None:
        args.overrides.append(f"serve.port={args.port}")
    if args.host is not None:
        args.overrides.append(f"serve.host={args.host}")
    config = setup(args)
    from ray import serve

    import ray

    from rlhf.errors import RLHFError
    from serve.app import API_PATH, app_for, required_cpus, resolve_inputs
    from serve.policy import is_adapter

    application = app_for(config)  # checks keys and inputs before Ray starts
    ensure_ray(config)
    s = config.serve
    needed, have = required_cpus(config, is_adapter(resolve_inputs(config)[1])), ray.cluster_resources().get("CPU", 0)
    if needed > have:
        raise RLHFError(f"the deployments need {needed:g} CPUs (serve.*.cpus x replicas) but the Ray cluster has {have:g}: "
                        "lower serve.<role>.cpus or add nodes")
    serve.start(http_options={"host": s.host, "port": s.port})
    print(f"[serve] starting the deployments (backend {s.backend}); the first start loads the models", flush=True)
    started = time.perf_counter()
    serve.run(application, name="clinical-assist", route_prefix="/")
    url = f"http://{s.host}:{s.port}"
    print(f"[serve] ready in {time.perf_counter() - started:.0f} s: POST {url}{API_PATH}  (health {url}/healthz, "
          f"readiness {url}/readyz, metrics {url}/metrics, OpenAPI {url}/docs); Ctrl-C stops it", flush=True)
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    try:
        while not stop:
            time.sleep(1)
    except KeyboardInterrupt:
        pass
    print("[serve] shutting down", flush=True)
    serve.shutdown()
    return 0


if __name__ == "__main__":
    run(main)
