"""Issue 8: a whole cycle exported with each review file read once and the
history entries saved in batches (`Session.record_each`, `Store.history_batch`).

What must still hold: one export entry per exported review, an edit saved
meanwhile is kept, a damaged review file is named and left as it was, a
review is only ever replaced by content already flushed to disk, an
interrupted export leaves every review file whole.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

import tui.store
from tui import export, workflow
from tui.access import open_session
from tui.cli import main
from tui.store import (
    DataFileError,
    HistoryBatch,
    Store,
    dump_json,
    history_appended,
    now,
    with_history,
)
from ui_helpers import hr

CYCLE = "2026-h2"
PEOPLE = ("alex", "chen", "lee", "maya", "root", "sam")  # the order the cycle is exported in


def review_file(root: Path, person: str) -> Path:
    return root / "reviews" / CYCLE / f"{person}.json"


def review_bytes(root: Path) -> dict[str, bytes]:
    return {p: review_file(root, p).read_bytes() for p in PEOPLE}


def exports(root: Path, person: str) -> list[Any]:
    return [e for e in Store(root).history(f"{CYCLE}/{person}") if e.action == "export"]


def temp_files(root: Path) -> list[Path]:
    return sorted(root.rglob("*.tmp"))


def test_a_cycle_export_records_exactly_one_entry_per_review_and_changes_nothing_else(
        demo_root: Path, tmp_path: Path) -> None:
    store = Store(demo_root)
    before = {p: store.history(f"{CYCLE}/{p}") for p in PEOPLE}
    reviews = {p: store.load_review(f"{CYCLE}/{p}") for p in PEOPLE}
    out = tmp_path / "out"
    written = export.export_cycle(hr(demo_root), CYCLE, out)
    assert [p.name for p in written] == [f"{CYCLE}--{p}.toml" for p in PEOPLE]
    for person in PEOPLE:
        after = store.history(f"{CYCLE}/{person}")
        assert after[:-1] == before[person]
        assert after[-1].action == "export"
        assert after[-1].note == str(out / f"{CYCLE}--{person}.toml")
        assert [e.seq for e in after] == list(range(1, len(after) + 1))
        assert store.load_review(f"{CYCLE}/{person}") == reviews[person]
    assert temp_files(demo_root) == []
    # the review files are as the store itself would write them: doctor finds nothing
    result = CliRunner().invoke(main, ["--data", str(demo_root), "doctor"])
    assert result.exit_code == 0, result.output


def test_history_batches_of_any_size_record_every_review_once(
        demo_root: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(Store, "history_batch", lambda self, size=200: HistoryBatch(self, 4))
    export.export_cycle(hr(demo_root), CYCLE, tmp_path / "out")  # a batch of 4, then one of 2
    assert all(len(exports(demo_root, p)) == 1 for p in PEOPLE)
    assert temp_files(demo_root) == []


def test_an_edit_saved_between_the_read_and_the_history_append_is_kept(
        demo_root: Path, tmp_path: Path) -> None:
    manager = open_session(Store(demo_root), login="root")
    rid = f"{CYCLE}/alex"
    assert Store(demo_root).load_review(rid).kpi("ad-csat").manager_rating != 2

    def progress(items: list[Any], label: str):
        for n, item in enumerate(items):
            if n == 3:  # Alex's review has been read and exported, its entry not yet saved
                manager.set_kpi(rid, "ad-csat", "manager_rating", 2)
            yield item

    export.export_cycle(hr(demo_root), CYCLE, tmp_path / "out", progress=progress)
    store = Store(demo_root)
    assert store.load_review(rid).kpi("ad-csat").manager_rating == 2
    history = store.history(rid)
    assert [e.action for e in history].count("export") == 1
    assert any(e.field.endswith("ad-csat.manager_rating") and e.new == "2" for e in history)
    assert [e.seq for e in history] == list(range(1, len(history) + 1))
    assert all(len(exports(demo_root, p)) == 1 for p in PEOPLE)
    assert temp_files(demo_root) == []


def test_a_damaged_review_file_in_the_middle_is_named_the_rest_exported(
        demo_root: Path, tmp_path: Path) -> None:
    damaged = review_file(demo_root, "lee")
    damaged.write_bytes(damaged.read_bytes()[:500])  # cut short
    before = review_bytes(demo_root)
    out = tmp_path / "out"
    with pytest.raises(export.UnreadableReviews, match=str(damaged)) as caught:
        export.export_cycle(hr(demo_root), CYCLE, out)
    assert damaged.read_bytes() == before["lee"]
    # every other review has its file and its entry; the damaged one has neither
    others = [p for p in PEOPLE if p != "lee"]
    assert sorted(p.name for p in out.iterdir()) == [f"{CYCLE}--{p}.toml" for p in others]
    assert sorted(p.name for p in caught.value.exported) == [f"{CYCLE}--{p}.toml" for p in others]
    assert all(len(exports(demo_root, p)) == 1 for p in others)
    assert temp_files(demo_root) == []

    result = CliRunner().invoke(main, ["--data", str(demo_root), "--as", "root", "export",
                                       "--cycle", CYCLE, "-o", str(tmp_path / "cli")])
    assert result.exit_code == 1
    assert str(damaged) in result.stderr and "doctor" in result.stderr
    assert "Exported 5 review(s) of 2026-h2" in result.stderr
    assert "1 review file(s) could not be read" in result.stderr
    assert len(list((tmp_path / "cli").iterdir())) == 5
    assert damaged.read_bytes() == before["lee"]


def test_an_employee_cycle_export_leaves_the_reviews_they_cannot_see_untouched(
        demo_root: Path, tmp_path: Path) -> None:
    before = review_bytes(demo_root)
    written = export.export_cycle(open_session(Store(demo_root), login="alex"), CYCLE, tmp_path / "out")
    assert [p.name for p in written] == [f"{CYCLE}--alex.toml"]
    after = review_bytes(demo_root)
    assert {p for p in PEOPLE if after[p] != before[p]} == {"alex"}
    assert len(exports(demo_root, "alex")) == 1


def test_a_review_file_is_only_replaced_by_content_already_on_disk(
        demo_root: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A power cut must not leave a review file renamed into place before its data was written."""
    if not Path("/proc/self/fd").is_dir() or not hasattr(os, "sync"):
        pytest.skip("needs /proc to name the files that are fsynced")
    monkeypatch.setattr(tui.store, "FSYNC", True)
    events: list[tuple[str, str]] = []
    real_mkstemp, real_replace, real_fsync = tempfile.mkstemp, os.replace, os.fsync

    def mkstemp(*args: Any, **kw: Any) -> tuple[int, str]:
        fd, name = real_mkstemp(*args, **kw)
        events.append(("created", name))
        return fd, name

    def fsync(fd: int) -> None:
        events.append(("fsync", os.readlink(f"/proc/self/fd/{fd}")))
        real_fsync(fd)

    def replace(src: Any, dst: Any) -> None:
        events.append(("replace", f"{src} -> {dst}"))
        real_replace(src, dst)

    monkeypatch.setattr(tempfile, "mkstemp", mkstemp)
    monkeypatch.setattr(os, "fsync", fsync)
    monkeypatch.setattr(os, "replace", replace)
    monkeypatch.setattr(os, "sync", lambda: events.append(("sync", "")))

    export.export_cycle(hr(demo_root), CYCLE, tmp_path / "out")
    reviews = {str(review_file(demo_root, p)) for p in PEOPLE}
    replaced = 0
    for at, (kind, what) in enumerate(events):
        if kind != "replace" or what.split(" -> ")[1] not in reviews:
            continue
        replaced += 1
        tmp = what.split(" -> ")[0]
        created = events.index(("created", tmp))
        assert any(e in (("sync", ""), ("fsync", tmp)) for e in events[created:at]), what
    assert replaced == len(PEOPLE)


def test_an_export_interrupted_while_saving_its_history_leaves_every_review_whole(
        demo_root: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real = tui.store._replace
    calls = []

    def replace(tmp: str, path: Path) -> None:
        calls.append(path)
        if len(calls) == 3:
            raise KeyboardInterrupt
        real(tmp, path)

    monkeypatch.setattr(tui.store, "_replace", replace)
    with pytest.raises(KeyboardInterrupt):
        export.export_cycle(hr(demo_root), CYCLE, tmp_path / "out")
    store = Store(demo_root)
    for person in PEOPLE:
        store.load_review(f"{CYCLE}/{person}")
    assert [len(exports(demo_root, p)) for p in PEOPLE] == [1, 1, 0, 0, 0, 0]
    assert temp_files(demo_root) == []


# --- adding entries to a review file's bytes -------------------------------------------


def entries() -> list[Any]:
    return [workflow.entry("harriet", now(), "export", note='to "a" \\ file é'),
            workflow.entry("harriet", now(), "export", note="and another")]


def test_history_appended_gives_the_bytes_the_store_writes(demo_root: Path) -> None:
    new = entries()
    for person in PEOPLE:
        raw = review_file(demo_root, person).read_bytes()
        data = json.loads(raw)
        assert history_appended(raw, data, new) == dump_json(with_history(data, new))


def _variants(data: dict[str, Any]) -> dict[str, bytes]:
    review, history = data["review"], data["history"]
    trap = json.loads(json.dumps(review))
    trap["1"]["kras"][-1]["kpis"][-1]["comments"].append(
        {"author": "alex", "at": "2026-11-01T00:00:00Z",
         "text": 'ends like a file: "history": {"1": {}}}'})
    return {
        "indented": json.dumps(data, indent=2, ensure_ascii=False).encode() + b"\n",
        "history first": dump_json({"history": history, "review": trap}),
        "no history": dump_json({"review": review, "history": {}}),
        "two review tables": dump_json(data)[:-1] + b', "review": ' + dump_json(trap) + b"}",
        "a key ending in history": (dump_json(data)[:-1] + b', "x\\"history": '
                                    + dump_json(history) + b"}"),
        "spaces": b" " + dump_json(data).replace(b'"history": {', b'"history" :{ ') + b" \n ",
    }


@pytest.mark.parametrize("variant", ["indented", "history first", "no history",
                                     "two review tables", "a key ending in history", "spaces"])
def test_history_appended_to_a_file_written_otherwise_reads_back_right(
        demo_root: Path, variant: str) -> None:
    raw = _variants(json.loads(review_file(demo_root, "maya").read_bytes()))[variant]
    data = json.loads(raw)
    new = entries()
    assert json.loads(history_appended(raw, data, new)) == with_history(data, new)
