"""Snapshots of the key screens at 80×24 (pytest-textual-snapshot).

The demo is deterministic (a seeded generator); the screens snapshotted here
show nothing time-dependent (no clock, no dates of history or sign-offs, no
data directory path). Update after a deliberate change with
`pytest tests/test_ui_snapshots.py --snapshot-update` and look at the SVGs.
"""

from __future__ import annotations

from typing import Any

from tui.store import Store
from ui_helpers import app_for

SIZE = (80, 24)


def test_home_snapshot(snap_compare: Any, store: Store) -> None:
    async def focus_team(pilot: Any) -> None:
        await pilot.pause()
        await pilot.press("tab")
        await pilot.pause()

    assert snap_compare(app_for(store), terminal_size=SIZE, run_before=focus_team)


def test_summary_snapshot(snap_compare: Any, store: Store) -> None:
    app = app_for(store)

    async def open_summary(pilot: Any) -> None:
        await pilot.pause()
        app.open_summary("2026-h2/maya")
        await pilot.pause()
        await pilot.pause()

    assert snap_compare(app, terminal_size=SIZE, run_before=open_summary)


def test_overview_snapshot(snap_compare: Any, store: Store) -> None:
    app = app_for(store)

    async def open_overview(pilot: Any) -> None:
        await pilot.pause()
        app.open_review("2026-h2/alex")
        await pilot.pause()
        await pilot.pause()

    assert snap_compare(app, terminal_size=SIZE, run_before=open_overview)
