"""DESIGN.md §3, weights: KRA weights sum to exactly 100, KPI weights inside a
KRA sum to exactly 100, each weight is 0..100 with at most 2 decimals. Checked
on templates (RoleTemplate, `templates check`) and on a review's own copy
(`workflow.set_weights`), with messages that name the KRA."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

import pytest
from pydantic import ValidationError

from tui import workflow as wf
from tui.models import Cycle, Person, RoleTemplate, check_weight
from tui.templates import TemplateError, template_from_data

VALID = [
    ["33.33", "33.33", "33.34"],
    ["72.68", "10.93", "2.73", "13.66"],
]
INVALID = [
    ["33.3", "33.5", "33.6"],  # 100.4
    ["33.2", "33.2", "33.2"],  # 99.6
    ["60", "60"],
    ["50", "40", "30"],
    ["0.75", "0.75", "98.4"],  # 99.9
]
# One bad value per case; each must give a clean message, never a crash.
BAD_VALUES = [
    ("-5", "negative"),
    ("-0.01", "negative"),
    ("33.333", "more than 2 decimals"),
    ("10.001", "more than 2 decimals"),
    ("NaN", "finite"),
    ("sNaN", "finite"),
    ("Infinity", "finite"),
    ("-Infinity", "finite"),
    ("100.01", "above 100"),
    ("1e30", "above 100"),
    ("1e400", "above 100"),
    ("9" * 500, "above 100"),
]
AT = datetime(2026, 7, 1, 9, 0)


def kpi(kpi_id: str, weight: Any) -> dict[str, Any]:
    return {
        "id": kpi_id, "name": f"Number of {kpi_id}", "kind": "numeric", "unit": "count",
        "direction": "higher", "target": Decimal(10), "weight": weight,
        "measurement": "Counted from the CRM.",
    }


def template_data(kra_weights: list[Any], kpi_weights: list[Any] | None = None) -> dict:
    """A template whose KRA weights are `kra_weights`; the *last* KRA's KPIs
    get `kpi_weights` (the others one KPI at 100), so a KPI-level message has to
    name the right KRA, not just the first one."""
    kras = []
    for i, w in enumerate(kra_weights, 1):
        weights = kpi_weights if (kpi_weights is not None and i == len(kra_weights)) else ["100"]
        kras.append({
            "id": f"kra-{i}", "title": f"KRA {i}", "weight": as_value(w),
            "kpis": [kpi(f"kpi-{i}-{j}", as_value(kw)) for j, kw in enumerate(weights, 1)],
        })
    return {"id": "weights-test", "title": "Weights test", "kras": kras}


def as_value(w: Any) -> Any:
    return Decimal(w) if isinstance(w, str) else w


# --- templates: KRA level ----------------------------------------------------


@pytest.mark.parametrize("weights", VALID, ids=str)
def test_template_accepts_kra_weights_that_sum_to_exactly_100(weights: list[str]) -> None:
    template = template_from_data(template_data(weights), "t.toml")
    assert sum(k.weight for k in template.kras) == 100
    assert [k.weight for k in template.kras] == [Decimal(w) for w in weights]


@pytest.mark.parametrize("weights", INVALID, ids=str)
def test_template_rejects_kra_weights_not_100_naming_the_kras(weights: list[str]) -> None:
    with pytest.raises(TemplateError) as info:
        template_from_data(template_data(weights), "t.toml")
    message = str(info.value)
    total = sum(Decimal(w) for w in weights)
    assert "KRA weights sum to" in message and "not 100" in message
    assert f"{total.normalize():f}" in message
    for i, w in enumerate(weights, 1):
        assert f"kra-{i} {Decimal(w).normalize():f}" in message
    assert message.startswith("t.toml: ")


@pytest.mark.parametrize("weights", INVALID, ids=str)
def test_role_template_model_rejects_kra_weights_not_100(weights: list[str]) -> None:
    with pytest.raises(ValidationError, match="KRA weights sum to .* not 100"):
        RoleTemplate.model_validate(template_data(weights))


# --- templates: KPI level inside a KRA -----------------------------------------


@pytest.mark.parametrize("weights", VALID, ids=str)
def test_template_accepts_kpi_weights_that_sum_to_exactly_100(weights: list[str]) -> None:
    template = template_from_data(template_data(["40", "60"], weights), "t.toml")
    assert [k.weight for k in template.kras[1].kpis] == [Decimal(w) for w in weights]


@pytest.mark.parametrize("weights", INVALID, ids=str)
def test_template_rejects_kpi_weights_not_100_naming_the_kra(weights: list[str]) -> None:
    with pytest.raises(TemplateError) as info:
        template_from_data(template_data(["40", "60"], weights), "t.toml")
    problems = info.value.problems
    assert len(problems) == 1, problems
    total = sum(Decimal(w) for w in weights)
    assert problems[0].startswith("KRA 'kra-2': KPI weights sum to")
    assert f"{total.normalize():f}, not 100" in problems[0]
    assert "kra-1" not in problems[0]
    for j in range(1, len(weights) + 1):
        assert f"kpi-2-{j}" in problems[0]


@pytest.mark.parametrize("weights", INVALID, ids=str)
def test_role_template_model_rejects_kpi_weights_not_100(weights: list[str]) -> None:
    with pytest.raises(ValidationError, match="KRA 'kra-2': KPI weights sum to"):
        RoleTemplate.model_validate(template_data(["40", "60"], weights))


def test_both_levels_wrong_gives_one_message_each() -> None:
    with pytest.raises(TemplateError) as info:
        template_from_data(template_data(["60", "60"], ["50", "40", "30"]), "t.toml")
    problems = info.value.problems
    assert len(problems) == 2, problems
    assert problems[0].startswith("KRA weights sum to 120")
    assert problems[1].startswith("KRA 'kra-2': KPI weights sum to 120")


# --- bad values ----------------------------------------------------------------


@pytest.mark.parametrize(("value", "why"), BAD_VALUES, ids=lambda v: str(v)[:12])
def test_bad_kra_weight_in_a_template_is_a_clean_error(value: str, why: str) -> None:
    data = template_data([value, "100"])
    with pytest.raises(TemplateError) as info:
        template_from_data(data, "t.toml")
    first = info.value.problems[0]
    assert first.startswith("KRA 'kra-1' · weight: "), first
    assert why in first
    assert len(first) < 200  # a huge number is not printed digit by digit


@pytest.mark.parametrize(("value", "why"), BAD_VALUES, ids=lambda v: str(v)[:12])
def test_bad_kpi_weight_in_a_template_is_a_clean_error(value: str, why: str) -> None:
    data = template_data(["100"], [value, "100"])
    with pytest.raises(TemplateError) as info:
        template_from_data(data, "t.toml")
    first = info.value.problems[0]
    assert first.startswith("KRA 'kra-1' · KPI 'kpi-1-1' · weight: "), first
    assert why in first


@pytest.mark.parametrize("value", [float("nan"), float("inf"), 1e308, 10**400, -(10**400)])
def test_non_decimal_numbers_from_toml_are_clean_errors(value: Any) -> None:
    with pytest.raises(TemplateError) as info:
        template_from_data(template_data([value]), "t.toml")
    assert info.value.problems[0].startswith("KRA 'kra-1' · weight: ")


@pytest.mark.parametrize(("value", "why"), BAD_VALUES, ids=lambda v: str(v)[:12])
def test_check_weight_raises_value_error_only(value: str, why: str) -> None:
    with pytest.raises(ValueError, match=why) as info:
        check_weight(Decimal(value))
    assert not isinstance(info.value, InvalidOperation)


@pytest.mark.parametrize("value", ["0", "0.00", "0.01", "33.33", "99.99", "100", "100.00"])
def test_check_weight_accepts_0_to_100_with_2_decimals(value: str) -> None:
    assert check_weight(Decimal(value)) == Decimal(value)


def test_negative_zero_is_stored_as_zero() -> None:
    assert str(check_weight(Decimal("-0"))) == "0"


# --- a review's own copy (workflow.set_weights) --------------------------------


def lopsided(n: int) -> list[str]:
    """n weights that sum to 100 and differ from every VALID case."""
    return ["1"] * (n - 1) + [str(101 - n)]


def review_with(n_kras: int, n_kpis_in_last: int = 1) -> wf.Review:
    data = template_data(lopsided(n_kras), lopsided(n_kpis_in_last))
    template = template_from_data(data, "t.toml")
    person = Person(id="alex", name="Alex", login="alex", manager="sofia", role=template.id)
    manager = Person(id="sofia", name="Sofia", login="sofia", role=template.id)
    cycle = Cycle(id="2026-h2", name="2026 H2", start=date(2026, 7, 1), end=date(2026, 12, 31))
    review, _ = wf.start_review(template, person, manager, cycle, "sofia", AT)
    return review


@pytest.mark.parametrize("weights", VALID, ids=str)
def test_review_accepts_valid_kra_weights(weights: list[str]) -> None:
    review = review_with(len(weights))
    entries = wf.set_weights(
        review, {f"kra-{i}": w for i, w in enumerate(weights, 1)}, {}, {}, "sofia", AT
    )
    assert [k.weight for k in review.kras] == [Decimal(w) for w in weights]
    assert entries and review.revision == 1


@pytest.mark.parametrize("weights", VALID, ids=str)
def test_review_accepts_valid_kpi_weights(weights: list[str]) -> None:
    review = review_with(2, len(weights))
    kpis = {f"kpi-2-{j}": w for j, w in enumerate(weights, 1)}
    wf.set_weights(review, {}, kpis, {}, "sofia", AT)
    assert [k.weight for k in review.kras[1].kpis] == [Decimal(w) for w in weights]


@pytest.mark.parametrize("weights", INVALID, ids=str)
def test_review_rejects_kra_weights_not_100_naming_the_kras(weights: list[str]) -> None:
    review = review_with(len(weights))
    before = review.model_copy(deep=True)
    with pytest.raises(wf.WorkflowError) as info:
        wf.set_weights(
            review, {f"kra-{i}": w for i, w in enumerate(weights, 1)}, {}, {}, "sofia", AT
        )
    message = str(info.value)
    assert "KRA weights sum to" in message and "not 100" in message
    for i in range(1, len(weights) + 1):
        assert f"kra-{i}" in message
    assert review == before  # nothing changed


@pytest.mark.parametrize("weights", INVALID, ids=str)
def test_review_rejects_kpi_weights_not_100_naming_the_kra(weights: list[str]) -> None:
    review = review_with(2, len(weights))
    before = review.model_copy(deep=True)
    kpis = {f"kpi-2-{j}": w for j, w in enumerate(weights, 1)}
    with pytest.raises(wf.WorkflowError, match=r"KRA 'kra-2': KPI weights sum to .*not 100"):
        wf.set_weights(review, {}, kpis, {}, "sofia", AT)
    assert review == before


@pytest.mark.parametrize(("value", "why"), BAD_VALUES, ids=lambda v: str(v)[:12])
def test_bad_kra_weight_in_a_review_is_a_workflow_error(value: str, why: str) -> None:
    review = review_with(2)
    before = review.model_copy(deep=True)
    with pytest.raises(wf.WorkflowError) as info:
        wf.set_weights(review, {"kra-1": value, "kra-2": "100"}, {}, {}, "sofia", AT)
    assert "kra-1" in str(info.value)
    assert len(str(info.value)) < 200
    assert review == before


@pytest.mark.parametrize(("value", "why"), BAD_VALUES, ids=lambda v: str(v)[:12])
def test_bad_kpi_weight_in_a_review_is_a_workflow_error(value: str, why: str) -> None:
    review = review_with(2, 2)
    before = review.model_copy(deep=True)
    with pytest.raises(wf.WorkflowError) as info:
        wf.set_weights(review, {}, {"kpi-2-1": value, "kpi-2-2": "100"}, {}, "sofia", AT)
    assert "kpi-2-1" in str(info.value)
    assert review == before


@pytest.mark.parametrize("value", ["abc", "", None, "1,5", float("nan"), 1e300, True])
def test_non_numbers_in_a_review_are_workflow_errors(value: Any) -> None:
    review = review_with(2)
    with pytest.raises(wf.WorkflowError, match="kra-1"):
        wf.set_weights(review, {"kra-1": value, "kra-2": "50"}, {}, {}, "sofia", AT)
