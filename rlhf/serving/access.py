"""API keys and per-key rate limits. Keys come from the environment, never from the repository."""

from __future__ import annotations

import hashlib
import hmac
import os
import threading
import time
from collections.abc import Mapping
from pathlib import Path

from rlhf.errors import ConfigError

KEYS_ENV, KEYS_FILE_ENV = "SERVE_API_KEYS", "SERVE_API_KEYS_FILE"
MIN_KEY_LENGTH = 16


def load_api_keys(environ: Mapping[str, str] | None = None) -> tuple[str, ...]:
    """Keys from $SERVE_API_KEYS (comma-separated) or the file named by $SERVE_API_KEYS_FILE (one per
    line, # comments). No key at all is an error: the endpoint never runs open."""
    env = os.environ if environ is None else environ
    keys: list[str] = [k.strip() for k in env.get(KEYS_ENV, "").split(",") if k.strip()]
    if path := env.get(KEYS_FILE_ENV):
        file = Path(path).expanduser()
        if not file.is_file():
            raise ConfigError(f"{KEYS_FILE_ENV}={path}: no such file")
        keys += [line.strip() for line in file.read_text().splitlines() if line.strip() and not line.lstrip().startswith("#")]
    if not keys:
        raise ConfigError(f"no API keys: set {KEYS_ENV} (comma-separated) or {KEYS_FILE_ENV} (a file, one key per line)")
    short = [key_id(k) for k in keys if len(k) < MIN_KEY_LENGTH]
    if short:
        raise ConfigError(f"API keys must be at least {MIN_KEY_LENGTH} characters (too short: key ids {', '.join(short)})")
    return tuple(dict.fromkeys(keys))


def key_id(key: str) -> str:
    """A stable name for a key in logs and metrics that does not reveal it."""
    return hashlib.sha256(key.encode()).hexdigest()[:12]


def match_key(header: str | None, keys: tuple[str, ...]) -> str | None:
    """The key id of a valid `Authorization: Bearer KEY` header, else None (compared in constant time)."""
    if not header:
        return None
    scheme, _, token = header.partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        return None
    found = None
    for key in keys:
        if hmac.compare_digest(token.encode(), key.encode()):
            found = key
    return key_id(found) if found else None


class RateLimiter:
    """A token bucket per key: `per_minute` sustained, `burst` at once; `limits` gives chosen key ids their
    own (per_minute, burst), say a partner's integration a larger quota."""

    def __init__(self, per_minute: float, burst: int, clock=time.monotonic,
                 limits: Mapping[str, tuple[float, int]] | None = None):
        self.default = (per_minute / 60.0, burst)
        self.limits = {key: (rate / 60.0, size) for key, (rate, size) in (limits or {}).items()}
        self.clock = clock
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def allow(self, key: str) -> tuple[bool, float]:
        """(allowed, seconds until the next request would be)."""
        rate, burst = self.limits.get(key, self.default)
        with self._lock:
            now = self.clock()
            tokens, last = self._buckets.get(key, (float(burst), now))
            tokens = min(float(burst), tokens + (now - last) * rate)
            if tokens >= 1.0:
                self._buckets[key] = (tokens - 1.0, now)
                return True, 0.0
            self._buckets[key] = (tokens, now)
            return False, (1.0 - tokens) / rate
