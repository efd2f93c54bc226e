"""The planning editor keeps every character typed and checks it as the core does.

A tester typed `12,5` into a target and saw `125`; `1e3` became `13`, and
ctrl+s saved the wrong number without a word: the fields had `restrict`
patterns, and an Input drops a refused key silently. Now nothing typed is
dropped; each field is checked with the core's own parsing (as the guided
scoring does and as the save will), a field that is not valid says so on its
own line under it, naming it, is left out of its sum, and ctrl+s refuses to
save while one is not valid, naming it.

Also: a KRA title or KPI name longer than its cell ended right against the
next cell ("…revenue fromw 35"); now it ends in "…" with a blank cell after.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from textual.widgets import Input

from screens.overview import PlanningScreen, check_typed
from tui.access import WorkflowError
from tui.store import Store
from tui.workflow import parse_number, parse_weight

from ui_helpers import ALEX, MAYA, SAM, SIZE, app_for, text_of


async def open_planning(app, pilot) -> PlanningScreen:  # type: ignore[no-untyped-def]
    await pilot.pause()
    app.open_review(SAM)
    await pilot.pause()
    await pilot.press("w")
    await pilot.pause()
    assert isinstance(app.screen, PlanningScreen)
    return app.screen


async def type_into(pilot, screen: PlanningScreen, input_id: str, text: str) -> Input:  # type: ignore[no-untyped-def]
    """Focus the input, clear it and type `text` key by key, as a person does."""
    inp = screen.query_one(f"#{input_id}", Input)
    inp.focus()
    await pilot.pause()
    await pilot.press("end", "ctrl+u", *[c if c != "," else "comma" for c in text])
    await pilot.pause()
    return inp


def error_under(screen: PlanningScreen, input_id: str) -> str:
    lines = screen.query(f"#err-{input_id}")
    if not lines or not lines.first().display:
        return ""
    return text_of(lines.first())


def first_numeric(store: Store):  # type: ignore[no-untyped-def]
    kra = store.load_review(SAM).kras[0]
    return next(k for k in kra.kpis if k.target is not None)


# --- nothing typed is dropped ---------------------------------------------------------


@pytest.mark.parametrize("typed", ["12,5", "1e3", "-5", "abc", "1.2.3", "12 5", "1_000"])
async def test_every_character_typed_into_a_target_stays(store: Store, typed: str) -> None:
    kpi = first_numeric(store)
    app = app_for(store)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_planning(app, pilot)
        inp = await type_into(pilot, screen, f"kpi-t-{kpi.id}", typed)
        assert inp.value == typed


@pytest.mark.parametrize("typed", ["12,5", "1e1", "abc", "100.001"])
async def test_every_character_typed_into_a_weight_stays(store: Store, typed: str) -> None:
    kpi = first_numeric(store)
    app = app_for(store)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_planning(app, pilot)
        inp = await type_into(pilot, screen, f"kpi-w-{kpi.id}", typed)
        assert inp.value == typed


async def test_a_long_value_is_reported_not_cut(store: Store) -> None:
    kpi = first_numeric(store)
    app = app_for(store)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_planning(app, pilot)
        typed = "1" * 40
        inp = await type_into(pilot, screen, f"kpi-t-{kpi.id}", typed)
        assert inp.value == typed
        assert "KPI 1.1 target is too long" in error_under(screen, f"kpi-t-{kpi.id}")
        weight = await type_into(pilot, screen, f"kra-w-{store.load_review(SAM).kras[0].id}",
                                 "2" + "0" * 12)
        assert len(weight.value) == 13
        assert "KRA 1 weight" in error_under(screen, weight.id or "")


# --- the tester's case ------------------------------------------------------------------


async def test_12_comma_5_is_refused_by_name_and_not_saved(store: Store) -> None:
    kpi = first_numeric(store)
    before = store.load_review(SAM)
    app = app_for(store)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_planning(app, pilot)
        wid = f"kpi-t-{kpi.id}"
        inp = await type_into(pilot, screen, wid, "12,5")
        assert inp.value == "12,5"
        assert error_under(screen, wid) == "! KPI 1.1 target '12,5' is not a number"
        assert inp.has_class("-invalid")
        await pilot.press("ctrl+s")
        await pilot.pause()
        message = text_of(screen.query_one("#message"))
        assert message.startswith("! not saved — KPI 1.1 target '12,5' is not a number")
        assert screen.focused is inp  # taken to the field to put right
        # Put right: the error goes, and the value is saved.
        await type_into(pilot, screen, wid, "12.5")
        assert error_under(screen, wid) == ""
        assert not inp.has_class("-invalid")
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert text_of(screen.query_one("#message")) == "✓ saved weights and targets"
    after = store.load_review(SAM)
    assert after.kpi(kpi.id).target == Decimal("12.5")
    assert after.revision == before.revision + 1


async def test_1e3_is_a_thousand_as_in_the_guided_scoring(store: Store) -> None:
    kpi = first_numeric(store)
    app = app_for(store)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_planning(app, pilot)
        wid = f"kpi-t-{kpi.id}"
        inp = await type_into(pilot, screen, wid, "1e3")
        assert inp.value == "1e3" and error_under(screen, wid) == ""
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert text_of(screen.query_one("#message")) == "✓ saved weights and targets"
        assert inp.value == "1000"  # shown as it is stored
        assert screen.unsaved_work() is None
    assert store.load_review(SAM).kpi(kpi.id).target == Decimal(1000)


async def test_a_weight_that_is_not_valid_is_named_and_not_summed(store: Store) -> None:
    review = store.load_review(SAM)
    kra = review.kras[0]
    kpi = kra.kpis[0]
    app = app_for(store)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_planning(app, pilot)
        wid = f"kpi-w-{kpi.id}"
        await type_into(pilot, screen, wid, "12,5")
        assert error_under(screen, wid) == "! KPI 1.1 weight '12,5' is not a number"
        # Not summed as 125 (or as anything): the sum says a weight is not valid.
        kpi_sum = text_of(screen.query_one(f"#kpi-sum-{kra.id}"))
        assert "✗ 1 weight is not valid" in kpi_sum and "125" not in kpi_sum
        await type_into(pilot, screen, wid, "120")
        assert error_under(screen, wid) == "! KPI 1.1 weight 120 is above 100"
        await type_into(pilot, screen, wid, "40.125")
        assert error_under(screen, wid) == "! KPI 1.1 weight 40.125 has more than 2 decimals"
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert text_of(screen.query_one("#message")).startswith(
            "! not saved — KPI 1.1 weight 40.125 has more than 2 decimals")
        # A valid weight is summed again; 4e1 is 40 as the core reads it.
        await type_into(pilot, screen, wid, "4e1")
        assert error_under(screen, wid) == ""
        assert text_of(screen.query_one(f"#kpi-sum-{kra.id}")).endswith("100.00 / 100 ✓")
    assert store.load_review(SAM) == review


async def test_a_kra_weight_that_is_not_valid_is_named_in_the_kra_sum(store: Store) -> None:
    kra = store.load_review(SAM).kras[1]
    app = app_for(store)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_planning(app, pilot)
        wid = f"kra-w-{kra.id}"
        await type_into(pilot, screen, wid, "3,5")
        assert error_under(screen, wid) == "! KRA 2 weight '3,5' is not a number"
        assert text_of(screen.query_one("#plan-kra-sum")) == (
            "KRA weights: ✗ 1 weight is not valid (see below)")


# --- the same rules as the core, for every kind of input ----------------------------------


TYPED = ["12,5", "1e3", "1E5", "1e-2", "-5", "-0", "0", "", "  7  ", "1_000", "abc", "1.2.3",
         "NaN", "inf", "1e20", "0.00001", "0.0001", "100", "100.01", "99.99", "12 5", "٣"]


@pytest.mark.parametrize("typed", TYPED)
def test_targets_are_checked_exactly_as_the_core_parses_them(store: Store, typed: str) -> None:
    review = store.load_review(SAM)
    for kpi in (k for k in review.all_kpis() if k.target is not None):
        value, problem = check_typed(typed, "KPI target", kpi)
        try:
            expected = parse_number(typed, kpi, "KPI target")
        except WorkflowError as exc:
            assert value is None and problem == str(exc)
        else:
            assert problem == "" and value == expected


@pytest.mark.parametrize("typed", TYPED)
def test_weights_are_checked_exactly_as_the_core_parses_them(typed: str) -> None:
    value, problem = check_typed(typed, "KPI weight")
    if not typed.strip():
        assert (value, problem) == (Decimal(0), "")  # an empty weight is 0, as saved
        return
    try:
        expected = parse_weight(typed.strip(), "KPI weight")
    except WorkflowError as exc:
        assert value is None and problem == str(exc)
    else:
        assert problem == "" and value == expected


# --- layout: names never run into the next cell -------------------------------------------


@pytest.mark.parametrize("width", [80, 81, 83, 86, 90, 97, 100])
async def test_names_end_before_the_next_cell(store: Store, width: int) -> None:
    app = app_for(store)
    async with app.run_test(size=(width, 60)) as pilot:
        await pilot.pause()
        for review_id in (SAM, ALEX, MAYA):
            screen = PlanningScreen(app.session, review_id)
            app.push_screen(screen)
            await pilot.pause()
            lines = [strip.text for strip in screen._compositor.render_strips()]
            names = list(screen.query(".plan-kpi-name")) + list(screen.query(".plan-kra-title"))
            body = screen.query_one("#plan-body").region
            seen = 0
            for widget in names:
                region = widget.region
                if not (body.y <= region.y < body.bottom):
                    continue  # scrolled out of sight
                seen += 1
                cell = lines[region.y][region.x:region.right]
                whole = widget.content.plain  # type: ignore[attr-defined]
                assert cell.endswith(" "), f"{whole!r} runs into the next cell: {cell!r}"
                shown = cell.rstrip()
                if whole.rstrip() != shown:
                    assert shown.endswith("…"), f"{whole!r} is cut without a mark: {shown!r}"
            assert seen > 10
            app.pop_screen()
            await pilot.pause()
