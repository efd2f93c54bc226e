"""The app's process settings: collections are off only until the first screen."""

from __future__ import annotations

import gc

from tui.cli import app_process
from tui.store import Store
from ui_helpers import SIZE, app_for  # noqa: E402


async def test_collections_come_back_once_the_first_screen_is_painted(store: Store) -> None:
    app = app_for(store)
    app_process()
    try:
        assert not gc.isenabled()
        async with app.run_test(size=SIZE) as pilot:
            await pilot.pause()
            assert gc.isenabled()
    finally:
        gc.enable()
        gc.unfreeze()


async def test_an_app_started_with_collections_on_leaves_them_alone(store: Store) -> None:
    frozen = gc.get_freeze_count()
    async with app_for(store).run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert gc.isenabled() and gc.get_freeze_count() == frozen
