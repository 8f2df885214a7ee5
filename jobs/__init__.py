"""The project's command lines. Each file is a thin command (`python jobs/ppo.py ...`, `ray job submit --
python jobs/ppo.py`): it parses its flags (jobs/_cli.py) and calls what lives in actors/, tune/ or rlhf/.
The package lets the pipeline compose the others' summaries (`from jobs import sft`) and tests call a
job's `main(argv)` in-process; nothing outside jobs/ imports it (tests/test_boundaries.py)."""
