"""Synthetic organisations for the benchmarks: N people, a review each, realistic fill."""

from __future__ import annotations

import os
import random
from contextlib import contextmanager
from datetime import date, datetime, timezone
from decimal import Decimal
from pathlib import Path
from typing import Iterator

from tui import workflow
from tui.models import Cycle, CycleState, Kind, Person, Review
from tui.scoring import suggestion
from tui.store import Config, Store

CYCLE = Cycle(id="2026-h2", name="Second half 2026", start=date(2026, 7, 1),
              end=date(2026, 12, 31), state=CycleState.open)
ROLES = ["major-account-manager", "account-executive", "customer-success-manager",
         "software-engineer", "support-team-lead"]
AT = datetime(2026, 11, 1, tzinfo=timezone.utc)


@contextmanager
def no_fsync() -> Iterator[None]:
    """Building test data only: skip fsync so 10,000 reviews take seconds, not minutes."""
    real = os.fsync
    os.fsync = lambda fd: None  # type: ignore[assignment]
    try:
        yield
    finally:
        os.fsync = real  # type: ignore[assignment]


def build_org(root: Path, size: int, manager_login: str = "boss", team: int = 12,
              boss_reports: int | None = None, seed: int = 7) -> Store:
    """`size` people: a top manager `boss` with `boss_reports` direct reports (default
    `team`), the rest in teams of `team` under further managers; everyone but the
    top has a review in one open cycle, most of them part-filled."""
    rng = random.Random(seed)
    store = Store(root)
    store.write_config(Config(organisation=f"Synthetic {size}", hr_admins=["hr"]))
    people = [Person(id="boss", name="Top Manager", login=manager_login, role=ROLES[0])]
    boss_reports = team if boss_reports is None else boss_reports
    managers = ["boss"]
    counts = {"boss": 0}
    limits = {"boss": boss_reports}
    i = 0
    while len(people) < size:
        i += 1
        manager = next((m for m in managers if counts[m] < limits[m]), None)
        if manager is None:  # every manager is full: promote the oldest plain report
            new_manager = next(p.id for p in people[1:] if p.id not in counts)
            managers.append(new_manager)
            counts[new_manager] = 0
            limits[new_manager] = team
            continue
        pid = f"p{i:05d}"
        people.append(Person(id=pid, name=f"Person {i:05d}", login=f"u{i:05d}", manager=manager,
                             role=ROLES[i % len(ROLES)]))
        counts[manager] += 1
    with no_fsync():
        store.save_people(people)
        store.save_cycle(CYCLE)
        templates = store.templates()
        by_id = {p.id: p for p in people}
        for p in people[1:]:
            review, entries = workflow.start_review(templates[p.role], p, by_id[p.manager or ""],
                                                    CYCLE, p.manager or "", AT)
            fill(review, entries, rng)
            store.create_review(review, entries)
    return store


def fill(review: Review, entries: list, rng: random.Random) -> None:
    entries += workflow.advance(review, review.reviewer_id, AT)
    for kpi in review.all_kpis():
        if rng.random() < 0.3:
            continue
        if kpi.kind is Kind.numeric and kpi.target is not None:
            entries += workflow.set_kpi_field(review, kpi.id, "actual",
                                              (kpi.target * rng.randint(60, 140) / 100).quantize(Decimal(1)),
                                              review.person_id, AT)
        _, sugg = suggestion(review, kpi)
        entries += workflow.set_kpi_field(review, kpi.id, "self_rating", sugg or 3,
                                          review.person_id, AT)
