"""Two people planning one review at once lose nothing of each other's.

A tester found that the planning editor sent every weight and target it
showed: a second terminal's ctrl+s put back the weights the first had just
saved, without a word. Now an editor sends only what its user changed, with
what it showed as `expected`; a value changed in both places is a conflict,
and what was not changed here follows the stored review.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from textual.widgets import Input

from screens.overview import PlanningScreen
from tui.access import open_session
from tui.store import Store
from tui.workflow import Conflict

from ui_helpers import SAM, SIZE, app_for


def weights(store: Store, kra_index: int = 0) -> list[Decimal]:
    return [k.weight for k in store.load_review(SAM).kras[kra_index].kpis]


def first_kra(store: Store):  # type: ignore[no-untyped-def]
    return store.load_review(SAM).kras[0]


# --- the core: expected values -----------------------------------------------------


def test_a_planning_save_refuses_a_value_changed_since_it_was_shown(store: Store) -> None:
    kra = first_kra(store)
    kpi = kra.kpis[0]
    me, other = open_session(store, login="root"), open_session(Store(store.root), login="root")
    other.set_planning(SAM, {}, {kpi.id: "50", kra.kpis[1].id: "20", kra.kpis[2].id: "30"}, {})
    before = store.load_review(SAM)
    with pytest.raises(Conflict, match=f"KPI {kpi.id} weight was changed"):
        me.set_planning(SAM, {}, {kpi.id: "45", kra.kpis[1].id: "25"}, {},
                        expected={"kpi_weights": {kpi.id: str(kpi.weight),
                                                  kra.kpis[1].id: str(kra.kpis[1].weight)}})
    assert store.load_review(SAM) == before


def test_values_not_sent_are_kept_as_another_session_saved_them(store: Store) -> None:
    kra = first_kra(store)
    numeric = next(k for k in kra.kpis if k.target is not None)
    me, other = open_session(store, login="root"), open_session(Store(store.root), login="root")
    new_weights = ["50", "24.5", "25.5"] + [str(k.weight) for k in kra.kpis[3:]]
    other.set_planning(SAM, {}, {k.id: w for k, w in zip(kra.kpis, new_weights)}, {})
    me.set_planning(SAM, {}, {}, {numeric.id: "500000"},
                    expected={"targets": {numeric.id: str(numeric.target)}})
    after = first_kra(store)
    assert [str(k.weight) for k in after.kpis] == new_weights
    assert next(k for k in after.kpis if k.id == numeric.id).target == Decimal(500000)


# --- the editor ---------------------------------------------------------------------


async def open_planning(app, pilot) -> PlanningScreen:  # type: ignore[no-untyped-def]
    await pilot.pause()
    app.open_review(SAM)
    await pilot.pause()
    await pilot.press("w")
    await pilot.pause()
    assert isinstance(app.screen, PlanningScreen)
    return app.screen


async def test_the_tester_s_two_terminals_lose_nothing(store: Store) -> None:
    """Session 1 saves KPI weights; session 2, opened before, changes a target."""
    kra = first_kra(store)
    numeric = next(k for k in kra.kpis if k.target is not None)
    app = app_for(store)
    async with app.run_test(size=SIZE) as pilot:
        planning = await open_planning(app, pilot)
        other = open_session(Store(store.root), login="root")
        new_weights = ["50", "24.5", "25.5"] + [str(k.weight) for k in kra.kpis[3:]]
        other.set_planning(SAM, {}, {k.id: w for k, w in zip(kra.kpis, new_weights)}, {})
        planning.query_one(f"#kpi-t-{numeric.id}", Input).value = "500000"
        await pilot.pause()
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert "saved weights and targets" in str(planning.query_one("#message").render())
        after = first_kra(store)
        assert [str(k.weight) for k in after.kpis] == new_weights
        assert next(k for k in after.kpis if k.id == numeric.id).target == Decimal(500000)
        # and the editor shows what is stored, not the weights it opened with
        shown = [planning.query_one(f"#kpi-w-{k.id}", Input).value for k in kra.kpis]
        assert shown == new_weights
        assert planning.unsaved_work() is None


async def test_untouched_fields_follow_another_session_live(store: Store) -> None:
    kra = first_kra(store)
    app = app_for(store)
    async with app.run_test(size=SIZE) as pilot:
        planning = await open_planning(app, pilot)
        other = open_session(Store(store.root), login="root")
        new_weights = ["50", "24.5", "25.5"] + [str(k.weight) for k in kra.kpis[3:]]
        other.set_planning(SAM, {}, {k.id: w for k, w in zip(kra.kpis, new_weights)}, {})
        await pilot.pause(1.2)  # the screen polls the review file twice a second
        shown = [planning.query_one(f"#kpi-w-{k.id}", Input).value for k in kra.kpis]
        assert shown == new_weights
        assert "updated from another session: KPI 1.1 weight" in str(
            planning.query_one("#message").render())
        assert planning.unsaved_work() is None


async def test_a_value_changed_in_both_is_a_conflict_and_ctrl_s_again_keeps_mine(
        store: Store) -> None:
    kra = first_kra(store)
    a, b = kra.kpis[0], kra.kpis[1]
    app = app_for(store)
    async with app.run_test(size=SIZE) as pilot:
        planning = await open_planning(app, pilot)
        # here: 1.1 and 1.2 changed (the sum stays 100)
        planning.query_one(f"#kpi-w-{a.id}", Input).value = str(a.weight + 5)
        planning.query_one(f"#kpi-w-{b.id}", Input).value = str(b.weight - 5)
        await pilot.pause()
        # there, meanwhile: 1.1 and 1.2 too, otherwise
        other = open_session(Store(store.root), login="root")
        c = kra.kpis[2]
        other.set_planning(SAM, {}, {a.id: str(a.weight + 10), b.id: str(b.weight - 10)}, {})
        stored = weights(store)
        await pilot.press("ctrl+s")
        await pilot.pause()
        message = str(planning.query_one("#message").render())
        assert "not saved — changed in another session" in message, message
        assert f"KPI 1.1 weight is now {a.weight + 10}, you typed {a.weight + 5}" in message
        assert f"KPI 1.2 weight is now {b.weight - 10}" in message, message
        assert weights(store) == stored  # nothing written
        await pilot.press("ctrl+s")  # again: mine, deliberately
        await pilot.pause()
        assert "saved weights and targets" in str(planning.query_one("#message").render())
        assert weights(store)[:3] == [a.weight + 5, b.weight - 5, c.weight]
