"""The demo organisation holds only values its KPIs can take: a share in % is at
most 100, and a score stays within the range its template states."""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path

from tui.models import Kind
from tui.store import Store


def demo_actuals(root: Path):
    store = Store(root)
    for rid in store.review_ids("2026-h2"):
        for kpi in store.load_review(rid).all_kpis():
            if kpi.kind is Kind.numeric and kpi.actual is not None:
                yield rid, kpi


def test_no_share_in_percent_is_above_100(pristine_demo: Path) -> None:
    # A % KPI whose target is at most 100 measures a share (tickets meeting the SLA,
    # compliance); net revenue retention (target 105) may exceed 100.
    over = [(rid, kpi.id, kpi.actual) for rid, kpi in demo_actuals(pristine_demo)
            if kpi.unit == "%" and kpi.target is not None and kpi.target <= 100
            and kpi.actual > 100]
    assert over == []


def test_the_two_reported_values_are_in_range(pristine_demo: Path) -> None:
    by_name = {(rid, kpi.name): kpi.actual for rid, kpi in demo_actuals(pristine_demo)}
    sla = by_name[("2026-h2/lee", "Percentage of tickets meeting first-response SLA")]
    compliance = by_name[("2026-h2/alex", "Compliance rate with contract terms and conditions")]
    assert Decimal(0) <= sla <= 100 and Decimal(0) <= compliance <= 100


def test_scores_stay_within_their_stated_range(pristine_demo: Path) -> None:
    checked = 0
    for rid, kpi in demo_actuals(pristine_demo):
        if kpi.unit != "score":
            continue
        text = f"{kpi.name} {kpi.measurement}"
        stated = re.search(r"out of (\d+)|\(\d+[–-](\d+)\)|to (\d+)\)", text)
        if stated:
            top = Decimal(next(g for g in stated.groups() if g))
            assert kpi.actual <= top, (rid, kpi.name, kpi.actual)
            checked += 1
    assert checked >= 10
