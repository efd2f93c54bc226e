"""In a blind phase the counts are of the whole review, not of what is shown.

A tester moving Lee's review on as the manager read "21 of 21 KPIs have no
self rating yet" while Lee had rated several, and the overview showed 0/21
where Home showed 6/21: both counted the manager's view, from which the self
ratings are hidden. Counts (never values) now come from the whole review.
"""

from __future__ import annotations

from screens.overview import OverviewScreen
from tui.access import open_session
from tui.scoring import kpi_done, progress, step_gaps
from tui.store import Store

from ui_helpers import SIZE, app_for, text_of

LEE = "2026-h2/lee"  # self assessment, part done, manager: root


def test_the_managers_view_counts_self_ratings_it_does_not_show(store: Store) -> None:
    full = store.load_review(LEE)
    done, total = progress(full)
    assert 0 < done < total
    view = open_session(store, login="root").view(LEE)
    assert all(k.self_rating is None for k in view.review.all_kpis())  # still hidden
    assert (view.done, view.total) == (done, total)
    assert view.kra_done == {kra.id: sum(kpi_done(k, full.state) for k in kra.kpis)
                             for kra in full.kras}
    gaps = open_session(store, login="root").step_gaps(LEE)
    assert gaps == step_gaps(full)
    assert gaps.startswith(f"{total - done} of {total} KPIs have no self rating yet")


async def test_the_overview_and_the_move_on_question_show_the_real_count(store: Store) -> None:
    done, total = progress(store.load_review(LEE))
    app = app_for(store)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        app.open_review(LEE)
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, OverviewScreen)
        assert f"{done}/{total}" in text_of(screen.query_one("#ov-state"))
        await pilot.press("m")
        await pilot.pause()
        assert f"{total - done} of {total} KPIs have no self rating yet" in \
            text_of(app.screen.query_one(".modal-title"))
