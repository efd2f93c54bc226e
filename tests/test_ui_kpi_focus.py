"""Moving to another KPI lands the focus in its first field the person can edit,
whichever widget had the focus before (keys typed next go there); enter on the
KPI table edits the highlighted KPI.  And the improvement-action form's short
fields (the due date) are selected on focus, so typing replaces them.
"""

from __future__ import annotations

from typing import Any

import pytest
from textual.widgets import DataTable, Input

from screens.actions import ActionForm, ActionsScreen
from screens.scoring import JumpModal, ScoringScreen
from tui.access import open_session
from tui.store import Store
from ui_helpers import MAYA, SIZE, app_for, burst

STARTS = ["#f-actual", "#f-manager_rating", "#f-agreed_rating", "#f-rating_reason",
          "#f-comment", "#f-na", "#sc-table"]


async def open_scoring(app: Any, pilot: Any, kra: int = 1, kpi: int = 1) -> ScoringScreen:
    await pilot.pause()
    screen = ScoringScreen(app.session, MAYA, kra, kpi)
    await app.push_screen(screen)
    await pilot.pause()
    return screen


def first_editable(screen: ScoringScreen) -> Input:
    first = screen._first_field()
    assert first is not None
    return first


@pytest.mark.parametrize("start", STARTS)
@pytest.mark.parametrize("keys", [("pagedown",), ("pageup",), ("f8",), ("f7",),
                                  ("ctrl+g", "down", "enter")])
async def test_moving_to_another_kpi_lands_in_its_first_editable_field(
        store: Store, start: str, keys: tuple[str, ...]) -> None:
    app = app_for(store)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_scoring(app, pilot)
        screen.query_one(start).focus()
        await pilot.pause()
        before = (screen.kra_index, screen.kpi_index)
        await burst(pilot, *keys)
        assert not isinstance(app.screen, JumpModal)
        assert (screen.kra_index, screen.kpi_index) != before
        assert app.focused is first_editable(screen)
        # A number typed next replaces what that field shows.
        await burst(pilot, "2")
        assert app.focused.value == "2"


async def test_a_rating_kpi_lands_in_the_manager_rating(store: Store) -> None:
    """KPI 2.4 is rated by judgement (no actual): its first field is the rating."""
    app = app_for(store)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_scoring(app, pilot, kra=1, kpi=2)
        for start in ("#f-comment", "#f-agreed_rating", "#sc-table"):
            screen.query_one(start).focus()
            await pilot.pause()
            await burst(pilot, "pagedown", "4")
            assert screen.kpi_index == 3
            assert app.focused is screen.query_one("#f-manager_rating")
            assert screen.query_one("#f-manager_rating", Input).value == "4"
            assert screen.query_one("#f-agreed_rating", Input).value != "4"
            await burst(pilot, "ctrl+u", "pageup")
            assert screen.kpi_index == 2


async def test_enter_on_the_table_edits_the_highlighted_kpi(store: Store) -> None:
    app = app_for(store)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_scoring(app, pilot, kra=0, kpi=0)
        table = screen.query_one(DataTable)
        table.focus()
        await pilot.pause()
        assert "Edit KPI" in "\n".join(
            s.text for s in app.screen._compositor.render_strips())  # the footer says so
        await burst(pilot, "enter")
        assert screen.kpi_index == 0  # the same KPI: the one highlighted
        assert app.focused is first_editable(screen)
        # From the table after moving its cursor: that KPI.
        table.focus()
        await pilot.pause()
        await burst(pilot, "down", "down", "enter", "7")
        assert screen.kpi_index == 2
        assert app.focused is first_editable(screen)
        assert app.focused.value == "7"


# --- the action form -------------------------------------------------------------------


async def open_form(app: Any, pilot: Any) -> ActionForm:
    await pilot.pause()
    await app.push_screen(ActionsScreen(app.session, MAYA))
    await pilot.pause()
    await pilot.press("enter")  # edit the first action
    await pilot.pause()
    form = app.screen
    assert isinstance(form, ActionForm)
    return form


@pytest.mark.parametrize("how", ["enter", "tab", "focus"])
async def test_typing_a_due_date_replaces_the_one_shown(store: Store, how: str) -> None:
    app = app_for(store)
    async with app.run_test(size=SIZE) as pilot:
        form = await open_form(app, pilot)
        due = form.query_one("#a-due", Input)
        due.value = "2027-03-31"
        text = form.query_one("#a-text", Input)
        assert app.focused is text
        if how == "focus":
            due.focus()
            await burst(pilot, *"1999-01-01")
        else:
            await burst(pilot, how, *"1999-01-01")
        assert app.focused is due
        assert due.value == "1999-01-01"
        # The free text fields keep their text: the cursor goes to the end.
        await burst(pilot, "enter", "x")
        measure = form.query_one("#a-measure", Input)
        assert app.focused is measure and measure.value.endswith("x") and len(measure.value) > 1
        await burst(pilot, "shift+tab", "shift+tab", "y")
        assert text.value.endswith("y") and len(text.value) > 1
