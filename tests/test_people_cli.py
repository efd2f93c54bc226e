"""Issue 3, people from CSV: `kpireview people import` saves all rows or none,
and a bad row is named by its line."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from tui.access import os_login
from tui.cli import main
from tui.models import Person
from tui.people import PeopleError, check_people, read_people_csv
from tui.models import Config
from tui.store import Store

HEADER = "id,name,login,email,manager,role\n"
GOOD = HEADER + (
    "boss,Bo Boss,boss,bo@example.com,,account-executive\n"
    "ann,Ann Lee,ann,ann@example.com,boss,account-executive\n"
    "ben,Ben Ode,ben,,ann,major-account-manager\n"
)


@pytest.fixture(autouse=True)
def no_fsync(monkeypatch: pytest.MonkeyPatch) -> None:
    import tui.store

    monkeypatch.setattr(tui.store, "FSYNC", False)  # about checking rows, not about disks


@pytest.fixture
def root(tmp_path: Path) -> Path:
    """A data directory where the user running the tests is the HR admin."""
    root = tmp_path / "data"
    store = Store(root)
    me = os_login()
    store.write_config(Config(organisation="Test", hr_admins=[me]))
    store.save_people([Person(id="hr", name="Me", login=me, role="hr-business-partner")])
    return root


def run(root: Path, *args: str):
    return CliRunner().invoke(main, ["--data", str(root), *args])


def write_csv(tmp_path: Path, text: str, name: str = "staff.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_a_good_file_is_imported(root: Path, tmp_path: Path) -> None:
    result = run(root, "people", "import", str(write_csv(tmp_path, GOOD)))
    assert result.exit_code == 0, result.output
    assert "Imported 3 people" in result.output
    people = {p.id: p for p in Store(root).people()}
    assert people["ben"].manager == "ann" and people["ben"].role == "major-account-manager"
    assert people["boss"].manager is None


BAD = {
    "duplicate id": (
        GOOD + "ann,Ann Again,ann2,,boss,account-executive\n",
        ":5:", "id 'ann' is already on",
    ),
    "unknown manager": (
        GOOD + "cat,Cat Roe,cat,,nobody,account-executive\n",
        ":5:", "manager 'nobody' is not a known person",
    ),
    "manager cycle": (
        HEADER + "aa,A,aa,,bb,account-executive\n" "bb,B,bb,,aa,account-executive\n",
        ":2:", "the managers go round in a circle",
    ),
    "unknown role": (
        GOOD + "dan,Dan Poe,dan,,boss,astronaut\n",
        ":5:", "role 'astronaut' is not a role template",
    ),
    "bad id": (
        GOOD + "Not An Id,X,x,,boss,account-executive\n",
        ":5:", "not a valid id",
    ),
    "duplicate login": (
        GOOD + "dee,Dee,ann,,boss,account-executive\n",
        ":5:", "login 'ann' is already used",
    ),
    "unknown column": (
        "id,name,login,email,manager,role,salary\n" "x,X,x,,,account-executive,100\n",
        ":1:", "unknown column(s) salary",
    ),
    "too many fields": (
        GOOD + "eve,Eve,eve,,boss,account-executive,extra\n",
        ":5:", "more fields than columns",
    ),
}


@pytest.mark.parametrize("case", list(BAD))
def test_a_bad_row_is_named_by_line_and_nothing_is_saved(root: Path, tmp_path: Path, case: str) -> None:
    text, line, message = BAD[case]
    csv = write_csv(tmp_path, text)
    people_before = (root / "people.json").read_bytes()
    result = run(root, "people", "import", str(csv))
    assert result.exit_code == 1, result.output
    assert f"{csv}{line}" in result.output, result.output
    assert message in result.output
    assert (root / "people.json").read_bytes() == people_before


def test_a_cycle_through_someone_already_saved_is_refused(root: Path, tmp_path: Path) -> None:
    assert run(root, "people", "import", str(write_csv(tmp_path, GOOD))).exit_code == 0
    before = (root / "people.json").read_bytes()
    # boss is saved with no manager; now make boss report to ben, who reports to ann, to boss
    csv = write_csv(tmp_path, HEADER + "boss,Bo Boss,boss,,ben,account-executive\n", "loop.csv")
    result = run(root, "people", "import", str(csv))
    assert result.exit_code == 1
    assert "go round in a circle" in result.output and f"{csv}:2" in result.output
    assert (root / "people.json").read_bytes() == before


def test_someone_who_is_not_hr_cannot_import(tmp_path: Path) -> None:
    root = tmp_path / "data"
    store = Store(root)
    me = os_login()
    store.write_config(Config(organisation="Test", hr_admins=["somebody-else"]))
    store.save_people([Person(id="me", name="Me", login=me, role="account-executive")])
    before = (root / "people.json").read_bytes()
    result = run(root, "people", "import", str(write_csv(tmp_path, GOOD)))
    assert result.exit_code == 1
    assert "only an HR admin" in result.output
    assert (root / "people.json").read_bytes() == before


def test_a_missing_or_unreadable_file_is_named(root: Path, tmp_path: Path) -> None:
    missing = tmp_path / "nope.csv"
    result = run(root, "people", "import", str(missing))
    assert result.exit_code != 0
    assert "nope.csv" in result.output
    latin = tmp_path / "latin.csv"
    latin.write_bytes(HEADER.encode() + "zoe,Zo\xeb,zoe,,,account-executive\n".encode("latin-1"))
    result = run(root, "people", "import", str(latin))
    assert result.exit_code == 1 and "latin.csv" in result.output


def test_semicolon_csv_from_a_spreadsheet_is_read(tmp_path: Path) -> None:
    csv = write_csv(tmp_path, GOOD.replace(",", ";"))
    people, where = read_people_csv(csv)
    assert [p.id for p in people] == ["boss", "ann", "ben"]
    assert where["ann"] == f"{csv}:3"


def test_check_people_reports_every_problem_at_once() -> None:
    people = [
        Person(id="a", name="A", login="a", manager="b", role="r"),
        Person(id="b", name="B", login="b", manager="a", role="r"),
        Person(id="c", name="C", login="c", manager="ghost", role="nope"),
        Person(id="d", name="D", login="c", role="r"),
    ]
    with pytest.raises(PeopleError) as err:
        check_people(people, {"r"})
    text = str(err.value)
    assert "circle" in text and "ghost" in text and "'nope'" in text and "already used" in text
    assert len(err.value.problems) == 4


def test_people_add_checks_the_organisation_too(root: Path) -> None:
    before = (root / "people.json").read_bytes()
    result = run(root, "people", "add", "--id", "zed", "--name", "Zed", "--login", "zed",
                 "--manager", "ghost", "--role", "account-executive")
    assert result.exit_code == 1 and "manager 'ghost' is not a known person" in result.output
    result = run(root, "people", "add", "--id", "zed", "--name", "Zed", "--login", "zed",
                 "--role", "no-such-role")
    assert result.exit_code == 1 and "not a role template" in result.output
    assert (root / "people.json").read_bytes() == before
    result = run(root, "people", "add", "--id", "zed", "--name", "Zed", "--login", "zed",
                 "--manager", "hr", "--role", "account-executive")
    assert result.exit_code == 0, result.output
    assert Store(root).person("zed").manager == "hr"


def test_every_problem_of_a_people_file_is_reported_in_one_run(tmp_path: Path) -> None:
    """Row errors and organisation-chart errors come together, not one batch per run."""
    from click.testing import CliRunner

    from tui import cli

    data = tmp_path / "d"
    runner = CliRunner()
    assert runner.invoke(cli.main, ["--data", str(data), "init"]).exit_code == 0
    csv_file = tmp_path / "people.csv"
    csv_file.write_text(
        "id,name,login,email,manager,role\n"
        "ann,Ann,ann,notanemail,,major-account-manager\n"
        "bob,Bob,bob,bob@example.com,ghost,major-account-manager\n"
        "cy,Cy,cy,cy@example.com,,no-such-role\n",
        encoding="utf-8",
    )
    before = sorted(p.name for p in data.iterdir())
    result = runner.invoke(cli.main, ["--data", str(data), "people", "import", str(csv_file)])
    assert result.exit_code == 1
    assert f"{csv_file}:2: email: 'notanemail' is not an email address" in result.output
    assert "manager 'ghost' is not a known person" in result.output
    assert "role 'no-such-role' is not a role template" in result.output
    assert sorted(p.name for p in data.iterdir()) == before
    assert not (data / "people.json").exists()
