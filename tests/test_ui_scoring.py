"""Guided scoring and the actions screen: bad values refused in place, user text
literal, read-only fields, nothing lost on quit, keys, and a snapshot at 80×24.

Runs the real app (`create_app`) on a copy of the demo organisation.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from textual import events
from textual.keys import _character_to_key
from textual.widgets import DataTable, Input

from screens.actions import ActionForm, ActionsScreen
from screens.scoring import JumpModal, NAToggle, ScoringScreen
from screens.widgets import MessageLine
from tui.access import open_session
from tui.app import create_app
from tui.store import Store
from ui_helpers import app_for, burst  # noqa: E402

SIZE = (80, 24)
ALEX = "2026-h2/alex"
MAYA = "2026-h2/maya"
NASTY = [
    "[bold]x[/]",
    "[/]",
    "[00] a",
    "[link=file:///etc/passwd]x[/link]",
    "\x1b[31mred",
    "emoji 😀🎉 done",
    "עברית مرحبا right-to-left",
]


def screen_text(app: Any) -> str:
    return "\n".join(strip.text for strip in app.screen._compositor.render_strips())


def fresh(store: Store, login: str = "root", review_id: str = ALEX) -> Any:
    """The review as stored now, through a new session (nothing cached)."""
    return open_session(Store(store.root), login=login).view(review_id).review


async def open_scoring(app: Any, pilot: Any, review_id: str = ALEX, kra: int = 0,
                       kpi: int = 0) -> ScoringScreen:
    await pilot.pause()
    screen = ScoringScreen(app.session, review_id, kra, kpi)
    await app.push_screen(screen)
    await pilot.pause()
    assert app.screen is screen
    return screen


def field(screen: ScoringScreen, name: str) -> Input:
    return screen.query_one(f"#f-{name}", Input)


def error_of(screen: ScoringScreen, name: str) -> str:
    """The error shown under the field ('' if none; the line exists once it had one)."""
    lines = screen.query(f"#err-{name}").results(MessageLine)
    widget = next(lines, None)
    if widget is None or not widget.display:
        return ""
    return str(widget.render())


async def type_text(pilot: Any, text: str) -> None:
    """Type `text` into the focused Input as a terminal sends it, one key event
    per character, without Pilot's idle wait after every key; wait until typed."""
    app = pilot.app
    inp = app.focused
    assert isinstance(inp, Input)
    expected = inp.value[:inp.cursor_position] + text + inp.value[inp.cursor_position:]
    for ch in text:
        event = events.Key(_character_to_key(ch), ch)
        event.set_sender(app)
        app._driver.send_message(event)
    for _ in range(200):
        if inp.value == expected:
            break
        await pilot.pause(0.01)
    assert inp.value == expected


async def type_into(pilot: Any, screen: ScoringScreen, name: str, text: str,
                    enter: bool = True) -> None:
    inp = field(screen, name)
    inp.focus()
    await pilot.pause()
    await pilot.press("end", "ctrl+u")
    await type_text(pilot, text)
    if enter:
        await pilot.press("enter")
    await pilot.pause()


# --- bad values ------------------------------------------------------------------


@pytest.mark.parametrize("bad, words", [
    ("abc", "not a number"),
    ("1e999", "too large"),
    ("nan", "not a finite number"),
    ("inf", "not a finite number"),
    ("-5", "cannot be negative"),
])
async def test_bad_actual_is_refused_in_place(store: Store, bad: str, words: str) -> None:
    app = app_for(store)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_scoring(app, pilot)  # KPI 1.1 is counted in 'count'
        assert screen._kpi.unit == "count"
        await type_into(pilot, screen, "actual", bad)
        message = error_of(screen, "actual")
        assert "not saved" in message and words in message
        assert field(screen, "actual").value == bad  # what was typed stays
        assert app.focused is field(screen, "actual")  # enter did not move on
        assert "! not saved" in screen_text(app)
    assert fresh(store).kpi("ad-new-products-adopted").actual == Decimal(4)


@pytest.mark.parametrize("bad", ["7", "0", "2.5", "x", "-1"])
async def test_rating_off_the_scale_is_refused(store: Store, bad: str) -> None:
    app = app_for(store)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_scoring(app, pilot)
        await type_into(pilot, screen, "manager_rating", bad)
        message = error_of(screen, "manager_rating")
        assert "not saved" in message and "1..5" in message
        assert field(screen, "manager_rating").value == bad
    assert fresh(store).kpi("ad-new-products-adopted").manager_rating is None


async def test_good_values_save_and_enter_walks_on(store: Store) -> None:
    app = app_for(store)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_scoring(app, pilot)
        assert app.focused is field(screen, "actual")
        await pilot.press("ctrl+u", *"2", "enter")
        assert app.focused is field(screen, "manager_rating")
        assert "Achievement: 66.67 %" in screen_text(app)
        await pilot.press("3", "enter")
        # 3 departs from the suggested 1: the reason is asked for.
        assert "Reason required: rating 3 departs from suggested 1" in screen_text(app)
        await pilot.press("enter")  # agreed: left empty (defaults to the manager's)
        assert app.focused is field(screen, "rating_reason")
        await pilot.press("enter")  # empty reason: refused, stays
        assert app.focused is field(screen, "rating_reason")
        assert "Reason required" in error_of(screen, "rating_reason")
        await type_text(pilot, "Two launches slipped to January")
        await pilot.press("enter")
        assert app.focused is field(screen, "comment")
        await pilot.press("enter")  # the last field: next KPI
        assert screen.kpi_index == 1
        assert "KRA 1/10 · KPI 2/4" in screen_text(app)
    kpi = fresh(store).kpi("ad-new-products-adopted")
    assert (kpi.actual, kpi.manager_rating, kpi.agreed_rating) == (Decimal(2), 3, None)
    assert kpi.rating_reason == "Two launches slipped to January"


# --- user text is literal -----------------------------------------------------------


async def test_free_text_is_stored_and_shown_literally(store: Store) -> None:
    app = app_for(store)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_scoring(app, pilot, MAYA)
        for i, text in enumerate(NASTY):
            kpi_index = i % 4
            assert (screen.kra_index, screen.kpi_index) == (i // 4, kpi_index)
            # Set as pasted (typing cannot produce ESC); saved on enter.
            reason = field(screen, "rating_reason")
            reason.focus()
            reason.value = text
            await pilot.press("enter")
            assert not error_of(screen, "rating_reason")
            assert app.focused is field(screen, "comment")
            comment = field(screen, "comment")
            comment.value = text
            screen_text(app)  # renders without raising
            await pilot.press("enter")  # the last field: on to the next KPI
            assert not error_of(screen, "comment"), error_of(screen, "comment")
            assert screen.kpi_index == (kpi_index + 1) % 4
        # N/A with a reason.
        na_kpi = screen._kpi_id
        toggle = screen.query_one(NAToggle)
        toggle.focus()
        await pilot.press("space")
        await pilot.pause()
        assert app.focused is field(screen, "na_reason")
        await type_text(pilot, "[/] not sold here")
        await pilot.press("enter")
        await pilot.pause()
        assert "[x] Not applicable (N/A)" in screen_text(app)
        shown = screen_text(app)
        assert "[/] not sold here" in shown
    review = fresh(store, review_id=MAYA)
    for i, text in enumerate(NASTY):
        kpi = review.kras[i // 4].kpis[i % 4]
        mine = [c.text for c in kpi.comments if c.author == "root"]
        assert mine == [text]
        assert kpi.rating_reason == text
    na = review.kpi(na_kpi)
    assert na.na and na.na_reason == "[/] not sold here"

    # Maya sees root's comments literally (control characters made visible).
    app = app_for(store, "maya")
    async with app.run_test(size=(120, 60)) as pilot:
        screen = await open_scoring(app, pilot, MAYA)
        for i, text in enumerate(NASTY):
            assert (screen.kra_index, screen.kpi_index) == (i // 4, i % 4)
            shown = screen_text(app)
            visible = text.replace("\x1b", "␛")
            assert f"root: {visible}" in shown, (visible, shown)
            assert "\x1b" not in shown
            await pilot.press("pagedown")
            await pilot.pause()


async def test_action_text_is_literal(store: Store) -> None:
    app = app_for(store)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await app.push_screen(ActionsScreen(app.session, MAYA, kpi_id="ad-csat"))
        await pilot.pause()
        for text in NASTY:
            await pilot.press("n")
            await pilot.pause()
            assert isinstance(app.screen, ActionForm)
            app.screen.query_one("#a-text", Input).value = text
            app.screen.query_one("#a-measure", Input).value = text
            app.screen.query_one("#a-due", Input).focus()
            await pilot.pause()
            await type_text(pilot, "2027-06-30")
            await pilot.press("enter", "enter")
            await pilot.pause()
            assert isinstance(app.screen, ActionsScreen), screen_text(app)
            shown = screen_text(app)
            assert f"Success measure: {text.replace(chr(27), '␛')}" in shown
    actions = fresh(store, review_id=MAYA).actions
    added = actions[-len(NASTY):]
    assert [a.text for a in added] == NASTY
    assert [a.success_measure for a in added] == NASTY
    assert all(a.kpi_id == "ad-csat" and str(a.due) == "2027-06-30" for a in added)


async def test_action_due_date_and_status(store: Store) -> None:
    app = app_for(store)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await app.push_screen(ActionsScreen(app.session, MAYA))
        await pilot.pause()
        await pilot.press("n")
        await pilot.pause()
        form = app.screen
        for text in ("Pair with a senior AM", "31/03/2027", "two deals co-led"):
            await type_text(pilot, text)
            await pilot.press("enter")
        await pilot.pause()
        assert app.screen is form  # not saved
        assert "YYYY-MM-DD" in screen_text(app)
        form.query_one("#a-due", Input).value = ""
        form.query_one("#a-due", Input).focus()
        await pilot.pause()
        await type_text(pilot, "2027-03-31")
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, ActionsScreen)
        table = app.screen.query_one(DataTable)
        assert table.row_count == 3
        await pilot.press("c")  # open -> in progress
        await pilot.pause()
        await pilot.press("c")  # -> done
        await pilot.pause()
        assert "done ✓" in screen_text(app)
    added = fresh(store, review_id=MAYA).actions[-1]
    assert (added.text, str(added.due), added.status.value) == (
        "Pair with a senior AM", "2027-03-31", "done")


async def test_actions_read_only_outside_joint_review(store: Store) -> None:
    app = app_for(store)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await app.push_screen(ActionsScreen(app.session, "2026-h2/chen"))
        await pilot.pause()
        assert "Read-only: the review is signed off" in screen_text(app)
        await pilot.press("n", "c", "enter")
        await pilot.pause()
        assert isinstance(app.screen, ActionsScreen)
    before = open_session(store, login="root").view("2026-h2/chen").review.actions
    assert len(before) == 1 and before[0].status.value == "open"


# --- read-only ------------------------------------------------------------------------


async def test_employee_sees_read_only_fields_in_manager_assessment(store: Store) -> None:
    revision = fresh(store).revision
    app = app_for(store, "alex")
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_scoring(app, pilot)
        for name in ("actual", "self_rating", "manager_rating", "agreed_rating",
                     "rating_reason", "na_reason", "comment"):
            assert field(screen, name).disabled, name
        assert screen.query_one(NAToggle).disabled
        shown = screen_text(app)
        assert "read-only" in shown
        assert "hidden until the joint review" in shown
        assert app.focused is screen.query_one(DataTable)
        await pilot.press("5", "enter", "space", "pagedown", "f8")
        await pilot.pause()
        assert "KRA 2/10 · KPI 1/4" in screen_text(app)
    assert fresh(store).revision == revision  # nothing was written


async def test_signed_off_review_is_read_only(store: Store) -> None:
    app = app_for(store)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_scoring(app, pilot, "2026-h2/chen")
        assert all(inp.disabled for inp in screen.query(Input).results(Input))
        assert "read-only" in screen_text(app)


# --- nothing lost on quit ------------------------------------------------------------------


async def test_ctrl_q_in_the_middle_of_a_kpi_keeps_what_was_typed(store: Store) -> None:
    app = app_for(store)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_scoring(app, pilot, kra=2, kpi=1)
        await type_into(pilot, screen, "actual", "47", enter=False)
        field(screen, "comment").focus()
        await pilot.pause()
        await type_text(pilot, "half typed [/] comment 😀")
        await pilot.press("ctrl+q")
    kpi = fresh(store).kpi("crm-nps")
    assert kpi.actual == Decimal(47)
    assert [c.text for c in kpi.comments if c.author == "root"] == ["half typed [/] comment 😀"]


async def test_app_exit_without_blur_keeps_the_actual(store: Store) -> None:
    app = app_for(store)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_scoring(app, pilot, kra=3, kpi=2)
        await type_into(pilot, screen, "actual", "260000", enter=False)
        await type_into(pilot, screen, "manager_rating", "4", enter=False)
        app.exit()
    kpi = fresh(store).kpi("rg-new-product-revenue")
    assert (kpi.actual, kpi.manager_rating) == (Decimal(260000), 4)


async def test_typing_pause_autosaves(store: Store) -> None:
    app = app_for(store)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_scoring(app, pilot)
        await type_into(pilot, screen, "actual", "6", enter=False)
        assert field(screen, "actual").has_focus
        saved = False
        for _ in range(20):  # the debounce is 1 s; give it up to 4 s
            await pilot.pause(0.2)
            if fresh(store).kpi("ad-new-products-adopted").actual == Decimal(6):
                saved = True
                break
        assert saved


# --- keys ------------------------------------------------------------------------------------


async def test_keys_move_between_kpis_and_kras(store: Store) -> None:
    app = app_for(store)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_scoring(app, pilot)
        assert app.focused is field(screen, "actual")

        async def at(text: str) -> None:
            await pilot.pause()
            assert text in screen_text(app)

        await pilot.press("pagedown")
        await at("KRA 1/10 · KPI 2/4")
        await pilot.press("f6", "f6")
        await at("KRA 1/10 · KPI 4/4")
        await pilot.press("pagedown")  # past the last KPI: the next KRA
        await at("KRA 2/10 · KPI 1/4")
        await pilot.press("pageup")
        await at("KRA 1/10 · KPI 4/4")
        await pilot.press("f8")
        await at("KRA 2/10 · KPI 1/4")
        await pilot.press("f8", "f8")
        await at("KRA 4/10 · KPI 1/4")
        await pilot.press("f7")
        await at("KRA 3/10 · KPI 1/4")
        await pilot.press("ctrl+g")
        await pilot.pause()
        assert isinstance(app.screen, JumpModal)
        await pilot.press("down", "down", "down", "down", "enter")
        await at("KRA 7/10 · KPI 1/4")
        await pilot.press("f4", "escape")
        await at("KRA 7/10 · KPI 1/4")
        await pilot.press("ctrl+t")
        await pilot.pause()
        assert isinstance(app.screen, ActionsScreen)
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is screen
        # The table follows the cursor too.
        screen.query_one(DataTable).focus()
        await pilot.press("down", "down")
        await at("KRA 7/10 · KPI 3/4")
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is not screen


async def test_invalid_value_blocks_moving_on_until_fixed(store: Store) -> None:
    app = app_for(store)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_scoring(app, pilot)
        await type_into(pilot, screen, "actual", "12x", enter=False)
        await pilot.press("pagedown")
        await pilot.pause()
        assert screen.kpi_index == 0
        assert "not a number" in error_of(screen, "actual")
        await pilot.press("backspace", "pagedown")
        await pilot.pause()
        assert screen.kpi_index == 1
    assert fresh(store).kpi("ad-new-products-adopted").actual == Decimal(12)


async def test_escape_with_a_refused_value_asks_before_leaving(store: Store) -> None:
    """A value that could not be saved is not dropped by one escape: the first
    says so and stays, a second leaves (the refused value was never stored)."""
    app = app_for(store)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_scoring(app, pilot)
        await type_into(pilot, screen, "manager_rating", "74", enter=False)
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is screen
        assert "1..5" in error_of(screen, "manager_rating")
        assert "escape again to leave" in screen_text(app)
        assert field(screen, "manager_rating").value == "74"
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is not screen
    assert fresh(store).kpi("ad-new-products-adopted").manager_rating is None


async def test_typing_the_stored_value_back_clears_the_error(store: Store) -> None:
    """A refused value's error goes once the field holds the stored value again
    (nothing is left to save, so no save would ever clear it)."""
    app = app_for(store)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_scoring(app, pilot)
        assert field(screen, "actual").value == "4"
        await type_into(pilot, screen, "actual", "?")
        assert "not a number" in error_of(screen, "actual")
        assert "not saved" in screen_text(app)
        await type_into(pilot, screen, "actual", "4", enter=False)
        assert error_of(screen, "actual") == ""
        assert "not saved" not in screen_text(app)


async def test_resize_keeps_working(store: Store) -> None:
    app = app_for(store)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_scoring(app, pilot)
        for size in ((60, 20), (120, 40), (80, 24)):
            await pilot.resize_terminal(*size)
            await pilot.pause()
            assert "KRA 1/10" in screen_text(app)
        await pilot.press("ctrl+u", "9", "enter")
    assert fresh(store).kpi("ad-new-products-adopted").actual == Decimal(9)


# --- snapshot ---------------------------------------------------------------------------


def test_snapshot_guided_scoring(store: Store, snap_compare: Any) -> None:
    app = app_for(store)

    async def run_before(pilot: Any) -> None:
        await pilot.pause()
        await app.push_screen(ScoringScreen(app.session, ALEX, 2, 3))
        await pilot.pause()
        for inp in app.screen.query(Input).results(Input):
            inp.cursor_blink = False
        await pilot.pause()

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


async def test_no_color_states_are_spelled_out(store: Store, monkeypatch: Any) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    app = app_for(store)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_scoring(app, pilot)
        assert app.no_color
        await type_into(pilot, screen, "actual", "abc")
        await type_into(pilot, screen, "manager_rating", "3")
        shown = screen_text(app)
        assert "▶1 " in shown  # the KPI in the editor, without colour
        assert "! not saved: actual 'abc' is not a number" in shown
        assert "(read-only)" in shown
        assert "⚠ Reason required: rating 3 departs from suggested 5" == str(
            screen.query_one("#sc-departure").render())


# --- keys typed in a burst go where the focus was when they were typed -------------


async def test_burst_tab_then_digit_goes_to_the_next_field(store: Store) -> None:
    app = app_for(store)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_scoring(app, pilot)
        assert app.focused is field(screen, "actual")
        assert field(screen, "actual").value == "4"
        await burst(pilot, "tab", "2", "tab")
        assert field(screen, "actual").value == "4"
        assert field(screen, "manager_rating").value == "2"
    kpi = fresh(store).kpi("ad-new-products-adopted")
    assert (kpi.actual, kpi.manager_rating) == (Decimal(4), 2)



@pytest.mark.parametrize("keys, expected", [
    # Tab, then a rating: the rating goes to the next field.
    (("tab", "2", "tab"), {"ad-new-products-adopted": (Decimal(4), 2)}),
    # Enter saves and walks on; what follows is for the next field.
    (("ctrl+u", "7", "enter", "3", "enter"), {"ad-new-products-adopted": (Decimal(7), 3)}),
    # Shift+tab back to Actual, type, tab forward again.
    (("tab", "5", "shift+tab", "9", "tab", "1", "tab"),
     {"ad-new-products-adopted": (Decimal(9), 1)}),
    # PgDn / F6: the next KPI's first field (its value selected) gets the digits.
    (("pagedown", "8", "enter"), {"ad-new-products-adopted": (Decimal(4), None),
                                  "ad-existing-revenue-growth": (Decimal(8), None)}),
    (("f6", "f6", "6", "tab", "4", "enter"), {"ad-csat": (Decimal(6), 4)}),
    # PgUp back and F8 to the next KRA.
    (("f6", "pageup", "3", "enter"), {"ad-new-products-adopted": (Decimal(3), None)}),
    (("f8", "2", "tab", "5", "tab"), {"sap-plans-completed": (Decimal(2), 5),
                                      "ad-new-products-adopted": (Decimal(4), None)}),
])
async def test_keys_in_one_burst_go_where_the_focus_was(
        store: Store, keys: tuple[str, ...], expected: dict[str, Any]) -> None:
    """Over SSH a burst of keys reaches the app at once: each key goes to the field
    that has the focus after the keys before it, never to the one left behind."""
    app = app_for(store)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_scoring(app, pilot)
        assert app.focused is field(screen, "actual")
        await burst(pilot, *keys)
    review = fresh(store)
    for kpi_id, (actual, manager) in expected.items():
        kpi = review.kpi(kpi_id)
        assert (kpi.actual, kpi.manager_rating) == (actual, manager), kpi_id


async def test_keys_pressed_without_a_pause_go_where_the_focus_was(store: Store) -> None:
    app = app_for(store)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_scoring(app, pilot)
        await pilot.press("tab", "2", "tab")
        assert field(screen, "actual").value == "4"
        await pilot.press("pagedown", "5", "enter", "3", "enter")
        await pilot.pause()
    review = fresh(store)
    first = review.kpi("ad-new-products-adopted")
    assert (first.actual, first.manager_rating) == (Decimal(4), 2)
    second = review.kpi("ad-existing-revenue-growth")
    assert (second.actual, second.manager_rating) == (Decimal(5), 3)
    history = open_session(Store(store.root), login="root").history(ALEX)
    assert not [h for h in history
                if h.field == "ad-new-products-adopted.actual" and h.who == "root"]


async def test_burst_from_the_table_and_the_na_box(store: Store) -> None:
    app = app_for(store)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_scoring(app, pilot)
        screen.query_one(DataTable).focus()
        await pilot.pause()
        # Down to KPI 2, enter into its first field, type; all at once.
        await burst(pilot, "down", "enter", "6", "enter")
        assert screen.kpi_index == 1
        # The N/A box: space sets N/A and moves to the reason, typed at once.
        screen.query_one(NAToggle).focus()
        await pilot.pause()
        await burst(pilot, "space", "n", "o", "enter")
    review = fresh(store)
    kpi = review.kpi("ad-existing-revenue-growth")
    assert kpi.actual == Decimal(6)
    assert kpi.na and kpi.na_reason == "no"
    assert review.kpi("ad-new-products-adopted").actual == Decimal(4)


# --- a read-only review can be read to the end by keys ------------------------------


async def test_read_only_details_scroll_by_keys(store: Store) -> None:
    app = app_for(store)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_scoring(app, pilot, "2026-h2/chen", kpi=1)
        editor = screen.query_one("#sc-editor")
        others = screen.query_one("#sc-others")
        assert "Comments by others" in str(others.render())
        assert "Comments by others" not in screen_text(app)  # below the fold
        assert "F3" in screen_text(app)  # the key is in the footer
        await pilot.press("f3")
        assert app.focused is editor
        await pilot.press("end")
        await pilot.pause()
        assert "Comments by others" in screen_text(app)
        assert "Chen Wei:" in screen_text(app).split("Comments by others")[1]
        await pilot.press("home")
        await pilot.pause()
        assert "Comments by others" not in screen_text(app)
        await pilot.press("down", "down", "down", "down", "down", "down", "down", "down")
        await pilot.pause()
        assert editor.scroll_y > 0
        assert screen.kpi_index == 1  # the keys scrolled; the KPI stayed
        await pilot.press("f3")
        assert app.focused is screen.query_one(DataTable)


async def test_scroll_key_is_not_offered_when_editing(store: Store) -> None:
    app = app_for(store)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_scoring(app, pilot)
        assert "F3" not in screen_text(app)
        await pilot.press("f3")
        assert app.focused is field(screen, "actual")


# --- back from the actions screen ------------------------------------------------------


@pytest.mark.parametrize("start", ["#sc-table", "#f-manager_rating", "#f-na"])
async def test_back_from_actions_keeps_the_focus(store: Store, start: str) -> None:
    app = app_for(store)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_scoring(app, pilot, MAYA)
        widget = screen.query_one(start)
        widget.focus()
        await pilot.pause()
        await pilot.press("ctrl+t")
        await pilot.pause()
        assert isinstance(app.screen, ActionsScreen)
        # Meanwhile (e.g. a reload while away) the focus of the screen below moved
        # to a text field; coming back puts it where it was.
        screen.set_focus(field(screen, "comment"))
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is screen
        assert app.focused is widget
        await burst(pilot, "x")
    assert not [c for c in fresh(store, review_id=MAYA).kras[0].kpis[0].comments
                if c.author == "root" and c.text.endswith("x")]


# --- one message at a time ---------------------------------------------------------------


async def test_a_new_error_replaces_the_saved_message(store: Store) -> None:
    app = app_for(store)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_scoring(app, pilot)
        await type_into(pilot, screen, "comment", "fine")
        assert "✓ saved my comment" in screen_text(app)
        await type_into(pilot, screen, "manager_rating", "9")
        text = screen_text(app)
        assert "! not saved" in text
        assert "✓ saved my comment" not in text
        assert "✓" not in str(screen.query_one("#sc-message").render())


async def test_a_change_after_a_signature_says_that_it_must_be_signed_again(
        store: Store) -> None:
    maya = open_session(Store(store.root), login="maya")
    maya.sign(MAYA, maya.view(MAYA).review.revision)
    app = app_for(store)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_scoring(app, pilot, review_id=MAYA)
        await type_into(pilot, screen, "comment", "one more word")
        message = screen.query_one("#sc-message", MessageLine)
        assert message.size.height == 2  # wrapped, not cut off at 80 columns
        assert "Maya Lindqvist signed before this change and must sign again" in \
            " ".join(screen_text(app).split())
        await type_into(pilot, screen, "comment", "and another")
        assert "must sign again" not in screen_text(app)  # said once, when it happened
    assert fresh(store, review_id=MAYA).valid_signoffs() == []


async def test_a_save_refused_because_the_review_moved_on_says_who_moved_it(
        store: Store) -> None:
    lee = "2026-h2/lee"  # self assessment; root is Lee's manager
    app = app_for(store, login="lee")
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_scoring(app, pilot, review_id=lee)
        await type_into(pilot, screen, "comment", "my own words", enter=False)
        open_session(Store(store.root), login="root").advance(lee)
        await pilot.press("enter")
        await pilot.pause()
        message = error_of(screen, "comment")
        assert "moved the review on to manager assessment while you were typing" in message
        assert field(screen, "comment").value == "my own words"


async def test_ctrl_q_with_a_refused_value_asks_first(store: Store) -> None:
    """A value that cannot be saved is not dropped by ctrl+q without a word (as escape
    asks too); what can be saved is saved as the question comes up."""
    from screens.widgets import ConfirmModal

    app = app_for(store)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_scoring(app, pilot)
        await type_into(pilot, screen, "actual", "7", enter=False)
        await type_into(pilot, screen, "manager_rating", "abc", enter=False)
        await pilot.press("ctrl+q")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmModal)
        assert "manager rating of KPI" in screen_text(app)
        assert fresh(store).kpi("ad-new-products-adopted").actual == Decimal(7)  # saved
        await pilot.press("n")
        await pilot.pause()
        assert app.screen is screen and field(screen, "manager_rating").value == "abc"
        assert "not a whole number" in error_of(screen, "manager_rating")
        await pilot.press("ctrl+q")
        await pilot.pause()
        await pilot.press("y")
        await pilot.pause()
    assert app.return_code == 0 or app.return_code is None
    kpi = fresh(store).kpi("ad-new-products-adopted")
    assert (kpi.actual, kpi.manager_rating) == (Decimal(7), None)


async def test_typing_in_a_comment_adds_to_it_and_in_a_number_replaces_it(
        store: Store) -> None:
    """Focus on a comment or a reason puts the cursor at its end (one key must not
    replace a whole comment); a number or rating is selected, so typing replaces it."""
    open_session(store, login="root").set_comment(ALEX, "ad-new-products-adopted", "first")
    open_session(store, login="root").set_kpi(ALEX, "ad-new-products-adopted", "actual", "5")
    app = app_for(store)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_scoring(app, pilot)
        assert app.focused is field(screen, "actual")
        await pilot.press("8", "enter")  # replaces the selected 5
        while app.focused is not field(screen, "comment"):
            await pilot.press("tab")
        await pilot.press(*" and more", "enter")
        await pilot.pause()
    kpi = fresh(store).kpi("ad-new-products-adopted")
    assert kpi.actual == Decimal(8)
    assert [c.text for c in kpi.comments if c.author == "root"] == ["first and more"]


async def test_editing_an_action_adds_to_its_text(store: Store) -> None:
    """The action's text and success measure take the cursor at their end on focus."""
    before = fresh(store, review_id=MAYA).actions[0]
    app = app_for(store)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await app.push_screen(ActionsScreen(app.session, MAYA))
        await pilot.pause()
        await pilot.press("enter")  # edit the first action
        await pilot.pause()
        form = app.screen
        assert isinstance(form, ActionForm)
        assert app.focused is form.query_one("#a-text", Input)
        await type_text(pilot, " (more)")
        await pilot.press("tab", "tab")  # the due date, the success measure
        await pilot.pause()
        assert app.focused is form.query_one("#a-measure", Input)
        await type_text(pilot, " too")
        await pilot.press("ctrl+s")
        await pilot.pause()
    after = fresh(store, review_id=MAYA).actions[0]
    assert after.text == before.text + " (more)"
    assert after.success_measure == (before.success_measure or "") + " too"


async def test_an_actual_typed_with_an_exponent_is_shown_as_stored(store: Store) -> None:
    app = app_for(store)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_scoring(app, pilot)
        await type_into(pilot, screen, "actual", "1e1")
        assert app.focused is field(screen, "manager_rating")
        assert field(screen, "actual").value == "10"
    assert str(fresh(store).kpi("ad-new-products-adopted").actual) == "10"
