"""Scoring rules of DESIGN.md §3 as pure functions over the model.

All arithmetic is `Decimal`; nothing is rounded until `fmt()` formats it for
display (half-up, 2 places).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Literal

from .models import (
    HUNDRED,
    Band,
    Direction,
    Kind,
    KPIDef,
    RatingScale,
    Review,
    ReviewKPI,
    ReviewKRA,
    State,
    show_number,
)

Side = Literal["self", "manager", "agreed"]
TWO_PLACES = Decimal("0.01")


def fmt(value: Decimal | None, places: Decimal = TWO_PLACES) -> str:
    """Round half-up for display only; '—' for no value."""
    if value is None:
        return "—"
    return str(value.quantize(places, rounding=ROUND_HALF_UP))


def round2(value: Decimal) -> Decimal:
    return value.quantize(TWO_PLACES, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Achievement:
    percent: Decimal | None
    reason: str = ""  # why there is no percent
    capped: bool = False


def achievement(
    kpi: KPIDef, actual: Decimal | None, cap: Decimal = Decimal(150)
) -> Achievement:
    """Achievement % of a numeric KPI, capped; None with a reason where undefined."""
    if kpi.kind is Kind.rating:
        return Achievement(None, "rated by judgement on the scale, not computed")
    target = kpi.target
    if target is None:
        return Achievement(None, "no target set")
    if actual is None:
        return Achievement(None, "no actual yet")
    if kpi.direction is Direction.lower:
        if actual < 0 or target < 0:
            return Achievement(None, "negative values have no ratio for a lower-is-better KPI")
        if actual == 0:
            # Nothing can be lower: the best result there is. target ÷ actual grows
            # without bound as the actual nears 0, so 0 itself is the cap (as 0.001 is).
            return Achievement(cap, capped=True)
        raw = target / actual * HUNDRED
    else:
        if target == 0:
            return Achievement(None, "target is 0, so actual ÷ target is undefined (higher is better)")
        if target < 0:
            return Achievement(None, "a negative target has no ratio for a higher-is-better KPI")
        raw = actual / target * HUNDRED
    if raw > cap:
        return Achievement(cap, capped=True)
    return Achievement(raw)


@dataclass(frozen=True)
class TargetWarning:
    """Why a target makes the suggested rating meaningless: `summary` names the
    fault ("target 0 with higher is better"), `effect` says what follows for the
    suggested rating, `fix` what to set instead. str() is "summary: effect; fix"."""

    summary: str
    effect: str
    fix: str

    def __str__(self) -> str:
        return f"{self.summary}: {self.effect}; {self.fix}"


def target_warning(
    direction: Direction | None, target: Decimal | None, scale: RatingScale
) -> TargetWarning | None:
    """What is wrong with `target` for a numeric KPI of this direction, or None.

    The target is allowed (it is not an error), but under `achievement` no
    meaningful rating is suggested with it: ≤ 0 when higher is better and < 0
    when lower is better (no ratio, never a suggestion); 0 when lower is better
    (0 % for any actual above 0, so always the lowest rating). None for no
    target, a rating KPI (no direction) or a target above 0. Used by `templates
    check` and by the planning editor, so both say the same.
    """
    if direction is None or target is None or target > 0:
        return None
    if direction is Direction.lower and target == 0:
        lowest = f"{scale.min} ({scale.label(scale.min)})"
        return TargetWarning(
            "target 0 with lower is better",
            "achievement (target ÷ actual) is 0% for any actual above 0, so the suggested "
            f"rating is always {lowest} unless the actual is exactly 0",
            "set the highest value that still meets expectations (e.g. target = 1), or judge "
            'it on the scale (kind = "rating")',
        )
    shown = show_number(target)
    if direction is Direction.lower:
        return TargetWarning(
            f"target {shown} is negative with lower is better",
            "target ÷ actual has no meaning, so no rating is ever suggested",
            "set a target above 0",
        )
    if target == 0:
        return TargetWarning(
            "target 0 with higher is better",
            "achievement (actual ÷ target) cannot be computed, so no rating is ever suggested",
            "set the value the person should reach (above 0)",
        )
    return TargetWarning(
        f"target {shown} is negative with higher is better",
        "actual ÷ target has no meaning, so no rating is ever suggested",
        "set a target above 0 (a reduction is scored as a positive target, e.g. 'Percentage "
        "decrease in costs' with target = 10)",
    )


def band_rating(percent: Decimal, bands: list[Band]) -> int:
    """The band a percentage falls in; an edge belongs to the upper band."""
    for band in bands:
        if band.below is None or percent < band.below:
            return band.rating
    return bands[-1].rating


def suggestion(review: Review, kpi: ReviewKPI) -> tuple[Achievement, int | None]:
    ach = achievement(kpi, kpi.actual, review.achievement_cap)
    if ach.percent is None:
        return ach, None
    return ach, band_rating(ach.percent, review.bands)


def rating_of(kpi: ReviewKPI, side: Side) -> int | None:
    if side == "self":
        return kpi.self_rating
    if side == "manager":
        return kpi.manager_rating
    return kpi.agreed


@dataclass(frozen=True)
class KRAScore:
    kra_id: str
    score: Decimal | None
    reason: str = ""  # why there is no score
    reweighted: bool = False  # some KPIs are N/A and the rest carry the weight
    rated: int = 0
    applicable: int = 0
    na: int = 0

    @property
    def complete(self) -> bool:
        return self.rated == self.applicable


def kra_score(kra: ReviewKRA, side: Side = "agreed") -> KRAScore:
    """Σ(KPI weight × rating) / Σ(KPI weight) over rated KPIs that are not N/A."""
    applicable = [k for k in kra.kpis if not k.na]
    na = len(kra.kpis) - len(applicable)
    if not applicable:
        return KRAScore(kra.id, None, "every KPI is N/A", na=na)
    rated = [(k.weight, r) for k in applicable if (r := rating_of(k, side)) is not None]
    if not rated:
        return KRAScore(kra.id, None, "no KPI rated yet", applicable=len(applicable), na=na)
    total_weight = sum((w for w, _ in rated), Decimal(0))
    if total_weight == 0:
        return KRAScore(
            kra.id, None, "the rated KPIs all have weight 0", rated=len(rated),
            applicable=len(applicable), na=na,
        )
    score = sum((w * r for w, r in rated), Decimal(0)) / total_weight
    return KRAScore(
        kra.id, score, reweighted=na > 0, rated=len(rated), applicable=len(applicable), na=na
    )


@dataclass(frozen=True)
class Overall:
    score: Decimal | None
    percent_of_max: Decimal | None
    label: str
    kras: list[KRAScore]
    reason: str = ""

    @property
    def complete(self) -> bool:
        return all(k.complete for k in self.kras)


def weighted_overall(pairs: list[tuple[Decimal, Decimal]]) -> Decimal | None:
    """Σ(weight × score) / Σ(weight); None when there is nothing to weigh."""
    total = sum((w for w, _ in pairs), Decimal(0))
    if total == 0:
        return None
    return sum((w * s for w, s in pairs), Decimal(0)) / total


def overall(review: Review, side: Side = "agreed") -> Overall:
    scores = [kra_score(kra, side) for kra in review.kras]
    pairs = [
        (kra.weight, ks.score) for kra, ks in zip(review.kras, scores) if ks.score is not None
    ]
    value = weighted_overall(pairs)
    if value is None:
        return Overall(None, None, "", scores, "no KRA has a score yet")
    return Overall(
        value, percent_of_max(value, review.scale), label_for(value, review.scale), scores
    )


def percent_of_max(score: Decimal, scale: RatingScale) -> Decimal | None:
    """The score as % of the scale's maximum; None where that means nothing (max ≤ 0)."""
    if scale.max <= 0:
        return None
    return score / scale.max * HUNDRED


def label_for(score: Decimal, scale: RatingScale) -> str:
    point = int(score.quantize(Decimal(1), rounding=ROUND_HALF_UP))
    point = min(max(point, scale.min), scale.max)
    return scale.label(point)


# --- completeness -----------------------------------------------------------


def kpi_done(kpi: ReviewKPI, state: State) -> bool:
    """Whether the KPI has what the step `state` asks of it. In the manager
    assessment an agreed rating the manager set counts as rated, as it does in
    the score (the agreed rating is the manager's unless set apart)."""
    if kpi.na:
        return True
    if state is State.self_assessment:
        return kpi.self_rating is not None
    if state is State.manager_assessment:
        return kpi.agreed is not None
    if state is State.planning:
        return kpi.kind is Kind.rating or kpi.target is not None
    return kpi.agreed is not None


def needs_target(kpi: ReviewKPI, state: State) -> bool:
    """Whether the KPI must have a target in `state`: a numeric KPI that is not
    N/A, once planning is over (the manager sets targets in planning, and the
    review only leaves planning when each such KPI has one)."""
    return state is not State.planning and kpi.kind is Kind.numeric and not kpi.na


def missing_targets(review: Review) -> list[tuple[ReviewKRA, ReviewKPI]]:
    """(KRA, KPI) of every KPI that needs a target in the review's state and has none."""
    return [(kra, kpi) for kra in review.kras for kpi in kra.kpis
            if kpi.target is None and needs_target(kpi, review.state)]


def progress(review: Review) -> tuple[int, int]:
    """KPIs done for the current step, and the total."""
    kpis = review.all_kpis()
    return sum(kpi_done(k, review.state) for k in kpis), len(kpis)


def missing_for_signoff(review: Review) -> list[str]:
    """What must be filled in before the review can be signed, one line each."""
    missing = []
    for kra_no, kra in enumerate(review.kras, 1):
        for kpi_no, kpi in enumerate(kra.kpis, 1):
            where = f"KRA {kra_no} · KPI {kpi_no} ({kpi.id})"
            if kpi.na:
                if not kpi.na_reason.strip():
                    missing.append(f"{where}: N/A needs a reason")
                continue
            if kpi.kind is Kind.numeric and kpi.actual is None:
                missing.append(f"{where}: no actual")
            agreed = kpi.agreed
            if agreed is None:
                missing.append(f"{where}: no agreed rating")
                continue
            _, suggested = suggestion(review, kpi)
            if suggested is not None and agreed != suggested and not kpi.rating_reason.strip():
                missing.append(
                    f"{where}: rating {agreed} departs from the suggested {suggested}; give a reason"
                )
    return missing


# What a KPI still lacks when each step is closed (see kpi_done).
STEP_GAP = {
    State.planning: "numeric KPIs have no target yet",
    State.self_assessment: "KPIs have no self rating yet",
    State.manager_assessment: "KPIs have no manager rating yet",
    State.joint_review: "KPIs have no agreed rating yet",
}


def step_gaps(review: Review) -> str:
    """What is still open in the step being closed, e.g. for the move-on question.

    "27 of 40 KPIs have no manager rating yet; 2 reasons missing" — or "" when
    the step is complete.
    """
    state = review.state
    if state is State.signed_off:
        return ""
    kpis = review.all_kpis()
    parts: list[str] = []
    if state is State.planning:
        pool = [k for k in kpis if k.kind is Kind.numeric and not k.na]
    else:
        pool = kpis
    done, _total = progress(review)
    open_count = len(kpis) - done
    if open_count:
        parts.append(f"{open_count} of {len(pool)} {STEP_GAP[state]}")
    reasons = [m for m in missing_for_signoff(review) if m.endswith("reason")
               and (state in (State.manager_assessment, State.joint_review)
                    or "N/A" in m)]
    if reasons:
        parts.append(f"{len(reasons)} reason{'s' if len(reasons) != 1 else ''} missing")
    if state is State.joint_review:
        actuals = sum(m.endswith(": no actual") for m in missing_for_signoff(review))
        if actuals:
            parts.append(f"{actuals} actual{'s' if actuals != 1 else ''} missing")
    return "; ".join(parts)


RatingGetter = Callable[[ReviewKPI], int | None]
