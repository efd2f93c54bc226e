"""The must-show: walk the whole Major Account Manager review with the keyboard.

From Home (as the manager `root`) open Alex's review, enter an actual and a
manager rating for all 40 KPIs of the 10 KRAs (with a reason wherever the
rating departs from the suggestion) pressing only keys, move the review to
the joint review, write a comment and an improvement action, sign as the
manager; then, as Alex in a second app, sign as the employee, see the review
locked, and export it to TOML.  Finally the stored review (fresh session) and
the exported TOML must hold exactly what was typed.
"""

from __future__ import annotations

import time
import tomllib
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from textual import events
from textual.keys import _character_to_key
from textual.widgets import DataTable, Input

from screens.actions import ActionForm, ActionsScreen
from screens.export import ExportModal
from screens.home import HomeScreen, ReviewTable
from screens.overview import OverviewScreen
from screens.scoring import ScoringScreen
from screens.summary import SummaryScreen
from screens.widgets import ConfirmModal
from tui.access import open_session
from tui.app import create_app
from tui.models import Kind, Review, State
from tui.scoring import suggestion
from tui.store import Store

SIZE = (80, 24)
ALEX = "2026-h2/alex"
FACTORS = [Decimal("1.1"), Decimal("0.95"), Decimal("1.3"), Decimal("0.8"), Decimal("1.02"),
           Decimal("0.6")]
COMMENT = "Great year [bold]really[/] — thank you 😀 שלום"
ACTION = "Shadow [/] the key-account desk"
MEASURE = "Two joint QBRs led"


@dataclass
class Entry:
    kpi_id: str
    actual: Decimal | None
    rating: int
    reason: str


def plan(review: Review) -> list[Entry]:
    """What the manager types for every KPI, and where a reason is needed."""
    out = []
    for n, kpi in enumerate(review.all_kpis()):
        actual = None
        if kpi.kind is Kind.numeric:
            base = kpi.target if kpi.target else Decimal(10)
            places = Decimal(1) if kpi.unit in ("count", "days", "currency") else Decimal("0.1")
            actual = (base * FACTORS[n % len(FACTORS)]).quantize(places)
            if actual == kpi.actual:
                actual += places
        trial = kpi.model_copy(update={"actual": actual})
        _, suggested = suggestion(review, trial)
        reason = ""
        if suggested is None:
            rating = 3 + n % 2
        elif n % 3 == 0:
            rating = suggested + 1 if suggested < review.scale.max else suggested - 1
            reason = f"KPI {n + 1}: client [/] delay"
        else:
            rating = suggested
        out.append(Entry(kpi.id, actual, rating, reason))
    return out


async def wait_for(pilot: Any, predicate: Any, what: str, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what() if callable(what) else what}")
        await pilot.pause(0.01)


def send(pilot: Any, *keys: str) -> None:
    """Send key events as the terminal driver does: a key name (`enter`, `ctrl+u`)
    or one character each.  Unlike Pilot.press this does not idle ~50 ms after
    every key and it types any character; callers then wait for what the keys
    must have done (and send a key bound to an action alone, as its action runs
    after plain characters sent with it)."""
    app = pilot.app
    for key in keys:
        if len(key) == 1:
            event = events.Key(_character_to_key(key), key)
        else:
            event = events.Key(key, None)
        event.set_sender(app)
        app._driver.send_message(event)


async def type_text(pilot: Any, text: str, clear: bool = False) -> None:
    """Type `text` into the focused Input (after clearing it); wait until it holds it."""
    field = pilot.app.focused
    assert isinstance(field, Input), field
    before = "" if clear else field.value
    if clear and field.value:
        # Keys bound to actions (ctrl+u) take a longer path than printable
        # characters, so wait for them before typing.
        send(pilot, "end", "ctrl+u")
        await wait_for(pilot, lambda: field.value == "", "clearing the field")
    send(pilot, *text)
    await wait_for(pilot, lambda: field.value == before + text,
                   lambda: f"typing {text!r} into {field.id} (holds {field.value!r})")


async def enter_to(pilot: Any, target: Any, what: str) -> None:
    """Press enter and wait until the focus is on `target`."""
    send(pilot, "enter")
    await wait_for(pilot, lambda: pilot.app.focused is target, what)


async def on_screen(pilot: Any, kind: type) -> Any:
    await wait_for(pilot, lambda: isinstance(pilot.app.screen, kind), kind.__name__)
    await pilot.pause()
    return pilot.app.screen


async def test_walk_the_whole_review_with_the_keyboard(store: Store, tmp_path: Path) -> None:
    entries = plan(open_session(store, login="root").view(ALEX).review)
    assert len(entries) == 40

    app = create_app(store=store, session=open_session(store, login="root"), login="root")
    async with app.run_test(size=SIZE) as pilot:
        # Home: go to "My team", Alex is the first row.
        home = await on_screen(pilot, HomeScreen)
        for _ in range(6):
            if getattr(app.focused, "id", None) == "table-team":
                break
            await pilot.press("tab")
        team = home.query_one("#table-team", ReviewTable)
        assert app.focused is team
        key = team.cursor_key
        assert key == ALEX
        await pilot.press("enter")
        await on_screen(pilot, OverviewScreen)
        await pilot.press("enter")  # score the first KRA
        scoring: ScoringScreen = await on_screen(pilot, ScoringScreen)

        fields = {name: scoring.query_one(f"#f-{name}", Input) for name in
                  ("actual", "manager_rating", "agreed_rating", "rating_reason", "comment")}
        for n, e in enumerate(entries):
            kra_no, kpi_no = divmod(n, 4)
            assert (scoring.kra_index, scoring.kpi_index) == (kra_no, kpi_no), n
            assert scoring._kpi_id == e.kpi_id
            if e.actual is not None:
                assert app.focused is fields["actual"], n
                await type_text(pilot, str(e.actual), clear=True)
                await enter_to(pilot, fields["manager_rating"], f"KPI {n + 1}: rating")
            assert app.focused is fields["manager_rating"], n
            await type_text(pilot, str(e.rating), clear=True)
            await enter_to(pilot, fields["agreed_rating"], f"KPI {n + 1}: agreed")
            # The agreed rating stays empty: the manager's rating stands.
            await enter_to(pilot, fields["rating_reason"], f"KPI {n + 1}: reason")
            if e.reason:
                await type_text(pilot, e.reason, clear=True)
            await enter_to(pilot, fields["comment"], f"KPI {n + 1}: comment")
            if n + 1 < len(entries):  # no comment: enter goes on to the next KPI
                nxt = "actual" if entries[n + 1].actual is not None else "manager_rating"
                await enter_to(pilot, fields[nxt], f"KPI {n + 2}")
                await wait_for(pilot, lambda: scoring._kpi_id == entries[n + 1].kpi_id,
                               f"KPI {n + 2} shown")
            else:
                await pilot.press("enter")
        assert "last KPI of the review" in str(scoring.query_one("#sc-message").render())
        await pilot.press("escape")

        # Move on to the joint review.
        await on_screen(pilot, OverviewScreen)
        await pilot.press("m")
        await on_screen(pilot, ConfirmModal)
        await pilot.press("y")
        await on_screen(pilot, OverviewScreen)
        assert open_session(store, login="root").view(ALEX).review.state is State.joint_review

        # A comment on KRA 1 · KPI 1 and an improvement action. (Back from the
        # scoring, the overview is on the KRA the scoring was last on: the last.)
        table = app.screen.query_one("#kra-table", DataTable)
        assert table.cursor_row == table.row_count - 1
        await pilot.press("ctrl+home")
        assert table.cursor_row == 0
        await pilot.press("enter")
        scoring = await on_screen(pilot, ScoringScreen)
        comment = scoring.query_one("#f-comment", Input)
        for _ in range(8):
            if app.focused is comment:
                break
            await pilot.press("enter")
        assert app.focused is comment
        await type_text(pilot, COMMENT)
        await pilot.press("enter")
        assert scoring.kpi_index == 1
        await pilot.press("pageup")
        await pilot.press("ctrl+t")
        await on_screen(pilot, ActionsScreen)
        await pilot.press("n")
        await on_screen(pilot, ActionForm)
        for text in (ACTION, "2027-03-31", MEASURE):
            await type_text(pilot, text)
            await pilot.press("enter")
        await on_screen(pilot, ActionsScreen)
        await pilot.press("escape")
        await on_screen(pilot, ScoringScreen)
        await pilot.press("escape")

        # Sign as the manager on the summary.
        await on_screen(pilot, OverviewScreen)
        await pilot.press("s")
        await on_screen(pilot, SummaryScreen)
        await pilot.press("g")
        await on_screen(pilot, ConfirmModal)
        await pilot.press("y")
        await on_screen(pilot, SummaryScreen)
    review = open_session(store, login="root").view(ALEX).review
    assert [s.role.value for s in review.valid_signoffs()] == ["manager"]

    # Alex signs, sees it locked, exports it.
    out = tmp_path / "export" / "alex.toml"
    out.parent.mkdir()
    app = create_app(store=store, session=open_session(store, login="alex"), login="alex")
    async with app.run_test(size=SIZE) as pilot:
        home = await on_screen(pilot, HomeScreen)
        mine = home.query_one("#table-mine", ReviewTable)
        assert app.focused is mine
        assert mine.cursor_key == ALEX
        await pilot.press("enter")
        await on_screen(pilot, OverviewScreen)
        await pilot.press("s")
        summary = await on_screen(pilot, SummaryScreen)
        await pilot.press("g")
        await on_screen(pilot, ConfirmModal)
        await pilot.press("y")
        await on_screen(pilot, SummaryScreen)
        await wait_for(pilot, lambda: summary.view is not None and
                       summary.view.review.state is State.signed_off, "the sign-off")
        assert "locked" in str(summary.query_one("#sum-status").render())
        await pilot.press("escape")
        await on_screen(pilot, OverviewScreen)
        await pilot.press("enter")
        scoring = await on_screen(pilot, ScoringScreen)
        assert all(i.disabled for i in scoring.query(Input).results(Input))
        await pilot.press("escape")
        await on_screen(pilot, OverviewScreen)
        await pilot.press("x")
        await on_screen(pilot, ExportModal)
        await pilot.press("end", "ctrl+u")
        await type_text(pilot, str(out))
        await pilot.press("enter")
        await wait_for(pilot, out.exists, "the export file", timeout=20)

    # What is stored is exactly what was typed.
    review = open_session(Store(store.root), login="alex").view(ALEX).review
    assert review.state is State.signed_off
    for e in entries:
        kpi = review.kpi(e.kpi_id)
        if e.actual is not None:
            assert kpi.actual == e.actual, e
        assert kpi.manager_rating == e.rating, e
        assert kpi.agreed_rating is None
        assert kpi.rating_reason == e.reason, e
    first = review.kras[0].kpis[0]
    assert [c.text for c in first.comments if c.author == "root"] == [COMMENT]
    action = review.actions[-1]
    assert (action.text, str(action.due), action.success_measure, action.kpi_id) == (
        ACTION, "2027-03-31", MEASURE, first.id)

    doc = tomllib.loads(out.read_text(encoding="utf-8"))
    assert doc["review"]["state"] == "signed_off"
    kpis = {k["id"]: k for kra in doc["kras"] for k in kra["kpis"]}
    for e in entries:
        k = kpis[e.kpi_id]
        if e.actual is not None:
            assert Decimal(str(k["actual"])) == e.actual
        assert k["manager_rating"] == e.rating
        assert k["final_rating"] == e.rating
        assert k.get("rating_reason", "") == e.reason
    assert [c["text"] for c in kpis[first.id]["comments"] if c["author"] == "root"] == [COMMENT]
    assert any(a["text"] == ACTION and a.get("success_measure") == MEASURE
               for a in doc["actions"])
    assert sorted(s["role"] for s in doc["signoffs"]) == ["employee", "manager"]
