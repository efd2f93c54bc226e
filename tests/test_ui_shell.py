"""The app shell: home, overview, planning editor, summary and sign-off, export,
welcome, NO_COLOR, and user text shown literally. Runs the real app through
`create_app` at 80×24 on a copy of the demo organisation."""

from __future__ import annotations

import importlib.util
import shutil
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from textual.widgets import DataTable, Input, RichLog

from screens.home import HomeScreen, ReviewTable
from screens.overview import HistoryScreen, OverviewScreen, PlanningScreen
from screens.summary import SummaryScreen
from screens.welcome import WelcomeScreen
from screens.widgets import ConfirmModal, Literal, MessageLine, PromptModal
from tui.access import open_session
from tui.app import create_app
from tui.models import State
from tui.store import Store

from ui_helpers import ALEX, MAYA, SAM, SIZE, app_for, text_of  # noqa: E402,F401

NASTY = "[bold]x[/] [/] [link=file:///etc/passwd]x[/link] \x1b[31m red 😀 שלום"


def log_text(log: RichLog) -> str:
    return "\n".join(line.text for line in log.lines)


async def settle(pilot: Any) -> None:
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


def table_keys(screen: Any, selector: str) -> list[str]:
    return screen.query_one(selector, ReviewTable).row_keys


# --- home ------------------------------------------------------------------------


async def test_home_lists_the_demo_reviews_for_root(store: Store) -> None:
    app = app_for(store)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, HomeScreen)
        assert app.sub_title == "root · Northwind Trading (demo)"
        assert table_keys(screen, "#table-mine") == ["2026-h2/root"]
        assert set(table_keys(screen, "#table-team")) == {
            ALEX, MAYA, SAM, "2026-h2/chen", "2026-h2/lee"}
        assert not screen.query_one("#table-all", ReviewTable).display
        row = screen.query_one("#table-team", ReviewTable).get_row(ALEX)
        assert [c.plain for c in row[:2]] == ["Alex Morgan", "Major Account…"]
        assert row[4].plain == "░░░░░ 0/40"


async def test_home_shows_alex_only_his_own_review(store: Store) -> None:
    app = app_for(store, "alex")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen = app.screen
        assert table_keys(screen, "#table-mine") == [ALEX]
        assert not screen.query_one("#table-team", ReviewTable).display
        assert not screen.query_one("#table-team").display
        assert not screen.query_one("#table-line", ReviewTable).display


async def test_enter_opens_the_overview(store: Store) -> None:
    app = app_for(store)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        app.screen.query_one("#table-team", ReviewTable).focus()
        await pilot.press("enter")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, OverviewScreen)
        assert screen.review_id == ALEX  # sorted by name: Alex first
        assert not screen.query_one("#ov-presence").display
        assert "Alex Morgan" in text_of(screen.query_one("#ov-person", Literal))
        assert "manager assessment" in text_of(screen.query_one("#ov-state", Literal))
        assert screen.query_one("#kra-table", DataTable).row_count == 10
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, HomeScreen)


async def test_home_lists_move_with_the_keys_and_open_with_a_click(store: Store) -> None:
    app = app_for(store)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        team = app.screen.query_one("#table-team", ReviewTable)
        team.focus()
        keys = team.row_keys
        for key, row in (("end", len(keys) - 1), ("home", 0), ("pagedown", len(keys) - 1),
                         ("pageup", 0), ("down", 1), ("up", 0)):
            await pilot.press(key)
            assert team.cursor_row == row, key
        await pilot.click(team, offset=(3, 4))  # the title, the header line, the third review
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, OverviewScreen) and screen.review_id == keys[2]
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, HomeScreen) and team.cursor_key == keys[2]


async def test_the_line_is_read_after_home_is_shown_and_m_lists_more(
        store: Store, monkeypatch: Any) -> None:
    """Further down the line comes a moment after Home, cut to a page (`m` for more)."""
    import screens.home as home_module

    monkeypatch.setattr(home_module, "PAGE", 2)
    app = app_for(store, "dana")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, HomeScreen)
        line = screen.query_one("#table-line", ReviewTable)
        assert line.row_count == 2
        assert line.note == "The first 2 of 5 are listed; press m for 2 more."
        line.focus()
        await pilot.press("m")
        await settle(pilot)
        assert line.row_count == 4
        await pilot.press("m")
        await settle(pilot)
        assert line.row_count == 5 and not line.note
        names = [line.get_row(k)[0].plain for k in line.row_keys]
        assert names == sorted(names)


async def test_overview_hides_keys_that_do_not_apply(store: Store) -> None:
    app = app_for(store, "alex")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        app.open_review(ALEX)
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, OverviewScreen)
        assert not screen.check_action("planning", ())
        assert not screen.check_action("advance", ())  # manager assessment: the manager's step
        assert not screen.check_action("reopen", ())
        await pilot.press("w")  # hidden binding: nothing happens, nothing crashes
        await pilot.pause()
        assert isinstance(app.screen, OverviewScreen)


async def test_advance_asks_first_then_moves_on(store: Store) -> None:
    app = app_for(store)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        app.open_review(SAM)
        await pilot.pause()
        await pilot.press("m")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmModal)
        await pilot.press("n")
        await pilot.pause()
        assert open_session(store, login="root").view(SAM).review.state is State.planning
        await pilot.press("m")
        await pilot.pause()
        await pilot.press("y")
        await pilot.pause()
        assert open_session(store, login="root").view(SAM).review.state is State.self_assessment
        assert "self assessment" in text_of(app.screen.query_one("#ov-state", Literal))


async def test_overview_shows_who_else_has_the_review_open(store: Store) -> None:
    alex = open_session(store, login="alex")
    presence = alex.open_presence(ALEX)
    try:
        app = app_for(store)
        async with app.run_test(size=SIZE) as pilot:
            await pilot.pause()
            app.open_review(ALEX)
            await pilot.pause()
            line = app.screen.query_one("#ov-presence", Literal)
            assert line.display and text_of(line) == "Also here: Alex Morgan"
            mine = app.screen.presence
            assert mine is not None and mine.path.exists()
            await pilot.press("escape")
            await pilot.pause()
            assert not mine.path.exists()  # left on unmount
    finally:
        presence.leave()


# --- planning editor ---------------------------------------------------------------


async def test_planning_editor_live_sums_refuses_a_wrong_sum_and_saves_a_right_one(
        store: Store) -> None:
    app = app_for(store)
    before = open_session(store, login="root").view(SAM).review
    kra1, kra2 = before.kras[0], before.kras[1]
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        app.open_review(SAM)
        await pilot.pause()
        await pilot.press("w")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, PlanningScreen)
        total = text_of(screen.query_one("#plan-kra-sum", Literal))
        assert total == "KRA weights: 100.00 / 100 ✓"

        # Type into the first KRA weight: the sum follows at once.
        first = screen.query_one(f"#kra-w-{kra1.id}", Input)
        assert screen.focused is first
        for _ in first.value:
            await pilot.press("backspace")
        await pilot.press("5")
        await pilot.pause()
        missing = kra1.weight - 5
        assert text_of(screen.query_one("#plan-kra-sum", Literal)) == (
            f"KRA weights: {Decimal(100) - missing:.2f} / 100 ✗ {missing:.2f} missing")

        # A KPI sum that is off is shown under its KRA.
        kpi = kra2.kpis[0]
        screen.query_one(f"#kpi-w-{kpi.id}", Input).value = str(kpi.weight + 10)
        await pilot.pause()
        assert "10.00 too much" in text_of(screen.query_one(f"#kpi-sum-{kra2.id}", Literal))

        await pilot.press("ctrl+s")
        await pilot.pause()
        message = text_of(screen.query_one("#message", MessageLine))
        assert message.startswith("! not saved — KRA weights:")
        assert open_session(store, login="root").view(SAM).review.revision == before.revision

        # Put it right: KRA 1 gives 5 to KRA 2, KPI weights back to 100.
        screen.query_one(f"#kra-w-{kra1.id}", Input).value = str(kra1.weight - 5)
        screen.query_one(f"#kra-w-{kra2.id}", Input).value = str(kra2.weight + 5)
        screen.query_one(f"#kpi-w-{kpi.id}", Input).value = str(kpi.weight)
        numeric = next(k for k in kra1.kpis if k.target is not None)
        screen.query_one(f"#kpi-t-{numeric.id}", Input).value = "12"
        await pilot.pause()
        assert text_of(screen.query_one("#plan-kra-sum", Literal)) == "KRA weights: 100.00 / 100 ✓"
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert text_of(screen.query_one("#message", MessageLine)) == "✓ saved weights and targets"
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, OverviewScreen)

    after = open_session(store, login="root").view(SAM).review
    assert after.kras[0].weight == kra1.weight - 5
    assert after.kras[1].weight == kra2.weight + 5
    assert after.kpi(numeric.id).target == Decimal(12)


async def test_planning_editor_asks_before_dropping_unsaved_edits(store: Store) -> None:
    app = app_for(store)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        app.open_review(SAM)
        await pilot.pause()
        await pilot.press("w")
        await pilot.pause()
        await pilot.press("9")
        await pilot.pause()
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmModal)
        await pilot.press("n")
        await pilot.pause()
        assert isinstance(app.screen, PlanningScreen)
        await pilot.press("escape")
        await pilot.pause()
        await pilot.press("y")
        await pilot.pause()
        assert isinstance(app.screen, OverviewScreen)


# --- summary and sign-off ---------------------------------------------------------------


async def test_summary_lists_what_is_missing_for_alex(store: Store) -> None:
    app = app_for(store)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        app.open_review(ALEX)
        await pilot.pause()
        await pilot.press("s")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, SummaryScreen)
        missing = text_of(screen.query_one("#sum-missing"))
        assert "40 item(s)" in missing
        assert "KRA 1 · KPI 1" in missing and "no agreed rating" in missing
        kras = text_of(screen.query_one("#sum-kras"))
        assert "Account Development" in kras and "16.00%" in kras
        assert "Overall (agreed): —" in text_of(screen.query_one("#sum-overall"))
        assert "Self-assessment:" in text_of(screen.query_one("#sum-overall"))
        assert not screen.check_action("sign", ())  # not in the joint review yet
        await pilot.press("g")
        await pilot.pause()
        assert isinstance(app.screen, SummaryScreen)


async def test_sign_as_manager_then_as_maya_locks_the_review(store: Store) -> None:
    app = app_for(store)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        app.open_summary(MAYA)
        await pilot.pause()
        screen = app.screen
        revision = screen.view.review.revision
        assert "you sign as manager (g)" in text_of(screen.query_one("#sum-status"))
        assert "nothing" in text_of(screen.query_one("#sum-missing"))
        await pilot.press("g")
        await pilot.pause()
        modal = app.screen
        assert isinstance(modal, ConfirmModal)
        assert text_of(modal.query_one(".modal-title")) == f"Sign revision {revision} as manager?"
        await pilot.press("y")
        await pilot.pause()
        assert text_of(screen.query_one("#message")) == f"✓ signed revision {revision} as manager"
        assert "✓ manager: root on revision" in text_of(screen.query_one("#sum-signoffs"))

    app2 = app_for(store, "maya")
    async with app2.run_test(size=SIZE) as pilot:
        await pilot.pause()
        app2.open_summary(MAYA)
        await pilot.pause()
        screen = app2.screen
        status = text_of(screen.query_one("#sum-status"))
        assert "signed by manager · you sign as employee (g)" in status
        await pilot.press("g")
        await pilot.pause()
        await pilot.press("y")
        await pilot.pause()
        assert text_of(screen.query_one("#sum-status")) == "Signed off — locked (read-only)"
        assert not screen.check_action("sign", ())
        signoffs = text_of(screen.query_one("#sum-signoffs"))
        assert "manager" in signoffs and "employee" in signoffs and "stale" not in signoffs
        await pilot.press("escape")
        await pilot.pause()
        app2.open_review(MAYA)
        await pilot.pause()
        overview = app2.screen
        assert "locked (read-only)" in text_of(overview.query_one("#ov-state"))
        assert overview.view.read_only

    view = open_session(store, login="maya").view(MAYA)
    assert view.review.state is State.signed_off and not view.editable


async def test_stale_signoff_is_marked(store: Store) -> None:
    root = open_session(store, login="root")
    root.sign(MAYA, seen_revision=root.view(MAYA).review.revision)
    kpi = root.view(MAYA).review.kras[0].kpis[0]
    root.set_comment(MAYA, kpi.id, "one more thought")
    app = app_for(store, "maya")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        app.open_summary(MAYA)
        await pilot.pause()
        assert "stale" in text_of(app.screen.query_one("#sum-signoffs"))


async def test_summary_follows_changes_made_elsewhere(store: Store) -> None:
    app = app_for(store)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        app.open_summary(MAYA)
        await pilot.pause()
        screen = app.screen
        maya = open_session(store, login="maya")
        maya.sign(MAYA, seen_revision=maya.view(MAYA).review.revision)
        # The screen polls the change token every 0.5 s; wait for the reload.
        for _ in range(40):
            if "employee" in text_of(screen.query_one("#sum-signoffs")):
                break
            await pilot.pause(0.05)
        assert "✓ employee: Maya Lindqvist" in text_of(screen.query_one("#sum-signoffs"))


async def test_hr_reopens_with_a_reason(store: Store) -> None:
    root = open_session(store, login="root")
    app = app_for(store, "harriet")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)  # HR's list of all reviews is read in the background
        assert "2026-h2/chen" in table_keys(app.screen, "#table-all")
        app.open_review("2026-h2/chen")
        await pilot.pause()
        await pilot.press("r")
        await pilot.pause()
        assert isinstance(app.screen, PromptModal)
        await pilot.press("enter")  # empty reason is refused in place
        await pilot.pause()
        assert isinstance(app.screen, PromptModal)
        assert "needs a reason" in text_of(app.screen.query_one("#prompt-error"))
        for ch in "typo":
            await pilot.press(ch)
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, OverviewScreen)
    assert root.view("2026-h2/chen").review.state is State.joint_review


# --- export ----------------------------------------------------------------------


@pytest.mark.skipif(importlib.util.find_spec("tui.export") is None,
                    reason="tui/export.py (export_review) is not in this build yet")
async def test_export_modal_writes_a_file_and_asks_before_overwriting(
        store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from screens.export import ExportModal

    monkeypatch.chdir(tmp_path)
    app = app_for(store)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        app.open_review(MAYA)
        await pilot.pause()
        await pilot.press("x")
        await pilot.pause()
        modal = app.screen
        assert isinstance(modal, ExportModal)
        assert modal.query_one("#export-path", Input).value == "./2026-h2--maya.toml"
        await pilot.press("enter")
        await settle(pilot)
        target = (tmp_path / "2026-h2--maya.toml").resolve()
        assert target.is_file()
        assert text_of(modal.query_one("#export-message")) == f"✓ Exported to {target}"
        first = target.read_text(encoding="utf-8")
        assert "Maya Lindqvist" in first

        await pilot.press("enter")  # again: the file exists now
        await pilot.pause()
        assert isinstance(app.screen, ConfirmModal)
        await pilot.press("y")
        await settle(pilot)
        assert app.screen is modal
        assert text_of(modal.query_one("#export-message")).startswith("✓ Exported to")
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, OverviewScreen)
    history = open_session(store, login="root").history(MAYA)
    assert sum(e.action == "export" for e in history) == 2


# --- welcome ---------------------------------------------------------------------


async def test_welcome_on_an_empty_dir_creates_and_opens_the_demo(tmp_path: Path) -> None:
    app = create_app(data_dir=tmp_path / "empty", demo_dir=tmp_path / "demo", login="root")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, WelcomeScreen)
        await pilot.press("d")
        await settle(pilot)
        assert isinstance(app.screen, HomeScreen)
        assert Store(tmp_path / "demo").exists()
        assert ALEX in table_keys(app.screen, "#table-team")
        assert "Northwind" in app.sub_title


async def test_welcome_opens_an_existing_demo_without_rebuilding(
        store: Store, tmp_path: Path) -> None:
    before = store.history(ALEX)
    app = create_app(data_dir=tmp_path / "empty", demo_dir=store.root, login="root")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("d")
        await settle(pilot)
        assert isinstance(app.screen, HomeScreen)
    assert store.history(ALEX) == before


async def test_welcome_initialises_an_empty_data_dir(tmp_path: Path) -> None:
    data = tmp_path / "new"
    app = create_app(data_dir=data, demo_dir=tmp_path / "demo", login="ines")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("i")
        await pilot.pause()
        assert isinstance(app.screen, HomeScreen)
        assert Store(data).config().hr_admins == ["ines"]
        assert app.screen.query_one("#hint").display


# --- across the app --------------------------------------------------------------------


async def test_no_color_run_works(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    app = app_for(store)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert app.no_color
        app.open_review(MAYA)
        await pilot.pause()
        await pilot.press("s")
        await pilot.pause()
        assert isinstance(app.screen, SummaryScreen)
        await pilot.press("question_mark")
        await pilot.pause()
        assert type(app.screen).__name__ == "HelpScreen"


async def test_user_text_is_shown_literally(store: Store) -> None:
    root = open_session(store, login="root")
    review = root.view(MAYA).review
    kpi = review.kras[0].kpis[0]
    root.set_comment(MAYA, kpi.id, NASTY)
    root.add_action(MAYA, NASTY, owner="maya", due="2027-03-31")
    app = app_for(store)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        app.open_review(MAYA)
        await pilot.pause()
        assert isinstance(app.screen, OverviewScreen)
        await pilot.press("s")
        await pilot.pause()
        actions = text_of(app.screen.query_one("#sum-actions"))
        assert "[bold]x[/] [/] [link=file:///etc/passwd]x[/link] ␛[31m red 😀 שלום" in actions
        await pilot.press("escape")
        await pilot.pause()
        await pilot.press("h")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, HistoryScreen)
        shown = log_text(screen.query_one(RichLog))
        assert "[bold]x[/] [/] [link=file:///etc/passwd]x[/link]" in shown
        assert "\x1b" not in shown


async def test_command_palette_lists_the_main_actions(store: Store) -> None:
    from tui.app import KpiCommands

    app = app_for(store)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        provider = KpiCommands(app.screen)
        names = [text for text, _cb, _help in provider._commands()]
        assert "Open review: Maya Lindqvist (2026-h2)" in names
        assert "Help: keys and workflow" in names and "Quit kpireview" in names
        hits = [h async for h in provider.search("open maya")]
        assert hits and str(hits[0].text).startswith("Open review: Maya")
        hits[0].command()
        await pilot.pause()
        assert isinstance(app.screen, OverviewScreen) and app.screen.review_id == MAYA
        names = [text for text, _cb, _help in KpiCommands(app.screen)._commands()]
        assert "Summary and sign-off of this review" in names
        await pilot.press("ctrl+p")
        await pilot.pause()
        assert type(app.screen).__name__ == "CommandPalette"


async def test_help_lists_every_screen(store: Store) -> None:
    from screens.help import help_text

    text = help_text().plain
    for title in ("Home", "Review overview", "Planning editor", "Summary and sign-off",
                  "History", "Export dialog", "Welcome"):
        assert title in text
    assert len([line for line in text.splitlines() if line.strip()[:2] in
                {"1.", "2.", "3.", "4.", "5."}]) == 5


async def test_resizing_keeps_every_screen_working(store: Store) -> None:
    app = app_for(store)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        for size in ((60, 20), (120, 40), (80, 24)):
            await pilot.resize_terminal(*size)
            await pilot.pause()
        app.open_review(ALEX)
        await pilot.pause()
        await pilot.resize_terminal(50, 16)
        await pilot.pause()
        await pilot.press("s")
        await pilot.pause()
        await pilot.resize_terminal(80, 24)
        await pilot.pause()
        assert isinstance(app.screen, SummaryScreen)


async def test_export_modal_asks_before_making_a_folder(
        store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A mistyped folder is not made without a word; a file in the way is named."""
    from screens.export import ExportModal

    monkeypatch.chdir(tmp_path)
    (tmp_path / "afile").write_text("x")
    app = app_for(store)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        app.open_review(MAYA)
        await pilot.pause()
        await pilot.press("x")
        await pilot.pause()
        modal = app.screen
        assert isinstance(modal, ExportModal)
        path = modal.query_one("#export-path", Input)
        path.value = "afile/m.toml"
        await pilot.press("enter")
        await pilot.pause()
        assert app.screen is modal
        assert "is a file, not a folder" in text_of(modal.query_one("#export-message"))
        path.value = "new/dir/m.toml"
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmModal)
        await pilot.press("n")
        await pilot.pause()
        assert app.screen is modal and not (tmp_path / "new").exists()
        await pilot.press("enter")
        await pilot.pause()
        await pilot.press("y")
        await settle(pilot)
        assert (tmp_path / "new" / "dir" / "m.toml").is_file()
        assert text_of(modal.query_one("#export-message")).startswith("✓ Exported to")
