"""The one exception hierarchy of Driftwatch's library.

Every error the library raises on purpose is a :class:`MonitoringError`, so a
page or the CLI can catch one type and show its message, which always names
the thing at fault (file, column, value, model).
"""

from __future__ import annotations


class MonitoringError(Exception):
    """Base class of every error Driftwatch raises on purpose."""


class SpecError(MonitoringError):
    """A model spec is malformed or contradicts itself."""


class ValidationError(MonitoringError):
    """Records do not match their model's spec; nothing was written."""

    def __init__(self, source: str, problems: list[str]) -> None:
        self.source = source
        self.problems = problems
        lines = "\n".join(f"  - {p}" for p in problems)
        super().__init__(f"{source}: {len(problems)} problem(s), nothing was written:\n{lines}")


class ModelNotFoundError(MonitoringError):
    """No model of that name is registered in the store."""


class StoreError(MonitoringError):
    """The DuckDB store failed or is unavailable."""


class SliceError(MonitoringError):
    """An uploaded slice cannot be saved, found or deleted (name taken, same content, no id)."""


class BackendMissingError(MonitoringError):
    """A detector needs a library (Alibi Detect, PyTorch, scikit-learn) that is not installed."""


class ExportError(MonitoringError):
    """A figure could not be exported in the format asked for."""


class AccessError(MonitoringError):
    """The user's role does not allow the action, or the roles file is unusable."""
