"""Synthetic organisations for the benchmarks: N people, a review each, realistic fill.

Building 10,000 reviews through `Store.create_review` one by one takes minutes
(each review is filled edit by edit, validated, locked, written, and its
reviewer's team index rewritten). So `build_org` makes a few filled reviews
per role through the real workflow and the store's own serialisation, with
placeholder people, and writes every person's review as a copy of one of them
with the person's and reviewer's ids and names put in; the team indexes are
written once at the end. The files are byte for byte what the store writes
(`build_org(..., via_store=True)` builds the same organisation through
`Store.create_review`, and the smoke run compares the two).
"""

from __future__ import annotations

import json
import os
import random
from contextlib import contextmanager
from datetime import date, datetime, timezone
from decimal import Decimal
from pathlib import Path
from typing import Iterator

from tui import workflow
from tui.models import Config, Cycle, CycleState, HistoryEntry, Kind, Person, Review
from tui.scoring import suggestion
from tui.store import (
    FILE_MODE,
    Store,
    dump_json,
    lock_path_for,
    make_dirs,
    summary_of,
    with_review,
)

CYCLE = Cycle(id="2026-h2", name="Second half 2026", start=date(2026, 7, 1),
              end=date(2026, 12, 31), state=CycleState.open)
ROLES = ["major-account-manager", "account-executive", "customer-success-manager",
         "software-engineer", "support-team-lead"]
AT = datetime(2026, 11, 1, tzinfo=timezone.utc)
VARIANTS = 24  # differently filled reviews per role

# Placeholders put into the variant reviews, replaced per person in the JSON text.
# They occur nowhere else in a review file (checked when a variant is made).
P_ID, P_LOGIN, P_NAME = "zzq-person-id", "zzq-person-login", "Zzq Person Name"
R_ID, R_NAME = "zzq-reviewer-id", "Zzq Reviewer Name"
PLACEHOLDERS = (P_ID, P_LOGIN, P_NAME, R_ID, R_NAME)


@contextmanager
def no_fsync() -> Iterator[None]:
    """Building test data only: skip fsync so 10,000 reviews take seconds, not minutes."""
    real = os.fsync
    os.fsync = lambda fd: None  # type: ignore[assignment]
    try:
        yield
    finally:
        os.fsync = real  # type: ignore[assignment]


def org_chart(size: int, manager_login: str = "boss", team: int = 12,
              boss_reports: int | None = None) -> list[Person]:
    """`size` people: a top manager `boss` with `boss_reports` direct reports (default
    `team`), the rest in teams of `team` under further managers."""
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
    return people


class Variant:
    """One filled review with placeholder people: its file text and team-index line."""

    def __init__(self, review: Review, entries: list[HistoryEntry]):
        # exactly what Store.create_review does with a new review
        review = Review.model_validate(review.model_dump())
        self.text = dump_json(with_review({}, review, entries)).decode("utf-8")
        self.summary = json.dumps(summary_of(review), ensure_ascii=False)

    def for_person(self, person: Person, reviewer: Person) -> tuple[str, str]:
        """(review file text, summary JSON) with the placeholders replaced."""
        text, summary = self.text, self.summary
        for old, new in ((P_ID, person.id), (P_LOGIN, person.login), (P_NAME, person.name),
                         (R_ID, reviewer.id), (R_NAME, reviewer.name)):
            # ids, logins and names here are plain ASCII: no JSON escaping involved
            text = text.replace(old, new)
            summary = summary.replace(old, new)
        return text, summary


def make_variants(store: Store, seed: int, per_role: int) -> dict[str, list[Variant]]:
    """`per_role` filled reviews of each role. Variant n of a role is filled the same
    whatever `per_role` is, so organisations of any size share their first variants."""
    templates = store.templates()
    person_of = {role: Person(id=P_ID, name=P_NAME, login=P_LOGIN, manager=R_ID, role=role)
                 for role in ROLES}
    reviewer = Person(id=R_ID, name=R_NAME, login="zzq-reviewer-login", role=ROLES[0])
    out: dict[str, list[Variant]] = {}
    for role in ROLES:
        for template_text in (templates[role].model_dump_json(),):
            clash = [p for p in PLACEHOLDERS if p in template_text]
            assert not clash, f"template {role} contains placeholder {clash}"
        out[role] = []
        for _ in range(per_role):
            review, entries = workflow.start_review(templates[role], person_of[role], reviewer,
                                                    CYCLE, R_ID, AT)
            fill(review, entries, random.Random(f"{seed}/{role}/{len(out[role])}"))
            out[role].append(Variant(review, entries))
    return out


def build_org(root: Path, size: int, manager_login: str = "boss", team: int = 12,
              boss_reports: int | None = None, seed: int = 7, via_store: bool = False) -> Store:
    """`size` people (see `org_chart`); everyone but the top has a review in one open
    cycle, most of them part-filled. With `via_store`, every review is written by
    `Store.create_review` (slow; the same files, for checking this builder)."""
    store = Store(root)
    people = org_chart(size, manager_login, team, boss_reports)
    by_id = {p.id: p for p in people}
    with no_fsync():
        store.write_config(Config(organisation=f"Synthetic {size}", hr_admins=["hr"]))
        store.save_people(people)
        store.save_cycle(CYCLE)
        variants = make_variants(store, seed, min(VARIANTS, max(1, size // len(ROLES))))
        teams: dict[str, list[str]] = {}
        cycle_dir = root / "reviews" / CYCLE.id
        make_dirs(cycle_dir / "teams")
        for n, p in enumerate(people[1:]):
            reviewer = by_id[p.manager or ""]
            # In turns within each role: the first person of each role has its first
            # variant in every organisation, so the same review can be timed at any size.
            of_role = variants[p.role]
            text, summary = of_role[n // len(ROLES) % len(of_role)].for_person(p, reviewer)
            if via_store:
                data = json.loads(text)
                review = Review.model_validate(data["review"]["1"])
                entries = [HistoryEntry.model_validate(d) for d in data["history"].values()]
                store.create_review(review, entries)
                continue
            write_data(cycle_dir / f"{p.id}.json", text)
            teams.setdefault(reviewer.id, []).append(summary)
        for reviewer_id, lines in teams.items():
            # the layout TinyDB gives a table filled one upsert at a time
            body = ", ".join(f'"{n}": {s}' for n, s in enumerate(lines, 1))
            write_data(store.team_index_path(CYCLE.id, reviewer_id),
                       f'{{"summaries": {{{body}}}}}')
    return store


def write_data(path: Path, text: str) -> None:
    """A data file and its (empty) lock file, as the store leaves them."""
    path.write_text(text, encoding="utf-8")
    os.chmod(path, FILE_MODE)
    lock = lock_path_for(path)
    lock.touch()
    os.chmod(lock, FILE_MODE)


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


def data_files_differ(a: Path, b: Path) -> list[str]:
    """Relative paths that differ between two trees: data files by content, lock files
    by presence and mode (temporary files are left out)."""

    def files(root: Path) -> dict[str, object]:
        out: dict[str, object] = {}
        for p in root.rglob("*"):
            if not p.is_file() or p.name.endswith(".tmp"):
                continue
            rel = str(p.relative_to(root))
            out[rel] = ("lock", p.stat().st_mode) if p.name.endswith(".lock") else p.read_bytes()
        return out

    fa, fb = files(a), files(b)
    return sorted(k for k in fa.keys() | fb.keys() if fa.get(k) != fb.get(k))
