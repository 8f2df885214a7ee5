"""Physician preference data: schema, validation, loading, formatting, the synthetic set."""
