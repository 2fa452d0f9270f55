"""Errors every layer shares (no imports, so no layer depends on another for them)."""


class ConfigError(Exception):
    """The grader itself is misconfigured (specs, reference, paths): nothing can be graded."""
