"""Named algorithm variants, chosen by config value (veRL's `register_adv_est` / `POLICY_LOSS_REGISTRY` style).

A new advantage estimator, policy loss or preference loss is one decorated function plus its name in
the config (`ppo.advantage_estimator`, `ppo.policy_loss`, `dpo.loss`): the trainer looks it up here,
so no `if` branch grows in the loop. The built-in variants register themselves in
rlhf/ppo/advantages.py, rlhf/ppo/losses.py and rlhf/losses/preference.py; `variants()` and
`preference_loss()` import those modules so a lookup always sees them.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable
from typing import Generic, TypeVar

from rlhf.errors import ConfigError

F = TypeVar("F", bound=Callable)


class Registry(Generic[F]):
    """A name -> function table for one config key; an unknown name is a ConfigError naming the choices."""

    def __init__(self, key: str):
        self.key = key
        self._entries: dict[str, F] = {}

    def register(self, name: str) -> Callable[[F], F]:
        def add(fn: F) -> F:
            if name in self._entries and self._entries[name] is not fn:
                raise ValueError(f"{self.key}: '{name}' is registered already ({self._entries[name].__qualname__})")
            self._entries[name] = fn
            return fn

        return add

    def get(self, name: str) -> F:
        if name not in self._entries:
            close = difflib.get_close_matches(name, self._entries, n=1)
            hint = f" (did you mean '{close[0]}'?)" if close else ""
            raise ConfigError(f"{self.key}: '{name}' is not registered{hint}; registered: {', '.join(sorted(self._entries))}")
        return self._entries[name]

    def names(self) -> list[str]:
        return sorted(self._entries)


ADVANTAGE_ESTIMATORS: Registry = Registry("ppo.advantage_estimator")
POLICY_LOSSES: Registry = Registry("ppo.policy_loss")
register_advantage_estimator = ADVANTAGE_ESTIMATORS.register
register_policy_loss = POLICY_LOSSES.register
PREFERENCE_LOSSES: Registry = Registry("dpo.loss")
register_preference_loss = PREFERENCE_LOSSES.register


def variants(advantage_estimator: str, policy_loss: str) -> tuple[Callable, Callable]:
    """The two configured functions (the built-ins imported first), or a ConfigError before any work starts."""
    import rlhf.ppo.advantages  # noqa: F401 - registers gae, reinforce
    import rlhf.ppo.losses  # noqa: F401 - registers clipped

    return ADVANTAGE_ESTIMATORS.get(advantage_estimator), POLICY_LOSSES.get(policy_loss)


def preference_loss(name: str) -> Callable:
    """The configured reward-model-free loss (`dpo.loss`: dpo, ipo, kto), or a ConfigError before any work starts."""
    import rlhf.losses.preference  # noqa: F401 - registers dpo, ipo, kto

    return PREFERENCE_LOSSES.get(name)
