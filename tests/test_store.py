"""Issue 3, storage: damaged files are refused and never rewritten, saves are
atomic and group-readable, reviews keep their own copy of the template, a
signed-off review refuses edits in the store itself, doctor and backup."""

from __future__ import annotations

import json
import os
import stat
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner
from tinydb import TinyDB

from tui import workflow
from tui.access import open_session
from tui.cli import main
from tui.doctor import backup_data_dir, check_data_dir
from tui.models import Config, Cycle, CycleState, Person, SignRole, State
from tui.store import (
    DataFileError,
    NotFound,
    ReadOnlyReview,
    Store,
    StoreError,
    now,
)

TEMPLATE = """\
schema = "kpireview.role-template"
schema_version = 1
id = "tiny-role"
title = "Tiny Role"
version = 1
description = "Two KRAs, four KPIs: small enough for fast tests."

[[kras]]
id = "sales"
title = "Sales"
weight = 60

[[kras.kpis]]
id = "revenue"
name = "Revenue achieved against target"
unit = "currency"
direction = "higher"
target = 1000
weight = 50
measurement = "CRM"

[[kras.kpis]]
id = "response"
name = "Average days to respond to a lead"
unit = "days"
direction = "lower"
target = 2
weight = 50
measurement = "CRM"

[[kras]]
id = "team"
title = "Team"
weight = 40

[[kras.kpis]]
id = "mentoring"
name = "Number of mentoring sessions held"
unit = "count"
direction = "higher"
target = 10
weight = 50
measurement = "calendar"

[[kras.kpis]]
id = "feedback"
name = "Peer feedback score"
kind = "rating"
weight = 50
measurement = "survey"
"""
KPIS = ("revenue", "response", "mentoring", "feedback")
CYCLE = Cycle(id="2026-h2", name="H2", start=date(2026, 7, 1), end=date(2026, 12, 31),
              state=CycleState.open)
RID = "2026-h2/emp"


def make_org(root: Path) -> Store:
    """HR harriet, manager mgr (under dana), employee emp; one review in planning."""
    store = Store(root)
    store.write_config(Config(organisation="Test", hr_admins=["harriet"]))
    (root / "templates").mkdir()
    (root / "templates" / "tiny-role.toml").write_text(TEMPLATE, encoding="utf-8")
    store.save_people([
        Person(id="harriet", name="Harriet", login="harriet", role="tiny-role"),
        Person(id="dana", name="Dana", login="dana", role="tiny-role"),
        Person(id="mgr", name="Morgan", login="mgr", manager="dana", role="tiny-role"),
        Person(id="emp", name="Emil", login="emp", manager="mgr", role="tiny-role"),
    ])
    store.save_cycle(CYCLE)
    open_session(store, "mgr").start_review("2026-h2", "emp")
    return store


def snapshot(root: Path) -> dict[str, bytes]:
    """Every file's bytes, lock files aside (taking a lock may create one)."""
    return {
        str(p.relative_to(root)): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and not p.name.endswith(".lock")
    }


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return make_org(tmp_path / "data")


# --- the files on disk --------------------------------------------------------


def test_data_files_are_tinydb_files_with_a_schema_version(store: Store) -> None:
    path = store.review_path(RID)
    db = TinyDB(path)
    try:
        assert set(db.tables()) == {"review", "history"}
        assert db.table("review").all()[0]["id"] == RID
    finally:
        db.close()
    for f in [store.people_path, store.cycles_path, path,
              store.team_index_path("2026-h2", "mgr")]:
        data = json.loads(f.read_bytes())
        docs = [d for table in data.values() for d in table.values()]
        assert docs and all(d["schema_version"] == 1 for d in docs), f


def test_files_are_group_only_and_locks_are_separate(tmp_path: Path) -> None:
    old = os.umask(0o022)  # a typical umask: must not strip the group's write bit
    try:
        store = make_org(tmp_path / "data")
        session = open_session(store, "mgr")
        session.set_kpi(RID, "revenue", "target", "1200")
    finally:
        os.umask(old)
    root = store.root
    files = [p for p in root.rglob("*") if p.is_file()]
    dirs = [root, *(p for p in root.rglob("*") if p.is_dir())]
    data_files = [p for p in files if p.suffix == ".json" or p.name == "config.toml"]
    assert len(data_files) >= 5
    for f in files:
        if f.parent.name == "templates" and f.suffix == ".toml":
            continue  # written by the test itself, not by kpireview
        mode = stat.S_IMODE(f.stat().st_mode)
        assert mode & 0o007 == 0, f"{f} has bits for others: {oct(mode)}"
        assert mode & 0o060 == 0o060, f"{f} is not group read/write: {oct(mode)}"
    for d in dirs:
        if d.name == "templates":
            continue
        mode = stat.S_IMODE(d.stat().st_mode)
        assert mode == 0o2770, f"{d} is {oct(mode)}, expected 0o2770"
    locks = [p for p in files if p.name.endswith(".lock")]
    for f in data_files:
        lock = f.parent / f".{f.name}.lock"
        assert lock.exists(), f"no separate lock file for {f}"
        assert lock.stat().st_ino != f.stat().st_ino
    assert all(lock.name.startswith(".") for lock in locks)


def test_a_save_replaces_the_file_by_rename(store: Store) -> None:
    path = store.review_path(RID)
    before = path.stat().st_ino
    open_session(store, "mgr").set_kpi(RID, "revenue", "target", "1100")
    assert path.stat().st_ino != before  # a new file renamed over the old, not rewritten
    assert not list(path.parent.glob(".*.tmp"))


# --- damaged and newer files ------------------------------------------------------


def break_file(path: Path, how: str) -> None:
    good = path.read_bytes()
    if how == "empty":
        path.write_bytes(b"")
    elif how == "truncated":
        path.write_bytes(good[: len(good) // 2])
    elif how == "nul":
        path.write_bytes(b"\x00" * len(good))
    elif how == "newer":
        if path.suffix == ".toml":
            text = good.decode()
            assert "schema_version = 1\n" in text
            path.write_text(text.replace("schema_version = 1\n", "schema_version = 99\n"))
        else:
            path.write_bytes(good.replace(b'"schema_version": 1', b'"schema_version": 99'))
    else:  # pragma: no cover
        raise AssertionError(how)


TARGETS = {
    "people": lambda s: s.people_path,
    "cycles": lambda s: s.cycles_path,
    "review": lambda s: s.review_path(RID),
    "team-index": lambda s: s.team_index_path("2026-h2", "mgr"),
    "config": lambda s: s.root / "config.toml",
}


def attempts(store: Store, target: str) -> list:
    """Reads and writes that must stop at the damaged file, each a callable."""
    fresh = Store(store.root)  # no cached config or people
    person = Person(id="new", name="New", login="new", manager="mgr", role="tiny-role")
    reads = {
        "people": [fresh.people, lambda: fresh.person_by_login("emp")],
        "cycles": [fresh.cycles, lambda: fresh.cycle("2026-h2")],
        "review": [lambda: fresh.load_review(RID), lambda: fresh.history(RID)],
        "team-index": [lambda: fresh.summaries(), lambda: fresh.summaries(reviewer_id="mgr")],
        "config": [fresh.config, lambda: open_session(fresh, "mgr")],
    }[target]
    writes = {
        "people": [lambda: fresh.save_people([person]),
                   lambda: open_session(fresh, "mgr").set_kpi(RID, "revenue", "target", 5)],
        "cycles": [lambda: fresh.save_cycle(CYCLE.model_copy(update={"name": "changed"}))],
        "review": [lambda: open_session(Store(store.root), "mgr").set_kpi(RID, "revenue", "target", 5),
                   lambda: fresh.append_history(RID, [workflow.entry("mgr", now(), "export")]),
                   lambda: fresh.update_review(RID, lambda r: (None, workflow.set_kpi_field(
                       r, "revenue", "target", 7, "mgr", now())))],
        "team-index": [lambda: open_session(fresh, "mgr").set_kpi(RID, "revenue", "target", 5)],
        "config": [lambda: fresh.write_config(Config(hr_admins=["mallory"])),
                   lambda: open_session(Store(store.root), "harriet").save_people([person])],
    }[target]
    return reads + writes


@pytest.mark.parametrize("how", ["empty", "truncated", "nul", "newer"])
@pytest.mark.parametrize("target", list(TARGETS))
def test_a_damaged_or_newer_file_is_refused_by_name_and_left_as_it_is(
    store: Store, target: str, how: str
) -> None:
    path = TARGETS[target](store)
    break_file(path, how)
    damaged = path.read_bytes()
    before = snapshot(store.root)
    for attempt in attempts(store, target):
        with pytest.raises(DataFileError) as err:
            attempt()
        assert err.value.path == path
        assert str(path) in str(err.value)
        if how == "newer":  # what to do next: upgrade, not restore an older file
            assert "newer kpireview" in str(err.value) and "upgrade kpireview" in str(err.value)
            assert "restore" not in str(err.value)
        else:
            assert "restore it from a backup" in str(err.value)
        assert path.read_bytes() == damaged
    # nothing anywhere changed: a save that needs the damaged file writes nothing at all
    assert snapshot(store.root) == before


def test_a_person_that_does_not_validate_is_reported_with_the_file(store: Store) -> None:
    data = json.loads(store.people_path.read_bytes())
    next(iter(data["people"].values()))["id"] = "Not An Id"
    store.people_path.write_text(json.dumps(data))
    with pytest.raises(DataFileError, match="people.json: person 'Not An Id' is not valid"):
        Store(store.root).people()


def test_people_are_validated_when_looked_up_and_a_bad_one_is_still_reported(
        store: Store) -> None:
    """Opening a session checks only the fields people.json links by; a person whose
    document is otherwise invalid is named when looked up, listed or checked."""
    data = json.loads(store.people_path.read_bytes())
    me, bad = list(data["people"].values())[:2]
    bad["email"] = "not an address"
    store.people_path.write_text(json.dumps(data))
    fresh = Store(store.root)
    session = open_session(fresh, login=me["login"])  # someone else: the session opens
    assert session.person is not None and session.person.id == me["id"]
    for look in (lambda: fresh.person(bad["id"]), fresh.people):
        with pytest.raises(DataFileError, match=f"people.json: person '{bad['id']}' is not valid"):
            look()
    assert any(f"person '{bad['id']}'" in p or "email" in p for p in check_data_dir(fresh))


@pytest.mark.parametrize("field, value", [
    ("id", "Not An Id"), ("id", 7), ("login", None), ("name", ["x"]), ("manager", 3),
    ("active", "yes"),
])
def test_a_person_the_index_cannot_link_stops_the_session_with_the_file(
        store: Store, field: str, value: object) -> None:
    data = json.loads(store.people_path.read_bytes())
    me, other = list(data["people"].values())[:2]
    other[field] = value
    store.people_path.write_text(json.dumps(data))
    with pytest.raises(DataFileError, match="people.json: person .* is not valid"):
        open_session(Store(store.root), login=me["login"])


def test_config_cut_short_at_a_line_end_is_refused(store: Store) -> None:
    path = store.root / "config.toml"
    lines = path.read_text().splitlines(keepends=True)
    for n in range(len(lines) - 1):  # every cut but the full file
        path.write_text("".join(lines[:n]))
        with pytest.raises(DataFileError, match="config.toml"):
            Store(store.root).config()


def test_tinydb_file_that_is_not_a_database_is_refused(store: Store) -> None:
    store.cycles_path.write_text("[1, 2, 3]")
    with pytest.raises(DataFileError, match="not a TinyDB database"):
        store.cycles()


# --- reviews keep their own copy -------------------------------------------------


def test_changing_a_template_after_a_review_started_leaves_the_review_alone(store: Store) -> None:
    before = store.load_review(RID)
    tpl = store.templates_dir / "tiny-role.toml"
    text = tpl.read_text()
    changed = (text.replace('title = "Sales"', 'title = "Selling"')
               .replace("target = 1000", "target = 5000")
               .replace('\nversion = 1\n', '\nversion = 2\n')
               .replace("weight = 60", "weight = 70").replace("weight = 40", "weight = 30"))
    tpl.write_text(changed)
    assert store.template("tiny-role").version == 2  # the template did change
    assert store.template("tiny-role").kras[0].title == "Selling"
    after = Store(store.root).load_review(RID)
    assert after == before
    assert after.kras[0].title == "Sales" and after.kras[0].weight == 60
    assert after.kpi("revenue").target == 1000 and after.role_version == 1
    # and an edit to the review still works on its own copy
    open_session(store, "mgr").set_kpi(RID, "revenue", "target", "1500")
    assert store.load_review(RID).kras[0].title == "Sales"
    # deleting the template does not matter either
    tpl.unlink()
    assert store.load_review(RID).kpi("revenue").target == 1500


# --- signed-off reviews refuse edits in the store ---------------------------------


def signed_off(store: Store) -> None:
    """Walk RID to signed_off with the workflow, straight through the store."""
    def walk(r):
        es = []
        for k in KPIS:
            if k != "feedback":
                es += workflow.set_kpi_field(r, k, "actual", 10, "emp", now())
        es += workflow.advance(r, "mgr", now())
        es += workflow.advance(r, "emp", now())
        for k in KPIS:
            es += workflow.set_kpi_field(r, k, "manager_rating", 3, "mgr", now())
            es += workflow.set_kpi_field(r, k, "rating_reason", "agreed", "mgr", now())
        es += workflow.advance(r, "mgr", now())
        es += workflow.sign(r, "emp", SignRole.employee, r.revision, now())
        es += workflow.sign(r, "mgr", SignRole.manager, r.revision, now())
        return None, es

    store.update_review(RID, walk)
    assert store.load_review(RID).state is State.signed_off


def test_a_signed_off_review_refuses_edits_in_the_store_itself(store: Store) -> None:
    signed_off(store)
    before = snapshot(store.root)
    edits = [
        lambda r: (None, workflow.set_kpi_field(r, "revenue", "actual", 99, "mgr", now())),
        lambda r: (None, workflow.set_comment(r, "revenue", "mgr", "late change", now())),
        lambda r: (None, workflow.add_action(r, "mgr", now(), "do more", "emp")[1]),
        # a "reopen" that also changes a rating is not a reopen
        lambda r: (None, workflow.reopen(r, "harriet", "fix", now())
                   + workflow.set_kpi_field(r, "revenue", "manager_rating", 5, "harriet", now())),
    ]
    for edit in edits:
        with pytest.raises(ReadOnlyReview, match="signed off and read-only"):
            store.update_review(RID, edit)
    review = store.load_review(RID)
    with pytest.raises(ReadOnlyReview):
        store.create_review(review, [], replace=True)
    assert snapshot(store.root) == before
    # a plain reopen with a reason is the one change allowed
    store.update_review(RID, lambda r: (None, workflow.reopen(r, "harriet", "typo in KPI 1", now())))
    assert store.load_review(RID).state is State.joint_review
    last = store.history(RID)[-1]
    assert (last.action, last.who, last.note) == ("reopen", "harriet", "typo in KPI 1")


def test_create_review_never_overwrites_without_replace(store: Store) -> None:
    review = store.load_review(RID)
    before = snapshot(store.root)
    with pytest.raises(StoreError, match="exists already"):
        store.create_review(review, [])
    assert snapshot(store.root) == before


def test_unknown_review_is_not_found_and_creates_nothing(store: Store) -> None:
    before = sorted(p for p in store.root.rglob("*"))
    with pytest.raises(NotFound):
        store.update_review("2026-h2/nobody", lambda r: (None, []))
    with pytest.raises(NotFound):
        store.append_history("2099-h1/nobody", [workflow.entry("x", now(), "export")])
    with pytest.raises(NotFound):
        store.load_review("../../etc/passwd")
    assert sorted(p for p in store.root.rglob("*")) == before


# --- doctor and backup ------------------------------------------------------------


def run_cli(root: Path, *args: str):
    return CliRunner().invoke(main, ["--data", str(root), *args])


def test_doctor_reports_each_broken_file_and_changes_nothing(store: Store) -> None:
    result = run_cli(store.root, "doctor")
    assert result.exit_code == 0, result.output
    broken = {
        "people": ("empty", TARGETS["people"](store)),
        "cycles": ("nul", TARGETS["cycles"](store)),
        "review": ("truncated", TARGETS["review"](store)),
        "config": ("newer", TARGETS["config"](store)),
    }
    for how, path in broken.values():
        break_file(path, how)
    (store.root / "reviews" / "2026-h2" / ".emp.json.abc.tmp").write_text("{")
    before = snapshot(store.root)
    listing = sorted(p.name for p in store.root.rglob("*"))
    result = run_cli(store.root, "doctor")
    assert result.exit_code == 1
    for _how, path in broken.values():
        assert str(path) in result.output
    assert "is empty" in result.output and "NUL bytes" in result.output
    assert "truncated" in result.output and "newer kpireview" in result.output
    assert ".emp.json.abc.tmp" in result.output
    assert snapshot(store.root) == before
    assert sorted(p.name for p in store.root.rglob("*")) == listing  # not even a lock file


def test_doctor_finds_an_out_of_date_team_index_and_repairs_it(store: Store) -> None:
    index = store.team_index_path("2026-h2", "mgr")
    index.write_text(json.dumps({"summaries": {}}))
    result = run_cli(store.root, "doctor")
    assert result.exit_code == 1
    assert "2026-h2/emp: missing from its team index" in result.output
    assert "--repair-indexes" in result.output
    result = run_cli(store.root, "doctor", "--repair-indexes")
    assert result.exit_code == 0, result.output
    assert [s["review_id"] for s in store.summaries()] == [RID]


def test_backup_is_a_copy_that_doctor_accepts(store: Store, tmp_path: Path) -> None:
    open_session(store, "mgr").set_kpi(RID, "revenue", "target", "1300")
    presence = store.presence_dir(RID) / "mgr-host-1.json"
    presence.parent.mkdir(parents=True)
    presence.write_text('{"login": "mgr"}')
    assert run_cli(store.root, "doctor").exit_code == 0  # presence files are not data files
    target = tmp_path / "backup"
    result = run_cli(store.root, "backup", str(target))
    assert result.exit_code == 0, result.output
    result = run_cli(target, "doctor")
    assert result.exit_code == 0, result.output
    assert "no problems found" in result.output
    copy = Store(target)
    assert copy.load_review(RID) == store.load_review(RID)
    assert copy.history(RID) == store.history(RID)
    assert copy.people() == store.people()
    assert (target / "templates" / "tiny-role.toml").read_text() == TEMPLATE
    assert not (target / "presence").exists()
    assert not [p for p in target.rglob("*.tmp")]
    for f in target.rglob("*"):
        if f.is_file():
            assert stat.S_IMODE(f.stat().st_mode) & 0o007 == 0


def test_backup_refuses_a_target_that_is_not_empty_or_inside(store: Store, tmp_path: Path) -> None:
    full = tmp_path / "full"
    full.mkdir()
    (full / "x").write_text("keep me")
    with pytest.raises(StoreError, match="not empty"):
        backup_data_dir(store, full)
    assert (full / "x").read_text() == "keep me"
    with pytest.raises(StoreError, match="inside the data directory"):
        backup_data_dir(store, store.root / "backup")
    assert not (store.root / "backup").exists()


def test_doctor_on_a_healthy_demo_finds_nothing(tmp_path: Path) -> None:
    from tui.demo import build_demo

    store = build_demo(tmp_path / "demo", "tester")
    assert check_data_dir(store) == []


# --- the people cache ---------------------------------------------------------------


def test_people_index_sees_a_save_by_another_store_at_once(store: Store) -> None:
    other = Store(store.root)
    assert store.person("emp").manager == "mgr"
    assert store.people_index() is store.people_index()  # cached while unchanged
    other.save_people([Person(id="emp", name="Emil", login="emp", manager="dana", role="tiny-role")])
    assert store.person("emp").manager == "dana"
    # handed-out people are copies: changing one does not change the store's view
    p = store.person("emp")
    p.name = "Changed"
    assert store.person("emp").name == "Emil"


def _age(path: Path, seconds: float) -> None:
    st = path.stat()
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns - int(seconds * 1e9)))


def test_an_unchanged_people_file_is_not_read_again(
        store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each look-up stats people.json; it reads the file only when that changed."""
    _age(store.people_path, 60)
    fresh = Store(store.root)
    reads: list[int] = []
    real = Store._read_people

    def counted(self: Store):  # type: ignore[no-untyped-def]
        reads.append(1)
        return real(self)

    monkeypatch.setattr(Store, "_read_people", counted)
    first = fresh.people_index()
    assert fresh.people_index() is first and fresh.person("emp").name == "Emil"
    assert len(reads) == 2  # the index, and the documents for the first Person asked for
    _age(store.people_index_path, 0)  # (the index file is not what is watched)
    fresh.people_index()
    assert len(reads) == 2


def test_a_same_size_edit_in_place_with_the_same_time_stamps_is_seen(
        store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    """A file changed just before it was read may change again within one clock tick
    of its time stamps (same size, same times): that is caught by its digest."""
    import tui.store as store_module

    fresh = Store(store.root)
    assert fresh.person("emp").name == "Emil"
    before = os.stat(store.people_path)
    text = store.people_path.read_text()
    assert text.count('"Emil"') == 1
    store.people_path.write_text(text.replace('"Emil"', '"Emma"'))  # in place, same size
    real_stat = os.stat

    def same_stamps(path, *args, **kwargs):  # type: ignore[no-untyped-def]
        return before if Path(path) == store.people_path else real_stat(path, *args, **kwargs)

    monkeypatch.setattr(store_module.os, "stat", same_stamps)
    assert fresh.people_index().member("emp").name == "Emma"
    assert fresh.person("emp").name == "Emma"


def test_people_looked_up_later_come_from_the_file_as_it_is_then(store: Store) -> None:
    """The documents are not kept in memory with the index: the first Person asked for
    is read from people.json as it is at that moment."""
    fresh = Store(store.root)
    index = fresh.people_index()  # from people-index.json: no documents read yet
    Store(store.root).save_people(
        [Person(id="emp", name="Emil", login="emp", manager="mgr", role="tiny-role",
                email="emil@example.com")])
    assert index.by_id["emp"].email == "emil@example.com"
    assert fresh.person("emp").email == "emil@example.com"


def test_ids_with_a_trailing_newline_are_not_ids(store: Store) -> None:
    """`$` in a regex also matches before a final newline: ids must match whole."""
    from pydantic import ValidationError

    with pytest.raises(ValidationError):
        Person(id="emp\n", name="E", login="e", role="tiny-role")
    with pytest.raises(NotFound):
        store.load_review("2026-h2/emp\n")
    with pytest.raises(StoreError):
        store.team_index_path("2026-h2", "../mgr")


@pytest.mark.parametrize("line, value", [
    ("allow_as", "yes"), ("allow_as", 1), ("hr_admins", "root"), ("hr_admins", [1]),
    ("organisation", 5),
])
def test_the_session_and_doctor_refuse_the_same_config(store: Store, line: str,
                                                        value: object) -> None:
    """The session reads these keys without pydantic; doctor validates with it."""
    import tomllib

    import tomli_w

    path = store.root / "config.toml"
    data = tomllib.loads(path.read_text())
    data[line] = value
    path.write_text(tomli_w.dumps(data))
    before = path.read_bytes()
    with pytest.raises(DataFileError, match=f"config.toml: is not a valid config: {line}"):
        Store(store.root).basics()
    problems = check_data_dir(Store(store.root))
    assert any("config.toml" in p and line in p for p in problems), problems
    assert path.read_bytes() == before


def test_a_session_reads_the_people_index_not_people_json(
        store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    """people-index.json (written with every people save) spares a start parsing all of
    people.json; the documents are read when a Person is first asked for."""
    import tui.store as store_module

    assert store.people_index_path.is_file()
    parsed: list[str] = []
    real = store_module.parse_db_bytes

    def spy(path: Path, raw: bytes) -> dict:  # type: ignore[type-arg]
        parsed.append(path.name)
        return real(path, raw)

    monkeypatch.setattr(store_module, "parse_db_bytes", spy)
    data = json.loads(store.people_path.read_bytes())
    me, other = list(data["people"].values())[:2]
    fresh = Store(store.root)
    session = open_session(fresh, login=me["login"])
    assert session.person is not None and session.person.name == me["name"]
    assert "people.json" not in parsed
    assert fresh.person(other["id"]).email == other["email"]
    assert parsed.count("people.json") == 1


@pytest.mark.parametrize("damage", ["stale", "garbage", "old-rows", "short-column",
                                    "column-text", "name-number", "active-text", "bad-id"])
def test_a_stale_or_damaged_people_index_is_passed_over_and_reported(
        store: Store, damage: str) -> None:
    data = json.loads(store.people_path.read_bytes())
    me, other = list(data["people"].values())[:2]
    index_path = store.people_index_path
    if damage == "stale":  # people.json edited by hand: the index no longer matches
        other["name"] = "Renamed By Hand"
        store.people_path.write_text(json.dumps(data))
    elif damage == "garbage":
        index_path.write_bytes(b"{not json")
    else:  # the right digest, columns that cannot be linked
        index = json.loads(index_path.read_bytes())
        doc = index["index"]["1"]
        columns = doc["columns"]
        if damage == "old-rows":  # the layout of an earlier version: rows, not columns
            doc["rows"] = [list(r) for r in zip(*(columns[c] for c in columns))]
            del doc["columns"]
        elif damage == "short-column":
            columns["login"].pop()
        elif damage == "column-text":
            columns["manager"] = "abcde"
        elif damage == "name-number":
            columns["name"][1] = 7
        elif damage == "active-text":
            columns["active"][1] = "yes"
        else:
            columns["id"][1] = "not an id!"
        index_path.write_text(json.dumps(index))
    fresh = Store(store.root)
    assert fresh.people_index().member(other["id"]).name == other["name"]
    assert open_session(fresh, login=me["login"]).person is not None
    problems = check_data_dir(Store(store.root))
    assert any("people-index.json" in p and "--repair-indexes" in p for p in problems), problems
    result = CliRunner().invoke(main, ["--data", str(store.root), "doctor", "--repair-indexes"])
    assert "people-index.json" not in result.output, result.output


def test_doctor_names_each_person_whose_document_is_invalid_in_plain_words(
        store: Store) -> None:
    data = json.loads(store.people_path.read_bytes())
    first, second = list(data["people"].values())[:2]
    first["email"] = "not-an-email"
    second["active"] = "yes"
    store.people_path.write_text(json.dumps(data))
    problems = check_data_dir(Store(store.root))
    assert any(f"person '{first['id']}'" in p and "'not-an-email' is not an email address" in p
               for p in problems), problems
    assert any(f"person '{second['id']}'" in p and "active: 'yes' is not true or false" in p
               for p in problems), problems
    assert not any("String should match pattern" in p for p in problems)
