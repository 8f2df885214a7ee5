"""Every wait the system bounds, named in one place, with why it is as long as it is.

Waits a user tunes per deployment are settings (`serve.gate_timeout_s`, ...); these are the ones
that only guard against a hang, long enough for the slowest start seen on a 2-core CPU machine.
"""

PLACEMENT_READY_S = 120.0  # a placement group's bundles reserved; longer means the cluster lacks the resources
ACTOR_RESTART_S = 600.0  # a restarted rollout/reward/reference actor ready again (a vLLM engine start is ~20-60 s on CPU)
ACTOR_PING_S = 60.0  # one readiness ping while an actor restarts
SERVE_READY_PING_S = 10.0  # /ready: every deployment answers a ping, else 503
CHECKPOINT_CONVERSION_LOCK_S = 1800.0  # another process converting the same model (a 7B conversion on CPU takes minutes)
AUDIT_DB_BUSY_S = 30.0  # SQLite waits this long for a lock held by another writer of the audit log
DATA_VALIDATION_LOCK_S = 1800.0  # another process validating the same data file (the training split: ~2 minutes on 2 cores)
