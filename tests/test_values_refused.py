"""Values a review needs, and values it cannot take, wherever they enter: edits
(`tui.workflow`), the actuals CSV (`tui.actuals`), templates (`tui.models`) and
import (`tui.export`).

1. A key the review's state requires though its type is optional (a numeric
   KPI's target after planning; a signed-off review's sign-offs and digests)
   is refused as missing, naming file, KRA/KPI and key.
2. A KPI counted in whole things (unit `count`) refuses a fractional target or
   actual.
3. Free text of only white space is no text: stored as empty, and refused as
   missing where a text is required (a comment, an action's text).
4. An action's due date before its cycle starts is refused.
"""

from __future__ import annotations

import copy
import tomllib
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from tui import export
from tui import workflow as wf
from tui.access import open_session
from tui.actuals import ActualsError, import_actuals
from tui.cli import main
from tui.models import Cycle, Person, Review, ReviewKPI, RoleTemplate, State
from tui.scoring import missing_for_signoff, missing_targets
from tui.store import Store

CYCLE_ID = "2026-h2"
T0 = datetime(2026, 7, 1, 9, 0)
EMPLOYEE, MANAGER = "alex", "sofia"
CYCLE = Cycle(id=CYCLE_ID, name="2026 H2", start=date(2026, 7, 1), end=date(2026, 12, 31))


# --- helpers ---------------------------------------------------------------------


def template(deals_target: Any = 10) -> RoleTemplate:
    deals = {"id": "deals", "name": "Number of deals closed", "unit": "count",
             "direction": "higher", "weight": 60, "measurement": "CRM."}
    if deals_target is not None:
        deals["target"] = deals_target
    return RoleTemplate.model_validate({
        "id": "values-test", "title": "Values test",
        "kras": [
            {"id": "sales", "title": "Sales", "weight": 70, "kpis": [
                deals,
                {"id": "cycle", "name": "Average days to close", "unit": "days",
                 "direction": "lower", "target": 40, "weight": 40, "measurement": "CRM."},
            ]},
            {"id": "care", "title": "Care", "weight": 30, "kpis": [
                {"id": "csat", "name": "Customer satisfaction score", "kind": "rating",
                 "weight": 100, "measurement": "Survey."},
            ]},
        ],
    })


def new_review(state: State = State.planning, deals_target: Any = 10) -> Review:
    t = template(deals_target)
    person = Person(id=EMPLOYEE, name="Alex", login="alex", manager=MANAGER, role=t.id)
    manager = Person(id=MANAGER, name="Sofia", login="sofia", role=t.id)
    review, _ = wf.start_review(t, person, manager, CYCLE, MANAGER, T0)
    review.state = state
    return review


def doc_of(root: Path, person: str) -> dict[str, Any]:
    text = export.export_text(open_session(Store(root), login="harriet"), f"{CYCLE_ID}/{person}")
    return tomllib.loads(text, parse_float=Decimal)


def problems_of(doc: dict[str, Any]) -> list[str]:
    with pytest.raises(export.ReviewFileError) as info:
        export.parse_review(export.render(doc), "f.toml")
    return [p.removeprefix("f.toml: ") for p in info.value.problems]


def parses(doc: dict[str, Any]) -> export.ReviewFile:
    return export.parse_review(export.render(doc), "f.toml")


def kpi_where(doc: dict[str, Any], test: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    """The first (KRA, KPI) table of the document for which `test(kpi)` holds."""
    for kra in doc["kras"]:
        for kpi in kra["kpis"]:
            if test(kpi):
                return kra, kpi
    raise AssertionError("no such KPI in the document")


def numeric_with_target(kpi: dict[str, Any]) -> bool:
    return kpi.get("kind") == "numeric" and not kpi.get("na") and "target" in kpi


def counted(kpi: dict[str, Any]) -> bool:
    return kpi.get("unit") == "count" and not kpi.get("na")


# --- 1. required by the state, though optional by type -------------------------------


@pytest.mark.parametrize("person, state", [("lee", "self assessment"),
                                           ("alex", "manager assessment"),
                                           ("maya", "joint review")])
def test_import_refuses_a_numeric_kpi_without_its_target_after_planning(
        pristine_demo: Path, person: str, state: str) -> None:
    doc = doc_of(pristine_demo, person)
    kra, kpi = kpi_where(doc, numeric_with_target)
    del kpi["target"]
    problems = problems_of(doc)
    assert problems == [
        f"KRA {kra['id']!r} · KPI {kpi['id']!r} · target: required key is missing (a numeric "
        f"KPI keeps the target set in planning, and this review is in {state}); add "
        "target = ..., or na = true with an na_reason if the KPI does not apply"
    ]


def test_import_check_names_the_file_for_a_removed_target(pristine_demo: Path,
                                                          tmp_path: Path) -> None:
    doc = doc_of(pristine_demo, "maya")
    _, kpi = kpi_where(doc, numeric_with_target)
    del kpi["target"]
    path = tmp_path / "maya.toml"
    path.write_text(export.render(doc), encoding="utf-8")
    result = CliRunner().invoke(main, ["--data", str(tmp_path / "new"), "import", "--check",
                                       str(path)])
    assert result.exit_code == 1, result.output
    assert f"{path}: KRA " in result.output
    assert f"KPI {kpi['id']!r} · target: required key is missing" in result.output
    assert "valid" not in result.output


def test_a_target_may_be_unset_in_planning_and_on_an_na_kpi(pristine_demo: Path) -> None:
    doc = doc_of(pristine_demo, "sam")  # planning
    _, kpi = kpi_where(doc, numeric_with_target)
    del kpi["target"]
    assert parses(doc).review.kpi(kpi["id"]).target is None
    doc = doc_of(pristine_demo, "maya")  # joint review: an N/A KPI needs no target
    _, kpi = kpi_where(doc, numeric_with_target)
    del kpi["target"]
    kpi["na"], kpi["na_reason"] = True, "No budget this cycle"
    assert parses(doc).review.kpi(kpi["id"]).target is None


def test_a_signed_off_file_needs_both_sign_offs_with_their_digests(pristine_demo: Path) -> None:
    doc = doc_of(pristine_demo, "chen")  # signed off
    revision = doc["review"]["revision"]
    without = copy.deepcopy(doc)
    del without["signoffs"]
    problems = problems_of(without)
    assert len(problems) == 2, problems
    for role in ("employee", "manager"):
        assert any(p.startswith(f"signoffs: the review is signed off, but the {role}'s sign-off "
                                f"at its revision {revision} is missing") for p in problems)
    one = copy.deepcopy(doc)
    one["signoffs"] = [s for s in one["signoffs"] if s["role"] == "employee"]
    assert [p.split(" sign-off")[0] for p in problems_of(one)] == [
        "signoffs: the review is signed off, but the manager's"]
    no_digest = copy.deepcopy(doc)
    del no_digest["signoffs"][0]["digest"]
    assert problems_of(no_digest) == [
        "sign-off #1 · digest: required key is missing (the digest of what was signed; without "
        "it the signature cannot be checked)"]
    assert parses(doc).review.state is State.signed_off


def test_an_edit_after_planning_cannot_leave_a_numeric_kpi_without_target() -> None:
    review = new_review(State.manager_assessment)
    with pytest.raises(wf.WorkflowError, match="target cannot be removed in manager assessment"):
        wf.set_kpi_field(review, "deals", "target", "", MANAGER, T0)
    with pytest.raises(wf.WorkflowError, match="target cannot be removed"):
        wf.set_weights(review, {}, {}, {"deals": None}, MANAGER, T0)
    assert review.kpi("deals").target == 10 and review.revision == 0
    # an N/A KPI without a target cannot count again: it has no target to count against
    review = new_review(State.planning, deals_target=None)
    wf.set_kpi_field(review, "deals", "na", True, MANAGER, T0)
    wf.advance(review, MANAGER, T0)
    review.state = State.manager_assessment
    with pytest.raises(wf.WorkflowError, match="KPI deals has no target, so it stays N/A"):
        wf.set_kpi_field(review, "deals", "na", False, MANAGER, T0)
    assert review.kpi("deals").na and missing_targets(review) == []


def test_in_planning_a_target_may_be_cleared() -> None:
    review = new_review(State.planning)
    wf.set_kpi_field(review, "deals", "target", "", MANAGER, T0)
    assert review.kpi("deals").target is None
    wf.set_kpi_field(review, "deals", "na", True, MANAGER, T0)
    wf.set_kpi_field(review, "deals", "na", False, MANAGER, T0)


# --- 2. counts are whole numbers ---------------------------------------------------------


@pytest.mark.parametrize("field", ["target", "actual"])
@pytest.mark.parametrize("typed", ["2.5", Decimal("0.1"), 2.5, "1e-1", "-0.5"])
def test_a_count_refuses_a_fraction_in_every_edit(field: str, typed: Any) -> None:
    review = new_review(State.planning if field == "target" else State.self_assessment)
    before = review.kpi("deals").model_dump()
    with pytest.raises(wf.WorkflowError, match=rf"^{field} .* (is not a whole number; the KPI "
                       r"is counted in whole things \(unit count\)|cannot be negative)"):
        wf.set_kpi_field(review, "deals", field, typed, MANAGER, T0)
    if field == "target":
        with pytest.raises(wf.WorkflowError, match="not a whole number|cannot be negative"):
            wf.set_weights(review, {}, {}, {"deals": typed}, MANAGER, T0)
    assert review.kpi("deals").model_dump() == before


def test_a_count_takes_whole_numbers_however_written_and_other_units_fractions() -> None:
    review = new_review(State.self_assessment)
    for typed, kept in (("3", Decimal(3)), ("3.0", Decimal(3)), ("1e1", Decimal(10)),
                        (Decimal("4.00"), Decimal(4)), (7, Decimal(7))):
        wf.set_kpi_field(review, "deals", "actual", typed, MANAGER, T0)
        assert review.kpi("deals").actual == kept
    wf.set_kpi_field(review, "cycle", "actual", "2.5", MANAGER, T0)  # days
    assert review.kpi("cycle").actual == Decimal("2.5")
    with pytest.raises(wf.WorkflowError, match=r"2.5 is not a whole number.*\(2 or 3\)"):
        wf.set_kpi_field(review, "deals", "actual", "2.5", MANAGER, T0)


def test_a_template_refuses_a_fractional_count_target() -> None:
    with pytest.raises(ValueError, match="target 2.5 is not a whole number"):
        template(deals_target="2.5")


def test_a_stored_review_with_a_fractional_count_stays_readable() -> None:
    # entered before counts took whole numbers only: loading it must not fail
    kpi = ReviewKPI(id="deals", name="Deals", unit="count", direction="higher", weight=100,
                    target=Decimal("2.5"), actual=Decimal("1.5"))
    assert kpi.actual == Decimal("1.5")


def test_the_actuals_csv_refuses_a_fractional_count(demo_root: Path, tmp_path: Path) -> None:
    csv = tmp_path / "crm.csv"
    csv.write_text("person,kpi,actual\nalex,ad-new-products-adopted,2.5\n"
                   "alex,ad-existing-revenue-growth,12.5\n", encoding="utf-8")
    before = (demo_root / "reviews" / CYCLE_ID / "alex.json").read_bytes()
    hr = open_session(Store(demo_root), login="harriet")
    with pytest.raises(ActualsError) as info:
        import_actuals(hr, CYCLE_ID, csv)
    assert info.value.problems == [
        f"{csv}:2: KPI 'ad-new-products-adopted': actual 2.5 is not a whole number; the KPI is "
        "counted in whole things (unit count): give a whole number (2 or 3)"]
    assert (demo_root / "reviews" / CYCLE_ID / "alex.json").read_bytes() == before


@pytest.mark.parametrize("key", ["target", "actual"])
def test_import_refuses_a_fractional_count(pristine_demo: Path, key: str) -> None:
    doc = doc_of(pristine_demo, "maya")
    kra, kpi = kpi_where(doc, counted)
    kpi[key] = Decimal("2.5")
    assert problems_of(doc) == [
        f"KRA {kra['id']!r} · KPI {kpi['id']!r} · {key}: 2.5 is not a whole number; the KPI is "
        "counted in whole things (unit count): give a whole number (2 or 3)"]


# --- 3. only white space is no text ------------------------------------------------------


@pytest.mark.parametrize("blank", [" ", "  \n\t", "\u00a0", "\u3000"])
def test_white_space_is_no_text_in_every_edit(blank: str) -> None:
    review = new_review(State.joint_review)
    wf.set_comment(review, "deals", EMPLOYEE, blank, T0)
    assert review.kpi("deals").comments == [] and review.revision == 0
    wf.set_comment(review, "deals", EMPLOYEE, "Good quarter", T0)
    wf.set_comment(review, "deals", EMPLOYEE, blank, T0)  # replaces = removes it
    assert review.kpi("deals").comments == []
    for field in ("rating_reason", "na_reason"):
        wf.set_kpi_field(review, "deals", field, "a reason", MANAGER, T0)
        wf.set_kpi_field(review, "deals", field, blank, MANAGER, T0)
        assert getattr(review.kpi("deals"), field) == ""
    wf.set_kpi_field(review, "deals", "na", True, MANAGER, T0)
    wf.set_kpi_field(review, "deals", "na_reason", blank, MANAGER, T0)
    assert any("N/A needs a reason" in m for m in missing_for_signoff(review))
    with pytest.raises(wf.WorkflowError, match="an improvement action needs a text"):
        wf.add_action(review, MANAGER, T0, blank, EMPLOYEE)
    action, _ = wf.add_action(review, MANAGER, T0, "Shadow a renewal", EMPLOYEE,
                              success_measure=blank)
    assert action.success_measure == ""
    wf.update_action(review, action.id, {"success_measure": "Checklist"}, MANAGER, T0)
    wf.update_action(review, action.id, {"success_measure": blank}, MANAGER, T0)
    assert action.success_measure == ""
    with pytest.raises(wf.WorkflowError, match="an improvement action needs a text"):
        wf.update_action(review, action.id, {"text": blank}, MANAGER, T0)
    assert action.text == "Shadow a renewal"


def test_import_refuses_blank_required_text_and_empties_blank_optional_text(
        pristine_demo: Path) -> None:
    doc = doc_of(pristine_demo, "maya")
    kra, kpi = kpi_where(doc, lambda k: bool(k.get("comments")))
    kpi["comments"][0]["text"] = "  \n"
    doc["actions"][0]["text"] = " "
    assert problems_of(doc) == [
        f"KRA {kra['id']!r} · KPI {kpi['id']!r} · comment #1 · text: required text is missing "
        "(it is empty or only white space); write the comment, or remove its "
        "[[kras.kpis.comments]] table",
        f"action {doc['actions'][0]['id']!r} · text: required text is missing (it is only white "
        "space); write what is to be done",
    ]
    doc = doc_of(pristine_demo, "maya")
    kpi, other = doc["kras"][0]["kpis"][:2]
    kpi["rating_reason"] = " "
    other["na_reason"] = "\t"
    doc["actions"][0]["success_measure"] = "  "
    review = parses(doc).review
    assert review.kpi(kpi["id"]).rating_reason == ""
    assert review.kpi(other["id"]).na_reason == ""
    assert review.actions[0].success_measure == ""


# --- 4. an action is not due before its cycle starts -----------------------------------------


def test_an_edit_refuses_a_due_date_before_the_cycle_starts() -> None:
    review = new_review(State.joint_review)
    message = (r"due date 1999-01-01 is before the cycle 2026-h2 starts \(it runs 2026-07-01 to "
               r"2026-12-31\); give a date from 2026-07-01 on")
    with pytest.raises(wf.WorkflowError, match=message):
        wf.add_action(review, MANAGER, T0, "Shadow", EMPLOYEE, due="1999-01-01", cycle=CYCLE)
    assert review.actions == []
    action, _ = wf.add_action(review, MANAGER, T0, "Shadow", EMPLOYEE, due="2026-07-01",
                              cycle=CYCLE)  # the first day is fine, and after the end too
    wf.update_action(review, action.id, {"due": "2027-03-31"}, MANAGER, T0, cycle=CYCLE)
    with pytest.raises(wf.WorkflowError, match=message):
        wf.update_action(review, action.id, {"due": date(1999, 1, 1)}, MANAGER, T0, cycle=CYCLE)
    assert action.due == date(2027, 3, 31)
    other = CYCLE.model_copy(update={"id": "2027-h1"})
    with pytest.raises(wf.WorkflowError, match="not the cycle of review"):
        wf.add_action(review, MANAGER, T0, "Shadow", EMPLOYEE, cycle=other)


def test_import_refuses_a_due_date_before_the_cycle_starts(pristine_demo: Path) -> None:
    doc = doc_of(pristine_demo, "maya")
    doc["actions"][0]["due"] = date(1999, 1, 1)
    assert problems_of(doc) == [
        f"action {doc['actions'][0]['id']!r} · due: 1999-01-01 is before the cycle 2026-h2 "
        "starts (it runs 2026-07-01 to 2026-12-31); give a date from 2026-07-01 on"]


def test_import_checks_the_due_date_against_the_cycle_kept_here(demo_root: Path,
                                                                tmp_path: Path) -> None:
    # the file's cycle starts earlier than the one in the data directory, which is kept
    doc = doc_of(demo_root, "maya")
    doc["cycle"]["start"] = date(2026, 1, 1)
    doc["actions"][0]["due"] = date(2026, 3, 31)
    path = tmp_path / "maya.toml"
    path.write_text(export.render(doc), encoding="utf-8")
    store = Store(demo_root)
    hr = open_session(store, login="harriet")
    with pytest.raises(export.ReviewFileError) as info:
        export.import_reviews(store, [path], "harriet", session=hr, replace=True, write=False)
    assert info.value.problems == [
        f"{path}: action {doc['actions'][0]['id']!r} · due: 2026-03-31 is before the cycle "
        "2026-h2 starts (it runs 2026-07-01 to 2026-12-31); give a date from 2026-07-01 on "
        "(the cycle here; the file says it starts 2026-01-01)"]


@pytest.mark.parametrize("typed", ["2_5", "1_000", "_1", "1__0"])
def test_a_number_with_an_underscore_is_refused_not_read_as_another_number(typed: str) -> None:
    from tui.workflow import parse_number, parse_weight

    kpi = new_review().kpi("deals")
    with pytest.raises(wf.WorkflowError, match="without '_'"):
        parse_number(typed, kpi, "actual")
    with pytest.raises(wf.WorkflowError, match="without '_'"):
        parse_weight(typed, "KPI weight")
