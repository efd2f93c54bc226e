"""`kpireview cycle open` on a cycle that exists: --name, --start and --end are
applied (checked as for a new cycle) and each change is printed, never ignored;
dates cannot change under a signed-off review, and then nothing changes."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from click.testing import CliRunner, Result

from tui import cli
from tui.store import Store


def files(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file() and "presence" not in p.parts}


def hr(root: Path, *args: str) -> Result:
    return CliRunner().invoke(cli.main, ["--data", str(root), "--as", "harriet", *args])


def open_new(root: Path) -> None:
    made = hr(root, "cycle", "open", "2027-h1", "--start", "2027-01-01", "--end", "2027-06-30")
    assert made.exit_code == 0, made.output


def test_new_dates_of_an_existing_cycle_are_applied_and_said(demo_root: Path) -> None:
    open_new(demo_root)
    result = hr(demo_root, "cycle", "open", "2027-h1", "--start", "2027-02-01",
                "--end", "2027-07-31", "--name", "First half 2027")
    assert result.exit_code == 0, result.output
    cycle = Store(demo_root).cycle("2027-h1")
    assert (cycle.start, cycle.end, cycle.name) == (date(2027, 2, 1), date(2027, 7, 31),
                                                    "First half 2027")
    assert ("dates changed from 2027-01-01 → 2027-06-30 to 2027-02-01 → 2027-07-31"
            in result.stdout)
    assert "name changed from '2027-h1' to 'First half 2027'" in result.stdout
    assert "is open (2027-02-01 → 2027-07-31)" in result.stdout


def test_one_date_alone_changes_only_that_date(demo_root: Path) -> None:
    open_new(demo_root)
    result = hr(demo_root, "cycle", "open", "2027-h1", "--end", "2027-07-15")
    assert result.exit_code == 0, result.output
    cycle = Store(demo_root).cycle("2027-h1")
    assert (cycle.start, cycle.end, cycle.name) == (date(2027, 1, 1), date(2027, 7, 15), "2027-h1")
    assert "name changed" not in result.stdout


def test_reversed_dates_on_an_existing_cycle_are_refused_naming_the_dates_it_has(
        demo_root: Path) -> None:
    open_new(demo_root)
    before = files(demo_root)
    for args in (["--start", "2027-07-31", "--end", "2027-02-01"],
                 ["--start", "2027-09-01"],  # after the end it has
                 ["--start", "2027-03-01", "--end", "2027-02-01", "--name", "Renamed"]):
        result = hr(demo_root, "cycle", "open", "2027-h1", *args)
        assert result.exit_code == 1, (args, result.output)
        assert "before it starts" in result.stderr and "--end" in result.stderr
        assert "it runs 2027-01-01 → 2027-06-30 now; nothing was changed" in result.stderr
        assert files(demo_root) == before


def test_dates_under_a_signed_off_review_are_refused_and_nothing_changes(
        demo_root: Path) -> None:
    before = files(demo_root)
    result = hr(demo_root, "cycle", "open", "2026-h2", "--end", "2027-01-15",
                "--name", "Renamed")
    assert result.exit_code == 1, result.output
    assert "runs 2026-07-01 → 2026-12-31" in result.stderr
    assert "signed off (2026-h2/chen)" in result.stderr
    assert "Leave out --start and --end" in result.stderr
    assert files(demo_root) == before


def test_a_new_name_alone_is_applied_even_with_signed_off_reviews(demo_root: Path) -> None:
    result = hr(demo_root, "cycle", "open", "2026-h2", "--name", "H2 2026")
    assert result.exit_code == 0, result.output
    assert "name changed from 'Second half 2026' to 'H2 2026'" in result.stdout
    assert Store(demo_root).cycle("2026-h2").name == "H2 2026"


def test_an_empty_name_is_refused(demo_root: Path) -> None:
    before = files(demo_root)
    result = hr(demo_root, "cycle", "open", "2026-h2", "--name", "")
    assert result.exit_code == 1
    assert "--name: must not be empty" in result.stderr
    assert files(demo_root) == before


def test_reopening_a_closed_cycle_says_so(demo_root: Path) -> None:
    assert hr(demo_root, "cycle", "close", "2026-h2").exit_code == 0
    result = hr(demo_root, "cycle", "open", "2026-h2")
    assert result.exit_code == 0, result.output
    assert "state changed from closed to open" in result.stdout


def test_a_new_cycle_names_the_missing_date(demo_root: Path) -> None:
    result = hr(demo_root, "cycle", "open", "2027-h2", "--start", "2027-07-01")
    assert result.exit_code == 1
    assert "is new: give --end (YYYY-MM-DD)" in result.stderr
    assert "2027-h2" not in {c.id for c in Store(demo_root).cycles()}


def test_only_an_hr_admin_may_change_a_cycle(demo_root: Path) -> None:
    before = files(demo_root)
    result = CliRunner().invoke(cli.main, ["--data", str(demo_root), "--as", "alex", "cycle",
                                           "open", "2026-h2", "--name", "Mine"])
    assert result.exit_code == 1 and "only an HR admin" in result.stderr
    assert files(demo_root) == before
