"""DESIGN.md §4, the review workflow, at the level of `tui.workflow` (no store,
no access checks): the order of the steps, what each step needs, signing,
stale signatures, reopening, and what is missing before sign-off."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

import pytest

from tui import scoring
from tui import workflow as wf
from tui.models import Cycle, Person, Review, RoleTemplate, SignRole, State

T0 = datetime(2026, 7, 1, 9, 0)
EMPLOYEE, MANAGER = "alex", "sofia"


def template(deals_target: Any = 10) -> RoleTemplate:
    deals = {"id": "deals", "name": "Number of deals closed", "unit": "count",
             "direction": "higher", "weight": 60, "measurement": "CRM."}
    if deals_target is not None:
        deals["target"] = deals_target
    return RoleTemplate.model_validate({
        "id": "workflow-test", "title": "Workflow test",
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


def new_review(deals_target: Any = 10) -> Review:
    t = template(deals_target)
    person = Person(id=EMPLOYEE, name="Alex", login="alex", manager=MANAGER, role=t.id)
    manager = Person(id=MANAGER, name="Sofia", login="sofia", role=t.id)
    cycle = Cycle(id="2026-h2", name="2026 H2", start=date(2026, 7, 1), end=date(2026, 12, 31))
    review, history = wf.start_review(t, person, manager, cycle, MANAGER, T0)
    assert history[0].action == "start"
    return review


def set_(review: Review, kpi_id: str, field: str, value: Any, who: str = MANAGER,
         **kw: Any) -> list:
    return wf.set_kpi_field(review, kpi_id, field, value, who, T0, **kw)


def to_joint_review(review: Review) -> Review:
    for _ in range(3):
        wf.advance(review, MANAGER, T0)
    assert review.state is State.joint_review
    return review


def complete(review: Review) -> Review:
    """Actuals and ratings that match the suggestions: nothing missing."""
    set_(review, "deals", "actual", "10")  # 100 % -> 3
    set_(review, "cycle", "actual", "40")  # 100 % -> 3
    for kpi_id in ("deals", "cycle"):
        set_(review, kpi_id, "self_rating", 3, who=EMPLOYEE)
        set_(review, kpi_id, "manager_rating", 3)
    set_(review, "csat", "self_rating", 4, who=EMPLOYEE)
    set_(review, "csat", "manager_rating", 4)
    assert scoring.missing_for_signoff(review) == []
    return review


def ready_to_sign() -> Review:
    return complete(to_joint_review(new_review()))


# --- order of the steps -----------------------------------------------------------


def test_advance_goes_through_the_steps_in_order() -> None:
    review = new_review()
    assert review.state is State.planning
    seen = []
    for _ in range(3):
        entries = wf.advance(review, MANAGER, T0)
        seen.append(review.state)
        assert entries[0].action == "state" and entries[0].new == review.state.value
    assert seen == [State.self_assessment, State.manager_assessment, State.joint_review]
    assert review.revision == 3


def test_joint_review_does_not_advance_it_ends_by_signing() -> None:
    review = to_joint_review(new_review())
    with pytest.raises(wf.WorkflowError, match="sign"):
        wf.advance(review, MANAGER, T0)
    assert review.state is State.joint_review


def test_a_signed_off_review_does_not_advance() -> None:
    review = ready_to_sign()
    wf.sign(review, EMPLOYEE, SignRole.employee, review.revision, T0)
    wf.sign(review, MANAGER, SignRole.manager, review.revision, T0)
    with pytest.raises(wf.WorkflowError, match="reopen"):
        wf.advance(review, MANAGER, T0)


def test_planning_requires_a_target_for_every_numeric_kpi() -> None:
    review = new_review(deals_target=None)
    with pytest.raises(wf.WorkflowError, match="set a target .*deals"):
        wf.advance(review, MANAGER, T0)
    assert review.state is State.planning and review.revision == 0
    wf.set_weights(review, {}, {}, {"deals": "12"}, MANAGER, T0)
    wf.advance(review, MANAGER, T0)
    assert review.state is State.self_assessment


def test_planning_accepts_na_instead_of_a_target() -> None:
    review = new_review(deals_target=None)
    set_(review, "deals", "na", True)
    wf.advance(review, MANAGER, T0)
    assert review.state is State.self_assessment


# --- signing -----------------------------------------------------------------------


@pytest.mark.parametrize("steps", [0, 1, 2])
def test_signing_only_in_joint_review(steps: int) -> None:
    review = new_review()
    for _ in range(steps):
        wf.advance(review, MANAGER, T0)
    with pytest.raises(wf.WorkflowError, match="signed in joint review"):
        wf.sign(review, EMPLOYEE, SignRole.employee, review.revision, T0)
    assert review.signoffs == []


def test_both_signatures_sign_the_review_off() -> None:
    review = ready_to_sign()
    wf.sign(review, EMPLOYEE, SignRole.employee, review.revision, T0)
    assert review.state is State.joint_review
    entries = wf.sign(review, MANAGER, SignRole.manager, review.revision, T0 + timedelta(hours=1))
    assert review.state is State.signed_off
    assert [e.action for e in entries] == ["sign", "state"]
    assert {(s.person_id, s.role) for s in review.valid_signoffs()} == {
        (EMPLOYEE, SignRole.employee), (MANAGER, SignRole.manager)}


def test_the_same_side_signing_twice_does_not_sign_off() -> None:
    review = ready_to_sign()
    wf.sign(review, EMPLOYEE, SignRole.employee, review.revision, T0)
    wf.sign(review, EMPLOYEE, SignRole.employee, review.revision, T0)
    assert review.state is State.joint_review and len(review.signoffs) == 1


def test_a_signature_on_an_old_revision_is_refused() -> None:
    review = ready_to_sign()
    seen = review.revision
    set_(review, "csat", "rating_reason", "Talked it through")
    with pytest.raises(wf.WorkflowError, match="changed since you looked"):
        wf.sign(review, EMPLOYEE, SignRole.employee, seen, T0)
    assert review.signoffs == []


def test_a_change_after_one_signature_makes_it_stale() -> None:
    review = ready_to_sign()
    wf.sign(review, EMPLOYEE, SignRole.employee, review.revision, T0)
    assert len(review.valid_signoffs()) == 1
    set_(review, "csat", "manager_rating", 5)
    set_(review, "csat", "rating_reason", "Best survey of the year")
    assert review.signoffs and review.valid_signoffs() == []
    # the manager's signature alone does not sign off: the employee's is stale
    wf.sign(review, MANAGER, SignRole.manager, review.revision, T0)
    assert review.state is State.joint_review
    assert [s.role for s in review.valid_signoffs()] == [SignRole.manager]
    wf.sign(review, EMPLOYEE, SignRole.employee, review.revision, T0)
    assert review.state is State.signed_off


def test_signing_is_refused_while_something_is_missing() -> None:
    review = to_joint_review(new_review())
    with pytest.raises(wf.WorkflowError, match="missing before sign-off"):
        wf.sign(review, EMPLOYEE, SignRole.employee, review.revision, T0)


# --- reopening ---------------------------------------------------------------------


def signed_off() -> Review:
    review = ready_to_sign()
    wf.sign(review, EMPLOYEE, SignRole.employee, review.revision, T0)
    wf.sign(review, MANAGER, SignRole.manager, review.revision, T0)
    assert review.state is State.signed_off
    return review


@pytest.mark.parametrize("reason", ["", "   "])
def test_reopen_needs_a_reason(reason: str) -> None:
    review = signed_off()
    with pytest.raises(wf.WorkflowError, match="needs a reason"):
        wf.reopen(review, "hr", reason, T0)
    assert review.state is State.signed_off


def test_reopen_with_a_reason_is_recorded_and_clears_the_signatures() -> None:
    review = signed_off()
    entries = wf.reopen(review, "hr", "Wrong target for deals", T0)
    assert review.state is State.joint_review
    assert review.signoffs == [] and review.valid_signoffs() == []
    assert entries[0].action == "reopen" and entries[0].note == "Wrong target for deals"
    assert entries[0].who == "hr"


def test_only_a_signed_off_review_is_reopened() -> None:
    review = to_joint_review(new_review())
    with pytest.raises(wf.WorkflowError, match="only a signed-off review"):
        wf.reopen(review, "hr", "because", T0)


# --- missing before sign-off -------------------------------------------------------


def test_missing_lists_unrated_kpis() -> None:
    review = to_joint_review(new_review())
    missing = scoring.missing_for_signoff(review)
    assert any("(deals): no actual" in m for m in missing)
    for kpi_id in ("deals", "cycle", "csat"):
        assert any(f"({kpi_id}): no agreed rating" in m for m in missing), missing
    assert missing[0].startswith("KRA 1 · KPI 1 (deals)")


def test_missing_lists_na_without_a_reason() -> None:
    review = ready_to_sign()
    set_(review, "csat", "na", True)
    assert scoring.missing_for_signoff(review) == ["KRA 2 · KPI 1 (csat): N/A needs a reason"]
    set_(review, "csat", "na_reason", "No survey ran this half")
    assert scoring.missing_for_signoff(review) == []


def test_missing_lists_a_departure_from_the_suggestion_without_a_reason() -> None:
    review = ready_to_sign()
    set_(review, "deals", "agreed_rating", 5)  # suggested 3 (100 %)
    missing = scoring.missing_for_signoff(review)
    assert len(missing) == 1
    assert "(deals): rating 5 departs from the suggested 3; give a reason" in missing[0]
    set_(review, "deals", "rating_reason", "Two of the deals were the largest ever")
    assert scoring.missing_for_signoff(review) == []


def test_a_rating_kpi_has_no_suggestion_to_depart_from() -> None:
    review = ready_to_sign()
    set_(review, "csat", "agreed_rating", 1)
    assert scoring.missing_for_signoff(review) == []


# --- ratings and conflicts ---------------------------------------------------------


def test_agreed_rating_defaults_to_the_managers() -> None:
    review = new_review()
    set_(review, "csat", "self_rating", 5, who=EMPLOYEE)
    assert review.kpi("csat").agreed is None  # never the self rating
    set_(review, "csat", "manager_rating", 3)
    assert review.kpi("csat").agreed == 3
    set_(review, "csat", "agreed_rating", 4)
    kpi = review.kpi("csat")
    assert (kpi.self_rating, kpi.manager_rating, kpi.agreed_rating, kpi.agreed) == (5, 3, 4, 4)
    set_(review, "csat", "agreed_rating", None)
    assert review.kpi("csat").agreed == 3


def test_conflict_when_expected_does_not_match() -> None:
    review = new_review()
    set_(review, "csat", "manager_rating", 3)
    revision = review.revision
    with pytest.raises(wf.Conflict) as info:
        set_(review, "csat", "manager_rating", 5, expected=None)
    assert info.value.current == 3 and info.value.yours == 5
    assert "Choose which to keep" in str(info.value)
    assert review.kpi("csat").manager_rating == 3 and review.revision == revision
    # with the right expectation it goes through
    set_(review, "csat", "manager_rating", 5, expected=3)
    assert review.kpi("csat").manager_rating == 5


def test_conflict_on_a_comment() -> None:
    review = new_review()
    wf.set_comment(review, "csat", EMPLOYEE, "first", T0)
    with pytest.raises(wf.Conflict):
        wf.set_comment(review, "csat", EMPLOYEE, "second", T0, expected="")
    assert [c.text for c in review.kpi("csat").comments] == ["first"]


def test_every_change_is_a_history_entry_with_old_and_new() -> None:
    review = new_review()
    entries = set_(review, "deals", "target", "12")
    assert len(entries) == 1
    e = entries[0]
    assert (e.who, e.field, e.old, e.new, e.revision) == (MANAGER, "deals.target", "10", "12", 1)
    assert set_(review, "deals", "target", "12.0") == []  # same value, no entry


@pytest.mark.parametrize("typed, kept", [("1e5", "100000"), ("1.5E2", "150"), ("2e0", "2"),
                                         ("1.50", "1.50"), ("٣", "3")])
def test_a_number_typed_with_an_exponent_is_kept_and_recorded_in_plain_digits(
        typed: str, kept: str) -> None:
    review = new_review()
    review.state = State.self_assessment
    entries = set_(review, "cycle", "actual", typed, who=EMPLOYEE)  # days: decimals allowed
    actual = review.kpi("cycle").actual
    assert str(actual) == kept and entries[0].new == kept


@pytest.mark.parametrize("typed, rating", [("٣", 3), ("+4", 4), ("۵", 5)])
def test_a_rating_in_any_script_s_digits_is_that_rating(typed: str, rating: int) -> None:
    review = new_review()
    review.state = State.self_assessment
    set_(review, "csat", "self_rating", typed, who=EMPLOYEE)
    assert review.kpi("csat").self_rating == rating


@pytest.mark.parametrize("typed", ["٠٣", "3.0", "3 ", "³"])
def test_a_rating_that_is_not_plainly_a_whole_number_is_refused(typed: str) -> None:
    review = new_review()
    review.state = State.self_assessment
    if typed.strip() == "3":  # surrounding spaces are fine
        set_(review, "csat", "self_rating", typed, who=EMPLOYEE)
        return
    with pytest.raises(wf.WorkflowError, match="not a whole number"):
        set_(review, "csat", "self_rating", typed, who=EMPLOYEE)
