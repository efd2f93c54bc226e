"""Guided scoring, smaller fixes found by a tester:

- enter on the N/A box moves on without toggling it (space toggles);
- after a refused value, the message names it and the value stored, and
  ctrl+z puts that back (never "clear it", which would delete the stored value);
- a comment of only spaces says what happened instead of "saved my comment";
- the first enter on a spaces-only required reason says a reason is required;
- a review file gone bad at 80x24: the panel in place of the form, no field focused.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from textual.widgets import Input

from screens.scoring import NAToggle, ScoringScreen
from test_ui_unreadable_review import cut_in_half, problem_text, review_file
from tui.access import open_session
from tui.store import Store
from ui_helpers import ALEX, MAYA, SIZE, app_for, burst

KPI = "ad-new-products-adopted"  # KPI 1.1 of Alex's and Maya's reviews


def fresh(store: Store, review_id: str) -> Any:
    return open_session(Store(store.root), login="root").view(review_id).review


def message(screen: ScoringScreen) -> str:
    return str(screen.query_one("#sc-message").render())


def error_under(screen: ScoringScreen, name: str) -> str:
    widget = next(iter(screen.query(f"#err-{name}")), None)
    return str(widget.render()) if widget is not None and widget.display else ""


def field(screen: ScoringScreen, name: str) -> Input:
    return screen.query_one(f"#f-{name}", Input)


async def open_scoring(app: Any, pilot: Any, review_id: str, kra: int = 0,
                       kpi: int = 0) -> ScoringScreen:
    await pilot.pause()
    screen = ScoringScreen(app.session, review_id, kra, kpi)
    await app.push_screen(screen)
    await pilot.pause()
    assert app.screen is screen
    return screen


# --- 1. enter on the N/A box -------------------------------------------------------------


async def test_enter_on_the_na_box_moves_on_without_toggling(store: Store) -> None:
    app = app_for(store)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_scoring(app, pilot, MAYA)
        toggle = screen.query_one(NAToggle)
        toggle.focus()
        await pilot.pause()
        await burst(pilot, "enter")
        assert not toggle.value
        assert "N/A" not in message(screen)
        # The N/A reason is disabled (not N/A): on to my comment.
        assert app.focused is field(screen, "comment")
        assert not fresh(store, MAYA).kpi(KPI).na
        # Space still toggles (and saves), landing in the N/A reason.
        toggle.focus()
        await pilot.pause()
        await burst(pilot, "space")
        assert toggle.value
        assert "saved N/A" in message(screen)
        assert app.focused is field(screen, "na_reason")
        assert fresh(store, MAYA).kpi(KPI).na
        # Enter on a ticked box: on to its reason, still N/A.
        toggle.focus()
        await pilot.pause()
        await burst(pilot, "enter")
        assert toggle.value and fresh(store, MAYA).kpi(KPI).na
        assert app.focused is field(screen, "na_reason")


async def test_the_na_box_binding_is_space_only(store: Store) -> None:
    """Enter reaching the box's own bindings (not through the screen) moves on too."""
    app = app_for(store)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_scoring(app, pilot, MAYA)
        toggle = screen.query_one(NAToggle)
        toggle.focus()
        await pilot.pause()
        toggle.action_next_field()
        await pilot.pause()
        assert not toggle.value
        assert app.focused is field(screen, "comment")
        keys = {key for key, bindings in toggle._bindings.key_to_bindings.items()
                for b in bindings if b.action == "toggle"}
        assert keys == {"space"}


# --- 2. a refused value: the way back is to the stored value ------------------------------


async def test_refused_value_message_names_it_and_ctrl_z_puts_back_the_stored_one(
        store: Store) -> None:
    app = app_for(store)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_scoring(app, pilot, ALEX)
        actual = field(screen, "actual")
        assert app.focused is actual and actual.value == "4"
        await burst(pilot, "ctrl+u", *"12,5", "pagedown")
        assert screen.kpi_index == 0
        text = message(screen)
        assert "ctrl+u" not in text and "clear it" not in text
        assert "actual '12,5' of KPI 1.1" in text
        assert "ctrl+z" in text and "saved value 4" in text
        assert error_under(screen, "actual")
        await burst(pilot, "ctrl+z")
        assert actual.value == "4"
        assert not error_under(screen, "actual")
        assert "could not be saved" not in message(screen)
        assert "put back the saved actual 4" in message(screen)
        await burst(pilot, "pagedown")
        assert screen.kpi_index == 1
    assert fresh(store, ALEX).kpi(KPI).actual == Decimal(4)


async def test_ctrl_z_from_another_field_puts_back_the_refused_one(store: Store) -> None:
    app = app_for(store)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_scoring(app, pilot, ALEX)
        await burst(pilot, "ctrl+u", *"abc", "tab")
        assert error_under(screen, "actual")
        assert app.focused is field(screen, "manager_rating")
        await burst(pilot, "escape")  # the first escape says how to leave or put back
        assert "ctrl+z to put back the saved value 4" in message(screen)
        await burst(pilot, "ctrl+z")
        assert field(screen, "actual").value == "4"
        assert not screen._error_shown()
        await burst(pilot, "escape")
        assert app.screen is not screen
    assert fresh(store, ALEX).kpi(KPI).actual == Decimal(4)


async def test_clearing_a_stored_value_on_purpose_still_works(store: Store) -> None:
    app = app_for(store)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_scoring(app, pilot, ALEX)
        await burst(pilot, "ctrl+u", "enter")
        assert "saved actual" in message(screen)
    assert fresh(store, ALEX).kpi(KPI).actual is None
    history = open_session(Store(store.root), login="root").history(ALEX)
    assert any(e.field == f"{KPI}.actual" for e in history)


# --- 3. a comment of only spaces ------------------------------------------------------------


async def test_a_blank_comment_says_nothing_was_saved_or_that_it_was_removed(
        store: Store) -> None:
    app = app_for(store)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_scoring(app, pilot, ALEX)
        comment = field(screen, "comment")
        comment.focus()
        await pilot.pause()
        await burst(pilot, " ", " ", "enter")
        assert "saved my comment" not in message(screen)
        assert "comment is empty — nothing saved" in message(screen)
        assert screen.kpi_index == 1  # (enter in the last field: the next KPI)
        kpi = screen._kpi_id
        comment.focus()
        await pilot.pause()
        await burst(pilot, *"fine", "enter")
        assert "saved my comment" in message(screen)
        await burst(pilot, "pageup")
        assert screen._kpi_id == kpi
        comment.focus()
        await pilot.pause()
        await burst(pilot, "ctrl+u", " ", "enter")
        assert "comment removed" in message(screen)
    review = fresh(store, ALEX)
    for kpi_id in (KPI, kpi):
        assert not [c for c in review.kpi(kpi_id).comments if c.author == "root"]


# --- 4. a spaces-only required reason ------------------------------------------------------


async def test_first_enter_on_a_blank_required_reason_says_it_is_required(
        store: Store) -> None:
    app = app_for(store)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_scoring(app, pilot, MAYA)
        field(screen, "agreed_rating").focus()
        await pilot.pause()
        await burst(pilot, "ctrl+u", "1", "enter")  # departs from the suggested 3
        assert app.focused is field(screen, "rating_reason")
        await burst(pilot, " ", " ", "enter")
        assert app.focused is field(screen, "rating_reason")
        assert "Reason required: rating 1 departs from suggested 3" in \
            error_under(screen, "rating_reason")
        assert "Reason required" in message(screen)


# --- 5. a file gone bad at 80x24 -------------------------------------------------------------


async def test_a_file_gone_bad_shows_the_panel_not_a_field_pushed_out_of_view(
        store: Store) -> None:
    path = review_file(store, ALEX)
    app = app_for(store)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_scoring(app, pilot, ALEX)
        screen._watch.stop()  # the save is the first to see it
        await burst(pilot, "ctrl+u", "8")
        cut_in_half(path)
        await burst(pilot, "enter")
        assert problem_text(screen)
        assert screen.focused is None
        assert not screen.query_one("#sc-editor").display
        # The message line stays bounded below the panel.
        assert screen.query_one("#sc-message").outer_size.height <= 3
