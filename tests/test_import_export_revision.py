"""The history entry that records an export names the revision that was exported.

(Needs the change to `Session.record` and `Session.record_each` in tui/access.py
described with this fix: they pass `revision=review.revision` to `workflow.entry`.)
"""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from tui import export
from tui.access import open_session
from tui.cli import main
from tui.store import Store

CYCLE = "2026-h2"


def test_one_export_records_the_revision(store: Store, tmp_path: Path) -> None:
    rid = f"{CYCLE}/maya"
    revision = store.load_review(rid).revision
    assert revision > 0
    export.export_review(open_session(store, login="harriet"), rid, tmp_path / "m.toml")
    last = store.history(rid)[-1]
    assert (last.action, last.revision) == ("export", revision)


def test_an_export_to_standard_output_records_the_revision(store: Store) -> None:
    rid = f"{CYCLE}/alex"
    revision = store.load_review(rid).revision
    result = CliRunner().invoke(main, ["--data", str(store.root), "--as", "root", "export",
                                       "--cycle", CYCLE, "--person", "alex"])
    assert result.exit_code == 0, result.output
    last = store.history(rid)[-1]
    assert (last.action, last.note, last.revision) == ("export", "standard output", revision)


def test_a_cycle_export_records_each_review_s_revision(store: Store, tmp_path: Path) -> None:
    revisions = {rid: store.load_review(rid).revision for rid in store.review_ids(CYCLE)}
    export.export_cycle(open_session(store, login="harriet"), CYCLE, tmp_path / "out")
    for rid, revision in revisions.items():
        last = store.history(rid)[-1]
        assert (last.action, last.revision) == ("export", revision), rid


def test_a_save_between_the_export_and_its_entry_leaves_the_exported_revision(
        store: Store, tmp_path: Path, monkeypatch) -> None:
    """Someone saves while the file is written: the entry names what the file holds."""
    rid = f"{CYCLE}/maya"
    revision = store.load_review(rid).revision
    write = export.atomic_write_text

    def write_then_someone_saves(path, text, **kw):  # type: ignore[no-untyped-def]
        write(path, text, **kw)
        open_session(store, login="root").set_comment(rid, first_kpi(store, rid), "meanwhile")

    monkeypatch.setattr(export, "atomic_write_text", write_then_someone_saves)
    export.export_review(open_session(store, login="harriet"), rid, tmp_path / "m.toml")
    assert store.load_review(rid).revision == revision + 1
    last = store.history(rid)[-1]
    assert (last.action, last.revision) == ("export", revision)
    assert f"revision = {revision}\n" in (tmp_path / "m.toml").read_text()


def first_kpi(store: Store, rid: str) -> str:
    return store.load_review(rid).kras[0].kpis[0].id
