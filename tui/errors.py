"""Errors of the review workflow, importable without the pydantic models."""

from __future__ import annotations

from typing import Any


class WorkflowError(Exception):
    """The change does not fit the review as it is now; nothing was changed."""


class Conflict(WorkflowError):
    """Someone else changed the same field since it was read.

    `current` is what is stored now, `yours` what this person tried to save.
    """

    def __init__(self, field: str, current: Any, yours: Any, who: str = ""):
        self.field = field
        self.current = current
        self.yours = yours
        self.who = who
        by = f" by {who}" if who else ""
        super().__init__(
            f"{field} was changed{by} while you were editing: it is now {show(current)}, "
            f"you entered {show(yours)}. Choose which to keep."
        )


def show(value: Any) -> str:
    if value is None:
        return "(empty)"
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)
