"""An action's due date is checked against the review's cycle when saved through a session."""

from __future__ import annotations

import pytest

from tui.access import open_session
from tui.errors import WorkflowError
from tui.store import Store

REVIEW = "2026-h2/maya"  # in joint review: actions may be added


def test_an_action_due_before_the_cycle_starts_is_refused(store: Store) -> None:
    session = open_session(store, login="root")
    cycle = store.cycle("2026-h2")
    before = store.load_review(REVIEW).actions
    with pytest.raises(WorkflowError, match=str(cycle.start)):
        session.add_action(REVIEW, "Call the top ten accounts", due="1999-01-01")
    assert store.load_review(REVIEW).actions == before
    action_id = session.add_action(REVIEW, "Call the top ten accounts", due=str(cycle.end))
    with pytest.raises(WorkflowError, match=str(cycle.start)):
        session.update_action(REVIEW, action_id, {"due": "1999-01-01"})
    saved = next(a for a in store.load_review(REVIEW).actions if a.id == action_id)
    assert str(saved.due) == str(cycle.end)
