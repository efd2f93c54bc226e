"""A conflict on the scoring screen (the same field typed in two windows):
leaving after "Later" drops the value as promised, nothing in conflict is ever
saved without "Keep mine", the dialog never crashes, and its message goes once
the conflict is resolved.

Two apps of the manager `root` on Alex's review (manager assessment), KPI 1.1.
"""

from __future__ import annotations

import time
from decimal import Decimal
from typing import Any

import pytest
from textual import events
from textual._context import active_app
from textual.keys import _character_to_key
from textual.widgets import Input

from screens import scoring as scoring_screen
from screens.conflict import ConflictModal
from screens.scoring import JumpModal, ScoringScreen
from tui.access import open_session
from tui.app import create_app
from tui.store import Store

SIZE = (80, 24)
ALEX = "2026-h2/alex"
KPI = "ad-new-products-adopted"


def app_for(store: Store, login: str = "root") -> Any:
    own = Store(store.root)  # each app its own Store, as a second process would
    return create_app(store=own, session=open_session(own, login=login), login=login)


def stored(store: Store) -> Any:
    return open_session(Store(store.root), login="root").view(ALEX).review.kpi(KPI)


def history(store: Store) -> list[Any]:
    return [e for e in open_session(Store(store.root), login="root").history(ALEX)
            if e.field == f"{KPI}.actual"]


def message(screen: ScoringScreen) -> str:
    return str(screen.query_one("#sc-message").render())


def error_under(screen: ScoringScreen, name: str) -> str:
    widget = next(iter(screen.query(f"#err-{name}")), None)
    return str(widget.render()) if widget is not None and widget.display else ""


async def until(pilots: list[Any], predicate: Any, what: str, timeout: float = 3.0) -> None:
    start = time.monotonic()
    while not predicate():
        if time.monotonic() - start > timeout:
            raise AssertionError(f"not within {timeout} s: {what}")
        for pilot in pilots:
            await pilot.pause(0.05)


async def open_scoring(app: Any, pilot: Any) -> ScoringScreen:
    await pilot.pause()
    screen = ScoringScreen(app.session, ALEX, 0, 0)
    token = active_app.set(app)
    try:
        await app.push_screen(screen)
    finally:
        active_app.reset(token)
    await pilot.pause()
    assert app.screen is screen
    return screen


def field(screen: ScoringScreen, name: str) -> Input:
    return screen.query_one(f"#f-{name}", Input)


async def type_in(pilot: Any, screen: ScoringScreen, name: str, text: str) -> None:
    inp = field(screen, name)
    inp.focus()
    await pilot.pause()
    await pilot.press("end", "ctrl+u")
    app = pilot.app
    for ch in text:
        event = events.Key(_character_to_key(ch), ch)
        event.set_sender(app)
        app._driver.send_message(event)
    await until([pilot], lambda: inp.value == text, f"typing {text!r}")


async def conflict(store: Store, p1: Any, p2: Any, s1: ScoringScreen, s2: ScoringScreen,
                   mine: str = "21", theirs: str = "20") -> None:
    """A saves `theirs`; B, who typed `mine` meanwhile, tabs and gets the dialog."""
    await type_in(p1, s1, "actual", theirs)
    await type_in(p2, s2, "actual", mine)
    await p1.press("tab")
    assert stored(store).actual == Decimal(theirs)
    await until([p1, p2], lambda: s2.view is not None
                and s2.view.review.kpi(KPI).actual == Decimal(theirs), "B reloads")
    assert field(s2, "actual").value == mine
    await p2.press("tab")
    await until([p2], lambda: isinstance(p2.app.screen, ConflictModal), "the choice")


@pytest.fixture
def slow_autosave(monkeypatch: Any) -> None:
    # No autosave while typing: B must still hold unsaved text when A saves.
    monkeypatch.setattr(scoring_screen, "DEBOUNCE", 60.0)


async def test_escape_four_times_leaves_without_the_value(store: Store,
                                                          slow_autosave: None) -> None:
    one, two = app_for(store), app_for(store)
    async with one.run_test(size=SIZE) as p1, two.run_test(size=SIZE) as p2:
        s1, s2 = await open_scoring(one, p1), await open_scoring(two, p2)
        await conflict(store, p1, p2, s1, s2, mine="7", theirs="6")
        await p2.press("escape")  # Later
        await until([p2], lambda: two.screen is s2, "back on the scoring screen")
        await p2.pause(0.2)
        await p2.press("escape")  # warns; no dialog over the warning
        await p2.pause(0.2)
        assert two.screen is s2
        assert "press escape again to leave without it" in message(s2)
        await p2.press("escape")  # leaves, without the value
        await until([p2], lambda: not isinstance(two.screen, ScoringScreen), "left")
        assert not isinstance(two.screen, ConflictModal)
        await p2.pause(0.2)
        await p2.press("escape")  # (whatever is under: no crash)
        await p2.pause(0.2)
    assert stored(store).actual == Decimal(6)
    assert [e.new for e in history(store)][-1:] == [Decimal(6)] or \
        str(history(store)[-1].new) == "6"


def overwritten(store: Store, theirs: str, mine: str) -> bool:
    """Whether the history shows `theirs` replaced by `mine`."""
    return any(str(e.old) == theirs and str(e.new) == mine for e in history(store))


async def later(p2: Any, s2: ScoringScreen) -> None:
    await p2.press("escape")
    await until([p2], lambda: p2.app.screen is s2, "back on the scoring screen")
    await p2.pause()


@pytest.mark.parametrize("way", ["quit", "escape", "pagedown", "pageup", "f8", "f7",
                                 "ctrl+g", "ctrl+t", "tab", "debounce", "exit"])
async def test_after_later_no_way_out_saves_the_value_in_conflict(
        store: Store, slow_autosave: None, way: str) -> None:
    one, two = app_for(store), app_for(store)
    async with one.run_test(size=SIZE) as p1, two.run_test(size=SIZE) as p2:
        s1, s2 = await open_scoring(one, p1), await open_scoring(two, p2)
        await conflict(store, p1, p2, s1, s2)
        await later(p2, s2)
        assert "press enter to choose" in error_under(s2, "actual")
        if way == "quit":
            await p2.press("ctrl+q")
            await p2.pause()
            assert "actual of KPI" in str(two.screen.query_one(".modal-title").render())
            await p2.press("y")
            await p2.pause()
        elif way == "escape":
            await p2.press("escape")
            await p2.pause()
            assert two.screen is s2
            await p2.press("escape")
            await until([p2], lambda: two.screen is not s2, "left")
        elif way == "exit":
            two.exit()
            await p2.pause()
        elif way == "debounce":
            s2._debounced()  # a typing pause's timer that fires after the choice
            await p2.pause()
        else:
            await p2.press(way)
            await p2.pause()
            assert two.screen is s2  # no dialog, no jump list, no actions: blocked
            assert (s2.kra_index, s2.kpi_index) == (0, 0)
            if way != "tab":
                assert "a value in conflict is not saved" in message(s2)
        assert not isinstance(two.screen, ConflictModal)
        assert stored(store).actual == Decimal(20)
    # (the app has quit now: whatever was left was saved or dropped on the way out)
    assert stored(store).actual == Decimal(20)
    assert not overwritten(store, "20", "21")


async def test_quit_guard_finding_a_conflict_drops_the_value(store: Store,
                                                            slow_autosave: None) -> None:
    """B typed while A saved, and quits before any save: the quit guard finds the
    conflict, says so, and y drops B's value (A's stays)."""
    one, two = app_for(store), app_for(store)
    async with one.run_test(size=SIZE) as p1, two.run_test(size=SIZE) as p2:
        s1, s2 = await open_scoring(one, p1), await open_scoring(two, p2)
        await type_in(p1, s1, "actual", "20")
        await type_in(p2, s2, "actual", "21")
        await p1.press("tab")
        assert stored(store).actual == Decimal(20)
        await p2.press("ctrl+q")
        await p2.pause()
        assert "actual of KPI" in str(two.screen.query_one(".modal-title").render())
        assert "press enter to choose" in error_under(s2, "actual")
        await p2.press("y")
        await p2.pause()
    assert stored(store).actual == Decimal(20)
    assert not overwritten(store, "20", "21")


async def test_quitting_while_the_dialog_is_open_keeps_theirs(store: Store,
                                                             slow_autosave: None) -> None:
    one, two = app_for(store), app_for(store)
    async with one.run_test(size=SIZE) as p1, two.run_test(size=SIZE) as p2:
        s1, s2 = await open_scoring(one, p1), await open_scoring(two, p2)
        await conflict(store, p1, p2, s1, s2)
        await p2.press("ctrl+q")
        await p2.pause()
        await p2.press("y")
        await p2.pause()
    assert stored(store).actual == Decimal(20)
    assert not overwritten(store, "20", "21")


@pytest.mark.parametrize("choice, expected", [("m", "21"), ("t", "20")])
async def test_enter_in_a_held_field_asks_again(store: Store, slow_autosave: None,
                                                choice: str, expected: str) -> None:
    """After "Later" the field is held; moving on is refused with a message
    that goes once the choice is made (either way), and "Keep mine" saves."""
    one, two = app_for(store), app_for(store)
    async with one.run_test(size=SIZE) as p1, two.run_test(size=SIZE) as p2:
        s1, s2 = await open_scoring(one, p1), await open_scoring(two, p2)
        await conflict(store, p1, p2, s1, s2)
        await later(p2, s2)
        field(s2, "actual").focus()
        await p2.pause()
        await p2.press("pagedown")
        await p2.pause()
        assert "a value in conflict is not saved" in message(s2)
        await p2.press("enter")
        await until([p2], lambda: isinstance(two.screen, ConflictModal), "asked again")
        await p2.press(choice)
        await until([p2], lambda: two.screen is s2, "back")
        await p2.pause()
        assert error_under(s2, "actual") == ""
        assert "could not be saved" not in message(s2)
        assert "conflict" not in message(s2)
        assert field(s2, "actual").value == expected
        # Nothing is held any more: moving on works at once.
        await p2.press("pagedown")
        await p2.pause()
        assert s2.kpi_index == 1
    assert stored(store).actual == Decimal(expected)


async def test_take_theirs_then_a_fixed_field_clears_the_blocked_message(
        store: Store, slow_autosave: None) -> None:
    """PgDn opens the dialog; after "Take theirs" the move stops at a refused
    field (and says so); once that is fixed the move goes on and no message
    about a field that could not be saved is left."""
    one, two = app_for(store), app_for(store)
    async with one.run_test(size=SIZE) as p1, two.run_test(size=SIZE) as p2:
        s1, s2 = await open_scoring(one, p1), await open_scoring(two, p2)
        await type_in(p2, s2, "manager_rating", "9")  # refused (off the scale) on leaving
        await type_in(p2, s2, "actual", "21")
        assert "1..5" in error_under(s2, "manager_rating")
        await type_in(p1, s1, "actual", "20")
        await p1.press("tab")
        await until([p1, p2], lambda: s2.view is not None
                    and s2.view.review.kpi(KPI).actual == Decimal(20), "B reloads")
        await p2.press("pagedown")
        await until([p2], lambda: isinstance(two.screen, ConflictModal), "the choice")
        await p2.press("t")
        await until([p2], lambda: two.screen is s2, "back")
        await p2.pause()
        assert field(s2, "actual").value == "20"
        assert s2.kpi_index == 0
        assert "a field could not be saved" in message(s2)
        field(s2, "manager_rating").focus()
        await p2.pause()
        await p2.press("ctrl+u", "3", "pagedown")
        await p2.pause()
        assert s2.kpi_index == 1
        assert "could not be saved" not in message(s2)
        assert not s2._error_shown()
    assert stored(store).actual == Decimal(20)
    assert stored(store).manager_rating == 3


# --- the dialog itself never crashes ---------------------------------------------------


async def test_a_dialog_popped_before_it_was_composed_does_not_crash(store: Store) -> None:
    app = app_for(store)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_scoring(app, pilot)
        modal = ConflictModal("Actual of KPI 1.1", 20, 21, "root")
        token = active_app.set(app)
        try:
            app.push_screen(modal)
            app.pop_screen()  # at once: mounted, if at all, without its buttons
        finally:
            active_app.reset(token)
        await pilot.pause(0.1)
        assert app.screen is screen
        await pilot.press("escape")
        await pilot.pause()
    assert app.return_value is None  # (the app did not stop on an exception)


async def test_a_second_answer_does_not_pop_the_screen_under_the_dialog(store: Store) -> None:
    app = app_for(store)
    answers: list[Any] = []
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_scoring(app, pilot)
        modal = ConflictModal("Actual of KPI 1.1", 20, 21)
        token = active_app.set(app)
        try:
            app.push_screen(modal, answers.append)
        finally:
            active_app.reset(token)
        await pilot.pause()
        modal.action_later()
        modal.action_choose("mine")  # (a second key before the dialog has gone)
        await pilot.pause()
        modal.action_choose("theirs")  # (and one after)
        await pilot.pause()
        assert app.screen is screen
        assert answers == [None]


@pytest.mark.parametrize("now, then_key", [("21", None), ("22", "t")])
async def test_keep_mine_after_theirs_changed_again_asks_again(
        store: Store, slow_autosave: None, now: str, then_key: str | None) -> None:
    """While the dialog is open A saves again: "Keep mine" never writes over
    that unasked (the same value: nothing to do; another: asked again)."""
    one, two = app_for(store), app_for(store)
    async with one.run_test(size=SIZE) as p1, two.run_test(size=SIZE) as p2:
        s1, s2 = await open_scoring(one, p1), await open_scoring(two, p2)
        await conflict(store, p1, p2, s1, s2)
        first = two.screen
        await type_in(p1, s1, "actual", now)
        await p1.press("tab")
        assert stored(store).actual == Decimal(now)
        await p2.press("m")
        if then_key is None:
            await until([p2], lambda: two.screen is s2, "back")
            await p2.pause()
            assert field(s2, "actual").value == now
            assert not s2._error_shown() and not s2._held
        else:
            await until([p2], lambda: isinstance(two.screen, ConflictModal)
                        and two.screen is not first, "asked again")
            assert str(two.screen.query_one("#conflict-theirs").render()) == now
            await p2.press(then_key)
            await until([p2], lambda: two.screen is s2, "back")
            await p2.pause()
            assert field(s2, "actual").value == now
    assert stored(store).actual == Decimal(now)
    assert not overwritten(store, now, "21")
