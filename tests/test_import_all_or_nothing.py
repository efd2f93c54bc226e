"""An import of many files is all or nothing, even when a write fails part-way.

Everything is validated before the first write; if a write then fails (disk
full, a lock, a file changed meanwhile, Ctrl-C), every file written before it
is put back byte for byte and what the import created is removed.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from tui import export
from tui.access import open_session
from tui.cli import main
from tui.store import Store, StoreError, summary_of

CYCLE = "2026-h2"


def tree(root: Path) -> dict[str, bytes | None]:
    """Every file (bytes) and folder (None) under root, hidden lock files included."""
    if not root.exists():
        return {}
    return {str(p.relative_to(root)): (p.read_bytes() if p.is_file() else None)
            for p in sorted(root.rglob("*"))}


def fail_on_call(monkeypatch: pytest.MonkeyPatch, n: int, error: BaseException,
                 before: Any = None) -> None:
    """Store.create_review raises `error` on its n-th call (after calling `before`)."""
    real = Store.create_review
    calls = [0]

    def create_review(self: Store, *args: Any, **kw: Any) -> None:
        calls[0] += 1
        if calls[0] == n:
            if before is not None:
                before(self)
            raise error
        real(self, *args, **kw)

    monkeypatch.setattr(Store, "create_review", create_review)


def three_files(store: Store, tmp_path: Path) -> list[Path]:
    """alex (replacing, with a change), maya in a new cycle, a new person in that cycle."""
    hr = open_session(store, login="harriet")
    doc_alex = export.parse_review(export.export_text(hr, f"{CYCLE}/alex"), "x").data
    doc_alex["kras"][0]["kpis"][0]["actual"] = 3
    maya = export.parse_review(export.export_text(hr, f"{CYCLE}/maya"), "x").data
    maya["cycle"] = {**maya["cycle"], "id": "2027-h1", "name": "First half 2027",
                     "start": maya["cycle"]["start"].replace(year=2027, month=1),
                     "end": maya["cycle"]["end"].replace(year=2027, month=6, day=30)}
    maya["review"]["id"] = "2027-h1/maya"
    zoe = {**maya, "person": {"id": "zoe", "name": "Zoe New", "login": "zoe"},
           "review": {**maya["review"], "id": "2027-h1/zoe"}}
    paths = []
    for name, doc in (("alex", doc_alex), ("maya", maya), ("zoe", zoe)):
        path = tmp_path / f"{name}.toml"
        path.write_text(export.render(doc), encoding="utf-8")
        paths.append(path)
    return paths


@pytest.mark.parametrize("error", [
    OSError(28, "No space left on device"),
    StoreError("review file changed meanwhile"),
    KeyboardInterrupt(),
])
def test_a_failed_write_into_a_data_directory_puts_every_file_back(
        store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, error: BaseException) -> None:
    files = three_files(store, tmp_path)
    # every file is good, and the import would touch people, cycles, a review and new ones
    plan = export.import_reviews(store, files, "harriet",
                                 session=open_session(store, login="harriet"), replace=True,
                                 write=False)
    assert [p.id for p in plan.people] == ["zoe"] and [c.id for c in plan.cycles] == ["2027-h1"]
    before = tree(store.root)
    fail_on_call(monkeypatch, 2, error)

    with pytest.raises(export.ImportFailed) as info:
        export.import_reviews(store, files, "harriet",
                              session=open_session(store, login="harriet"), replace=True)

    message = str(info.value)
    assert f"writing review 2027-h1/maya from {files[1]}" in message
    assert "Nothing of the import was kept" in message
    assert tree(store.root) == before


def test_a_failed_import_into_a_new_directory_leaves_nothing(
        store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    hr = open_session(store, login="harriet")
    files = export.export_cycle(hr, CYCLE, tmp_path / "out")[:3]
    fail_on_call(monkeypatch, 2, OSError(28, "No space left on device"))
    new = tmp_path / "new"
    with pytest.raises(export.ImportFailed, match="Nothing of the import was kept"):
        export.import_reviews(Store(new), files, "harriet")
    assert not new.exists()
    empty = tmp_path / "empty"
    empty.mkdir()
    fail_on_call(monkeypatch, 3, KeyboardInterrupt())
    with pytest.raises(export.ImportFailed, match="interrupted"):
        export.import_reviews(Store(empty), files, "harriet")
    assert tree(empty) == {}


def test_a_file_changed_by_someone_else_meanwhile_is_left_and_named(
        store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    files = three_files(store, tmp_path)
    index = store.team_index_path(CYCLE, "root")

    def someone_edits_alex(s: Store) -> None:
        open_session(s, login="root").set_kpi(f"{CYCLE}/alex", "ad-csat", "manager_rating", 2)

    fail_on_call(monkeypatch, 2, OSError(28, "No space left on device"), someone_edits_alex)
    with pytest.raises(export.ImportFailed) as info:
        export.import_reviews(store, files, "harriet",
                              session=open_session(store, login="harriet"), replace=True)
    message = str(info.value)
    assert f"{store.review_path(f'{CYCLE}/alex')} (changed by someone else after the import wrote it" in message
    assert "kpireview" in message and "doctor" in message
    # their edit is kept; everything else is put back; the lists agree with the reviews
    assert store.load_review(f"{CYCLE}/alex").kpi("ad-csat").manager_rating == 2
    assert [c.id for c in store.cycles()] == [CYCLE]
    assert store.find_person("zoe") is None
    assert not (store.root / "reviews" / "2027-h1").exists()
    assert index.exists()
    listed = sorted(store.summaries(), key=lambda s: s["review_id"])
    assert listed == [summary_of(store.load_review(r)) for r in sorted(store.review_ids())]


def test_the_cli_says_nothing_was_kept(store: Store, tmp_path: Path,
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    files = three_files(store, tmp_path)
    before = tree(store.root)
    fail_on_call(monkeypatch, 2, OSError(28, "No space left on device"))
    result = CliRunner().invoke(main, ["--data", str(store.root), "--as", "harriet", "import",
                                       "--replace", *map(str, files)])
    assert result.exit_code == 1
    assert "No space left on device" in result.stderr
    assert "Nothing of the import was kept" in result.stderr
    assert tree(store.root) == before


def test_many_files_show_progress_on_stderr(store: Store, tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    files = [str(p) for p in export.export_cycle(open_session(store, login="harriet"), CYCLE,
                                                 tmp_path / "out")]
    few = CliRunner().invoke(main, ["--data", str(tmp_path / "a"), "import", *files])
    assert few.exit_code == 0, few.output
    assert "Importing" not in few.stderr
    monkeypatch.setattr(export, "PROGRESS_FROM", 3)
    many = CliRunner().invoke(main, ["--data", str(tmp_path / "b"), "import", *files])
    assert many.exit_code == 0, many.output
    assert "Checking 6 file(s)" in many.stderr and "Importing 6 review(s)" in many.stderr
    assert "Importing" not in many.stdout and "Imported 6 review(s)." in many.stdout
