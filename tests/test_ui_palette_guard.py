"""The command palette (ctrl+p) goes through the same unsaved-work question as
the keys do.

A value on the guided scoring screen that cannot be saved (refused, such as
`12,5` typed into an actual, or a conflict left for "Later") used to be dropped
without a word by the palette's "Home", and hidden under another screen by
"Open review" / "Summary" / "Export".  Now each command that leaves the screen
asks "Unsaved: … Leave anyway?" first (no: nothing happens; yes: the screen is
closed, dropping it, then the command runs), the palette's two Quits ask "Quit
anyway?", a valid value typed is saved on the way out, and the commands that
only stack on top (help, theme, keys) ask nothing and keep the value.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from textual.command import CommandList, CommandPalette
from textual.keys import _character_to_key

from screens.export import ExportModal
from screens.help import HelpScreen
from screens.home import HomeScreen
from screens.overview import OverviewScreen
from screens.scoring import ScoringScreen
from screens.summary import SummaryScreen
from screens.widgets import ConfirmModal
from tests.test_ui_conflict_leave import (ALEX, SIZE, app_for, conflict, field, later,
                                          open_scoring, overwritten, slow_autosave, stored,
                                          type_in, until)
from tui.store import Store

__all__ = ["slow_autosave"]  # (a fixture, used by name)

MAYA = "2026-h2/maya"


def first_line(option: Any) -> str:
    prompt = option.prompt
    return (getattr(prompt, "plain", None) or str(prompt)).splitlines()[0]


async def palette(pilot: Any, query: str, command: str) -> None:
    """ctrl+p, type `query`, run the command named `command` (enter), as a person does."""
    app = pilot.app
    await pilot.press("ctrl+p")
    await until([pilot], lambda: isinstance(app.screen, CommandPalette), "the palette")
    await pilot.press(*[_character_to_key(c) for c in query])
    shown = app.screen
    listing = shown.query_one(CommandList)

    def index() -> int | None:
        return next((i for i in range(listing.option_count)
                     if first_line(listing.get_option_at_index(i)) == command), None)

    await until([pilot], lambda: index() is not None, f"{command!r} listed")
    listing.highlighted = index()
    await pilot.press("enter")
    await until([pilot], lambda: shown not in app.screen_stack, "palette closed")
    await pilot.pause(0.1)


def question(app: Any) -> str:
    assert isinstance(app.screen, ConfirmModal), app.screen_stack
    return str(app.screen.query_one(".modal-title").render())


async def scoring_with(app: Any, pilot: Any, actual: str) -> ScoringScreen:
    """Home → Alex's overview → scoring KPI 1.1 with `actual` typed (not saved yet)."""
    await pilot.pause()
    app.open_review(ALEX)
    await pilot.pause()
    screen = await open_scoring(app, pilot)
    await type_in(pilot, screen, "actual", actual)
    return screen


LEAVING = [
    ("home", "Home: my reviews", HomeScreen, None),
    ("open maya", "Open review: Maya Lindqvist (2026-h2)", OverviewScreen, MAYA),
    ("summary maya", "Summary: Maya Lindqvist (2026-h2)", SummaryScreen, MAYA),
    ("export maya", "Export: Maya Lindqvist (2026-h2)", ExportModal, MAYA),
    ("summary and sign", "Summary and sign-off of this review", SummaryScreen, ALEX),
    ("export this", "Export this review to TOML", ExportModal, ALEX),
]


@pytest.mark.parametrize("query, command, lands_on, review", LEAVING)
async def test_a_refused_value_is_asked_about_before_a_palette_command_leaves(
        store: Store, slow_autosave: None, query: str, command: str, lands_on: type,
        review: str | None) -> None:
    before = stored(store).actual
    app = app_for(store)
    async with app.run_test(size=SIZE) as pilot:
        screen = await scoring_with(app, pilot, "12,5")
        await palette(pilot, query, command)
        title = question(app)
        assert title.startswith("Unsaved: ") and "actual" in title
        assert title.endswith("Leave anyway? (y/n)")
        await pilot.press("n")  # stays, with the value
        await until([pilot], lambda: app.screen is screen, "back on the scoring screen")
        assert field(screen, "actual").value == "12,5"
        await palette(pilot, query, command)
        assert "Leave anyway?" in question(app)
        await pilot.press("y")  # leaves, without it
        await until([pilot], lambda: isinstance(app.screen, lands_on), f"on {lands_on}")
        assert screen not in app.screen_stack
        assert not any(isinstance(s, ScoringScreen) for s in app.screen_stack)
        if review is not None:
            assert app.screen.review_id == review
    assert stored(store).actual == before


async def test_palette_home_after_later_asks_and_never_saves_the_value_in_conflict(
        store: Store, slow_autosave: None) -> None:
    one, two = app_for(store), app_for(store)
    async with one.run_test(size=SIZE) as p1, two.run_test(size=SIZE) as p2:
        s1, s2 = await open_scoring(one, p1), await open_scoring(two, p2)
        await conflict(store, p1, p2, s1, s2)
        await later(p2, s2)
        await palette(p2, "home", "Home: my reviews")
        assert "Leave anyway?" in question(two)
        await p2.press("n")
        await until([p2], lambda: two.screen is s2, "back on the scoring screen")
        assert field(s2, "actual").value == "21"
        await palette(p2, "home", "Home: my reviews")
        await p2.press("y")
        await until([p2], lambda: isinstance(two.screen, HomeScreen), "home")
        assert stored(store).actual == Decimal(20)
    assert stored(store).actual == Decimal(20)
    assert not overwritten(store, "20", "21")


@pytest.mark.parametrize("query, command", [("quit", "Quit"), ("quit kpi", "Quit kpireview")])
async def test_both_palette_quits_ask_first(store: Store, slow_autosave: None,
                                            query: str, command: str) -> None:
    app = app_for(store)
    async with app.run_test(size=SIZE) as pilot:
        screen = await scoring_with(app, pilot, "12,5")
        await palette(pilot, query, command)
        assert question(app).endswith("Quit anyway? (y/n)")
        await pilot.press("n")
        await until([pilot], lambda: app.screen is screen, "back on the scoring screen")
        assert app.is_running and field(screen, "actual").value == "12,5"


@pytest.mark.parametrize("query, command, lands_on", [
    ("home", "Home: my reviews", HomeScreen),
    ("open maya", "Open review: Maya Lindqvist (2026-h2)", OverviewScreen),
])
async def test_a_valid_value_is_saved_before_a_palette_command_leaves(
        store: Store, slow_autosave: None, query: str, command: str, lands_on: type) -> None:
    app = app_for(store)
    async with app.run_test(size=SIZE) as pilot:
        await scoring_with(app, pilot, "17")
        assert stored(store).actual != Decimal(17)  # (not autosaved yet)
        await palette(pilot, query, command)
        await until([pilot], lambda: isinstance(app.screen, lands_on), "no question: gone")
        assert stored(store).actual == Decimal(17)


@pytest.mark.parametrize("query, command", [
    ("help", "Help: keys and workflow"), ("theme", "Theme"), ("keys", "Keys")])
async def test_commands_that_stack_on_top_ask_nothing_and_keep_the_value(
        store: Store, slow_autosave: None, query: str, command: str) -> None:
    app = app_for(store)
    async with app.run_test(size=SIZE) as pilot:
        screen = await scoring_with(app, pilot, "12,5")
        await palette(pilot, query, command)
        assert not isinstance(app.screen, ConfirmModal)
        if command.startswith("Help"):
            assert isinstance(app.screen, HelpScreen)
        if command == "Theme":
            assert isinstance(app.screen, CommandPalette)  # the list of themes
            await pilot.press("escape")
            await until([pilot], lambda: app.screen is screen, "back")
        assert screen in app.screen_stack
        assert field(screen, "actual").value == "12,5"


async def test_textual_system_commands_are_the_known_ones(store: Store, tmp_path: Path,
                                                          monkeypatch: Any) -> None:
    """Only Quit of Textual's own commands leaves (and asks); a new one in a later
    Textual shows up here, to be checked."""
    app = app_for(store)
    async with app.run_test(size=SIZE) as pilot:
        await scoring_with(app, pilot, "12,5")
        names = {c.title for c in app.get_system_commands(app.screen)}
        assert names <= {"Theme", "Quit", "Keys", "Maximize", "Minimize", "Screenshot"}, names


async def test_palette_home_over_the_conflict_dialog_asks_and_keeps_theirs(
        store: Store, slow_autosave: None) -> None:
    from screens.conflict import ConflictModal

    one, two = app_for(store), app_for(store)
    async with one.run_test(size=SIZE) as p1, two.run_test(size=SIZE) as p2:
        s1, s2 = await open_scoring(one, p1), await open_scoring(two, p2)
        await conflict(store, p1, p2, s1, s2)
        dialog = two.screen
        await palette(p2, "home", "Home: my reviews")
        assert "Leave anyway?" in question(two)
        await p2.press("n")
        await until([p2], lambda: two.screen is dialog, "back on the dialog")
        assert isinstance(two.screen, ConflictModal)
        await palette(p2, "home", "Home: my reviews")
        await p2.press("y")
        await until([p2], lambda: isinstance(two.screen, HomeScreen), "home")
        await p2.pause(0.2)
        assert two.is_running
    assert stored(store).actual == Decimal(20)
    assert not overwritten(store, "20", "21")
