"""Issue 5: actuals from other systems as CSV (tui/actuals.py, `kpireview actuals import`).

BOM, ';' separators, decimal commas only when asked, every bad line reported
with nothing applied, signed-off and N/A KPIs refused, HR admins only, and
each applied value recorded in the review's history.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner

from tui.access import AccessError, open_session
from tui.actuals import ActualsError, import_actuals, normalise_number, read_actuals_csv
from tui.cli import main
from tui.store import Store, now
from tui import workflow
from ui_helpers import hr

CYCLE = "2026-h2"
ALEX = f"{CYCLE}/alex"  # manager assessment
LEE = f"{CYCLE}/lee"  # self-assessment


def write(path: Path, text: str, bom: bool = False) -> Path:
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + text.encode("utf-8"))
    return path


def reviews_bytes(root: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted((root / "reviews" / CYCLE).glob("*.json"))}


def test_bom_semicolons_and_decimal_commas_apply_with_history(demo_root: Path, tmp_path: Path) -> None:
    csv = write(tmp_path / "crm.csv",
                "Person;KPI;Actual;Note\n"
                "alex;ad-existing-revenue-growth;12,5;from the CRM\n"
                "alex;ad-new-products-adopted;5;\n"
                "lee;stl-first-response;1.234,75\n", bom=True)
    result = import_actuals(hr(demo_root), CYCLE, csv, decimal_comma=True)
    assert result.applied and result.changed == 3 and result.unchanged == 0
    store = Store(demo_root)
    alex = store.load_review(ALEX)
    assert alex.kpi("ad-existing-revenue-growth").actual == Decimal("12.5")
    assert alex.kpi("ad-new-products-adopted").actual == Decimal("5")
    assert store.load_review(LEE).kpi("stl-first-response").actual == Decimal("1234.75")
    entries = [e for e in store.history(ALEX) if e.note.startswith("imported from crm.csv")]
    assert [(e.who, e.field, e.old, e.new) for e in entries] == [
        ("harriet", "ad-existing-revenue-growth.actual", "11.2", "12.5"),
        ("harriet", "ad-new-products-adopted.actual", "4", "5"),
    ]
    assert entries[0].note == "imported from crm.csv: from the CRM"
    # the same file again changes nothing and adds no history
    again = import_actuals(hr(demo_root), CYCLE, csv, decimal_comma=True)
    assert again.changed == 0 and again.unchanged == 3
    assert len(Store(demo_root).history(ALEX)) == len(store.history(ALEX))


def test_comma_separated_with_a_dot_decimal(demo_root: Path, tmp_path: Path) -> None:
    csv = write(tmp_path / "a.csv", 'person,kpi,actual\nalex,ad-csat,"4.25"\n')
    import_actuals(hr(demo_root), CYCLE, csv)
    assert Store(demo_root).load_review(ALEX).kpi("ad-csat").actual == Decimal("4.25")


def test_a_decimal_comma_without_the_flag_is_a_bad_line(demo_root: Path, tmp_path: Path) -> None:
    csv = write(tmp_path / "a.csv", "person;kpi;actual\nalex;ad-csat;4,25\n")
    before = reviews_bytes(demo_root)
    with pytest.raises(ActualsError) as info:
        import_actuals(hr(demo_root), CYCLE, csv)
    assert f"{csv}:2: actual '4,25' has a comma; if the file uses decimal commas add " \
           "--decimal-comma" in str(info.value)
    assert reviews_bytes(demo_root) == before


@pytest.mark.parametrize("text, comma, expected", [
    ("12.5", False, "12.5"), (" 1 234.5 ", False, "1234.5"), ("12,5", True, "12.5"),
    ("1.234.567,89", True, "1234567.89"), ("-3", True, "-3"),
])
def test_number_normalising(text: str, comma: bool, expected: str) -> None:
    assert normalise_number(text, comma) == expected


def test_a_dot_with_the_decimal_comma_flag_is_refused() -> None:
    with pytest.raises(ValueError, match="has a '.' but --decimal-comma"):
        normalise_number("12.5", True)


def test_every_bad_line_is_reported_and_nothing_is_applied(demo_root: Path, tmp_path: Path) -> None:
    store = Store(demo_root)
    # make one of Alex's KPIs N/A
    store.update_review(ALEX, lambda r: (None, workflow.set_kpi_field(
        r, "ad-upsell-opportunities", "na", True, "root", now())
        + workflow.set_kpi_field(r, "ad-upsell-opportunities", "na_reason", "no upsell product",
                                 "root", now())))
    rating_kpi = next(k.id for k in store.load_review(ALEX).all_kpis() if k.kind.value == "rating")
    csv = write(tmp_path / "bad.csv", "\n".join([
        "person,kpi,actual,note",
        "alex,ad-csat,4.4,good line",            # 2: fine on its own
        "nobody,ad-csat,3,",                     # 3: unknown person
        "alex,no-such-kpi,3,",                   # 4: unknown KPI
        "alex,ad-new-products-adopted,lots,",    # 5: not a number
        "alex,ad-upsell-opportunities,7,",       # 6: N/A
        "chen,csm-grr,101,",                     # 7: signed off
        f"alex,{rating_kpi},4,",                 # 8: rated by judgement
        "alex,sap-plans-completed,nan,",         # 9: not finite
        "alex,ad-csat,4.5,",                     # 10: the same KPI twice
        "lee,stl-aged-backlog,-2,",              # 11: negative count
        "alex,ad-existing-revenue-growth",       # 12: actual missing
        "alex,ad-existing-revenue-growth,1,a,b", # 13: too many fields
    ]) + "\n")
    before = reviews_bytes(demo_root)
    with pytest.raises(ActualsError) as info:
        import_actuals(hr(demo_root), CYCLE, csv)
    problems = info.value.problems
    text = "\n".join(problems)
    expected = {
        3: "person 'nobody' has no review in cycle 2026-h2",
        4: "KPI 'no-such-kpi' is not in the review of alex",
        5: "'lots' is not a number",
        6: "KPI 'ad-upsell-opportunities' of alex is N/A (no upsell product)",
        7: "the review of chen (2026-h2/chen) is signed off",
        8: "is rated by judgement",
        9: "not a finite number",
        10: "person 'alex' KPI 'ad-csat' is already on line 2",
        11: "cannot be negative",
        12: "actual missing",
        13: "5 fields but 4 columns",
    }
    assert [p.split(": ", 1)[0] for p in problems] == [f"{csv}:{n}" for n in expected], text
    for line, part in expected.items():
        assert any(p.startswith(f"{csv}:{line}: ") and part in p for p in problems), text
    assert reviews_bytes(demo_root) == before
    assert Store(demo_root).load_review(ALEX).kpi("ad-csat").actual == Decimal("3.4")


def test_a_signed_off_review_alone_is_reported(demo_root: Path, tmp_path: Path) -> None:
    csv = write(tmp_path / "chen.csv", "person,kpi,actual\nchen,csm-grr,101\n")
    before = reviews_bytes(demo_root)
    with pytest.raises(ActualsError, match=r"chen.csv:2: the review of chen .* is signed off"):
        import_actuals(hr(demo_root), CYCLE, csv)
    assert reviews_bytes(demo_root) == before


def test_check_only_applies_nothing(demo_root: Path, tmp_path: Path) -> None:
    csv = write(tmp_path / "a.csv", "person,kpi,actual\nalex,ad-csat,4.9\n")
    before = reviews_bytes(demo_root)
    result = import_actuals(hr(demo_root), CYCLE, csv, apply=False)
    assert result.changed == 1 and not result.applied
    assert reviews_bytes(demo_root) == before


def test_only_an_hr_admin_imports_actuals(demo_root: Path, tmp_path: Path) -> None:
    csv = write(tmp_path / "a.csv", "person,kpi,actual\nalex,ad-csat,4.9\n")
    with pytest.raises(AccessError, match="only an HR admin may import actuals"):
        import_actuals(open_session(Store(demo_root), login="root"), CYCLE, csv)


def test_header_problems_name_line_one(tmp_path: Path) -> None:
    csv = write(tmp_path / "h.csv", "who,kpi,value\nalex,ad-csat,3\n")
    with pytest.raises(ActualsError) as info:
        read_actuals_csv(csv)
    assert str(info.value).startswith(f"{csv}:1: missing column(s) person, actual")
    latin1 = tmp_path / "l.csv"
    latin1.write_bytes("person,kpi,actual,note\nalex,ad-csat,3,Müller\n".encode("latin-1"))
    with pytest.raises(ActualsError, match="not UTF-8 text; save the file as UTF-8"):
        read_actuals_csv(latin1)


def invoke(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def test_cli_actuals_import(demo_root: Path, tmp_path: Path) -> None:
    csv = write(tmp_path / "crm.csv", "person;kpi;actual\nalex;ad-csat;4,1\n", bom=True)
    base = ["--data", str(demo_root), "--as", "harriet", "actuals", "import", "--cycle", CYCLE]
    bad = invoke(*base, str(csv))
    assert bad.exit_code == 1
    assert "crm.csv:2: actual '4,1' has a comma" in bad.stderr
    assert "no actual was applied" in bad.stderr
    check = invoke(*base, "--decimal-comma", "--check", str(csv))
    assert check.exit_code == 0 and "would change 1" in check.stdout
    assert Store(demo_root).load_review(ALEX).kpi("ad-csat").actual == Decimal("3.4")
    ok = invoke(*base, "--decimal-comma", str(csv))
    assert ok.exit_code == 0, ok.output
    assert "changed 1, 0 already up to date" in ok.stdout
    assert Store(demo_root).load_review(ALEX).kpi("ad-csat").actual == Decimal("4.1")
    refused = invoke("--data", str(demo_root), "--as", "alex", "actuals", "import", "--cycle", CYCLE,
                     "--decimal-comma", str(csv))
    assert refused.exit_code == 1 and "only an HR admin" in refused.stderr
