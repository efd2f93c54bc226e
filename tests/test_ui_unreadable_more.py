"""A review file that cannot be read, on the screens that still showed the old
data: the guided scoring, the improvement actions and the export box.

The guided scoring kept showing the review with every key active when its
file went bad, and cut the error after three lines; the actions screen cut it
after one ("…is cut short (truncated: an"), so what to do was never seen; the
command palette's "Export: …" opened a form that could only fail. Now each
shows the one panel (screens.widgets.ReviewProblem) naming the file, the
problem and what to do, offers only back (or close), saves nothing meanwhile,
and shows the review again once the file is restored. A value typed in the
guided scoring and not saved yet stays, and the panel says so; leaving asks.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from textual.widgets import Input

import screens.overview
import tui.store
from screens.actions import ActionsScreen
from screens.export import ExportModal
from screens.scoring import ScoringScreen
from screens.widgets import ConfirmModal, ReviewProblem, unreadable_text
from tui.access import DataFileError, open_session
from tui.store import Store

from test_ui_unreadable_review import (
    DAMAGE, assert_says_what_and_what_to_do, cut_in_half, problem_text, review_file,
    shown_keys, wait_for_poll,
)
from ui_helpers import ALEX, MAYA, SIZE, app_for, text_of

KPI = "ad-new-products-adopted"  # KPI 1.1 of Alex's review (manager assessment)


def stored_actual(store: Store) -> Decimal | None:
    return open_session(Store(store.root), login="root").view(ALEX).review.kpi(KPI).actual


# --- shared: one panel, one error class -------------------------------------------------


def test_one_panel_and_the_error_class_from_the_access_layer() -> None:
    assert screens.overview.ReviewProblem is ReviewProblem
    assert screens.overview.unreadable_text is unreadable_text
    assert DataFileError is tui.store.DataFileError
    # Recognised by its class, not by having `path` and `problem` attributes.
    lookalike = ValueError("something else")
    lookalike.path, lookalike.problem = Path("/x.json"), "is odd"  # type: ignore[attr-defined]
    assert "File:" not in unreadable_text(lookalike)
    real = DataFileError(Path("/x.json"), "is empty (0 bytes of data)")
    text = unreadable_text(real, note="kept")
    assert "File:    /x.json" in text and "Restore it from a backup" in text
    assert "Note:    kept" in text


# --- guided scoring -------------------------------------------------------------------------


@pytest.mark.parametrize("damage", list(DAMAGE))
async def test_scoring_opened_on_a_damaged_review_offers_only_back(
        store: Store, damage: str) -> None:
    spoil, problem = DAMAGE[damage]
    path = review_file(store, ALEX)
    spoil(path)
    broken = path.read_bytes()
    app = app_for(store)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen = ScoringScreen(app.session, ALEX)  # (as any way of opening it does)
        await app.push_screen(screen)
        await pilot.pause()
        assert_says_what_and_what_to_do(problem_text(screen), path, problem)
        assert shown_keys(screen) == {"back"}
        assert not screen.query_one("#sc-table").display
        assert not screen.query_one("#sc-editor").display
        for key in ("pagedown", "f8", "ctrl+g", "ctrl+t", "f3", "enter", "tab", "5"):
            await pilot.press(key)
            await pilot.pause()
            assert app.screen is screen, f"{key} opened {app.screen}"
            assert screen.focused is None
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is not screen
    assert path.read_bytes() == broken


async def test_scoring_shows_the_review_once_a_damaged_file_is_restored(store: Store) -> None:
    path = review_file(store, ALEX)
    good = path.read_bytes()
    cut_in_half(path)
    app = app_for(store)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen = ScoringScreen(app.session, ALEX)
        await app.push_screen(screen)
        await pilot.pause()
        assert problem_text(screen)
        path.write_bytes(good)
        await wait_for_poll(pilot)
        assert not screen.query_one(ReviewProblem).display
        assert "KRA 1/10 · KPI 1/4" in text_of(screen.query_one("#sc-progress"))
        assert app.focused is screen.query_one("#f-actual", Input)
        assert "next_kpi" in shown_keys(screen)


async def test_scoring_keeps_a_typed_value_while_the_file_is_bad_and_saves_it_after(
        store: Store) -> None:
    path = review_file(store, ALEX)
    good = path.read_bytes()
    app = app_for(store)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen = ScoringScreen(app.session, ALEX)
        await app.push_screen(screen)
        await pilot.pause()
        before = shown_keys(screen)
        actual = screen.query_one("#f-actual", Input)
        assert app.focused is actual
        await pilot.press("ctrl+u", "7")  # typed, not saved yet (no enter, no pause)
        cut_in_half(path)
        broken = path.read_bytes()
        await wait_for_poll(pilot)
        text = problem_text(screen)
        assert_says_what_and_what_to_do(text, path, "is cut short")
        assert "Not saved: your actual of KPI 1.1" in text
        assert "saved once the file can be read again" in text
        assert shown_keys(screen) == {"back"}
        assert screen.focused is None  # nothing is typed into a hidden field
        for key in ("pagedown", "f8", "ctrl+t", "enter", "tab"):
            await pilot.press(key)
            await pilot.pause()
            assert app.screen is screen
        assert path.read_bytes() == broken  # nothing was tried into it
        # Quitting now would lose it: the app's quit guard says so.
        assert any("actual" in w and "cannot be read" in w for w in app.unsaved_work())
        # Back asks first; Stay keeps it.
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmModal)
        assert "not saved" in text_of(app.screen.query_one(".modal-text"))
        await pilot.press("n")
        await pilot.pause()
        assert app.screen is screen
        assert actual.value == "7"
        path.write_bytes(good)  # restored from a backup
        await wait_for_poll(pilot)
        assert not screen.query_one(ReviewProblem).display
        assert actual.value == "7"
        assert shown_keys(screen) == before
        assert app.focused is actual
    assert stored_actual(store) == Decimal(7)


async def test_scoring_leaving_a_bad_file_with_a_typed_value_drops_it_when_chosen(
        store: Store) -> None:
    path = review_file(store, ALEX)
    app = app_for(store)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen = ScoringScreen(app.session, ALEX)
        await app.push_screen(screen)
        await pilot.pause()
        await pilot.press("ctrl+u", "9")
        cut_in_half(path)
        await wait_for_poll(pilot)
        assert problem_text(screen)
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmModal)
        await pilot.press("y")
        await pilot.pause()
        assert app.screen is not screen and not isinstance(app.screen, ConfirmModal)


async def test_scoring_save_into_a_file_gone_bad_shows_the_panel(store: Store) -> None:
    """The file goes bad between two polls and a save finds it first."""
    path = review_file(store, ALEX)
    app = app_for(store)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen = ScoringScreen(app.session, ALEX)
        await app.push_screen(screen)
        await pilot.pause()
        screen._watch.stop()  # (no poll: the save is the first to see it)
        await pilot.press("ctrl+u", "8")
        cut_in_half(path)
        await pilot.press("enter")
        await pilot.pause()
        text = problem_text(screen)
        assert_says_what_and_what_to_do(text, path, "is cut short")
        assert "Not saved: your actual of KPI 1.1" in text
        assert shown_keys(screen) == {"back"}
        assert screen.query_one("#f-actual", Input).value == "8"


# --- improvement actions ----------------------------------------------------------------


async def test_actions_screen_shows_the_problem_and_the_actions_again(store: Store) -> None:
    path = review_file(store, MAYA)
    good = path.read_bytes()
    app = app_for(store)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen = ActionsScreen(app.session, MAYA)
        await app.push_screen(screen)
        await pilot.pause()
        before = shown_keys(screen)
        assert {"new", "cycle"} <= before
        cut_in_half(path)
        await wait_for_poll(pilot)
        assert_says_what_and_what_to_do(problem_text(screen), path, "is cut short")
        assert shown_keys(screen) == {"back"}
        assert not screen.query_one("#ac-table").display
        for key in ("n", "c", "enter"):
            await pilot.press(key)
            await pilot.pause()
            assert app.screen is screen
        path.write_bytes(good)
        await wait_for_poll(pilot)
        assert not screen.query_one(ReviewProblem).display
        assert screen.query_one("#ac-table").display
        assert shown_keys(screen) == before


async def test_actions_screen_opened_on_a_damaged_review(store: Store) -> None:
    path = review_file(store, MAYA)
    path.write_bytes(b"")
    app = app_for(store)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen = ActionsScreen(app.session, MAYA)
        await app.push_screen(screen)
        await pilot.pause()
        assert_says_what_and_what_to_do(problem_text(screen), path, "is empty")
        assert shown_keys(screen) == {"back"}
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is not screen


# --- export ------------------------------------------------------------------------------


async def test_export_of_a_damaged_review_says_why_instead_of_a_form(
        store: Store, tmp_path: Path, monkeypatch: Any) -> None:
    monkeypatch.chdir(tmp_path)
    path = review_file(store, MAYA)
    cut_in_half(path)
    app = app_for(store)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        app.open_export(MAYA)  # as the command palette's "Export: …" does
        await pilot.pause()
        box = app.screen
        assert isinstance(box, ExportModal)
        text = text_of(box.query_one(ReviewProblem))
        assert box.query_one(ReviewProblem).display
        assert str(path) in text and "is cut short" in text
        assert "Restore it from a backup" in text and "kpireview doctor" in text
        assert "escape: close" in text
        assert not box.query_one("#export-path", Input).display
        assert box.focused is None
        await pilot.press("enter")
        await pilot.pause()
        assert list(tmp_path.glob("*.toml")) == []
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, ExportModal)


async def test_export_of_a_readable_review_still_shows_the_form(store: Store) -> None:
    app = app_for(store)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        app.open_export(MAYA)
        await pilot.pause()
        box = app.screen
        assert isinstance(box, ExportModal)
        assert not box.query_one(ReviewProblem).display
        assert box.focused is box.query_one("#export-path", Input)
