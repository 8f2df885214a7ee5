"""The PPO actors' resource plan: one bundle per role, checked to fit before Ray is asked.

Ray reserves a placement group all at once or waits forever, so a plan that cannot fit is refused
here with the arithmetic, instead of hanging. Fractional GPU bundles share a GPU (a bundle never
spans two GPUs), so the fractions are bin-packed onto the GPUs there are.
"""

from __future__ import annotations

from dataclasses import dataclass

from rlhf.config import PlacementSettings
from rlhf.errors import RLHFError

ROLES = ("rollout", "reference", "reward", "learner")


class PlacementError(RLHFError):
    pass


@dataclass(frozen=True)
class Bundle:
    role: str
    cpus: float
    gpus: float

    def resources(self) -> dict[str, float]:
        return {"CPU": self.cpus, **({"GPU": self.gpus} if self.gpus > 0 else {})}


def plan_bundles(settings: PlacementSettings, roles: tuple[str, ...], gpus: float, cpus: float) -> list[Bundle]:
    """Bundles for `roles` on a cluster with `gpus` GPUs and `cpus` CPUs, or PlacementError."""
    use_gpu = gpus > 0 if settings.use_gpu == "auto" else bool(settings.use_gpu)
    if use_gpu and gpus <= 0:
        raise PlacementError("placement.use_gpu is true but the Ray cluster has no GPU")
    bundles = []
    for role in roles:
        resources = getattr(settings, role)
        bundles.append(Bundle(role, resources.cpus, resources.gpus if use_gpu else 0.0))
    if use_gpu:
        missing = [b.role for b in bundles if b.gpus == 0]
        if missing:
            raise PlacementError(f"placement.{missing[0]}.gpus is 0 on a GPU cluster: give every role a GPU fraction")
        _check_gpus_fit(bundles, int(gpus))
    wanted = sum(b.cpus for b in bundles)
    if wanted > cpus + 1e-9:
        shown = " + ".join(f"{b.role} {b.cpus:g}" for b in bundles)
        raise PlacementError(f"the PPO actors ask for {shown} = {wanted:g} CPUs but the Ray cluster has {cpus:g}: "
                             "lower placement.<role>.cpus")
    return bundles


def _check_gpus_fit(bundles: list[Bundle], gpus: int) -> None:
    whole = sum(int(b.gpus) for b in bundles if b.gpus >= 1)
    fractions = sorted(((b.gpus, b.role) for b in bundles if b.gpus < 1), reverse=True)
    free = gpus - whole
    shown = " + ".join(f"{b.role} {b.gpus:g}" for b in bundles)
    if free < 0:
        raise PlacementError(f"the PPO actors ask for {shown} GPUs; whole GPUs alone need {whole} but the cluster has {gpus}")
    bins: list[float] = []
    for amount, _role in fractions:  # first fit, largest first
        for i, used in enumerate(bins):
            if used + amount <= 1.0 + 1e-9:
                bins[i] += amount
                break
        else:
            bins.append(amount)
    if len(bins) > free:
        raise PlacementError(
            f"the PPO actors ask for {shown} = {sum(b.gpus for b in bundles):g} GPUs, which do not fit on the "
            f"{free} GPU(s) left (a role's fraction cannot span two GPUs): lower placement.<role>.gpus"
        )
