"""The shipped role templates: they load cleanly and the Major Account Manager
template matches the KRA/KPI sheet the product started from."""

from __future__ import annotations

import os
import re
from decimal import Decimal
from pathlib import Path

import pytest

from tui.models import Direction, Kind, RoleTemplate
from tui.templates import check_file, shipped_template_files

SEED_NAME = "major-account-manager-kra-kpi.txt"
REPO = Path(__file__).resolve().parents[1]
MAM_ID = "major-account-manager"
EXAMPLE_ID = "major-account-manager-example"
HEADING = re.compile(r"^(\d+)\.\s+(\S.*)$")


def find_seed() -> Path:
    """The source sheet, kept in the repo as test data (a copy of shared/seeds/)."""
    return REPO / "tests" / "data" / SEED_NAME


def parse_sheet(text: str) -> tuple[list[dict], dict]:
    """(the numbered KRA sections, the real-time example) of the seed sheet.

    A section starts at an "N. Title" line; its KPIs are the "- " lines after it,
    up to "Real-Time Example". The table of contents ("- N. Title") is skipped
    because those lines start with "- " and come before any heading.
    """
    sections: list[dict] = []
    example: dict = {"kpis": []}
    lines = [line.strip() for line in text.splitlines()]
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.startswith("Real-Time Example"):
            break
        if m := HEADING.match(line):
            sections.append({"number": int(m[1]), "title": m[2], "kpis": []})
        elif sections:
            if line.startswith("KRA:"):
                sections[-1]["statement"] = line.removeprefix("KRA:").strip()
            elif line.startswith("Short Description:"):
                sections[-1]["description"] = line.removeprefix("Short Description:").strip()
            elif line.startswith("- "):
                sections[-1]["kpis"].append(line[2:].strip())
        i += 1
    for line in lines[i:]:
        if line.startswith("Example:"):
            example["title"] = line.removeprefix("Example:").strip()
        elif line.startswith("KRA:") and "statement" not in example:
            example["statement"] = line.removeprefix("KRA:").strip()
        elif m := re.match(r"^- KPI \d+:\s*(.+)$", line):
            example["kpis"].append(m[1].strip())
        elif example["kpis"]:
            break
    return sections, example


@pytest.fixture(scope="module")
def sheet() -> tuple[list[dict], dict]:
    seed = find_seed()
    return parse_sheet(seed.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def templates() -> dict[str, RoleTemplate]:
    loaded = {}
    for path in shipped_template_files():
        result = check_file(path)
        assert result.template is not None, (path, result.errors)
        loaded[result.template.id] = result.template
    return loaded


@pytest.fixture(scope="module")
def mam(templates: dict[str, RoleTemplate]) -> RoleTemplate:
    return templates[MAM_ID]


def all_kpis(template: RoleTemplate):
    return [kpi for kra in template.kras for kpi in kra.kpis]


# --- every shipped template ------------------------------------------------


def test_at_least_six_templates_ship() -> None:
    assert len(shipped_template_files()) >= 6


@pytest.mark.parametrize("path", shipped_template_files(), ids=lambda p: p.name)
def test_shipped_template_has_no_errors_and_no_warnings(path: Path) -> None:
    result = check_file(path)
    assert result.errors == []
    assert result.warnings == []
    assert result.template is not None
    assert path.stem == result.template.id


@pytest.mark.parametrize("path", shipped_template_files(), ids=lambda p: p.name)
def test_shipped_template_weights_and_measurement(path: Path) -> None:
    template = check_file(path).template
    assert template is not None
    assert sum((k.weight for k in template.kras), Decimal(0)) == 100
    for kra in template.kras:
        assert sum((p.weight for p in kra.kpis), Decimal(0)) == 100
        for kpi in kra.kpis:
            assert kpi.measurement.strip(), kpi.id
            if kpi.kind is Kind.numeric:
                assert kpi.target is not None, kpi.id


def test_role_templates_have_four_to_eight_kras(templates: dict[str, RoleTemplate]) -> None:
    # The MAM template follows its source sheet (10 KRAs); the example has one.
    for tid, template in templates.items():
        if tid in (MAM_ID, EXAMPLE_ID):
            continue
        assert 4 <= len(template.kras) <= 8, tid
        for kra in template.kras:
            assert 3 <= len(kra.kpis) <= 5, (tid, kra.id)


def test_written_roles_ship(templates: dict[str, RoleTemplate]) -> None:
    for tid in (
        "account-executive",
        "customer-success-manager",
        "software-engineer",
        "hr-business-partner",
        "support-team-lead",
    ):
        assert tid in templates


def test_role_templates_mix_kinds_and_directions(templates: dict[str, RoleTemplate]) -> None:
    for tid, template in templates.items():
        if tid == EXAMPLE_ID:
            continue
        kpis = all_kpis(template)
        assert any(k.kind is Kind.rating for k in kpis), tid
        assert any(k.direction is Direction.lower for k in kpis), tid


def test_software_engineer_uses_its_own_four_point_scale(
    templates: dict[str, RoleTemplate],
) -> None:
    se = templates["software-engineer"]
    assert (se.scale.min, se.scale.max) == (1, 4)
    assert len(se.scale.labels) == 4
    assert [b.rating for b in se.bands] == [1, 2, 3, 4]
    assert se.bands[-1].below is None


# --- the Major Account Manager template against its sheet ---------------------


def test_mam_has_ten_kras_of_four_kpis(mam: RoleTemplate) -> None:
    assert mam.title == "Major Account Manager"
    assert mam.version == 1
    assert len(mam.kras) == 10
    assert all(len(kra.kpis) == 4 for kra in mam.kras)
    ids = [kpi.id for kpi in all_kpis(mam)]
    assert len(ids) == len(set(ids)) == 40


def test_mam_matches_the_sheet_verbatim(mam: RoleTemplate, sheet) -> None:
    sections, _ = sheet
    assert [s["number"] for s in sections] == list(range(1, 11))
    assert all(len(s["kpis"]) == 4 for s in sections)
    assert [kra.title for kra in mam.kras] == [s["title"] for s in sections]
    assert [kra.statement for kra in mam.kras] == [s["statement"] for s in sections]
    assert [kra.description for kra in mam.kras] == [s["description"] for s in sections]
    assert [kpi.name for kpi in all_kpis(mam)] == [n for s in sections for n in s["kpis"]]


def test_mam_weights_favour_revenue_growth_and_account_development(mam: RoleTemplate) -> None:
    weights = {kra.id: kra.weight for kra in mam.kras}
    top = {"revenue-growth", "account-development"}
    others = [w for kid, w in weights.items() if kid not in top]
    assert min(weights[k] for k in top) > max(others)
    assert len(set(weights.values())) > 1


def test_mam_directions(mam: RoleTemplate) -> None:
    by_name = {kpi.name: kpi for kpi in all_kpis(mam)}
    response = by_name["Response time to address critical issues impacting major accounts"]
    assert response.kind is Kind.numeric
    assert response.direction is Direction.lower
    assert response.unit == "hours"
    revenue = by_name["Percentage increase in revenue from existing major accounts"]
    assert revenue.direction is Direction.higher
    assert revenue.unit == "%"


def test_mam_qualitative_kpis_are_ratings(mam: RoleTemplate) -> None:
    qualitative = re.compile(
        r"^(Feedback from|Client feedback on|Customer feedback on|"
        r"Identification of emerging trends|Competitor analysis)"
    )
    matched = [kpi for kpi in all_kpis(mam) if qualitative.match(kpi.name)]
    assert len(matched) == 7
    for kpi in matched:
        assert kpi.kind is Kind.rating, kpi.name
    feedback = [kpi for kpi in all_kpis(mam) if kpi.name.startswith("Feedback")]
    assert len(feedback) == 3


def test_mam_numeric_units(mam: RoleTemplate) -> None:
    for kpi in all_kpis(mam):
        if kpi.kind is not Kind.numeric:
            continue
        if kpi.name.startswith("Percentage"):
            assert kpi.unit == "%", kpi.name
        if kpi.name.startswith("Number of"):
            assert kpi.unit == "count", kpi.name
        assert kpi.target is not None and kpi.target > 0, kpi.name


# --- the worked example ------------------------------------------------------------


def test_example_is_one_kra_at_100(templates: dict[str, RoleTemplate]) -> None:
    example = templates[EXAMPLE_ID]
    assert len(example.kras) == 1
    assert example.kras[0].weight == 100
    assert len(example.kras[0].kpis) == 4
    commitment = example.kras[0].kpis[2]
    assert commitment.name == "Average time taken to secure major account commitment to new product"
    assert commitment.direction is Direction.lower
    assert commitment.unit == "days"


def test_example_matches_the_sheet(templates: dict[str, RoleTemplate], sheet) -> None:
    _, example_sheet = sheet
    kra = templates[EXAMPLE_ID].kras[0]
    assert kra.title == example_sheet["title"]
    assert kra.statement == example_sheet["statement"]
    assert [kpi.name for kpi in kra.kpis] == example_sheet["kpis"]
