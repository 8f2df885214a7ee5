"""Errors a user can act on. Jobs print them as one clear message and exit non-zero,
without a traceback; anything else is a bug and keeps its traceback."""


class RLHFError(Exception):
    """Base of the errors that carry a message meant for the user."""


class ConfigError(RLHFError):
    """A preset or override that does not fit the schema."""


class DataValidationError(RLHFError):
    """A preference file whose schema or rows are wrong, or that holds identifiers."""


class ModelUnavailableError(RLHFError):
    """A model that cannot be had on this machine (hub unreachable, package missing, bad folder)."""
