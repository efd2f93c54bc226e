"""Keys typed in one burst are handled in the order typed, in every text field.

A tester typed "xy", backspace, "z" into an improvement action over tmux and
got "xy": Textual types a character when the field reads it but runs the
backspace binding only after the key has gone round the app, so the
backspace deleted the "z". The same held for delete, the arrows, ctrl+u and
tab (the characters typed after it landed in the field being left). Every
text field now handles its keys when the app reads them (`screens/keys_now`).
"""

from __future__ import annotations

from typing import Any

from textual.widgets import Input

from screens.actions import ActionForm, ActionsScreen
from screens.overview import PlanningScreen
from screens.widgets import PromptModal
from tui.store import Store

from ui_helpers import MAYA, SAM, SIZE, app_for, burst


async def open_new_action(app: Any, pilot: Any) -> ActionForm:
    await pilot.pause()
    app.open_review(MAYA)  # joint review: actions can be written
    await pilot.pause()
    await pilot.press("a")
    await pilot.pause()
    assert isinstance(app.screen, ActionsScreen)
    await pilot.press("n")
    await pilot.pause()
    form = app.screen
    assert isinstance(form, ActionForm)
    return form


async def test_backspace_in_a_burst_deletes_what_was_typed_before_it(store: Store) -> None:
    app = app_for(store)
    async with app.run_test(size=SIZE) as pilot:
        form = await open_new_action(app, pilot)
        await burst(pilot, "x", "y", "backspace", "z")
        assert form.query_one("#a-text", Input).value == "xz"
        await burst(pilot, "backspace", "backspace", "R", "u", "n", "left", "left", "delete",
                    "home", "A")
        assert form.query_one("#a-text", Input).value == "ARn"


async def test_tab_and_enter_in_a_burst_move_on_before_the_next_key(store: Store) -> None:
    app = app_for(store)
    async with app.run_test(size=SIZE) as pilot:
        form = await open_new_action(app, pilot)
        await burst(pilot, "c", "a", "l", "l", "enter", "2", "0", "2", "7", "-", "0", "3",
                    "-", "3", "1", "tab", "o", "k")
        assert form.query_one("#a-text", Input).value == "call"
        assert form.query_one("#a-due", Input).value == "2027-03-31"
        assert form.query_one("#a-measure", Input).value == "ok"


async def test_the_planning_editor_takes_a_burst_in_order(store: Store) -> None:
    app = app_for(store)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        app.open_review(SAM)  # in planning
        await pilot.pause()
        await pilot.press("w")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, PlanningScreen)
        first = app.focused
        assert isinstance(first, Input)
        await burst(pilot, "end", "ctrl+u", "4", "5", "backspace", "0", "tab", "1")
        assert first.value == "40"
        assert app.focused is not first and app.focused.value.endswith("1")


async def test_a_prompt_takes_a_burst_in_order(store: Store) -> None:
    app = app_for(store)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        results: list[str | None] = []
        app.push_screen(PromptModal("Reason?"), results.append)
        await pilot.pause()
        await burst(pilot, "n", "o", "p", "e", "backspace", "backspace", "t", "enter")
        assert results == ["not"]
