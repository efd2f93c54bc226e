"""The demo organisation: a manager (whoever runs it), their team and reviews in every state.

Built with the same workflow operations the app uses, so every value in it
has its history entry; deterministic (a seeded generator) so tests can rely on it.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from .models import (Cycle, CycleState, HistoryEntry, Kind, Person, Review, ReviewKPI, SignRole,
                     State)
from .models import Config
from .store import Store, StoreError, now
from . import workflow

CYCLE = Cycle(id="2026-h2", name="Second half 2026", start=date(2026, 7, 1),
              end=date(2026, 12, 31), state=CycleState.open)
HR_LOGIN = "harriet"
DIRECTOR_LOGIN = "dana"

COMMENTS_SELF = [
    "Two renewals slipped into January because procurement changed on the client side.",
    "Strong quarter with the Northwind account; the workshop format worked well.",
    "I underestimated the onboarding effort for the new product line.",
    "Weekly account reviews with the client's CFO made the difference here.",
    "Data from the CRM was incomplete for July; numbers are from my own tracker.",
]
COMMENTS_MANAGER = [
    "Agree — the pipeline hygiene improved noticeably since September.",
    "Good result, but the follow-up after the QBRs needs to be faster.",
    "Solid work; let's set a stretch target for next cycle.",
    "The client feedback confirms this; well done.",
    "Below plan, mostly outside your control; the reason is recorded.",
]


def manager_id_for(login: str) -> str:
    ident = re.sub(r"[^a-z0-9._-]", "-", login.lower()).strip("-._") or "manager"
    return ident[:64]


def display_name(login: str) -> str:
    """The person's name from the system account (GECOS), else the login itself."""
    try:
        import pwd

        gecos = pwd.getpwnam(login).pw_gecos.split(",")[0].strip()
    except (ImportError, KeyError):
        gecos = ""
    return gecos or login


def demo_people(login: str, name: str | None = None) -> list[Person]:
    me = manager_id_for(login)
    if me in {"harriet", "dana", "alex", "maya", "sam", "chen", "lee"}:
        me = f"{me}-mgr"
    return [
        Person(id="harriet", name="Harriet Ruiz", login=HR_LOGIN, email="harriet@example.com",
               role="hr-business-partner"),
        Person(id="dana", name="Dana Okafor", login=DIRECTOR_LOGIN, email="dana@example.com",
               role="major-account-manager"),
        Person(id=me, name=name or login, login=login, email=f"{login}@example.com",
               manager="dana", role="major-account-manager"),
        Person(id="alex", name="Alex Morgan", login="alex", email="alex@example.com",
               manager=me, role="major-account-manager"),
        Person(id="maya", name="Maya Lindqvist", login="maya", email="maya@example.com",
               manager=me, role="major-account-manager"),
        Person(id="sam", name="Sam Patel", login="sam", email="sam@example.com",
               manager=me, role="account-executive"),
        Person(id="chen", name="Chen Wei", login="chen", email="chen@example.com",
               manager=me, role="customer-success-manager"),
        Person(id="lee", name="Lee Adeyemi", login="lee", email="lee@example.com",
               manager=me, role="support-team-lead"),
    ]


# The upper end of a score's range as the template states it: "(out of 5)", "(1–5)",
# "(−100 to 100)".
OUT_OF = re.compile(r"\bout of (\d+(?:\.\d+)?)")
RANGE = re.compile(r"\(\s*[-−]?\d+(?:\.\d+)?\s*(?:[-–—]|to)\s*(\d+(?:\.\d+)?)\s*\)")


def highest_possible(kpi: ReviewKPI) -> Decimal | None:
    """The largest value the KPI can take, where its definition says so; None if unbounded.

    A percentage whose target is at most 100 is a share of something (tickets meeting
    the SLA, a compliance rate) and cannot exceed 100; one with a target above 100
    (net revenue retention) can. A score is bounded by the range its name or
    measurement note states ("out of 5", "(1–5)").
    """
    if kpi.unit == "%":
        return Decimal(100) if kpi.target is None or kpi.target <= 100 else None
    if kpi.unit == "score":
        text = f"{kpi.name} {kpi.measurement}"
        found = OUT_OF.search(text) or RANGE.search(text)
        return Decimal(found.group(1)) if found else None
    return None


class Builder:
    """Runs workflow operations on one in-memory review, keeping the history."""

    def __init__(self, review: Review, entries: list[HistoryEntry], rng: random.Random,
                 clock: datetime):
        self.review = review
        self.entries = entries
        self.rng = rng
        self.clock = clock

    def tick(self) -> datetime:
        self.clock += timedelta(minutes=self.rng.randint(1, 40))
        return self.clock

    def do(self, op: Callable[..., list[HistoryEntry]], *args: object, **kw: object) -> None:
        self.entries += op(self.review, *args, **kw)

    def actual_for(self, kpi: ReviewKPI) -> Decimal:
        """A plausible actual around the KPI's target, within what the KPI can measure."""
        lower = kpi.direction == "lower"
        target = kpi.target if kpi.target not in (None, Decimal(0)) else Decimal(10)
        factor = Decimal(self.rng.choice([62, 78, 88, 95, 100, 104, 112, 118, 125, 140])) / 100
        if lower:
            factor = Decimal(1) / factor
        value = target * factor
        places = Decimal("1") if kpi.unit in ("count", "days", "currency") else Decimal("0.1")
        top = highest_possible(kpi)
        if top is not None and value > top:
            value = top
        return value.quantize(places)

    def self_assess(self, share: float = 1.0) -> None:
        r = self.review
        for kpi in r.all_kpis():
            if self.rng.random() > share:
                continue
            if kpi.kind is Kind.numeric:
                actual = self.actual_for(kpi)
                self.do(workflow.set_kpi_field, kpi.id, "actual", actual, r.person_id, self.tick())
            from .scoring import suggestion

            _, suggested = suggestion(r, kpi)
            rating = suggested if suggested is not None else self.rng.choice([3, 3, 4])
            rating = min(r.scale.max, max(r.scale.min, rating + self.rng.choice([0, 0, 0, 1])))
            self.do(workflow.set_kpi_field, kpi.id, "self_rating", rating, r.person_id, self.tick())
            if self.rng.random() < 0.15:
                self.do(workflow.set_comment, kpi.id, r.person_id,
                        self.rng.choice(COMMENTS_SELF), self.tick())

    def manager_assess(self) -> None:
        from .scoring import suggestion

        r = self.review
        for kpi in r.all_kpis():
            if kpi.kind is Kind.numeric and kpi.actual is None:
                actual = self.actual_for(kpi)
                self.do(workflow.set_kpi_field, kpi.id, "actual", actual, r.reviewer_id, self.tick())
            _, suggested = suggestion(r, kpi)
            rating = suggested if suggested is not None else self.rng.choice([3, 4, 4])
            self.do(workflow.set_kpi_field, kpi.id, "manager_rating", rating, r.reviewer_id,
                    self.tick())
            if self.rng.random() < 0.12:
                self.do(workflow.set_comment, kpi.id, r.reviewer_id,
                        self.rng.choice(COMMENTS_MANAGER), self.tick())

    def advance(self, who: str) -> None:
        self.do(workflow.advance, who, self.tick())


def build_demo(root: Path, login: str, on_progress: Callable[[str], None] | None = None,
               name: str | None = None) -> Store:
    """Create the demo organisation in `root`, which must be empty."""
    root = Path(root)
    if root.exists() and any(root.iterdir()):
        raise StoreError(
            f"{root} is not empty; the demo is only created in an empty directory. "
            "Pick another with --data DIR."
        )
    say = on_progress or (lambda _msg: None)
    store = Store(root)
    people = demo_people(login, name)
    me = people[2].id
    store.write_config(Config(organisation="Northwind Trading (demo)",
                              hr_admins=[HR_LOGIN], allow_as=True))
    store.save_people(people)
    store.save_cycle(CYCLE)
    templates = store.templates()
    by_id = {p.id: p for p in people}
    rng = random.Random(2026)
    clock = now() - timedelta(days=30)

    def start(person_id: str) -> Builder:
        person = by_id[person_id]
        reviewer = by_id[person.manager or ""]
        review, entries = workflow.start_review(templates[person.role], person, reviewer, CYCLE,
                                                reviewer.id, clock)
        return Builder(review, entries, rng, clock)

    def save(b: Builder) -> None:
        say(f"review of {b.review.person_name}: {b.review.state.label}")
        store.create_review(b.review, b.entries)

    # Alex: the Major Account Manager review waiting for the manager's assessment.
    b = start("alex")
    b.advance(me)
    b.self_assess(share=1.0)
    b.advance("alex")
    save(b)

    # Maya: Major Account Manager in the joint review, ready to sign.
    b = start("maya")
    b.advance(me)
    b.self_assess()
    b.advance("maya")
    b.manager_assess()
    b.advance(me)
    r = b.review
    fix_departures(b, me)
    first = r.kras[0]
    b.entries += workflow.add_action(
        r, me, b.tick(), "Run a quarterly business review with each top-10 account",
        "maya", kra_id=first.id, due=date(2027, 3, 31),
        success_measure="10 QBRs held and minuted by end of Q1")[1]
    b.entries += workflow.add_action(
        r, "maya", b.tick(), "Complete the negotiation skills course", "maya",
        kra_id=r.kras[5].id, due=date(2027, 2, 28), success_measure="Certificate uploaded")[1]
    save(b)

    # Sam: planning — the manager still sets targets.
    save(start("sam"))

    # Chen: signed off.
    b = start("chen")
    b.advance(me)
    b.self_assess()
    b.advance("chen")
    b.manager_assess()
    b.advance(me)
    fix_departures(b, me)
    b.entries += workflow.add_action(
        b.review, me, b.tick(), "Shadow the renewals desk for two weeks", "chen",
        kra_id=b.review.kras[0].id, due=date(2027, 1, 31),
        success_measure="Renewal playbook updated with two improvements")[1]
    b.do(workflow.sign, "chen", SignRole.employee, b.review.revision, b.tick())
    b.do(workflow.sign, me, SignRole.manager, b.review.revision, b.tick())
    save(b)

    # Lee: self-assessment under way.
    b = start("lee")
    b.advance(me)
    b.self_assess(share=0.4)
    save(b)

    # My own review, by the director, in self-assessment.
    b = start(me)
    b.advance("dana")
    save(b)
    return store


def fix_departures(b: Builder, who: str) -> None:
    """Give a reason wherever the agreed rating departs from the suggestion."""
    from .scoring import suggestion

    for kpi in b.review.all_kpis():
        _, suggested = suggestion(b.review, kpi)
        if suggested is not None and kpi.agreed != suggested and not kpi.rating_reason:
            b.do(workflow.set_kpi_field, kpi.id, "rating_reason",
                 "Adjusted for a client-side delay agreed in the review meeting", who, b.tick())
    assert b.review.state is State.joint_review
