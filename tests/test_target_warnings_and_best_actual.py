"""Three findings of a tester.

1. The planning editor saved a target under which scoring means nothing (0 on a
   higher-is-better KPI: no rating is ever suggested) with just "✓ saved".
   The per-KPI rule `templates check` warned with is now one core function,
   `tui.scoring.target_warning`, used by both; the planning editor shows its
   warning under the field as it is typed (styled apart from the errors that
   block the save, and not blocking) and in the save message.
2. Escape from the guided scoring put the overview's cursor back on the KRA it
   was opened from, not the KRA the scoring was last on.
3. On a lower-is-better KPI an actual of 0 (the best result there is) got no
   suggested rating. target ÷ actual grows without bound as the actual nears
   0, so 0 is the achievement cap (as 0.001 is), shown and exported as capped.
"""

from __future__ import annotations

import tomllib
from decimal import Decimal
from typing import Any

import pytest
from textual.widgets import DataTable, Input

from screens.overview import OverviewScreen, PlanningScreen
from screens.scoring import ScoringScreen
from screens.widgets import MessageLine
from tests.test_scoring import make_review, make_template, numeric, set_
from tui import scoring
from tui.access import open_session
from tui.export import export_text
from tui.models import Direction, RatingScale
from tui.store import Store
from tui.templates import scoring_warnings
from ui_helpers import ALEX, SAM, app_for, text_of

SCALE = RatingScale()


# --- 1. one rule for templates check and planning ------------------------------


@pytest.mark.parametrize(("direction", "target", "summary", "effect"), [
    (Direction.higher, "0", "target 0 with higher is better", "no rating is ever suggested"),
    (Direction.higher, "-10", "target -10 is negative with higher is better",
     "no rating is ever suggested"),
    (Direction.lower, "-5", "target -5 is negative with lower is better",
     "no rating is ever suggested"),
    (Direction.lower, "0", "target 0 with lower is better",
     "always 1 (Unsatisfactory) unless the actual is exactly 0"),
])
def test_the_core_says_what_is_wrong_with_a_target(direction: Direction, target: str,
                                                   summary: str, effect: str) -> None:
    warning = scoring.target_warning(direction, Decimal(target), SCALE)
    assert warning is not None
    assert warning.summary == summary and effect in warning.effect
    assert str(warning).startswith(f"{summary}: ")


@pytest.mark.parametrize(("direction", "target"), [
    (Direction.higher, "0.01"), (Direction.lower, "0.01"), (Direction.higher, None),
    (Direction.lower, None), (None, None),
])
def test_a_usable_target_has_no_warning(direction: Direction | None, target: str | None) -> None:
    value = None if target is None else Decimal(target)
    assert scoring.target_warning(direction, value, SCALE) is None


@pytest.mark.parametrize(("direction", "target"), [("higher", 0), ("higher", -3),
                                                   ("lower", 0), ("lower", -3)])
def test_templates_check_words_it_as_the_core_does(direction: str, target: int) -> None:
    template = make_template([(100, [numeric("x", direction=direction, target=target)])])
    expected = scoring.target_warning(Direction(direction), Decimal(target), template.scale)
    assert scoring_warnings(template) == [f"KRA 'kra-1' · KPI 'x': {expected}"]


def test_templates_check_no_longer_says_an_actual_of_0_gets_none() -> None:
    template = make_template([(100, [numeric("x", direction="lower", target=0)])])
    (line,) = scoring_warnings(template)
    assert "gets none" not in line and "unless the actual is exactly 0" in line


async def open_planning(app: Any, pilot: Any) -> PlanningScreen:
    await pilot.pause()
    app.open_review(SAM)
    await pilot.pause()
    await pilot.press("w")
    await pilot.pause()
    assert isinstance(app.screen, PlanningScreen)
    return app.screen


async def type_into(pilot: Any, screen: PlanningScreen, input_id: str, text: str) -> Input:
    inp = screen.query_one(f"#{input_id}", Input)
    inp.focus()
    await pilot.pause()
    await pilot.press("end", "ctrl+u", *text)
    await pilot.pause()
    return inp


def note_under(screen: PlanningScreen, input_id: str) -> tuple[str, set[str]]:
    """(text, classes) of the line under a field; ('', set()) when none is shown."""
    lines = screen.query(f"#err-{input_id}")
    if not lines or not lines.first().display:
        return "", set()
    line = lines.first()
    return text_of(line), set(line.classes)


async def test_target_0_on_higher_is_better_warns_under_it_and_saves_with_a_warning(
        store: Store) -> None:
    app = app_for(store)
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await open_planning(app, pilot)
        wid = "kpi-t-ae-first-meetings"  # KPI 1.2, higher is better, target 30
        inp = await type_into(pilot, screen, wid, "0")
        text, classes = note_under(screen, wid)
        assert text.startswith("⚠ KPI 1.2 target 0 with higher is better: "), text
        assert "no rating is ever suggested" in text
        assert "-warning" in classes and "-error" not in classes
        assert not inp.has_class("-invalid")  # a warning, not an error
        # Not a warning once the target makes sense again; back as it is typed.
        await type_into(pilot, screen, wid, "3")
        assert note_under(screen, wid) == ("", set())
        await type_into(pilot, screen, wid, "0")
        await pilot.press("ctrl+s")
        await pilot.pause()
        message = screen.query_one("#message", MessageLine)
        shown = text_of(message)
        assert shown.startswith(
            "⚠ saved weights and targets; 1 target gives no meaningful suggested rating: "
            "KPI 1.2 target 0 with higher is better"), shown
        assert message.has_class("-warning") and not message.has_class("-ok")
        assert note_under(screen, wid)[0].startswith("⚠ KPI 1.2 target 0")  # stays after save
    review = open_session(Store(store.root), login="root").view(SAM).review
    assert review.kpi("ae-first-meetings").target == Decimal(0)


async def test_every_faulty_target_is_named_in_the_save_message(store: Store) -> None:
    app = app_for(store)
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await open_planning(app, pilot)
        await type_into(pilot, screen, "kpi-t-ae-sales-cycle", "0")  # KPI 3.2, lower
        await type_into(pilot, screen, "kpi-t-ae-discount", "-5")  # KPI 4.1, lower
        text, _ = note_under(screen, "kpi-t-ae-sales-cycle")
        assert "always 1 (Unsatisfactory) unless the actual is exactly 0" in text, text
        await pilot.press("ctrl+s")
        await pilot.pause()
        shown = text_of(screen.query_one("#message", MessageLine))
        assert ("2 targets give no meaningful suggested rating: KPI 3.2 target 0 with lower is "
                "better; KPI 4.1 target -5 is negative with lower is better") in shown, shown


async def test_a_target_not_valid_is_an_error_not_a_warning(store: Store) -> None:
    app = app_for(store)
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await open_planning(app, pilot)
        wid = "kpi-t-ae-first-meetings"
        await type_into(pilot, screen, wid, "0x")
        text, classes = note_under(screen, wid)
        assert text.startswith("! ") and "-error" in classes and "-warning" not in classes
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert text_of(screen.query_one("#message", MessageLine)).startswith("! not saved")


async def test_a_good_save_is_still_just_saved(store: Store) -> None:
    app = app_for(store)
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await open_planning(app, pilot)
        await type_into(pilot, screen, "kpi-t-ae-first-meetings", "31")
        await pilot.press("ctrl+s")
        await pilot.pause()
        message = screen.query_one("#message", MessageLine)
        assert text_of(message) == "✓ saved weights and targets"
        assert message.has_class("-ok") and not message.has_class("-warning")


# --- 2. back from the guided scoring on the KRA it was on ---------------------------


async def test_escape_from_scoring_selects_the_kra_scoring_was_on(store: Store) -> None:
    app = app_for(store)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        app.open_review(ALEX)
        await pilot.pause()
        overview = app.screen
        assert isinstance(overview, OverviewScreen)
        table = overview.query_one("#kra-table", DataTable)
        table.move_cursor(row=1)  # KRA 2
        await pilot.press("enter")
        await pilot.pause()
        scoring_screen = app.screen
        assert isinstance(scoring_screen, ScoringScreen) and scoring_screen.kra_index == 1
        for _ in range(2):
            await pilot.press("f8")  # next KRA
            await pilot.pause()
        assert scoring_screen.kra_index == 3
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is overview
        assert table.cursor_row == 3
        # Only once: another screen on top and back leaves the cursor where it is.
        table.move_cursor(row=0)
        await pilot.press("h")
        await pilot.pause()
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is overview and table.cursor_row == 0


# --- 3. an actual of 0 on a lower-is-better KPI ----------------------------------------


@pytest.mark.parametrize("target", [45, 0])
def test_lower_is_better_actual_0_is_the_cap_and_the_top_rating(target: int) -> None:
    template = make_template([(100, [numeric("x", direction="lower", target=target)])])
    review = make_review(template)
    set_(review, "x", "actual", "0")
    ach, suggested = scoring.suggestion(review, review.kpi("x"))
    assert ach == scoring.Achievement(Decimal(150), capped=True)
    assert suggested == 5
    # The same as an actual just above 0 (the ratio grows without bound).
    set_(review, "x", "actual", "0.001")
    if target:
        assert scoring.suggestion(review, review.kpi("x")) == (ach, suggested)


def test_lower_is_better_actual_0_follows_a_lower_cap() -> None:
    template = make_template([(100, [numeric("x", direction="lower", target=45)])],
                             achievement_cap=100)
    review = make_review(template)
    set_(review, "x", "actual", "0")
    ach, suggested = scoring.suggestion(review, review.kpi("x"))
    assert ach.percent == Decimal(100) and ach.capped and suggested == 3


def test_lower_is_better_negative_values_still_have_no_ratio() -> None:
    template = make_template([(100, [numeric("x", direction="lower", target=-5)])])
    review = make_review(template)
    set_(review, "x", "actual", "0")
    ach, suggested = scoring.suggestion(review, review.kpi("x"))
    assert ach.percent is None and suggested is None and "negative" in ach.reason


def test_actual_0_exports_as_capped_not_a_division_error(store: Store) -> None:
    session = open_session(store, login="root")
    session.set_kpi(ALEX, "rm-critical-response-time", "actual", "0")  # lower, target 4
    review = session.view(ALEX).review
    ach, suggested = scoring.suggestion(review, review.kpi("rm-critical-response-time"))
    assert scoring.fmt(ach.percent) == "150.00" and suggested == 5
    doc = tomllib.loads(export_text(session, ALEX))
    kpi = next(p for kra in doc["kras"] for p in kra["kpis"]
               if p["id"] == "rm-critical-response-time")
    assert kpi["achievement"] == 150
    assert kpi["achievement_note"] == "capped at 150.00 %"
    assert kpi["suggested_rating"] == 5
