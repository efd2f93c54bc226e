"""A review whose file cannot be read, and the "Move on" question.

A tester cut a review file in half and opened the review from Home: the
overview was an empty skeleton with every key still active, and `w` said
"weights and targets are set by the manager in planning" (to the manager, in
planning), `r` "only an HR admin can reopen a signed-off review". Now every
screen that shows a review shows, in its place, one message naming the file,
what is wrong with it and what to do, and offers only going back, also when
the file goes bad while the screen is open; once the file is readable again
the screen shows the review again.

The "Move on" question repeated the step being left ("Next step now: the
manager sets targets…" when leaving planning); now it says what happens now
and what comes next.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from textual.widgets import Input

from screens.overview import HistoryScreen, OverviewScreen, PlanningScreen, ReviewProblem
from screens.summary import SummaryScreen
from screens.widgets import ConfirmModal
from tui.access import NEXT_STEP, open_session
from tui.models import State
from tui.store import Store

from ui_helpers import ALEX, SAM, SIZE, app_for, text_of

LEE = "2026-h2/lee"


def review_file(store: Store, review_id: str = SAM) -> Path:
    cycle, person = review_id.split("/")
    return store.root / "reviews" / cycle / f"{person}.json"


def cut_in_half(path: Path) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def invalid_review(path: Path) -> None:
    data = json.loads(path.read_text())
    doc = next(iter(data["review"].values()))
    doc["kras"] = "nonsense"
    path.write_text(json.dumps(data))


DAMAGE = {
    "cut in half": (cut_in_half, "is cut short"),
    "empty": (lambda p: p.write_bytes(b""), "is empty"),
    "not json": (lambda p: p.write_text("this is not JSON"), ""),
    "invalid review": (invalid_review, "holds an invalid review"),
}


def shown_keys(screen: Any) -> set[str]:
    """The screen's own actions that a key runs now (not the app's: help, quit, palette)."""
    return {b.action for (_, b, enabled, _) in screen.active_bindings.values()
            if enabled and not b.action.startswith(("app.", "screen."))
            and b.action not in ("quit", "help", "command_palette", "help_quit",
                                 "focus_next", "focus_previous")}


def problem_text(screen: Any) -> str:
    panel = screen.query_one(ReviewProblem)
    assert panel.display, "no message that the review cannot be read"
    return text_of(panel)


def assert_says_what_and_what_to_do(text: str, path: Path, problem: str) -> None:
    assert "cannot be opened" in text
    assert str(path) in text
    assert problem in text
    assert "Restore it from a backup" in text and "kpireview doctor" in text
    assert "escape: back" in text


# --- opening a damaged review -----------------------------------------------------------


@pytest.mark.parametrize("login", ["root", "harriet"])
@pytest.mark.parametrize("damage", list(DAMAGE))
async def test_opening_a_damaged_review_says_which_file_what_and_what_to_do(
        store: Store, login: str, damage: str) -> None:
    spoil, problem = DAMAGE[damage]
    path = review_file(store)
    spoil(path)
    broken = path.read_bytes()
    app = app_for(store, login)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        app.open_review(SAM)  # as Home does
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, OverviewScreen)
        assert_says_what_and_what_to_do(problem_text(screen), path, problem)
        assert not screen.query_one("#kra-table").display
        assert shown_keys(screen) == {"leave"}  # only back
        footer = {b.description for (_, b, enabled, _) in screen.active_bindings.values()
                  if enabled and b.show}
        assert "Weights" not in footer and "Reopen" not in footer and "Move on" not in footer
        # No key pretends to work, nor says something untrue.
        for key in ("w", "r", "m", "s", "a", "x", "h", "enter", "ctrl+t"):
            await pilot.press(key)
            await pilot.pause()
            assert app.screen is screen, f"{key} opened {app.screen}"
            message = text_of(screen.query_one("#message"))
            assert "set by the manager" not in message and "HR admin" not in message
            assert message == "", f"{key}: {message}"
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, OverviewScreen)
    assert path.read_bytes() == broken  # left as it is


async def test_the_summary_of_a_damaged_review_offers_only_back(store: Store) -> None:
    path = review_file(store)
    cut_in_half(path)
    app = app_for(store)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        app.open_summary(SAM)  # (the command palette opens it so)
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, SummaryScreen)
        assert_says_what_and_what_to_do(problem_text(screen), path, "is cut short")
        assert shown_keys(screen) == {"back"}
        for key in ("g", "x"):
            await pilot.press(key)
            await pilot.pause()
            assert app.screen is screen
        assert not screen.query_one("#summary-body").display


async def test_the_planning_editor_of_a_damaged_review_offers_only_back(store: Store) -> None:
    path = review_file(store)
    cut_in_half(path)
    app = app_for(store)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen = PlanningScreen(app.session, SAM)
        app.push_screen(screen)
        await pilot.pause()
        assert_says_what_and_what_to_do(problem_text(screen), path, "is cut short")
        assert not screen.check_action("save", ())
        assert not screen.query_one("#plan-body").display


# --- a file that goes bad while the screen is open ------------------------------------------


async def wait_for_poll(pilot: Any) -> None:
    await pilot.pause(1.2)  # screens poll the review file twice a second


@pytest.mark.parametrize("opener", ["overview", "summary", "history"])
async def test_a_file_that_goes_bad_while_open_is_shown_and_then_shown_again(
        store: Store, opener: str) -> None:
    path = review_file(store)
    good = path.read_bytes()
    app = app_for(store)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        app.open_review(SAM)
        await pilot.pause()
        if opener == "summary":
            await pilot.press("s")
        elif opener == "history":
            await pilot.press("h")
        await pilot.pause()
        screen = app.screen
        kind = {"overview": OverviewScreen, "summary": SummaryScreen,
                "history": HistoryScreen}[opener]
        assert isinstance(screen, kind)
        before = shown_keys(screen)
        cut_in_half(path)
        await wait_for_poll(pilot)
        assert_says_what_and_what_to_do(problem_text(screen), path, "is cut short")
        assert shown_keys(screen) <= {"back", "leave"}
        path.write_bytes(good)  # restored from a backup
        await wait_for_poll(pilot)
        assert not screen.query_one(ReviewProblem).display
        assert shown_keys(screen) == before


async def test_planning_keeps_what_was_typed_while_the_file_is_unreadable(store: Store) -> None:
    path = review_file(store)
    good = path.read_bytes()
    kra = store.load_review(SAM).kras[0]
    numeric = next(k for k in kra.kpis if k.target is not None)
    app = app_for(store)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        app.open_review(SAM)
        await pilot.pause()
        await pilot.press("w")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, PlanningScreen)
        target = screen.query_one(f"#kpi-t-{numeric.id}", Input)
        target.value = "777"
        await pilot.pause()
        cut_in_half(path)
        await wait_for_poll(pilot)
        assert_says_what_and_what_to_do(problem_text(screen), path, "is cut short")
        assert not screen.check_action("save", ())
        assert screen.focused is None  # nothing is typed into a hidden field
        assert "what you typed is kept" in text_of(screen.query_one("#message"))
        path.write_bytes(good)
        await wait_for_poll(pilot)
        assert not screen.query_one(ReviewProblem).display
        assert target.value == "777"
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert text_of(screen.query_one("#message")) == "✓ saved weights and targets"
    assert str(store.load_review(SAM).kpi(numeric.id).target) == "777"


# --- the "Move on" question --------------------------------------------------------------


async def move_on_text(store: Store, review_id: str, login: str = "root") -> tuple[str, str]:
    app = app_for(store, login)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        app.open_review(review_id)
        await pilot.pause()
        await pilot.press("m")
        await pilot.pause()
        modal = app.screen
        assert isinstance(modal, ConfirmModal)
        title = text_of(modal.query_one(".modal-title"))
        text = text_of(modal.query_one(".modal-text"))
        await pilot.press("n")
        await pilot.pause()
    return title, text


@pytest.mark.parametrize("review_id, login, state, now, then", [
    (SAM, "root", State.planning, "enters actuals and self ratings",
     "moves it on to the manager assessment"),
    (LEE, "root", State.self_assessment, "enters actuals and manager ratings",
     "moves it on to the joint review"),
    (ALEX, "root", State.manager_assessment, "agree the ratings and the improvement actions",
     "signed off and locked"),
])
async def test_move_on_says_what_happens_now_and_next_not_the_step_left(
        store: Store, review_id: str, login: str, state: State, now: str, then: str) -> None:
    review = open_session(store, login=login).view(review_id).review
    assert review.state is state
    title, text = await move_on_text(store, review_id, login)
    assert NEXT_STEP[state] not in text  # the step being left
    assert "Next step now" not in text
    assert now in text and then in text
    assert review.person_name in text
