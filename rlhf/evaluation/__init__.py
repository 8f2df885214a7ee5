"""Evaluating a policy against its reference (docs/requirements.md, Evaluation): the metrics with
bootstrap intervals, the error analysis, the ethical audit and the report. Ray-free: jobs/evaluate.py
generates and scores, these modules judge and write."""
