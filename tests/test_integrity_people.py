"""A lost people.json is noticed, and doctor checks people.json as a session or a save
does: nothing is lost by following the advice given, and no index is built from a
people.json that fails those checks."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner

from tui.access import open_session
from tui.cli import main
from tui.doctor import RepairIncomplete, check_data_dir, repair_indexes
from tui.models import Config, Cycle, Person
from tui.store import DataFileError, Store


def run_cli(root: Path, *args: str):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(main, ["--data", str(root), *args])


def files(root: Path) -> dict[str, bytes]:
    """Every file's bytes, lock files aside (taking a lock may create one)."""
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file() and not p.name.endswith(".lock")}


NEWCOMER = Person(id="newcomer", name="New", login="newcomer", role="major-account-manager")


# --- 1. a people.json that was deleted ----------------------------------------------


@pytest.mark.parametrize("traces", ["reviews and index", "reviews only", "index only"])
def test_a_lost_people_json_is_an_error_and_no_new_one_is_started(
        store: Store, tmp_path: Path, traces: str) -> None:
    store.people_path.rename(tmp_path / "people.json")
    if traces == "reviews only":
        store.people_index_path.unlink()
    elif traces == "index only":
        for f in sorted((store.root / "reviews").rglob("*"), reverse=True):
            f.unlink() if f.is_file() else f.rmdir()
    before = files(store.root)
    fresh = Store(store.root)
    for attempt in (fresh.people, lambda: fresh.person_by_login("root"),
                    lambda: open_session(fresh, "root"), lambda: open_session(fresh, "harriet"),
                    lambda: fresh.save_people([NEWCOMER])):
        with pytest.raises(DataFileError) as err:
            attempt()
        assert err.value.path == store.people_path
        assert "is missing" in str(err.value) and "restore people.json from a backup" in str(err.value)
    listed = run_cli(store.root, "--as", "root", "review", "list")
    assert listed.exit_code == 1 and "people add" not in listed.output
    assert "people.json: is missing" in listed.output
    added = run_cli(store.root, "--as", "harriet", "people", "add", "--id", "x", "--name", "X",
                    "--login", "x", "--role", "major-account-manager")
    assert added.exit_code == 1 and "people.json: is missing" in added.output
    doctor = run_cli(store.root, "doctor")
    assert doctor.exit_code == 1 and "people.json: is missing" in doctor.output
    assert files(store.root) == before
    repair = run_cli(store.root, "doctor", "--repair-indexes")
    assert repair.exit_code == 1 and "people-index.json: not rebuilt" in repair.output
    after = {k: v for k, v in files(store.root).items() if "/teams/" not in k}
    assert after == {k: v for k, v in before.items() if "/teams/" not in k}
    assert not store.people_path.exists()


def test_a_new_directory_without_people_still_takes_its_first_people(tmp_path: Path) -> None:
    """`kpireview init` writes only config.toml; HR may open a cycle before adding anyone."""
    store = Store(tmp_path / "new")
    store.write_config(Config(hr_admins=["harriet"]))
    assert check_data_dir(store) == []
    session = open_session(Store(store.root), "harriet")
    assert session.store.people() == []
    session.save_cycle(Cycle(id="2027-h1", name="H1", start=date(2027, 1, 1),
                             end=date(2027, 6, 30)))
    session.save_people([NEWCOMER])
    assert [p.id for p in Store(store.root).people()] == ["newcomer"]
    assert check_data_dir(Store(store.root)) == []


def test_the_demo_and_init_build_directories_doctor_accepts(tmp_path: Path) -> None:
    assert run_cli(tmp_path / "demo", "demo").exit_code == 0
    assert run_cli(tmp_path / "demo", "doctor").exit_code == 0
    made = run_cli(tmp_path / "init", "init")
    assert made.exit_code == 0, made.output
    result = run_cli(tmp_path / "init", "doctor")
    assert result.exit_code == 0, result.output


# --- 2. doctor runs the people checks of a session and a save -------------------------


def edit_people(store: Store, change) -> None:  # type: ignore[no-untyped-def]
    data = json.loads(store.people_path.read_bytes())
    change(data["people"])
    store.people_path.write_text(json.dumps(data))


def by_id(table: dict, pid: str) -> dict:  # type: ignore[type-arg]
    return next(d for d in table.values() if d["id"] == pid)


def twice(table: dict) -> None:  # type: ignore[type-arg]
    table["99"] = {**by_id(table, "maya"), "login": "maya2"}


PEOPLE_FAULTS = {
    "repeated id": (twice, "maya: the id is given to 2 people"),
    "repeated login": (lambda t: by_id(t, "sam").update(login="maya"),
                       "login 'maya' is already used"),
    "manager loop": (lambda t: by_id(t, "dana").update(manager="alex"),
                     "the managers go round in a circle"),
    "unknown manager": (lambda t: by_id(t, "alex").update(manager="nobody"),
                        "manager 'nobody' is not a known person"),
    "invalid field": (lambda t: by_id(t, "alex").update(email="not-an-email"),
                      "'not-an-email' is not an email address"),
    "unknown role": (lambda t: by_id(t, "alex").update(role="no-such-role"),
                     "role 'no-such-role' is not a role template"),
}


@pytest.mark.parametrize("fault", list(PEOPLE_FAULTS))
def test_doctor_reports_what_a_session_or_save_refuses_in_people_json(
        store: Store, fault: str) -> None:
    change, words = PEOPLE_FAULTS[fault]
    edit_people(store, change)
    people = store.people_path.read_bytes()
    index = store.people_index_path.read_bytes()
    problems = check_data_dir(Store(store.root))
    assert any(str(store.people_path) in p and words in p for p in problems), problems
    # the index line, if any, does not call people.json fine next to its problem
    assert not any("nothing is wrong" in p or "as it should be" in p for p in problems), problems
    with pytest.raises(RepairIncomplete) as err:
        repair_indexes(Store(store.root))
    assert "people-index.json: not rebuilt" in str(err.value) and words in str(err.value)
    assert store.people_index_path.read_bytes() == index  # not rebuilt from a bad file
    assert store.people_path.read_bytes() == people
    result = run_cli(store.root, "doctor", "--repair-indexes")
    assert result.exit_code == 1 and words in result.output
    assert "no problems found" not in result.output


def test_a_repeated_id_is_refused_by_sessions_and_reported_by_doctor_alike(store: Store) -> None:
    edit_people(store, twice)
    with pytest.raises(DataFileError, match="maya more than once"):
        open_session(Store(store.root), "root")
    result = run_cli(store.root, "doctor")
    assert result.exit_code == 1 and "maya: the id is given to 2 people" in result.output


def test_an_index_out_of_step_with_a_sound_people_json_says_people_json_is_fine(
        store: Store) -> None:
    edit_people(store, lambda t: by_id(t, "alex").update(name="Alex Renamed"))
    problems = check_data_dir(Store(store.root))
    assert len(problems) == 1 and "people-index.json: out of step" in problems[0]
    assert "people.json itself is as it should be" in problems[0]
    assert repair_indexes(Store(store.root)) > 0
    assert check_data_dir(Store(store.root)) == []


def test_an_index_out_of_step_with_a_faulty_people_json_waits_for_it(store: Store) -> None:
    edit_people(store, lambda t: (twice(t), by_id(t, "alex").update(name="Alex Renamed")))
    problems = check_data_dir(Store(store.root))
    index_line = next(p for p in problems if "people-index.json" in p)
    assert "once the problems with people.json above are fixed" in index_line
