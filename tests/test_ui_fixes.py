"""Fixes for bugs a tester reported in the shell screens, each driven with the real
app through `create_app` at 80×24 on a copy of the demo organisation:

1. ctrl+q asks before dropping typed work (action dialog, planning editor);
2. Home shows a damaged team index as a warning and keeps what did load;
3. Home: ↓/↑ at the end of one list goes on to the next, and enter opens
   the highlighted row of the focused list;
4. Overview: `m` says what is still incomplete; enter is "Open" when read-only;
5. History wraps long lines instead of cutting them off;
6. Summary: wrapped action bullets keep a hanging indent.
"""

from __future__ import annotations

from typing import Any

import pytest
from textual.widgets import Input

from screens.actions import ActionForm, ActionsScreen
from screens.home import HomeScreen, ReviewTable
from screens.overview import HistoryScreen, OverviewScreen, PlanningScreen
from screens.summary import SummaryScreen
from screens.widgets import ConfirmModal
from tui.access import open_session
from tui.doctor import check_data_dir
from tui.scoring import suggestion
from tui.store import Store, StoreError

from ui_helpers import ALEX, MAYA, SAM, SIZE, app_for, lines_of, text_of  # noqa: E402,F401


def rendered_lines(widget: Any) -> list[str]:
    """What a widget shows, line by line, as laid out on screen now."""
    return [widget.render_line(y).text.rstrip() for y in range(widget.size.height)]


async def type_text(pilot: Any, text: str) -> None:
    for ch in text:
        await pilot.press("space" if ch == " " else ch)


# --- 1. ctrl+q asks before dropping typed work ----------------------------------------------


async def test_ctrl_q_with_nothing_unsaved_quits_at_once(store: Store) -> None:
    app = app_for(store)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        app.open_review(ALEX)
        await pilot.pause()
        await pilot.press("ctrl+q")
        await pilot.pause()
        assert app._exit
        assert not isinstance(app.screen, ConfirmModal)


async def test_ctrl_q_in_the_new_action_dialog_asks_and_keeps_the_text(store: Store) -> None:
    app = app_for(store)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        app.open_review(MAYA)  # joint review: actions can be written
        await pilot.pause()
        await pilot.press("a")
        await pilot.pause()
        assert isinstance(app.screen, ActionsScreen)
        await pilot.press("n")
        await pilot.pause()
        form = app.screen
        assert isinstance(form, ActionForm)
        await type_text(pilot, "call the top ten")
        await pilot.press("ctrl+q")
        await pilot.pause()
        modal = app.screen
        assert isinstance(modal, ConfirmModal), "ctrl+q quit without asking"
        title = text_of(modal.query_one(".modal-title"))
        assert title == ("Unsaved: a new improvement action for Maya Lindqvist. "
                         "Quit anyway? (y/n)")
        await pilot.press("ctrl+q")  # asking already: a second ctrl+q does not quit
        await pilot.pause()
        assert not app._exit and app.screen is modal
        await pilot.press("n")
        await pilot.pause()
        assert app.screen is form and not app._exit
        assert form.query_one("#a-text", Input).value == "call the top ten"
        await pilot.press("ctrl+q")
        await pilot.pause()
        await pilot.press("y")
        await pilot.pause()
        assert app._exit


@pytest.mark.parametrize("key", ["a", "ctrl+t"])
async def test_the_overview_opens_actions_with_the_scoring_screens_key_too(
        store: Store, key: str) -> None:
    app = app_for(store)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        app.open_review(MAYA)
        await pilot.pause()
        assert isinstance(app.screen, OverviewScreen)
        await pilot.press(key)
        await pilot.pause()
        assert isinstance(app.screen, ActionsScreen)


async def test_ctrl_q_in_the_planning_editor_asks_first(store: Store) -> None:
    app = app_for(store)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        app.open_review(SAM)
        await pilot.pause()
        await pilot.press("w")
        await pilot.pause()
        planning = app.screen
        assert isinstance(planning, PlanningScreen)
        field = planning.focused
        assert isinstance(field, Input)
        original = field.value
        await pilot.press("9")
        await pilot.pause()
        await pilot.press("ctrl+q")
        await pilot.pause()
        modal = app.screen
        assert isinstance(modal, ConfirmModal), "ctrl+q quit without asking"
        assert text_of(modal.query_one(".modal-title")).startswith(
            "Unsaved: changes to the weights and targets of Sam Patel's review.")
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is planning and not app._exit
        # Once saved (or put back), ctrl+q quits at once again.
        field.value = original
        await pilot.pause()
        await pilot.press("ctrl+q")
        await pilot.pause()
        assert app._exit


# --- 2. Home with a damaged team index ------------------------------------------------------


async def test_home_shows_a_damaged_index_and_keeps_the_lists_that_loaded(store: Store) -> None:
    # root's own review is listed in the index of their reviewer, dana.
    (store.root / "reviews" / "2026-h2" / "teams" / "dana.json").write_text("{ not json")
    app = app_for(store)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, HomeScreen)
        warning = screen.query_one("#home-warning")
        assert warning.display
        assert "dana.json" in text_of(warning)
        assert "doctor --repair-indexes" in text_of(warning)
        assert warning.region.height >= 1 and warning.region.y < SIZE[1]  # on screen
        assert screen.query_one("#table-team", ReviewTable).row_count == 5
        mine = screen.query_one("#table-mine", ReviewTable)
        assert mine.display and "No reviews yet" not in mine.note
        assert not screen.query_one("#table-line").display
        assert not screen.query_one("#table-all").display


async def test_home_of_a_manager_whose_team_index_is_damaged(store: Store) -> None:
    """dana has no review of her own and one report; her team's index is damaged."""
    (store.root / "reviews" / "2026-h2" / "teams" / "dana.json").write_text("{ not json")
    app = app_for(store, "dana")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.pause()
        screen = app.screen
        assert "manager" in text_of(screen.query_one("#whoami"))
        team = screen.query_one("#table-team", ReviewTable)
        assert team.display and "None listed" in team.note
        assert "No reviews yet." in screen.query_one("#table-mine", ReviewTable).note
        assert lines_of(team)[0] == "My team".ljust(team.size.width)  # drawn, not only held
        assert lines_of(team)[1].startswith(" None listed")
    problems = check_data_dir(Store(store.root))
    assert any("dana.json" in p and "--repair-indexes" in p and "backup" not in p
               for p in problems), problems


async def test_home_focuses_the_first_list_with_rows(store: Store) -> None:
    for login, table in (("dana", "table-team"), ("harriet", "table-all"),
                         ("alex", "table-mine")):
        app = app_for(store, login)
        async with app.run_test(size=SIZE) as pilot:
            await pilot.pause()
            await app.workers.wait_for_complete()
            await pilot.pause()
            assert getattr(app.focused, "id", None) == table, login
            await pilot.press("down")  # the keys reach the list at once


async def test_home_when_nothing_can_be_listed_hides_other_peoples_headings(
        store: Store) -> None:
    app = app_for(store, "alex")

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise StoreError("reviews/2026-h2/teams/root.json is damaged; "
                         "run kpireview doctor --repair-indexes")

    app.session.lists = broken
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen = app.screen
        warning = screen.query_one("#home-warning")
        assert warning.display and "doctor --repair-indexes" in text_of(warning)
        for key in ("team", "line", "all"):
            assert not screen.query_one(f"#table-{key}").display, key
        assert not screen.query_one("#hint").display


# --- 3. Home: moving between the lists ------------------------------------------------------


async def test_down_at_the_end_of_my_reviews_goes_on_into_my_team(store: Store) -> None:
    app = app_for(store)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen = app.screen
        mine = screen.query_one("#table-mine", ReviewTable)
        team = screen.query_one("#table-team", ReviewTable)
        assert screen.focused is mine and mine.row_count == 1
        await pilot.press("down")
        await pilot.pause()
        assert screen.focused is team and team.cursor_row == 0
        await pilot.press("down")
        await pilot.press("up")
        await pilot.press("up")  # first row of My team: back to the last of My reviews
        await pilot.pause()
        assert screen.focused is mine
        await pilot.press("down")
        await pilot.press("down")
        await pilot.pause()
        assert screen.focused is team and team.cursor_row == 1
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, OverviewScreen)
        assert app.screen.review_id == "2026-h2/chen"  # the highlighted row, sorted by name


async def test_a_burst_of_downs_walks_on_through_the_next_list(store: Store) -> None:
    """A tester's ↓↓↓↓↓ then enter opened Alex, not Sam: the downs after the
    first were queued for My reviews and each moved to the top of My team."""
    from ui_helpers import burst

    app = app_for(store)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen = app.screen
        team = screen.query_one("#table-team", ReviewTable)
        await burst(pilot, "down", "down", "down", "down", "down", "enter")
        assert isinstance(app.screen, OverviewScreen)
        assert app.screen.review_id == "2026-h2/sam", team.cursor_row


# --- 4. Overview: moving on says what is incomplete -----------------------------------------


async def test_move_on_says_what_the_step_still_lacks(store: Store) -> None:
    root = open_session(store, login="root")
    review = root.view(ALEX).review
    kpis = review.all_kpis()
    for n, kpi in enumerate(kpis[:13]):
        suggested = suggestion(review, kpi)[1]
        rating = suggested if suggested is not None else 3
        if n < 2:  # departs from the suggestion without a reason
            assert suggested is not None
            rating = 1 if suggested != 1 else 2
        root.set_kpi(ALEX, kpi.id, "manager_rating", rating)
    app = app_for(store)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        app.open_review(ALEX)
        await pilot.pause()
        await pilot.press("m")
        await pilot.pause()
        modal = app.screen
        assert isinstance(modal, ConfirmModal)
        assert text_of(modal.query_one(".modal-title")) == (
            "27 of 40 KPIs have no manager rating yet; 2 reasons missing. "
            "Move Alex Morgan's review to joint review anyway?")
        await pilot.press("n")
        await pilot.pause()


async def test_enter_is_labelled_open_when_nothing_can_be_edited(store: Store) -> None:
    app = app_for(store, "alex")  # manager assessment: nothing for Alex to change
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        app.open_review(ALEX)
        await pilot.pause()
        assert app.screen.active_bindings["enter"].binding.description == "Open"
        await pilot.press("enter")
        await pilot.pause()
        assert not isinstance(app.screen, OverviewScreen)  # enter still opens the KRA

    app = app_for(store)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        app.open_review(ALEX)
        await pilot.pause()
        assert app.screen.active_bindings["enter"].binding.description == "Score"


# --- 5. History wraps -----------------------------------------------------------------------


async def test_history_wraps_long_lines_instead_of_cutting_them(store: Store) -> None:
    root = open_session(store, login="root")
    kpi = root.view(MAYA).review.kras[0].kpis[0]
    long = ("a long comment that runs well past the right edge of an eighty column "
            "terminal so that its end used to be cut off [b]not markup[/b] THE-END")
    root.set_comment(MAYA, kpi.id, long)
    app = app_for(store)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        app.open_review(MAYA)
        await pilot.pause()
        await pilot.press("h")
        await pilot.pause()
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, HistoryScreen)
        log = screen.query_one("#history-log")
        width = log.scrollable_content_region.width
        assert max(strip.cell_length for strip in log.lines) <= width
        shown = "\n".join(rendered_lines(log))
        assert "THE-END" in shown and "[b]not markup[/b]" in shown
        # Lines that continue an entry are indented.
        last = [line for line in rendered_lines(log) if line.strip()][-3:]
        assert all(line.startswith("  ") for line in last[1:])


# --- 6. Summary: hanging indent -------------------------------------------------------------


async def test_summary_action_bullets_wrap_with_a_hanging_indent(store: Store) -> None:
    root = open_session(store, login="root")
    root.add_action(MAYA, "Shadow three senior account managers in their quarterly reviews "
                          "and write down what works", owner="maya", due="2027-03-31")
    app = app_for(store)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        app.open_summary(MAYA)
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, SummaryScreen)
        lines = rendered_lines(screen.query_one("#sum-actions"))
        assert len(lines) > 3
        # (The lines as the widget renders them; the body's padding is outside.)
        for line in lines:
            assert line.startswith("  • ") or (line.startswith("    ")
                                               and not line.startswith("     ")), lines
        continued = [line for line in lines if not line.startswith("  • ")]
        assert continued and "write down what works" in " ".join(lines)


def test_history_says_a_step_of_the_workflow_once_in_words(store: Store) -> None:
    """A state change read 'state state: planning → self_assessment'."""
    from screens.overview import history_line

    session = open_session(store, login="root")
    review = store.load_review(ALEX)
    steps = [e for e in session.history(ALEX) if e.action == "state"]
    assert steps, "the demo review has moved on at least once"
    line = history_line(review, steps[0]).plain
    assert "state state" not in line and "_" not in line.split("  ", 2)[2], line
    assert f"state: {steps[0].old.replace('_', ' ')} → {steps[0].new.replace('_', ' ')}" in line
    edits = [e for e in session.history(ALEX) if e.field and "." in e.field]
    assert edits and f" {edits[0].field}: " in history_line(review, edits[0]).plain


async def test_q_on_home_quits_as_the_welcome_screen_says(store: Store) -> None:
    app = app_for(store)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, HomeScreen)
        await pilot.press("q")
        await pilot.pause()
        assert app._exit


async def test_a_stale_signature_has_no_tick_and_asks_to_sign_again(store: Store) -> None:
    maya = open_session(store, login="maya")
    maya.sign(MAYA, store.load_review(MAYA).revision)
    root = open_session(store, login="root")
    root.set_comment(MAYA, store.load_review(MAYA).kras[0].kpis[0].id, "one more thought")
    app = app_for(store)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        app.open_summary(MAYA)
        await pilot.pause()
        text = "\n".join(rendered_lines(app.screen.query_one("#sum-signoffs")))
    assert "✓" not in text
    assert "✗ employee: Maya Lindqvist" in text and "sign again" in text


def test_every_help_key_stands_apart_from_what_it_does() -> None:
    from screens.help import KEYS, help_text

    text = help_text().plain
    for _title, keys in KEYS:
        for key, what in keys:
            assert f"  {key}  " in text or f"  {key.ljust(16)}{what}" in text, key
    assert "pgdn / pgup (f6 / f5)  next / previous KPI" in text
