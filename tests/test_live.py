"""Live editing (issue 7): two apps on one data directory, two real processes,
a killed process, and a stress test of concurrent edits.

Two people on one review: the manager (`root`) and Maya, in Maya's joint
review (Alex cannot see Maya's review, so the second person is Maya).  The same
field edited at once needs the same person twice (a manager in two
terminals): in the joint review only the manager writes ratings and reasons.
Waits are polls with a deadline, never a fixed sleep.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from textual import events
from textual._context import active_app
from textual.keys import _character_to_key
from textual.widgets import DataTable, Input

from screens.actions import ActionForm, ActionsScreen
from screens.conflict import ConflictModal
from screens import scoring as scoring_screen
from screens.scoring import ScoringScreen
from tui import live
from tui.access import open_session
from tui.app import create_app
from tui.store import Store

SIZE = (80, 24)
MAYA = "2026-h2/maya"
ALEX = "2026-h2/alex"
ROOT = Path(__file__).resolve().parents[1]


def app_for(store: Store, login: str) -> Any:
    # Each app gets its own Store object, as a second process would.
    own = Store(store.root)
    return create_app(store=own, session=open_session(own, login=login), login=login)


def stored(store: Store, review_id: str = MAYA) -> Any:
    return open_session(Store(store.root), login="root").view(review_id).review


def screen_text(app: Any) -> str:
    return "\n".join(strip.text for strip in app.screen._compositor.render_strips())


async def until(pilots: list[Any], predicate: Any, what: str, timeout: float = 3.0) -> float:
    """Let the apps run (their 0.5 s polls included) until `predicate` holds."""
    start = time.monotonic()
    while not predicate():
        if time.monotonic() - start > timeout:
            raise AssertionError(f"not within {timeout} s: {what}")
        for pilot in pilots:
            await pilot.pause(0.05)
    return time.monotonic() - start


async def push(app: Any, pilot: Any, screen: Any) -> Any:
    """Push `screen` as the app itself would.

    A screen started from the test's task takes that task's `active_app`,
    which with two apps in one process is the last one started; set it.
    """
    await pilot.pause()
    token = active_app.set(app)
    try:
        await app.push_screen(screen)
    finally:
        active_app.reset(token)
    await pilot.pause()
    assert app.screen is screen
    return screen


async def open_scoring(app: Any, pilot: Any, review_id: str = MAYA, kra: int = 0,
                       kpi: int = 0) -> ScoringScreen:
    return await push(app, pilot, ScoringScreen(app.session, review_id, kra, kpi))


def text_of(screen: Any, selector: str) -> str:
    return str(screen.query_one(selector).render())


def others(screen: ScoringScreen) -> str:
    """The others' comments on the KPI in the editor (may be scrolled out of view)."""
    return str(screen.query_one("#sc-others").render())


def field(screen: ScoringScreen, name: str) -> Input:
    return screen.query_one(f"#f-{name}", Input)


async def type_in(pilot: Any, screen: ScoringScreen, name: str, text: str) -> None:
    await type_into(pilot, field(screen, name), text)


async def type_into(pilot: Any, inp: Input, text: str) -> None:
    """Focus a field, clear it and type `text` as key events (without Pilot's
    idle wait after every character); wait until the field holds it."""
    inp.focus()
    await pilot.pause()
    await pilot.press("end", "ctrl+u")
    app = pilot.app
    for ch in text:
        event = events.Key(_character_to_key(ch), ch)
        event.set_sender(app)
        app._driver.send_message(event)
    await until([pilot], lambda: inp.value == text, f"typing {text!r}")


# --- two apps ----------------------------------------------------------------------


async def test_an_edit_in_one_app_appears_in_the_other(store: Store) -> None:
    manager, maya = app_for(store, "root"), app_for(store, "maya")
    async with manager.run_test(size=SIZE) as p1, maya.run_test(size=SIZE) as p2:
        s1 = await open_scoring(manager, p1)
        s2 = await open_scoring(maya, p2)
        kpi_id = s1._kpi_id
        assert s2._kpi_id == kpi_id
        old = stored(store).kpi(kpi_id).agreed_rating
        new = 2 if old != 2 else 3
        # The manager agrees a rating; Maya's screen shows it (table and field).
        await type_in(p1, s1, "agreed_rating", str(new))
        await p1.press("enter")
        assert stored(store).kpi(kpi_id).agreed_rating == new
        took = await until([p1, p2], lambda: field(s2, "agreed_rating").value == str(new),
                           "the agreed rating reaches Maya's screen")
        assert took < 2.0  # one 0.5 s poll, with slack for a loaded machine
        table = s2.query_one(DataTable)
        assert table.get_cell(kpi_id, "agr").plain == str(new)
        # Maya's comment reaches the manager.
        await type_in(p2, s2, "comment", "Agreed, thanks [/]")
        await p2.press("enter")
        await until([p1, p2], lambda: "Maya Lindqvist: Agreed, thanks [/]" in others(s1),
                    "Maya's comment reaches the manager")
        # Each sees the other present.
        await until([p1, p2], lambda: "Also here: Maya Lindqvist" in text_of(s1, "#sc-status")
                    and "Also here: root" in text_of(s2, "#sc-status"), "presence",
                    timeout=4)


async def test_different_fields_edited_at_once_both_survive(store: Store,
                                                           monkeypatch: Any) -> None:
    monkeypatch.setattr(scoring_screen, "DEBOUNCE", 60.0)  # no autosave while typing
    manager, maya = app_for(store, "root"), app_for(store, "maya")
    async with manager.run_test(size=SIZE) as p1, maya.run_test(size=SIZE) as p2:
        s1 = await open_scoring(manager, p1, kra=1, kpi=2)
        s2 = await open_scoring(maya, p2, kra=1, kpi=2)
        kpi_id = s1._kpi_id
        # Both type before either saves.
        await type_in(p1, s1, "actual", "6.5")
        await type_in(p1, s1, "rating_reason", "market shrank [bold]2%[/]")
        await type_in(p2, s2, "comment", "I led both renewals")
        # The manager's poll sees nothing new yet; Maya saves first.
        await p2.press("enter")
        await until([p1, p2], lambda: "Maya Lindqvist: I led both renewals" in others(s1),
                    "Maya's comment reaches the manager")
        # What the manager typed was not clobbered by the reload.
        assert field(s1, "actual").value == "6.5"
        assert field(s1, "rating_reason").value == "market shrank [bold]2%[/]"
        await p1.press("enter")  # saves both of the manager's fields
        # (Maya's enter moved her on to the next KPI; her table shows this one.)
        table = s2.query_one(DataTable)
        await until([p1, p2], lambda: table.get_cell(kpi_id, "actual").plain == "6.5",
                    "the actual reaches Maya")
        assert not isinstance(manager.screen, ConflictModal)
    kpi = stored(store).kpi(kpi_id)
    assert kpi.actual == Decimal("6.5")
    assert kpi.rating_reason == "market shrank [bold]2%[/]"
    assert [c.text for c in kpi.comments if c.author == "maya"] == ["I led both renewals"]


@pytest.mark.parametrize("choice", ["m", "t"])
async def test_the_same_field_edited_at_once_asks_which_stays(store: Store, choice: str,
                                                             monkeypatch: Any) -> None:
    # Typing pauses save by themselves after DEBOUNCE; here the first app must
    # still hold unsaved text when the second saves, however slow the machine.
    monkeypatch.setattr(scoring_screen, "DEBOUNCE", 60.0)
    one, two = app_for(store, "root"), app_for(store, "root")
    async with one.run_test(size=SIZE) as p1, two.run_test(size=SIZE) as p2:
        s1 = await open_scoring(one, p1, kra=2)
        s2 = await open_scoring(two, p2, kra=2)
        kpi_id = s1._kpi_id
        await type_in(p1, s1, "rating_reason", "mine: [/] the client paused")
        await type_in(p2, s2, "rating_reason", "theirs: budget freeze")
        await p2.press("enter")
        assert stored(store).kpi(kpi_id).rating_reason == "theirs: budget freeze"
        # The first app's reload keeps what is being typed there.
        await until([p1, p2], lambda: s1.view is not None and
                    s1.view.review.kpi(kpi_id).rating_reason == "theirs: budget freeze",
                    "the first app reloads")
        assert field(s1, "rating_reason").value == "mine: [/] the client paused"
        await p1.press("enter")

        await until([p1], lambda: isinstance(one.screen, ConflictModal), "the choice")
        assert text_of(one.screen, "#conflict-theirs") == "theirs: budget freeze"
        assert text_of(one.screen, "#conflict-yours") == "mine: [/] the client paused"
        assert stored(store).kpi(kpi_id).rating_reason == "theirs: budget freeze"
        await p1.press(choice)
        await until([p1], lambda: one.screen is s1, "back on the scoring screen")
        expected = "mine: [/] the client paused" if choice == "m" else "theirs: budget freeze"
        await until([p1, p2], lambda: field(s1, "rating_reason").value == expected
                    and field(s2, "rating_reason").value == expected, "both show the choice")
    assert stored(store).kpi(kpi_id).rating_reason == expected
    history = [e for e in open_session(store, login="root").history(MAYA)
               if e.field == f"{kpi_id}.rating_reason"]
    news = [e.new for e in history]
    assert "theirs: budget freeze" in news  # nothing is lost: the other value is recorded
    if choice == "m":
        assert news[-1] == "mine: [/] the client paused"


async def test_action_edited_by_both_asks_which_stays(store: Store) -> None:
    manager, maya = app_for(store, "root"), app_for(store, "maya")
    async with manager.run_test(size=SIZE) as p1, maya.run_test(size=SIZE) as p2:
        for app, pilot in ((manager, p1), (maya, p2)):
            await push(app, pilot, ActionsScreen(app.session, MAYA))
            await pilot.press("enter")
            await pilot.pause()
            assert isinstance(app.screen, ActionForm)
        for app, pilot, text in ((manager, p1, "QBRs with the top 5"),
                                 (maya, p2, "QBRs with the top 12")):
            # (the form does not autosave)
            await type_into(pilot, app.screen.query_one("#a-text", Input), text)
        await p2.press("ctrl+s")
        await until([p2], lambda: isinstance(maya.screen, ActionsScreen), "Maya's save")
        await p1.press("ctrl+s")
        await until([p1], lambda: isinstance(manager.screen, ConflictModal), "the choice")
        assert text_of(manager.screen, "#conflict-theirs") == "QBRs with the top 12"
        assert text_of(manager.screen, "#conflict-yours") == "QBRs with the top 5"
        await p1.press("m")
        await until([p1], lambda: isinstance(manager.screen, ActionsScreen), "saved")
    assert stored(store).actions[0].text == "QBRs with the top 5"


# --- real processes --------------------------------------------------------------------

WORKER = textwrap.dedent("""
    import json, random, sys, time
    sys.path.insert(0, sys.argv[1])
    from tui.access import open_session
    from tui.store import Store

    root, login, mode, seed, count, out = sys.argv[2:8]
    session = open_session(Store(root), login=login)
    review = session.view(sys.argv[8]).review
    kpis = [k.id for k in review.all_kpis() if k.kind.value == "numeric"]
    rng = random.Random(int(seed))
    done = []
    start = time.time() + 0.3  # start together
    while time.time() < start:
        time.sleep(0.01)
    for i in range(int(count)):
        kpi = rng.choice(kpis)
        if mode == "actual":
            field, value = "actual", str(int(seed) * 100000 + i)
        elif mode == "comment":
            field, value = "comment", f"{login}-{seed}-{i}"
        else:
            field = rng.choice(["actual", "rating_reason", "na_reason", "comment"])
            value = str(int(seed) * 100000 + i) if field == "actual" else f"p{seed}-{i}"
        if field == "comment":
            session.set_comment(sys.argv[8], kpi, value)
        else:
            session.set_kpi(sys.argv[8], kpi, field, value)
        done.append([kpi, field, value])
    with open(out, "w") as f:
        json.dump(done, f)
""")


def run_workers(store: Store, tmp_path: Path, specs: list[tuple[str, str, int, int]],
                review_id: str) -> list[list[list[str]]]:
    procs, outs = [], []
    for n, (login, mode, seed, count) in enumerate(specs):
        out = tmp_path / f"worker{n}.json"
        outs.append(out)
        procs.append(subprocess.Popen(
            [sys.executable, "-c", WORKER, str(ROOT), str(store.root), login, mode, str(seed),
             str(count), str(out), review_id],
            stderr=subprocess.PIPE, text=True))
    for proc in procs:
        _, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
    return [json.loads(out.read_text()) for out in outs]


def test_two_processes_edit_different_fields_at_once(store: Store, tmp_path: Path) -> None:
    manager, employee = run_workers(
        store, tmp_path, [("root", "actual", 1, 60), ("maya", "comment", 2, 60)], MAYA)
    review = stored(store)
    last: dict[tuple[str, str, str], str] = {}
    for who, edits in (("root", manager), ("maya", employee)):
        for kpi, fld, value in edits:
            last[(who, kpi, fld)] = value
    for (who, kpi_id, fld), value in last.items():
        kpi = review.kpi(kpi_id)
        if fld == "actual":
            assert kpi.actual == Decimal(value)
        else:
            assert [c.text for c in kpi.comments if c.author == who] == [value]


def test_killed_process_leaves_no_stale_presence_and_no_lock(store: Store,
                                                             tmp_path: Path) -> None:
    code = textwrap.dedent("""
        import sys, time
        sys.path.insert(0, sys.argv[1])
        from tui.access import open_session
        from tui.store import Store
        store = Store(sys.argv[2])
        session = open_session(store, login="maya")
        presence = session.open_presence(sys.argv[3])
        with store.locked(store.review_path(sys.argv[3])):
            print("holding", flush=True)
            time.sleep(60)
    """)
    proc = subprocess.Popen([sys.executable, "-c", code, str(ROOT), str(store.root), MAYA],
                            stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == "holding"
        manager = open_session(Store(store.root), login="root")
        mine = manager.open_presence(MAYA)
        assert manager.others_present(MAYA, mine) == ["Maya Lindqvist"]
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
    # Gone at once (same host, the process is dead) ...
    assert manager.others_present(MAYA, mine) == []
    # ... and the lock died with it: the manager saves immediately.
    start = time.monotonic()
    manager.set_kpi(MAYA, "ad-csat", "rating_reason", "saved after the kill")
    assert time.monotonic() - start < 2
    assert stored(store).kpi("ad-csat").rating_reason == "saved after the kill"
    mine.leave()


def test_presence_from_another_host_expires_after_the_timeout(store: Store,
                                                              monkeypatch: Any) -> None:
    monkeypatch.setattr(live, "PRESENCE_TIMEOUT", 2.0)
    session = open_session(store, login="maya")
    presence = session.open_presence(MAYA)
    # A machine we cannot ask about its processes: only the heartbeat counts.
    body = json.loads(presence.path.read_text())
    body["host"] = "elsewhere.example"
    presence.path.write_text(json.dumps(body))
    manager = open_session(store, login="root")
    assert [p.name for p in live.present(store, MAYA)] == ["Maya Lindqvist"]
    later = time.time() + 2.5
    assert live.present(store, MAYA, now=later) == []
    assert not presence.path.exists()  # the stale file was removed
    assert manager.others_present(MAYA) == []


def test_stress_two_processes_500_edits_each(store: Store, tmp_path: Path) -> None:
    """Every edit is in the end present or superseded by a later one on the same
    field, and every successful edit has its history entry."""
    before = {(e.seq) for e in open_session(store, login="root").history(ALEX)}
    results = run_workers(store, tmp_path, [("root", "mixed", 1, 500), ("root", "mixed", 2, 500)],
                          ALEX)
    session = open_session(Store(store.root), login="root")
    review = session.view(ALEX).review
    history = [e for e in session.history(ALEX) if e.seq not in before]
    edits = [tuple(e) for r in results for e in r]
    assert len(edits) == 1000
    # One history entry per edit (every value is unique, so every edit changed something).
    def field_name(kpi: str, fld: str) -> str:
        return f"{kpi}.comment.root" if fld == "comment" else f"{kpi}.{fld}"

    recorded = {(e.field, e.new) for e in history}
    assert len(history) == 1000
    for kpi, fld, value in edits:
        assert (field_name(kpi, fld), value) in recorded, (kpi, fld, value)
    # Within each process, edits appear in the history in the order they were made.
    position = {(e.field, e.new): i for i, e in enumerate(history)}
    for r in results:
        order = [position[(field_name(k, f), v)] for k, f, v in r]
        assert order == sorted(order)
    # The stored value of each field is the last one the history records.
    last: dict[str, str | None] = {}
    for e in history:
        last[e.field] = e.new
    for name, value in last.items():
        kpi_id, _, rest = name.partition(".")
        kpi = review.kpi(kpi_id)
        if rest == "actual":
            assert kpi.actual == Decimal(value or "0")
        elif rest == "comment.root":
            assert [c.text for c in kpi.comments if c.author == "root"] == [value]
        else:
            assert getattr(kpi, rest) == value
    # And every edit is either that stored value or superseded by a later entry.
    for kpi, fld, value in edits:
        name = field_name(kpi, fld)
        i = position[(name, value)]
        assert last[name] == value or any(e.field == name for e in history[i + 1:])


def test_screens_of_one_session_share_one_presence(store: Store) -> None:
    """The overview and the scoring screen both hold the review open: one file,
    gone only when the last of them leaves."""
    session = open_session(store, login="root")
    first = session.open_presence(MAYA)
    second = session.open_presence(MAYA)
    assert first is second and first.path.exists()
    first.leave()
    assert second.path.exists()
    second.beat()
    second.leave()
    assert not second.path.exists()
    second.beat()  # a late heartbeat does not bring it back
    assert not second.path.exists()
