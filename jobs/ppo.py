"""PPO on Ray actors: vLLM rollout, reward and reference scoring, and the learner, packed by a placement group.

    python jobs/ppo.py [--config configs/default.yaml] [--set ppo.steps=40 ...] [--force]
    ray job submit --working-dir . -- python jobs/ppo.py --config configs/default.yaml

Needs the SFT policy, the reward model and (for the final evaluation) the independent judge: the
folders named in `ppo.*_dir`, or else this config's own stages, trained first when missing (each
skipped when current). Resumes from its last checkpoint; skips when its output is current. Exit codes:
0 done, 1 bad data, 2 bad config or missing input, 3 the safety guard stopped it. The trainer itself
is actors/ppo_trainer.py.
"""

from __future__ import annotations

import sys

from actors.ppo_trainer import SafetyStop, summary, table, train
from jobs._cli import parser, run, setup

SAFETY_STOP_EXIT = 3


def main(argv: list[str] | None = None) -> int:
    args = parser(__doc__.splitlines()[0], stage=True).parse_args(argv)
    config = setup(args)
    try:
        result = train(config, args.force)
        print(summary(result))
        print("\n".join(table(result, config)))
    except SafetyStop as exc:
        print(f"error: {exc}", file=sys.stderr)
        return SAFETY_STOP_EXIT
    return 0


if __name__ == "__main__":
    run(main)
