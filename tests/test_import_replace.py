"""`kpireview import --replace` never loses what the data directory holds.

A file that lacks values its exporter could not see (a blind phase) is
refused; a replacing import moves the revision on and records each value it
changes in the history, like any edit; what it replaces (newer edits, a
sign-off) is named in the history, never dropped silently.
"""

from __future__ import annotations

import re
from pathlib import Path

from click.testing import CliRunner

from tui import export
from tui.access import open_session
from tui.cli import main
from tui.store import Store

CYCLE = "2026-h2"


def files_of(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def invoke(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def hr_export(store: Store, person: str, path: Path) -> Path:
    return export.export_review(open_session(store, login="harriet"), f"{CYCLE}/{person}", path)


def test_a_blind_phase_export_never_replaces_the_hidden_values(store: Store, tmp_path: Path) -> None:
    rid = f"{CYCLE}/lee"
    open_session(store, login="lee").advance(rid)  # lee submits: manager assessment
    kpi = store.load_review(rid).all_kpis()[0].id
    open_session(store, login="root").set_kpi(rid, kpi, "manager_rating", 4)
    out = tmp_path / "lee.toml"
    made = invoke("--data", str(store.root), "--as", "lee", "export", "--cycle", CYCLE,
                  "--person", "lee", "-o", str(out))
    assert made.exit_code == 0, made.output
    assert "manager_rating" not in out.read_text(encoding="utf-8")
    before = files_of(store.root)

    result = invoke("--data", str(store.root), "--as", "harriet", "import", "--replace", str(out))

    assert result.exit_code == 1
    assert f"{out}: exported by lee who could not see everything" in result.stderr
    assert "manager ratings are hidden" in result.stderr
    assert "Export the review again as an HR admin" in result.stderr
    assert "nothing was imported" in result.stderr
    assert files_of(store.root) == before
    assert store.load_review(rid).kpi(kpi).manager_rating == 4


def test_a_replacing_import_moves_the_revision_on_and_records_each_change(
        store: Store, tmp_path: Path) -> None:
    rid = f"{CYCLE}/alex"
    path = hr_export(store, "alex", tmp_path / "alex.toml")
    stored = store.load_review(rid)
    kpi = next(k for k in stored.all_kpis() if k.self_rating is not None)
    text = path.read_text(encoding="utf-8")
    edited = re.sub(rf'(id = "{kpi.id}"\n(?:.*\n)*?self_rating = )\d',
                    lambda m: m.group(1) + str(5 if kpi.self_rating != 5 else 4), text, count=1)
    assert edited != text
    path.write_text(edited, encoding="utf-8")
    history = store.history(rid)

    export.import_reviews(store, [path], "harriet", session=open_session(store, login="harriet"),
                          replace=True)

    after = store.load_review(rid)
    assert after.revision == stored.revision + 1
    new = store.history(rid)
    assert new[:len(history)] == history
    added = new[len(history):]
    change = [e for e in added if e.action == "set"]
    assert [(e.field, e.old, e.new) for e in change] == [
        (f"{kpi.id}.self_rating", str(kpi.self_rating), str(after.kpi(kpi.id).self_rating))]
    assert change[0].revision == after.revision and str(path) in change[0].note
    assert added[-1].action == "import" and added[-1].revision == after.revision


def test_an_older_file_replaces_newer_edits_only_in_the_open(store: Store, tmp_path: Path) -> None:
    rid = f"{CYCLE}/alex"
    path = hr_export(store, "alex", tmp_path / "alex.toml")
    file_revision = store.load_review(rid).revision
    open_session(store, login="root").set_kpi(rid, "ad-csat", "manager_rating", 2)
    edited = store.load_review(rid).revision

    result = export.import_reviews(store, [path], "harriet",
                                   session=open_session(store, login="harriet"), replace=True)

    assert any(f"revision {edited} here, {file_revision} in the file" in w
               for w in result.warnings)
    assert store.load_review(rid).revision == edited + 1
    assert store.load_review(rid).kpi("ad-csat").manager_rating is None
    last = [e for e in store.history(rid) if e.field == "ad-csat.manager_rating"][-1]
    assert (last.action, last.old, last.new) == ("set", "2", None)


def test_a_sign_off_made_after_the_export_is_named_when_it_is_replaced(
        store: Store, tmp_path: Path) -> None:
    rid = f"{CYCLE}/maya"
    path = hr_export(store, "maya", tmp_path / "maya.toml")
    maya = open_session(store, login="maya")
    maya.sign(rid, store.load_review(rid).revision)
    assert store.load_review(rid).signoffs

    export.import_reviews(store, [path], "harriet", session=open_session(store, login="harriet"),
                          replace=True)

    assert store.load_review(rid).signoffs == []
    dropped = [e for e in store.history(rid) if e.field == "signoff.employee"]
    assert len(dropped) == 1 and '"person_id": "maya"' in (dropped[0].old or "")
    assert dropped[0].new is None


def test_an_unchanged_file_changes_nothing_but_records_the_import(store: Store, tmp_path: Path) -> None:
    rid = f"{CYCLE}/maya"
    path = hr_export(store, "maya", tmp_path / "maya.toml")
    before, history = store.load_review(rid), store.history(rid)
    export.import_reviews(store, [path], "harriet", session=open_session(store, login="harriet"),
                          replace=True)
    assert store.load_review(rid) == before
    after = store.history(rid)
    assert after[:-1] == history and after[-1].action == "import"
