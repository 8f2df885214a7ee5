"""The PPO placement plan: fractions that fit are granted, the rest refused with the arithmetic."""

import pytest

from rlhf.config import PlacementSettings, load_config
from rlhf.placement import PlacementError, plan_bundles

ROLES = ("rollout", "reward", "learner")


def settings(**gpus):
    tree = {role: {"gpus": g, "cpus": 0.5} for role, g in gpus.items()}
    return PlacementSettings.model_validate(tree)


def test_default_fractions_pack_onto_one_gpu():
    bundles = plan_bundles(PlacementSettings(), ("rollout", "reference", "reward", "learner"), gpus=1, cpus=8)
    assert sum(b.gpus for b in bundles) == pytest.approx(1.0)
    assert [b.role for b in bundles] == ["rollout", "reference", "reward", "learner"]


def test_fractions_over_one_gpu_are_refused_with_the_sum():
    with pytest.raises(PlacementError, match=r"rollout 0.6 \+ reward 0.2 \+ learner 0.5 = 1.3 GPUs.*1 GPU"):
        plan_bundles(settings(rollout=0.6, reward=0.2, learner=0.5), ROLES, gpus=1, cpus=8)
    # the same fractions fit two GPUs; 0.6 + 0.5 would not share one, first-fit puts them apart
    assert len(plan_bundles(settings(rollout=0.6, reward=0.2, learner=0.5), ROLES, gpus=2, cpus=8)) == 3


def test_a_bundle_cannot_span_gpus():
    # 0.7 + 0.7 + 0.6 = 2.0 GPUs in total, but no two of them share a GPU: three GPUs are needed
    with pytest.raises(PlacementError, match="cannot span two GPUs"):
        plan_bundles(settings(rollout=0.7, reward=0.7, learner=0.6), ROLES, gpus=2, cpus=8)


def test_whole_gpus_and_cpus_are_checked():
    spread = settings(rollout=2, reward=1, learner=1)
    assert sum(b.gpus for b in plan_bundles(spread, ROLES, gpus=4, cpus=8)) == 4
    with pytest.raises(PlacementError, match="whole GPUs alone need 4 but the cluster has 2"):
        plan_bundles(spread, ROLES, gpus=2, cpus=8)
    with pytest.raises(PlacementError, match="= 1.5 CPUs but the Ray cluster has 1"):
        plan_bundles(settings(rollout=0.1, reward=0.1, learner=0.1), ROLES, gpus=1, cpus=1)
    with pytest.raises(PlacementError, match="learner.gpus is 0 on a GPU cluster"):
        plan_bundles(settings(rollout=0.5, reward=0.5, learner=0), ROLES, gpus=1, cpus=8)


def test_cpu_machine_ignores_gpu_fractions_and_forced_gpu_is_refused():
    assert all(b.gpus == 0 for b in plan_bundles(PlacementSettings(), ROLES, gpus=0, cpus=2))
    with pytest.raises(PlacementError, match="no GPU"):
        plan_bundles(PlacementSettings(use_gpu=True), ROLES, gpus=0, cpus=2)


def test_setting_one_field_of_a_role_keeps_its_other_default():
    config = load_config("tiny", ["placement.rollout.cpus=0.1"])
    assert config.placement.rollout.gpus == 0.4 and config.placement.rollout.cpus == 0.1


def test_config_refuses_fractional_multi_gpu_values():
    with pytest.raises(Exception, match="placement.rollout.gpus: Value error, more than one GPU must be a whole number"):
        load_config("tiny", ["placement.rollout.gpus=1.5"])


LOGICAL_GPU_RAY = """
import os, json
import ray
from actors.placement import actor_options, reserve
from rlhf.config import load_config

config = load_config("tiny", ["placement.rollout.cpus=0.1", "placement.reward.cpus=0.1", "placement.learner.cpus=0.1"])
os.environ.setdefault("RAY_AUTH_MODE", "disabled")
ray.init(address="local", num_cpus=1, num_gpus=1, include_dashboard=False)
group, slots = reserve(config)

@ray.remote
def gpu_ids():
    return ray.get_runtime_context().get_accelerator_ids()["GPU"]

index, bundle = slots["rollout"]
options = {k: v for k, v in actor_options(group, index, bundle).items() if k != "max_restarts"}
print("RESULT", json.dumps({"gpus": bundle.gpus, "ids": ray.get(gpu_ids.options(**options).remote())}))
ray.shutdown()
"""


def test_fractional_bundles_schedule_on_a_real_ray_with_a_logical_gpu():
    """Ray with one logical GPU (no CUDA needed): the default plan's placement group is granted and
    an actor in a bundle holds its fraction. In a process of its own: the suite's shared Ray has no GPU."""
    import json
    import subprocess
    import sys

    from tests.conftest import ROOT

    done = subprocess.run([sys.executable, "-c", LOGICAL_GPU_RAY], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.split("RESULT", 1)[1])
    assert result == {"gpus": 0.4, "ids": ["0"]}
