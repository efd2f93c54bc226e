"""Review files that disagree with their file name, team index entries of the wrong
shape, and odd JSON in any data file: refused by name, never rewritten, never
indexed, and doctor reports them without crashing."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from tui.access import open_session
from tui.cli import main
from tui.doctor import RepairIncomplete, check_data_dir, data_files, repair_indexes
from tui.store import DataFileError, Store

ALEX = "2026-h2/alex"


def run_cli(root: Path, *args: str):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(main, ["--data", str(root), *args])


def files(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file() and not p.name.endswith(".lock")}


def edit_json(path: Path, change: Any) -> None:
    data = json.loads(path.read_bytes())
    change(data)
    path.write_text(json.dumps(data))


def indexed(store: Store) -> dict[str, str]:
    """review id -> the team index file that lists it."""
    return {s["review_id"]: f.stem for f in (store.root / "reviews" / "2026-h2" / "teams").glob("*.json")
            for s in json.loads(f.read_bytes())["summaries"].values()}


# --- 3. a review whose ids disagree with its file name --------------------------------

MISMATCHES = {
    "person_id": {"person_id": "maya"},
    "cycle_id": {"cycle_id": "2027-h1"},
    "id": {"id": "2026-h2/maya"},
    "all three": {"id": "2027-h1/maya", "cycle_id": "2027-h1", "person_id": "maya"},
}


@pytest.mark.parametrize("case", list(MISMATCHES))
def test_a_review_whose_ids_disagree_with_its_file_name_is_refused_and_not_indexed(
        store: Store, case: str) -> None:
    path = store.review_path(ALEX)
    edit_json(path, lambda d: d["review"]["1"].update(MISMATCHES[case]))
    damaged = path.read_bytes()
    fresh = Store(store.root)
    attempts = [lambda: fresh.load_review(ALEX), lambda: fresh.snapshot(ALEX),
                lambda: open_session(fresh, "root").view(ALEX),
                lambda: open_session(fresh, "root").set_kpi(ALEX, "k1", "target", "5")]
    for attempt in attempts:
        with pytest.raises(DataFileError) as err:
            attempt()
        assert err.value.path == path
        for field in MISMATCHES[case]:
            assert f"{field} {MISMATCHES[case][field]!r}" in str(err.value)
        assert "file name" in str(err.value)
    assert path.read_bytes() == damaged
    problems = check_data_dir(Store(store.root))
    assert any(str(path) in p and "does not match its file name" in p for p in problems), problems
    assert not any("out of date" in p for p in problems), problems
    with pytest.raises(RepairIncomplete) as err:
        repair_indexes(Store(store.root))
    assert str(path) in str(err.value) and "left out of the team indexes" in str(err.value)
    assert path.read_bytes() == damaged
    assert "2026-h2/maya" in indexed(store) and indexed(store)["2026-h2/maya"] == "root"
    assert ALEX not in indexed(store)  # not listed under the name it claims or its own
    result = run_cli(store.root, "doctor", "--repair-indexes")
    assert result.exit_code == 1 and "left out of the team indexes" in result.output


def test_out_of_date_names_each_field_that_differs_with_both_values(store: Store) -> None:
    index = store.team_index_path("2026-h2", "root")

    def change(data: dict[str, Any]) -> None:
        entry = next(e for e in data["summaries"].values() if e["review_id"] == ALEX)
        entry.update(state="planning", done=1)

    edit_json(index, change)
    problems = check_data_dir(Store(store.root))
    line = next(p for p in problems if "out of date" in p)
    assert "state 'planning' in the index, 'manager_assessment' in the review" in line
    assert "done 1 in the index" in line
    assert "role_title" not in line


# --- 4. team index entries of the wrong shape ----------------------------------------

BAD_ENTRIES = {
    "number id": {"schema_version": 1, "review_id": 5},
    "unknown state": "nonsense",
    "done as text": "text-done",
    "wrong reviewer": "reviewer",
    "list": [1, 2],
}


def bad_entry(good: dict[str, Any], how: str) -> Any:
    if how == "unknown state":
        return {**good, "state": "nonsense"}
    if how == "done as text":
        return {**good, "done": "6"}
    if how == "wrong reviewer":
        return {**good, "reviewer_id": "dana"}
    return BAD_ENTRIES[how]


@pytest.mark.parametrize("how", list(BAD_ENTRIES))
def test_a_team_index_entry_of_the_wrong_shape_makes_the_index_count_as_damaged(
        store: Store, how: str) -> None:
    index = store.team_index_path("2026-h2", "root")

    def change(data: dict[str, Any]) -> None:
        key = next(k for k, e in data["summaries"].items() if e["review_id"] == ALEX)
        data["summaries"][key] = bad_entry(data["summaries"][key], how)

    edit_json(index, change)
    before = files(store.root)
    session = open_session(Store(store.root), "root")
    session.summaries()
    assert len(session.summary_problems) == 1
    assert str(index) in session.summary_problems[0]
    assert "--repair-indexes" in session.summary_problems[0]
    listed = run_cli(store.root, "--as", "root", "review", "list")
    assert listed.exit_code == 1 and "warning" in listed.output and str(index) in listed.output
    with pytest.raises(DataFileError):  # a save that would rewrite the index stops first
        session.set_kpi(ALEX, session.view(ALEX).review.all_kpis()[0].id, "manager_rating", 3)
    problems = check_data_dir(Store(store.root))
    assert any(str(index) in p and "--repair-indexes" in p for p in problems), problems
    assert files(store.root) == before
    assert repair_indexes(Store(store.root)) == 6
    assert check_data_dir(Store(store.root)) == []


# Odd shapes for any JSON data file: not TinyDB at all, tables of the wrong kind, and
# documents whose fields have the wrong types.
SHAPES: list[Any] = [
    [], 5, None, "text", True, {"t": []}, {"t": 5}, {"t": {"1": None}}, {"t": {"1": []}},
    {"t": {"1": {"schema_version": "1"}}},
]


def doc_shapes(doc: dict[str, Any]) -> list[dict[str, Any]]:
    """One document made wrong field by field: each field set to a list, a number,
    null, a nested object, and removed."""
    out = []
    for key in doc:
        if key == "schema_version":
            continue
        for value in ([], 7, None, {"x": [1]}, "", True):
            out.append({**doc, key: value})
        out.append({k: v for k, v in doc.items() if k != key})
    return out


def odd_contents(data: dict[str, Any]) -> list[Any]:
    found = list(SHAPES)
    for name, table in data.items():
        found.append({name: []})
        found.append({name: {"1": "x"}})
        for key, doc in table.items():
            found += [{**data, name: {**table, key: d}} for d in doc_shapes(doc)]
            break  # the first document of each table is enough
    return found


def test_doctor_reports_any_json_shape_in_any_data_file_without_crashing(store: Store) -> None:
    root = store.root
    for path in data_files(root):
        good = path.read_bytes()
        for content in odd_contents(json.loads(good)):
            path.write_text(json.dumps(content))
            before = files(root)
            problems = check_data_dir(Store(root))  # must not raise
            assert not any("could not be checked" in p for p in problems), (path, content, problems)
            assert files(root) == before
        path.write_bytes(good)
    assert check_data_dir(Store(root)) == []
