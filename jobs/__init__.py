"""The project's jobs. Each file is a command (`python jobs/ppo.py ...`, `ray job submit -- python
jobs/ppo.py`); the package makes them importable by name (`from jobs import ppo`) for the pipeline,
Tune trials, benches and tests, so nothing edits `sys.path`."""
