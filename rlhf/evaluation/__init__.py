"""Evaluating a policy against its reference (seed 000 sections 3.6, 3.7, 3.9): the metrics with
bootstrap intervals, the error analysis, the ethical audit and the report. Ray-free: jobs/evaluate.py
generates and scores, these modules judge and write."""
