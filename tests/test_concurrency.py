"""Issue 3, several writers: real processes editing the same files at once
lose nothing, and a process killed in the middle of a save leaves the old or
the new file, never a broken one."""

from __future__ import annotations

import json
import multiprocessing
import os
import random
import signal
import threading
import time
from collections import Counter
from datetime import date, timedelta
from pathlib import Path

import pytest

from tui import workflow
from tui.access import open_session
from tui.models import Cycle, CycleState, HistoryEntry, Person, State
from tui.models import Config
from tui.store import Store, now

TEMPLATE = """\
schema = "kpireview.role-template"
schema_version = 1
id = "tiny-role"
title = "Tiny Role"
version = 1

[[kras]]
id = "sales"
title = "Sales"
weight = 50
[[kras.kpis]]
id = "k1"
name = "Revenue achieved"
unit = "currency"
direction = "higher"
target = 1000
weight = 50
[[kras.kpis]]
id = "k2"
name = "Number of new accounts"
unit = "count"
direction = "higher"
target = 10
weight = 50

[[kras]]
id = "service"
title = "Service"
weight = 50
[[kras.kpis]]
id = "k3"
name = "Average days to resolve a complaint"
unit = "days"
direction = "lower"
target = 3
weight = 50
[[kras.kpis]]
id = "k4"
name = "Number of client visits"
unit = "count"
direction = "higher"
target = 20
weight = 50
"""
KPIS = ("k1", "k2", "k3", "k4")
RID = "2026-h2/emp"
EDITS = 200  # per process
WORKERS = 4
CTX = multiprocessing.get_context("fork" if hasattr(os, "fork") else "spawn")


@pytest.fixture
def no_fsync(monkeypatch: pytest.MonkeyPatch) -> None:
    """These tests prove locking, not durability on power loss: skip the fsyncs
    (forked children inherit the switch). The kill test keeps them."""
    import tui.store

    monkeypatch.setattr(tui.store, "FSYNC", False)


def make_org(root: Path, template: str | None = TEMPLATE, role: str = "tiny-role") -> Store:
    store = Store(root)
    store.write_config(Config(organisation="Test", hr_admins=["harriet"]))
    if template:
        (root / "templates").mkdir()
        (root / "templates" / f"{role}.toml").write_text(template, encoding="utf-8")
    store.save_people([
        Person(id="harriet", name="Harriet", login="harriet", role=role),
        Person(id="mgr", name="Morgan", login="mgr", role=role),
        Person(id="emp", name="Emil", login="emp", manager="mgr", role=role),
    ])
    store.save_cycle(Cycle(id="2026-h2", name="H2", start=date(2026, 7, 1),
                           end=date(2026, 12, 31), state=CycleState.open))
    session = open_session(store, "mgr")
    session.start_review("2026-h2", "emp")
    session.advance(RID)  # self-assessment: the employee writes actuals and comments
    return store


def run_all(target, args_list: list[tuple]) -> None:
    procs = [CTX.Process(target=target, args=args) for args in args_list]
    for p in procs:
        p.start()
    for p in procs:
        p.join(timeout=120)
    for p in procs:
        if p.is_alive():  # pragma: no cover - a hang is a failure, not a wait
            p.kill()
    assert [p.exitcode for p in procs] == [0] * len(procs)


def edit_review(root: str, worker: int, start: multiprocessing.synchronize.Event) -> None:
    """One process: as the employee, set its own KPI's actual and comment, 100 times each."""
    session = open_session(Store(Path(root)), "emp")
    kpi = KPIS[worker]
    start.wait(10)
    for n in range(EDITS // 2):
        session.set_kpi(RID, kpi, "actual", n + 1)
        session.set_comment(RID, kpi, f"w{worker} note {n}")


def test_four_processes_editing_one_review_lose_no_edit(tmp_path: Path, no_fsync: None) -> None:
    store = make_org(tmp_path / "data")
    start = CTX.Event()
    before = len(store.history(RID))
    procs_args = [(str(store.root), w, start) for w in range(WORKERS)]
    threading.Timer(0.2, start.set).start()
    run_all(edit_review, procs_args)

    path = store.review_path(RID)
    data = json.loads(path.read_bytes())  # valid JSON
    review = store.load_review(RID)
    for w, kpi in enumerate(KPIS):
        assert review.kpi(kpi).actual == EDITS // 2
        assert [c.text for c in review.kpi(kpi).comments] == [f"w{w} note {EDITS // 2 - 1}"]
    history = store.history(RID)
    new = history[before:]
    assert len(new) == WORKERS * EDITS
    seqs = [e.seq for e in history]
    assert seqs == list(range(1, len(history) + 1))  # no duplicate or missing number
    assert len(data["history"]) == len(history)
    for w, kpi in enumerate(KPIS):
        actuals = [e.new for e in new if e.field == f"{kpi}.actual"]
        assert actuals == [str(n) for n in range(1, EDITS // 2 + 1)]  # every edit, in order
        notes = [e.new for e in new if e.field == f"{kpi}.comment.emp"]
        assert notes == [f"w{w} note {n}" for n in range(EDITS // 2)]
    # every edit bumped the revision exactly once
    assert review.revision == max(e.revision for e in history)
    assert sorted(Counter(e.revision for e in new).values()) == [1] * len(new)
    # the team index agrees with the review
    (summary,) = store.summaries(reviewer_id="mgr")
    assert summary["state"] == State.self_assessment.value


def add_people(root: str, worker: int, start: multiprocessing.synchronize.Event) -> None:
    """One process: an HR admin adds 200 people, one save each."""
    session = open_session(Store(Path(root)), "harriet")
    start.wait(10)
    for n in range(EDITS):
        session.save_people([Person(id=f"p{worker}-{n}", name=f"Person {worker}/{n}",
                                    login=f"u{worker}x{n}", manager="mgr", role="tiny-role")])


def test_four_processes_adding_people_lose_nobody(tmp_path: Path, no_fsync: None) -> None:
    store = make_org(tmp_path / "data")
    start = CTX.Event()
    threading.Timer(0.2, start.set).start()
    run_all(add_people, [(str(store.root), w, start) for w in range(WORKERS)])

    data = json.loads(store.people_path.read_bytes())  # valid JSON
    ids = [d["id"] for d in data["people"].values()]
    assert len(ids) == len(set(ids)), "duplicate person ids"
    expected = {f"p{w}-{n}" for w in range(WORKERS) for n in range(EDITS)} | {"harriet", "mgr", "emp"}
    assert set(ids) == expected
    assert len(Store(store.root).people()) == len(expected)


def test_threads_of_one_process_also_take_turns(tmp_path: Path, no_fsync: None) -> None:
    """The app saves from worker threads: one Store shared by threads loses nothing."""
    store = make_org(tmp_path / "data")
    session = open_session(store, "emp")

    def work(kpi: str) -> None:
        for n in range(25):
            session.set_kpi(RID, kpi, "actual", n + 1)

    threads = [threading.Thread(target=work, args=(k,)) for k in KPIS]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    history = store.history(RID)
    assert [e.seq for e in history] == list(range(1, len(history) + 1))
    assert sum(1 for e in history if e.field.endswith(".actual")) == 100
    assert all(store.load_review(RID).kpi(k).actual == 25 for k in KPIS)


# --- killed in the middle of a save -------------------------------------------------


BIG_ROLE = "major-account-manager"  # the shipped 10-KRA, 40-KPI template
BIG_KPI = "ad-new-products-adopted"
KILL_ROUNDS = 50


def save_forever(root: str, started: multiprocessing.synchronize.Event, base: int) -> None:
    """Save the review and people.json in a loop until killed."""
    store = Store(Path(root))
    n = base
    while True:
        n += 1
        store.update_review(RID, lambda r, n=n: (None, workflow.set_kpi_field(
            r, BIG_KPI, "actual", n, "emp", now())))
        store.save_people([Person(id="emp", name=f"Emil {n}", login="emp", manager="mgr",
                                  role=BIG_ROLE)])
        started.set()


def test_a_process_killed_while_saving_leaves_a_whole_file(tmp_path: Path) -> None:
    store = make_org(tmp_path / "data", template=None, role=BIG_ROLE)
    # a big review: 40 KPIs and a few hundred history entries
    filler = [
        HistoryEntry(seq=0, at=now(), who="emp", action="set", field="ad-existing-revenue-growth.actual",
                     old=str(i), new=str(i + 1), note="x" * 200)
        for i in range(300)
    ]
    store.append_history(RID, filler)
    path = store.review_path(RID)
    assert path.stat().st_size > 100_000
    rng = random.Random(20261203)
    for round_ in range(KILL_ROUNDS):
        started = CTX.Event()
        proc = CTX.Process(target=save_forever, args=(str(store.root), started, round_ * 10_000))
        proc.start()
        assert started.wait(30), "the saving process did not start"
        time.sleep(rng.uniform(0.0, 0.02))  # somewhere in the next saves
        os.kill(proc.pid, signal.SIGKILL)
        proc.join(10)
        assert proc.exitcode == -signal.SIGKILL
        # every file reads and validates after every kill
        fresh = Store(store.root)
        review = fresh.load_review(RID)
        json.loads(fresh.team_index_path("2026-h2", "mgr").read_bytes())
        assert fresh.person("emp").login == "emp"
        # the review is the version of its last history entry: never half of a save
        data = json.loads(path.read_bytes())
        last = max(data["history"].values(), key=lambda d: d["seq"])
        assert last["field"] == f"{BIG_KPI}.actual"
        assert str(review.kpi(BIG_KPI).actual) == last["new"]
    history = Store(store.root).history(RID)
    assert [e.seq for e in history] == list(range(1, len(history) + 1))
    saves = sum(1 for e in history if e.field == f"{BIG_KPI}.actual")
    assert saves >= KILL_ROUNDS  # every child saved at least once before it was killed
    # a leftover temp file from a killed save is harmless, and doctor names it
    from tui.doctor import check_data_dir

    problems = check_data_dir(Store(store.root))
    assert all("temporary file" in p for p in problems), problems
