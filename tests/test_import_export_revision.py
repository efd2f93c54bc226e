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
