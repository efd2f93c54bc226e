"""Snapshots of the key screens at 80×24 (pytest-textual-snapshot).

The demo is deterministic (a seeded generator); the screens snapshotted here
show nothing time-dependent (no clock, no dates of history or sign-offs, no
data directory path). Update after a deliberate change with
`pytest tests/test_ui_snapshots.py --snapshot-update` and look at the SVGs.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from tui.access import open_session
from tui.app import create_app
from tui.demo import build_demo
from tui.store import Store

SIZE = (80, 24)


@pytest.fixture(scope="module")
def pristine(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("snap") / "d"
    build_demo(root, "root")
    return root


@pytest.fixture
def store(pristine: Path, tmp_path: Path) -> Store:
    root = tmp_path / "d"
    shutil.copytree(pristine, root)
    return Store(root)


def app_for(store: Store, login: str = "root") -> Any:
    return create_app(store=store, session=open_session(store, login=login), login=login)


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
