"""`kpireview templates check|list|show`: the shipped templates pass; each kind
of mistake is an error (exit 1) that names the file and the KRA/KPI; the SMART
check gives warnings (exit 0)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from tui.cli import main
from tui.templates import shipped_template_files

GOOD = '''\
id = "check-test"
title = "Check test"

[[kras]]
id = "sales"
title = "Sales"
weight = 60

[[kras.kpis]]
id = "sales-deals"
name = "Number of deals closed"
unit = "count"
direction = "higher"
target = 12
weight = 70
measurement = "Closed-won deals in the CRM."

[[kras.kpis]]
id = "sales-cycle"
name = "Average days to close a deal"
unit = "days"
direction = "lower"
target = 45
weight = 30
measurement = "From the CRM: created to closed-won."

[[kras]]
id = "care"
title = "Customer care"
weight = 40

[[kras.kpis]]
id = "care-csat"
name = "Customer satisfaction score"
kind = "rating"
weight = 100
measurement = "Quarterly survey, judged on the scale."
'''


def check(tmp_path: Path, text: str, name: str = "role.toml") -> tuple[Result, str, Path]:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    result = CliRunner().invoke(main, ["--data", str(tmp_path / "no-data"),
                                       "templates", "check", str(path)])
    return result, result.output, path


def errors(output: str) -> list[str]:
    return [line for line in output.splitlines() if ": error: " in line]


def warnings(output: str) -> list[str]:
    return [line for line in output.splitlines() if ": warning: " in line]


def edit(old: str, new: str, text: str = GOOD, count: int = 1) -> str:
    assert old in text, old
    return text.replace(old, new, count)


def assert_fails(tmp_path: Path, text: str, *needles: str) -> list[str]:
    """Exit 1; at least one error line names the file and contains every needle."""
    result, output, path = check(tmp_path, text)
    assert result.exit_code == 1, output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    lines = errors(output)
    assert lines, output
    for line in lines:
        assert line.startswith(f"{path}: error: "), line
    assert any(all(n in line for n in needles) for line in lines), (needles, lines)
    assert "ok (" not in output
    return lines


# --- shipped templates ---------------------------------------------------------


def test_every_shipped_template_passes_check_with_no_errors() -> None:
    files = shipped_template_files()
    assert len(files) >= 2
    result = CliRunner().invoke(main, ["templates", "check", *map(str, files)])
    assert result.exit_code == 0, result.output
    assert errors(result.output) == []
    for path in files:
        assert f"{path}: ok (" in result.output


def test_the_good_example_passes(tmp_path: Path) -> None:
    result, output, path = check(tmp_path, GOOD)
    assert result.exit_code == 0, output
    assert f"{path}: ok (check-test v1, 2 KRAs, 0 warning(s))" in output


def test_a_bad_file_among_good_ones_fails_the_run(tmp_path: Path) -> None:
    good = tmp_path / "good.toml"
    good.write_text(GOOD, encoding="utf-8")
    bad = tmp_path / "bad.toml"
    bad.write_text(edit("weight = 60", "weight = 61"), encoding="utf-8")
    result = CliRunner().invoke(main, ["templates", "check", str(good), str(bad)])
    assert result.exit_code == 1
    assert f"{good}: ok (" in result.output
    assert f"{bad}: error: KRA weights sum to 101" in result.output


# --- errors ----------------------------------------------------------------------


def test_invalid_toml_names_line_and_column(tmp_path: Path) -> None:
    text = edit('title = "Sales"', 'title = = "Sales"')
    lines = assert_fails(tmp_path, text, "not valid TOML")
    line_no = text.splitlines().index('title = = "Sales"') + 1
    assert re.search(rf"line {line_no}, column \d+", lines[0]), lines


def test_unreadable_file_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "latin1.toml"
    path.write_bytes('title = "Caf\xe9"'.encode("latin-1"))
    result = CliRunner().invoke(main, ["templates", "check", str(path)])
    assert result.exit_code == 1
    assert f"{path}: error: cannot read" in result.output


@pytest.mark.parametrize(("old", "new", "where"), [
    ('title = "Check test"', 'title = "Check test"\ncolour = "red"', "colour"),
    ('title = "Sales"', 'title = "Sales"\nowner = "me"', "KRA 'sales' · owner"),
    ('target = 12', 'target = 12\nstretch = 15', "KRA 'sales' · KPI 'sales-deals' · stretch"),
])
def test_unknown_keys_are_errors(tmp_path: Path, old: str, new: str, where: str) -> None:
    assert_fails(tmp_path, edit(old, new), f"{where}: unknown key")


def test_missing_key_is_an_error(tmp_path: Path) -> None:
    assert_fails(tmp_path, edit('name = "Number of deals closed"\n', ""),
                 "KRA 'sales' · KPI 'sales-deals' · name: required key is missing")


def test_duplicate_kra_id(tmp_path: Path) -> None:
    assert_fails(tmp_path, edit('id = "care"', 'id = "sales"'), "duplicate KRA id 'sales'")


def test_duplicate_kpi_id(tmp_path: Path) -> None:
    assert_fails(tmp_path, edit('id = "care-csat"', 'id = "sales-deals"'),
                 "duplicate KPI id 'sales-deals'", "KRA 'care'", "KRA 'sales'")


def test_each_structural_fault_is_its_own_error_line(tmp_path: Path) -> None:
    text = edit('id = "care-csat"', 'id = "sales-deals"', edit("weight = 40", "weight = 50"))
    lines = assert_fails(tmp_path, text, "duplicate KPI id 'sales-deals'")
    assert len(lines) == 2, lines
    assert lines[1].endswith("error: KRA weights sum to 110, not 100 (sales 60 + care 50)")


def test_kra_weights_not_100(tmp_path: Path) -> None:
    assert_fails(tmp_path, edit("weight = 40", "weight = 50"),
                 "KRA weights sum to 110, not 100", "sales 60", "care 50")


def test_kpi_weights_not_100_inside_a_kra(tmp_path: Path) -> None:
    assert_fails(tmp_path, edit("weight = 30", "weight = 20"),
                 "KRA 'sales': KPI weights sum to 90, not 100", "sales-deals 70", "sales-cycle 20")


def test_negative_weight(tmp_path: Path) -> None:
    text = edit("weight = 70", "weight = 130", edit("weight = 30", "weight = -30"))
    lines = assert_fails(tmp_path, text, "KRA 'sales' · KPI 'sales-cycle' · weight", "negative")
    assert any("KPI 'sales-deals' · weight: 130 is above 100" in line for line in lines)


def test_weight_with_more_than_2_decimals(tmp_path: Path) -> None:
    text = edit("weight = 60", "weight = 60.001", edit("weight = 40", "weight = 39.999"))
    assert_fails(tmp_path, text, "KRA 'sales' · weight: 60.001 has more than 2 decimals")


@pytest.mark.parametrize("value", ["nan", "inf", "-inf", "1e400", "9" * 400])
def test_absurd_weights_are_clean_errors(tmp_path: Path, value: str) -> None:
    lines = assert_fails(tmp_path, edit("weight = 60", f"weight = {value}"),
                         "KRA 'sales' · weight")
    assert all(len(line) < 300 for line in lines)


@pytest.mark.parametrize("scale", [
    "[scale]\nmin = 5\nmax = 1\nlabels = []\n",
    '[scale]\nmin = 3\nmax = 3\nlabels = ["x"]\n',
])
def test_scale_min_not_below_max(tmp_path: Path, scale: str) -> None:
    text = edit("\n[[kras]]", f"\n{scale}\n[[kras]]")
    assert_fails(tmp_path, text, "scale: min", "must be below max")


def test_scale_with_wrong_number_of_labels(tmp_path: Path) -> None:
    text = edit("\n[[kras]]", '\n[scale]\nmin = 1\nmax = 3\nlabels = ["a", "b"]\n\n[[kras]]')
    assert_fails(tmp_path, text, "scale: scale 1..3 needs 3 labels")


BANDS_OK = (
    "[[bands]]\nbelow = 80\nrating = 1\n"
    "[[bands]]\nbelow = 110\nrating = 3\n"
    "[[bands]]\nrating = 5\n"
)


def with_bands(bands: str) -> str:
    return edit("\n[[kras]]", f"\n{bands}\n[[kras]]")


def test_good_bands_pass(tmp_path: Path) -> None:
    result, output, _ = check(tmp_path, with_bands(BANDS_OK))
    assert result.exit_code == 0, output


@pytest.mark.parametrize(("bands", "needle"), [
    (BANDS_OK.replace("below = 110", "below = 80"), "band 2: 'below' must increase"),
    (BANDS_OK.replace("below = 110", "below = 50"), "band 2: 'below' must increase"),
    (BANDS_OK.replace("rating = 3", "rating = 1"), "band 2: ratings must increase"),
    (BANDS_OK.replace("rating = 1", "rating = 2"), "bands must cover the scale 1..5"),
    (BANDS_OK.replace("rating = 5", "rating = 4"), "bands must cover the scale 1..5"),
    (BANDS_OK.replace("rating = 5", "rating = 6"), "band 3: rating 6 is off the scale"),
    (BANDS_OK.replace("[[bands]]\nrating = 5\n", ""), "the last band must have no 'below'"),
])
def test_bands_not_increasing_or_not_covering_the_scale(tmp_path: Path, bands: str,
                                                         needle: str) -> None:
    assert_fails(tmp_path, with_bands(bands), needle)


@pytest.mark.parametrize(("line", "needle"), [
    ('unit = "count"\n', "a numeric KPI needs a unit"),
    ('direction = "higher"\n', "a numeric KPI needs a direction"),
])
def test_numeric_kpi_without_unit_or_direction(tmp_path: Path, line: str, needle: str) -> None:
    assert_fails(tmp_path, edit(line, ""), f"KRA 'sales' · KPI 'sales-deals': {needle}")


def test_unknown_unit(tmp_path: Path) -> None:
    assert_fails(tmp_path, edit('unit = "count"', 'unit = "widgets"'),
                 "KRA 'sales' · KPI 'sales-deals'", "unit 'widgets'")


@pytest.mark.parametrize(("old", "new", "where"), [
    ("weight = 60", 'weight = "60"', "KRA 'sales' · weight"),
    ("target = 12", 'target = "12"', "KRA 'sales' · KPI 'sales-deals' · target"),
    ("weight = 100", 'weight = "100"', "KRA 'care' · KPI 'care-csat' · weight"),
])
def test_quoted_numbers_are_errors(tmp_path: Path, old: str, new: str, where: str) -> None:
    assert_fails(tmp_path, edit(old, new), where, "is a string; write the number without quotes")


def test_quoted_band_number_is_an_error(tmp_path: Path) -> None:
    assert_fails(tmp_path, with_bands(BANDS_OK.replace("below = 80", 'below = "80"')),
                 "band 1 · below", "is a string")


# --- warnings (SMART) --------------------------------------------------------------


def test_smart_warnings_name_file_kra_and_kpi_and_exit_0(tmp_path: Path) -> None:
    text = edit("target = 12\n", "")
    text = edit('measurement = "From the CRM: created to closed-won."\n', "", text)
    text = edit('name = "Customer satisfaction score"', 'name = "Improve relationships"', text)
    result, output, path = check(tmp_path, text)
    assert result.exit_code == 0, output
    found = warnings(output)
    assert len(found) == 3, found
    assert f"{path}: warning: KRA 'sales' · KPI 'sales-deals': no target" in found[0]
    assert f"{path}: warning: KRA 'sales' · KPI 'sales-cycle': no note on how it is measured" \
        in found[1]
    assert f"{path}: warning: KRA 'care' · KPI 'care-csat': name 'Improve relationships' " \
        "is not measurable" in found[2]
    assert f"{path}: ok (check-test v1, 2 KRAs, 3 warning(s))" in output


def test_a_vague_verb_with_something_to_count_is_fine(tmp_path: Path) -> None:
    text = edit('name = "Customer satisfaction score"',
                'name = "Improve the customer satisfaction score"')
    result, output, _ = check(tmp_path, text)
    assert result.exit_code == 0 and warnings(output) == [], output


# --- list and show -----------------------------------------------------------------


def test_templates_list(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["--data", str(tmp_path / "none"), "templates", "list"])
    assert result.exit_code == 0, result.output
    header, *rows = result.output.splitlines()
    assert header.split() == ["ID", "VERSION", "KRAS", "KPIS", "TITLE"]
    line = next(ln for ln in rows if ln.startswith("major-account-manager "))
    assert line.split()[:4] == ["major-account-manager", "v1", "10", "40"]
    assert line.endswith("  Major Account Manager")
    assert len(rows) == len(shipped_template_files())
    bare = CliRunner().invoke(main, ["--data", str(tmp_path / "none"), "templates", "list",
                                     "--no-header"])
    assert bare.output.splitlines() == rows


def test_templates_show_major_account_manager(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["--data", str(tmp_path / "none"),
                                       "templates", "show", "major-account-manager"])
    assert result.exit_code == 0, result.output
    out = result.output
    assert out.startswith("Major Account Manager (major-account-manager v1)")
    assert "Scale: 1 Unsatisfactory" in out and "5 Outstanding" in out
    assert "<90% → 2" in out and "capped at 150%" in out
    assert "KRA 1. Account Development  [account-development]" in out
    assert "KRA 10." in out
    assert out.count("    - ") == 40


def test_templates_show_unknown_id(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["--data", str(tmp_path / "none"),
                                       "templates", "show", "astronaut"])
    assert result.exit_code == 1
    assert "no template 'astronaut'" in result.output


def test_a_broken_template_in_the_data_directory_is_a_message_not_a_traceback(
        tmp_path: Path) -> None:
    data = tmp_path / "data"
    (data / "templates").mkdir(parents=True)
    bad = data / "templates" / "mine.toml"
    bad.write_text(edit("weight = 60", "weight = 61"), encoding="utf-8")
    result = CliRunner().invoke(main, ["--data", str(data), "templates", "list"])
    assert result.exit_code == 1
    assert isinstance(result.exception, SystemExit)
    assert f"{bad}: KRA weights sum to 101, not 100" in result.output


def test_a_kra_without_an_id_is_named_by_its_position(tmp_path: Path) -> None:
    assert_fails(tmp_path, edit('id = "care"\n', ""), "KRA #2 · id: required key is missing")


@pytest.mark.parametrize("kras", ["kras = [1, 2]", 'kras = "sales"', "kras = []"])
def test_kras_of_the_wrong_shape_are_clean_errors(tmp_path: Path, kras: str) -> None:
    text = 'id = "check-test"\ntitle = "Check test"\n' + kras + "\n"
    assert_fails(tmp_path, text, "kras")


def test_an_empty_title_gets_a_plain_message(tmp_path: Path) -> None:
    assert_fails(tmp_path, edit('title = "Sales"', 'title = ""'),
                 "KRA 'sales' · title: must not be empty")


def test_no_kras_gets_a_plain_message(tmp_path: Path) -> None:
    text = 'id = "check-test"\ntitle = "Check test"\nkras = []\n'
    assert_fails(tmp_path, text, "kras: needs at least one entry")


def test_every_fault_of_a_template_is_reported_in_one_run(tmp_path: Path) -> None:
    """Field errors and template-level faults together, not one batch per run."""
    from click.testing import CliRunner

    from tui.cli import main

    bad = tmp_path / "broken.toml"
    bad.write_text(
        'id = "broken"\ntitle = "Broken"\n'
        '[[bands]]\nbelow = 90\nrating = 1\n[[bands]]\nbelow = 80\nrating = 3\n[[bands]]\nrating = 5\n'
        '[[kras]]\nid = "k1"\ntitle = "K1"\nweight = 60\n'
        '[[kras.kpis]]\nid = "p1"\nname = "Number of things"\nunit = "parsecs"\n'
        'direction = "higher"\nweight = 50\n'
        '[[kras.kpis]]\nid = "p1"\nname = "Number of others"\nunit = "count"\n'
        'direction = "higher"\nweight = 40\n',
        encoding="utf-8",
    )
    result = CliRunner().invoke(main, ["templates", "check", str(bad)])
    assert result.exit_code == 1
    out = result.output
    assert "unit 'parsecs'" in out
    assert "duplicate KPI id 'p1'" in out
    assert "KRA weights sum to 60, not 100" in out
    assert "KPI weights sum to 90, not 100" in out
    assert "'below' must increase" in out
