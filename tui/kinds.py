"""The vocabulary of the domain without pydantic: ids, schema version, states.

Kept apart from `tui.models` so that what the first screen needs (the store,
the session, Home) can be imported without pydantic, which is the largest part
of kpireview's start-up time and memory; `tui.models` re-exports all of it.
"""

from __future__ import annotations

import re
from enum import Enum

SCHEMA_VERSION = 1
ID_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")
UNITS = ("%", "count", "days", "hours", "minutes", "currency", "score", "ratio")
NON_NEGATIVE_UNITS = frozenset({"count", "days", "hours", "minutes", "currency", "ratio"})
DEFAULT_LABELS = [
    "Unsatisfactory",
    "Needs improvement",
    "Meets expectations",
    "Exceeds expectations",
    "Outstanding",
]


class Kind(str, Enum):
    numeric = "numeric"
    rating = "rating"


class Direction(str, Enum):
    higher = "higher"
    lower = "lower"


class State(str, Enum):
    planning = "planning"
    self_assessment = "self_assessment"
    manager_assessment = "manager_assessment"
    joint_review = "joint_review"
    signed_off = "signed_off"

    @property
    def label(self) -> str:
        return self.value.replace("_", " ")


STATE_ORDER = list(State)


class CycleState(str, Enum):
    planning = "planning"
    open = "open"
    closed = "closed"


class ActionStatus(str, Enum):
    open = "open"
    in_progress = "in_progress"
    done = "done"
    dropped = "dropped"


class SignRole(str, Enum):
    employee = "employee"
    manager = "manager"
