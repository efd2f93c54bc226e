"""`templates check` warns about targets and caps under which scoring means
nothing, and about a measurement note that does not say how it is measured;
each error is reported once."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.test_templates_check import BANDS_OK, GOOD, check, edit, errors, warnings, with_bands
from tui.templates import check_file, shipped_template_files

DEALS = 'unit = "count"\ndirection = "higher"\ntarget = 12'
CYCLE = 'unit = "days"\ndirection = "lower"\ntarget = 45'


@pytest.mark.parametrize(("old", "new", "kpi", "needle"), [
    (DEALS, 'unit = "%"\ndirection = "higher"\ntarget = -10', "sales-deals",
     "target -10 is negative with higher is better"),
    (DEALS, 'unit = "count"\ndirection = "higher"\ntarget = 0', "sales-deals",
     "target 0 with higher is better"),
    (CYCLE, 'unit = "days"\ndirection = "lower"\ntarget = 0', "sales-cycle",
     "suggested rating is always 1 (Unsatisfactory)"),
    (CYCLE, 'unit = "%"\ndirection = "lower"\ntarget = -5', "sales-cycle",
     "target -5 is negative with lower is better"),
])
def test_a_target_that_makes_scoring_meaningless_is_a_warning(
        tmp_path: Path, old: str, new: str, kpi: str, needle: str) -> None:
    result, output, path = check(tmp_path, edit(old, new))
    assert result.exit_code == 0, output
    found = warnings(output)
    assert len(found) == 1, output
    assert found[0].startswith(f"{path}: warning: KRA 'sales' · KPI '{kpi}': "), found
    assert needle in found[0] and ("set a target above 0" in found[0]
                                   or "set the" in found[0]), found
    assert "1 warning(s)" in output


@pytest.mark.parametrize("note", ["good", "CRM", "see above", "Number of deals closed"])
def test_a_measurement_that_does_not_say_how_is_a_warning(tmp_path: Path, note: str) -> None:
    result, output, _ = check(tmp_path, edit('"Closed-won deals in the CRM."', f'"{note}"'))
    assert result.exit_code == 0, output
    found = warnings(output)
    assert len(found) == 1, output
    assert f"KPI 'sales-deals': measurement {note!r} does not say how it is measured" in found[0]


def test_a_short_but_real_measurement_passes(tmp_path: Path) -> None:
    result, output, _ = check(tmp_path, edit('"Closed-won deals in the CRM."', '"CRM closed-won report"'))
    assert result.exit_code == 0 and warnings(output) == [], output


def test_a_cap_below_a_band_edge_is_a_warning(tmp_path: Path) -> None:
    capped = edit('title = "Check test"', 'title = "Check test"\nachievement_cap = 100')
    result, output, _ = check(tmp_path, capped)
    assert result.exit_code == 0, output
    assert warnings(output) == [
        f"{tmp_path / 'role.toml'}: warning: achievement_cap 100 is below 105, where band 4 "
        "(rating 4) starts: ratings 4..5 are never suggested; raise achievement_cap to at "
        "least 105 or lower that band's edge"]
    at_edge = edit('title = "Check test"', 'title = "Check test"\nachievement_cap = 120')
    result, output, _ = check(tmp_path, at_edge)
    assert result.exit_code == 0 and warnings(output) == [], output


BAND_FAULTS = [
    BANDS_OK.replace("below = 110", "below = 80"),
    BANDS_OK.replace("rating = 3", "rating = 1"),
    BANDS_OK.replace("rating = 1", "rating = 2"),
    BANDS_OK.replace("rating = 5", "rating = 6"),
    BANDS_OK.replace("[[bands]]\nrating = 5\n", ""),
]


@pytest.mark.parametrize("bands", BAND_FAULTS)
@pytest.mark.parametrize("other", [None, ("weight = 60", "weight = 61"),
                                   ('unit = "days"', 'unit = "weeks"')])
def test_each_band_fault_is_reported_once(tmp_path: Path, bands: str,
                                          other: tuple[str, str] | None) -> None:
    text = with_bands(bands)
    if other:
        text = edit(*other, text=text)
    result, output, _ = check(tmp_path, text)
    assert result.exit_code == 1
    lines = [line.split(": error: ", 1)[1] for line in errors(output)]
    band_lines = [line for line in lines if "band" in line]
    assert len(band_lines) == 1, lines
    assert len(lines) == (2 if other else 1), lines


def test_the_good_example_and_the_shipped_templates_stay_without_warnings(tmp_path: Path) -> None:
    result, output, _ = check(tmp_path, GOOD)
    assert warnings(output) == [], output
    for path in shipped_template_files():
        assert check_file(path).warnings == [], path


def test_bands_that_leave_a_rating_unreachable_are_a_warning(tmp_path: Path) -> None:
    result, output, _ = check(tmp_path, with_bands(BANDS_OK))  # ratings 1, 3, 5
    assert result.exit_code == 0, output
    assert [w for w in warnings(output) if "no band has" in w] == [
        f"{tmp_path / 'role.toml'}: warning: no band has ratings 2, 4, so they are never "
        "suggested (people can still give them); add a band for each rating of the scale "
        "1..5 if the suggestion should reach them"]
    zero = BANDS_OK.replace("below = 80", "below = 0")
    result, output, _ = check(tmp_path, with_bands(zero))
    assert result.exit_code == 0, output
    assert any("band 1 (rating 1) is for achievement below 0 %, which no actual reaches"
               in w for w in warnings(output)), output


def test_shipped_templates_have_no_band_warnings() -> None:
    for path in shipped_template_files():
        assert check_file(path).warnings == [], path
