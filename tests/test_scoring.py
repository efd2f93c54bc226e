"""DESIGN.md §3, scoring: exact Decimal arithmetic, lower-is-better achievement,
the cap, band edges, any rating scale, N/A re-weighting, self vs manager
ratings, and a property test against a hand formula in Fractions."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from fractions import Fraction
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from tui import scoring
from tui import workflow as wf
from tui.models import Cycle, Person, RatingScale, Review, RoleTemplate, default_bands

AT = datetime(2026, 7, 1, 9, 0)
TEN_LABELS = [f"Level {i}" for i in range(1, 11)]


def numeric(kpi_id: str, weight: Any = 100, direction: str = "higher", target: Any = 100,
            unit: str = "%") -> dict[str, Any]:
    return {"id": kpi_id, "name": f"Measured {kpi_id}", "kind": "numeric", "unit": unit,
            "direction": direction, "target": target, "weight": weight,
            "measurement": "From the report."}


def rated(kpi_id: str, weight: Any = 100) -> dict[str, Any]:
    return {"id": kpi_id, "name": f"Score of {kpi_id}", "kind": "rating", "weight": weight,
            "measurement": "Judged on the scale."}


def make_template(kras: list[tuple[Any, list[dict]]], **extra: Any) -> RoleTemplate:
    return RoleTemplate.model_validate({
        "id": "scoring-test", "title": "Scoring test",
        "kras": [
            {"id": f"kra-{i}", "title": f"KRA {i}", "weight": w, "kpis": kpis}
            for i, (w, kpis) in enumerate(kras, 1)
        ],
        **extra,
    })


def make_review(template: RoleTemplate) -> Review:
    person = Person(id="alex", name="Alex", login="alex", manager="sofia", role=template.id)
    manager = Person(id="sofia", name="Sofia", login="sofia", role=template.id)
    cycle = Cycle(id="2026-h2", name="2026 H2", start=date(2026, 7, 1), end=date(2026, 12, 31))
    review, _ = wf.start_review(template, person, manager, cycle, "sofia", AT)
    return review


def set_(review: Review, kpi_id: str, field: str, value: Any, who: str = "sofia") -> None:
    wf.set_kpi_field(review, kpi_id, field, value, who, AT)


def ten_point_template() -> RoleTemplate:
    return make_template(
        [(50, [rated("a1")]), (50, [numeric("b1")])],
        scale={"min": 1, "max": 10, "labels": TEN_LABELS},
        bands=[{"below": 50, "rating": 1}, {"below": 100, "rating": 5}, {"rating": 10}],
    )


# --- exact arithmetic ------------------------------------------------------------


def test_four_kras_at_25_all_rated_5_give_exactly_5() -> None:
    review = make_review(make_template([(25, [rated(f"k{i}")]) for i in range(4)]))
    for i in range(4):
        set_(review, f"k{i}", "manager_rating", 5)
    result = scoring.overall(review)
    assert result.score == Decimal("5.00")
    assert result.score == 5
    assert scoring.fmt(result.score) == "5.00"
    assert result.percent_of_max == 100
    assert result.label == "Outstanding"
    assert [k.score for k in result.kras] == [5, 5, 5, 5]


def test_thirds_rated_5_give_exactly_5() -> None:
    review = make_review(make_template([("33.33", [rated("a")]), ("33.33", [rated("b")]),
                                        ("33.34", [rated("c")])]))
    for kpi_id in "abc":
        set_(review, kpi_id, "manager_rating", 5)
    assert scoring.overall(review).score == 5


def test_parts_are_not_rounded_before_summing() -> None:
    # KRA 1: 33.33×1 + 33.33×2 + 33.34×3 = 200.01 / 100 = 2.0001 (would be 2.00 if rounded)
    kpis = [rated("a", "33.33"), rated("b", "33.33"), rated("c", "33.34")]
    review = make_review(make_template([(50, kpis), (50, [rated("d")])]))
    for kpi_id, r in zip("abcd", (1, 2, 3, 4)):
        set_(review, kpi_id, "manager_rating", r)
    result = scoring.overall(review)
    assert result.kras[0].score == Decimal("2.0001")
    assert result.score == Decimal("3.00005")
    assert scoring.fmt(result.score) == "3.00"
    assert scoring.fmt(Decimal("3.005")) == "3.01"  # half-up for display


# --- achievement ---------------------------------------------------------------


def kpi_of(**kw: Any) -> Any:
    template = make_template([(100, [numeric("x", **kw)])])
    return template.kras[0].kpis[0]


def test_lower_is_better_30_days_against_45_is_exactly_150() -> None:
    kpi = kpi_of(direction="lower", target=45, unit="days")
    ach = scoring.achievement(kpi, Decimal(30))
    assert ach.percent == Decimal(150)
    assert not ach.capped
    assert ach.reason == ""


def test_lower_is_better_suggests_from_target_over_actual() -> None:
    kpi = kpi_of(direction="lower", target=45, unit="days")
    assert scoring.achievement(kpi, Decimal(50)).percent == Decimal(90)
    assert scoring.achievement(kpi, Decimal(45)).percent == Decimal(100)


def test_lower_is_better_actual_0_is_the_best_result_at_the_cap() -> None:
    # (It used to get no suggestion: see tests/test_target_warnings_and_best_actual.py.)
    template = make_template([(100, [numeric("x", direction="lower", target=45, unit="days")])])
    review = make_review(template)
    set_(review, "x", "actual", "0")
    ach, suggested = scoring.suggestion(review, review.kpi("x"))
    assert ach.percent == review.achievement_cap and ach.capped and ach.reason == ""
    assert suggested == review.scale.max


def test_higher_is_better_target_0_has_no_suggestion_and_says_why() -> None:
    template = make_template([(100, [numeric("x", target=0, unit="count")])])
    review = make_review(template)
    set_(review, "x", "actual", "4")
    ach, suggested = scoring.suggestion(review, review.kpi("x"))
    assert ach.percent is None and suggested is None
    assert "target is 0" in ach.reason


@pytest.mark.parametrize(("target", "actual", "reason"), [
    (None, "10", "no target"),
    (100, None, "no actual"),
])
def test_missing_numbers_give_no_suggestion_with_a_reason(target: Any, actual: Any,
                                                          reason: str) -> None:
    review = make_review(make_template([(100, [numeric("x", target=target)])]))
    set_(review, "x", "actual", actual)
    ach, suggested = scoring.suggestion(review, review.kpi("x"))
    assert suggested is None and reason in ach.reason


def test_rating_kpi_has_no_achievement() -> None:
    review = make_review(make_template([(100, [rated("x")])]))
    ach, suggested = scoring.suggestion(review, review.kpi("x"))
    assert suggested is None and ach.reason


def test_achievement_is_capped_at_the_default_150() -> None:
    kpi = kpi_of(target=100)
    ach = scoring.achievement(kpi, Decimal(300))
    assert ach.percent == 150 and ach.capped
    lower = kpi_of(direction="lower", target=45, unit="days")
    ach = scoring.achievement(lower, Decimal(15))  # 300 %
    assert ach.percent == 150 and ach.capped


def test_achievement_is_capped_at_the_templates_own_cap() -> None:
    review = make_review(make_template([(100, [numeric("x", target=100)])],
                                       achievement_cap=120))
    assert review.achievement_cap == 120
    set_(review, "x", "actual", "300")
    ach, suggested = scoring.suggestion(review, review.kpi("x"))
    assert ach.percent == 120 and ach.capped and suggested == 5
    set_(review, "x", "actual", "110")
    ach, _ = scoring.suggestion(review, review.kpi("x"))
    assert ach.percent == 110 and not ach.capped


# --- bands ---------------------------------------------------------------------


@pytest.mark.parametrize(("percent", "rating"), [
    ("0", 1), ("69.99", 1), ("70", 2), ("89.9999", 2), ("90", 3), ("90.00", 3),
    ("104.99", 3), ("105", 4), ("119.99", 4), ("120", 5), ("150", 5),
])
def test_band_edge_belongs_to_the_upper_band(percent: str, rating: int) -> None:
    assert scoring.band_rating(Decimal(percent), default_bands()) == rating


def test_actual_exactly_on_the_90_edge_suggests_3() -> None:
    review = make_review(make_template([(100, [numeric("x", target=40, unit="count")])]))
    set_(review, "x", "actual", "36")  # 36 / 40 = 90 %
    ach, suggested = scoring.suggestion(review, review.kpi("x"))
    assert ach.percent == 90 and suggested == 3


# --- a 1..10 scale ---------------------------------------------------------------


def test_ten_point_scale_accepts_8_and_rejects_11_and_0() -> None:
    review = make_review(ten_point_template())
    assert wf.parse_rating("8", review, "manager rating") == 8
    assert wf.parse_rating(8, review, "manager rating") == 8
    for bad in ("11", 11, "0", 0):
        with pytest.raises(wf.WorkflowError, match=r"off the scale 1\.\.10"):
            wf.parse_rating(bad, review, "manager rating")
    set_(review, "a1", "manager_rating", 8)
    assert review.kpi("a1").manager_rating == 8
    for bad in (11, 0):
        with pytest.raises(wf.WorkflowError, match="off the scale"):
            set_(review, "a1", "manager_rating", bad)
    assert review.kpi("a1").manager_rating == 8


def test_on_a_five_point_scale_8_is_rejected() -> None:
    review = make_review(make_template([(100, [rated("a1")])]))
    with pytest.raises(wf.WorkflowError, match=r"off the scale 1\.\.5"):
        set_(review, "a1", "manager_rating", 8)


@pytest.mark.parametrize("field", ["self_rating", "manager_rating", "agreed_rating"])
def test_review_model_rejects_a_rating_off_its_scale(field: str) -> None:
    review = make_review(ten_point_template())
    data = review.model_dump()
    data["kras"][0]["kpis"][0][field] = 8
    assert Review.model_validate(data).kpi("a1").model_dump()[field] == 8
    for bad in (11, 0):
        data["kras"][0]["kpis"][0][field] = bad
        with pytest.raises(ValidationError, match=f"KPI 'a1': {field} {bad} is off the scale"):
            Review.model_validate(data)


def test_overall_on_a_ten_point_scale() -> None:
    review = make_review(ten_point_template())
    set_(review, "a1", "manager_rating", 8)
    set_(review, "b1", "manager_rating", 6)
    result = scoring.overall(review)
    assert result.score == 7
    assert result.percent_of_max == 70
    assert result.label == "Level 7"


def test_scale_needs_one_label_per_point() -> None:
    with pytest.raises(ValidationError, match="needs 10 labels"):
        RatingScale(min=1, max=10)
    with pytest.raises(ValidationError, match="min 3 must be below max 3"):
        RatingScale(min=3, max=3, labels=["x"])


def test_scale_whose_max_is_0_has_no_percent_of_max() -> None:
    review = make_review(make_template(
        [(100, [rated("a1")])],
        scale={"min": -2, "max": 0, "labels": ["bad", "meh", "fine"]},
        bands=[{"below": 100, "rating": -2}, {"rating": 0}],
    ))
    set_(review, "a1", "manager_rating", -1)
    result = scoring.overall(review)
    assert result.score == -1 and result.percent_of_max is None and result.label == "meh"


# --- N/A -----------------------------------------------------------------------


def test_na_kpi_is_excluded_and_its_kra_reweighted() -> None:
    review = make_review(make_template([
        (60, [rated("a1", 40), rated("a2", 60)]),
        (40, [rated("b1")]),
    ]))
    set_(review, "a1", "manager_rating", 1)
    set_(review, "a2", "manager_rating", 4)
    set_(review, "b1", "manager_rating", 2)
    assert scoring.kra_score(review.kra("kra-1")).score == Decimal("2.8")  # 0.4×1 + 0.6×4
    set_(review, "a1", "na", True)
    set_(review, "a1", "na_reason", "No such accounts this cycle")
    ks = scoring.kra_score(review.kra("kra-1"))
    assert ks.score == 4 and ks.reweighted and ks.na == 1 and ks.applicable == 1
    assert scoring.overall(review).score == Decimal("3.2")  # 0.6×4 + 0.4×2
    assert not scoring.kra_score(review.kra("kra-2")).reweighted


def test_kra_with_every_kpi_na_has_no_score_and_says_so() -> None:
    review = make_review(make_template([
        (60, [rated("a1", 50), rated("a2", 50)]),
        (40, [rated("b1")]),
    ]))
    for kpi_id in ("a1", "a2"):
        set_(review, kpi_id, "manager_rating", 1)
        set_(review, kpi_id, "na", True)
    set_(review, "b1", "manager_rating", 3)
    ks = scoring.kra_score(review.kra("kra-1"))
    assert ks.score is None and "N/A" in ks.reason and ks.na == 2
    # the overall is taken over the KRAs that have a score
    assert scoring.overall(review).score == 3


def test_no_ratings_means_no_overall_with_a_reason() -> None:
    review = make_review(make_template([(100, [rated("a1")])]))
    result = scoring.overall(review)
    assert result.score is None and result.reason
    assert scoring.kra_score(review.kras[0]).reason == "no KPI rated yet"


# --- self and manager ratings --------------------------------------------------


def test_self_and_manager_ratings_are_both_kept() -> None:
    review = make_review(make_template([(100, [rated("a1")])]))
    set_(review, "a1", "self_rating", 2, who="alex")
    set_(review, "a1", "manager_rating", 4, who="sofia")
    kpi = review.kpi("a1")
    assert (kpi.self_rating, kpi.manager_rating, kpi.agreed) == (2, 4, 4)
    set_(review, "a1", "self_rating", 3, who="alex")
    assert (kpi.self_rating, kpi.manager_rating) == (3, 4)
    assert scoring.overall(review, "self").score == 3
    assert scoring.overall(review, "agreed").score == 4
    assert scoring.overall(review, "manager").score == 4


# --- property: overall equals the hand formula ---------------------------------


@st.composite
def hundredths(draw: st.DrawFn, n: int) -> list[int]:
    """n non-negative integers (hundredths of a percent) that sum to 10000."""
    cuts = sorted(draw(st.lists(st.integers(0, 10000), min_size=n - 1, max_size=n - 1)))
    edges = [0, *cuts, 10000]
    return [b - a for a, b in zip(edges, edges[1:])]


@st.composite
def reviews(draw: st.DrawFn) -> tuple[Review, list[int], list[list[int]], list[list[int]]]:
    lo = draw(st.integers(-5, 10))
    hi = lo + draw(st.integers(1, 12))
    n_kras = draw(st.integers(1, 6))
    kra_w = draw(hundredths(n_kras))
    kpi_w = [draw(hundredths(draw(st.integers(1, 5)))) for _ in range(n_kras)]
    ratings = [[draw(st.integers(lo, hi)) for _ in ws] for ws in kpi_w]
    template = make_template(
        [(Decimal(w) / 100, [rated(f"k{i}-{j}", Decimal(v) / 100) for j, v in enumerate(ws)])
         for i, (w, ws) in enumerate(zip(kra_w, kpi_w))],
        scale={"min": lo, "max": hi, "labels": [str(p) for p in range(lo, hi + 1)]},
        bands=[{"below": 100, "rating": lo}, {"rating": hi}],
    )
    review = make_review(template)
    for kra, rs in zip(review.kras, ratings):
        for kpi, r in zip(kra.kpis, rs):
            kpi.manager_rating = r
    return review, kra_w, kpi_w, ratings


@settings(max_examples=300, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow])
@given(reviews())
def test_overall_equals_the_hand_formula_and_stays_on_the_scale(case: Any) -> None:
    review, kra_w, kpi_w, ratings = case
    expected = sum(
        Fraction(w, 10000) * sum(Fraction(v, 10000) * r for v, r in zip(ws, rs))
        for w, ws, rs in zip(kra_w, kpi_w, ratings)
    )
    result = scoring.overall(review)
    assert result.score is not None
    assert Fraction(result.score) == expected
    assert review.scale.min <= result.score <= review.scale.max
    for ks, ws, rs in zip(result.kras, kpi_w, ratings):
        assert Fraction(ks.score) == sum(Fraction(v, 10000) * r for v, r in zip(ws, rs))


def test_an_agreed_rating_alone_counts_as_rated_in_the_manager_assessment() -> None:
    """A KPI the score counts (an agreed rating, no manager rating) is done too."""
    from tui.kinds import State

    review = make_review(make_template([(100, [rated("a1", 50), rated("a2", 50)])]))
    review.state = State.manager_assessment
    kpi = review.kpi("a1")
    kpi.agreed_rating = 2
    assert scoring.overall(review, "agreed").kras[0].score == Decimal(2)  # a2 has none yet
    assert scoring.kpi_done(kpi, State.manager_assessment)
    assert scoring.progress(review) == (1, 2)
    review.kpi("a2").manager_rating = 4
    assert scoring.progress(review) == (2, 2)
    assert not scoring.kpi_done(kpi, State.self_assessment)  # the employee's step: self rating
