"""Who is at the keyboard, and what they may read and write.

Every read and write of a review by the UI and the CLI goes through a
`Session`; the permission matrix (docs/access.md) lives here, once, below
the screens, so a screen that forgot a check still cannot write.
"""

from __future__ import annotations

import getpass
import heapq
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

from . import live
from .errors import Conflict, WorkflowError
from .kinds import CycleState, SignRole, State
from .store import DataFileError, Member, NotFound, Store, StoreError, now, review_id_for

if TYPE_CHECKING:  # imported where used: opening a session needs no pydantic
    from .models import Cycle, HistoryEntry, Person, Review, RoleTemplate

T = TypeVar("T")

__all__ = [
    "AccessError", "Conflict", "DataFileError", "NotFound", "Session", "StoreError",
    "WorkflowError",
    "open_session", "os_login",
]

BEFORE_JOINT = {State.planning, State.self_assessment, State.manager_assessment}
SELF_BLIND = {State.planning, State.self_assessment}

# (state, side) -> what that side may write. "comment" and "action" are not KPI
# fields but are checked the same way; "weights" covers KRA/KPI weights and targets.
EDITABLE: dict[tuple[State, str], frozenset[str]] = {
    (State.planning, "manager"): frozenset({"weights", "target", "na", "na_reason"}),
    (State.self_assessment, "employee"): frozenset({"actual", "self_rating", "comment"}),
    (State.manager_assessment, "manager"): frozenset(
        {"actual", "manager_rating", "agreed_rating", "rating_reason", "na", "na_reason", "comment"}
    ),
    (State.joint_review, "manager"): frozenset(
        {"actual", "manager_rating", "agreed_rating", "rating_reason", "na", "na_reason",
         "comment", "action"}
    ),
    (State.joint_review, "employee"): frozenset({"comment", "action"}),
}
ADVANCE: dict[State, frozenset[str]] = {
    State.planning: frozenset({"manager"}),
    State.self_assessment: frozenset({"employee", "manager"}),
    State.manager_assessment: frozenset({"manager"}),
}
NEXT_STEP = {
    State.planning: "the manager sets targets and weights, then starts the self-assessment",
    State.self_assessment: "the employee enters actuals and self ratings, then submits",
    State.manager_assessment: "the manager enters actuals and ratings, then opens the joint review",
    State.joint_review: "both agree the ratings and actions, then each signs",
    State.signed_off: "signed off and locked; an HR admin can reopen it with a reason",
}


class AccessError(Exception):
    """The person at the keyboard may not do this; nothing was changed."""


def os_login() -> str:
    """The login of this process (over SSH: the SSH user)."""
    try:
        import pwd

        return pwd.getpwuid(os.getuid()).pw_name
    except (ImportError, KeyError):
        return getpass.getuser()


def open_session(store: Store, login: str | None = None, as_login: str | None = None) -> Session:
    """The session of whoever runs this process, or of `as_login` where allowed."""
    config = store.basics()
    real = login or os_login()
    if as_login:
        if not config.allow_as:
            _audit(store, {"event": "as-refused", "login": real, "as": as_login})
            raise AccessError(
                f"--as is not allowed in {store.root}: it only works where config.toml says "
                "allow_as = true (the demo data). Run kpireview as yourself."
            )
        real = as_login
    person = store.member_by_login(real)
    is_hr = real in config.hr_admins
    if person is None and not is_hr:
        _audit(store, {"event": "login-refused", "login": real,
                       **({"via_as": login or os_login()} if as_login else {})})
        admins = ", ".join(config.hr_admins) or "your HR admin"
        raise AccessError(
            f"the login {real!r} is not a person in {store.root}. Ask an HR admin ({admins}) "
            f"to add you: kpireview people add --login {real} ..."
        )
    return Session(store, real, person, is_hr)


def _audit(store: Store, event: dict[str, Any]) -> None:
    """Record a refusal in audit.json; a failure to record never hides the refusal."""
    try:
        store.append_audit({**event, "at": now().isoformat()})
    except (StoreError, OSError):
        pass


SECTIONS = ("mine", "team", "line", "all")


@dataclass
class Lists:
    """Home's lists: rows by section, how many each has (more than its rows when
    they were cut to the first few), and the damaged index files passed over."""

    rows: dict[str, list[dict[str, Any]]]
    counts: dict[str, int]
    problems: list[str]


@dataclass
class ReviewView:
    """A review as this person may see it, with what they may do to it."""

    review: Review
    sides: frozenset[str]  # employee, manager, line (above the manager), hr
    editable: frozenset[str]
    can_advance: bool
    sign_as: SignRole | None
    can_reopen: bool
    hidden: list[str] = field(default_factory=list)
    next_step: str = ""
    # Counted on the whole review, not on what is shown: in a blind phase a
    # manager sees how many self ratings are in (as Home does), not which.
    done: int = 0
    total: int = 0
    kra_done: dict[str, int] = field(default_factory=dict)

    @property
    def read_only(self) -> bool:
        return not self.editable and not self.can_advance and self.sign_as is None


class Session:
    summary_problems: list[str]

    def __init__(self, store: Store, login: str, person: Member | None, is_hr: bool):
        self.store = store
        self.login = login
        self.person = person
        self.is_hr = is_hr
        self._presences: dict[str, live.PresenceFile] = {}

    @property
    def actor(self) -> str:
        return self.person.id if self.person else f"login:{self.login}"

    @property
    def display_name(self) -> str:
        return self.person.name if self.person else self.login

    # --- relations ----------------------------------------------------------

    def _line_of(self, person_id: str) -> set[str]:
        """Everyone above `person_id` in the management chain."""
        return self.store.people_index().line_above(person_id)

    def sides(self, review: Review) -> frozenset[str]:
        sides = set()
        me = self.person.id if self.person else None
        if me == review.person_id:
            sides.add("employee")
        if me == review.reviewer_id and me != review.person_id:
            sides.add("manager")
        if me and not sides and me in self._line_of(review.person_id):
            sides.add("line")
        if self.is_hr:
            sides.add("hr")
        return frozenset(sides)

    def _visible(self, review_id: str) -> tuple[Review, frozenset[str]]:
        try:
            review = self.store.load_review(review_id)
        except NotFound:
            raise NotFound(f"no review {review_id!r} that you can see") from None
        sides = self.sides(review)
        if not sides:
            raise NotFound(f"no review {review_id!r} that you can see")
        return review, sides

    # --- reading -------------------------------------------------------------

    def view(self, review_id: str) -> ReviewView:
        review, sides = self._visible(review_id)
        return self._make_view(review, sides)

    def _make_view(self, review: Review, sides: frozenset[str]) -> ReviewView:
        from .scoring import kpi_done, progress

        shown, hidden = redact(review, sides)
        done, total = progress(review)
        kra_done = {kra.id: sum(kpi_done(k, review.state) for k in kra.kpis)
                    for kra in review.kras}
        editable: set[str] = set()
        for side in sides & {"employee", "manager"}:
            editable |= EDITABLE.get((review.state, side), frozenset())
        can_advance = bool(sides & ADVANCE.get(review.state, frozenset()))
        sign_as = None
        if review.state is State.joint_review:
            if "manager" in sides:
                sign_as = SignRole.manager
            elif "employee" in sides:
                sign_as = SignRole.employee
        return ReviewView(
            review=shown, sides=sides, editable=frozenset(editable), can_advance=can_advance,
            sign_as=sign_as, can_reopen="hr" in sides and review.state is State.signed_off,
            hidden=hidden, next_step=NEXT_STEP[review.state], done=done, total=total,
            kra_done=kra_done,
        )

    def step_gaps(self, review_id: str) -> str:
        """What the step being closed still lacks ("6 of 21 KPIs have no self
        rating yet; ..."), counted on the whole review: see `ReviewView.done`."""
        from .scoring import step_gaps

        review, _sides = self._visible(review_id)
        return step_gaps(review)

    def history(self, review_id: str) -> list[HistoryEntry]:
        review, sides = self._visible(review_id)
        hidden = hidden_fields(review, sides)
        return [e for e in self.store.history(review_id) if not hides(e.field, hidden)]

    def summaries(self) -> dict[str, list[dict[str, Any]]]:
        """Home: my own reviews, my direct reports', further down the line, and (HR) all."""
        lists = self.lists()
        self.summary_problems = lists.problems  # damaged index files skipped
        return lists.rows

    def lists(self, sections: tuple[str, ...] = SECTIONS, top: int | None = None,
              order: Callable[[dict[str, Any]], Any] | None = None) -> Lists:
        """The `sections` of Home; "line" and "all" cut to the first `top` by `order`.

        A cut list is read one team index at a time and keeps only `top` rows,
        so the head of a 10,000-person organisation does not hold them all.
        """
        rows: dict[str, list[dict[str, Any]]] = {key: [] for key in sections}
        counts: dict[str, int] = {}
        problems: list[str] = []

        def cut(key: str, found: Iterator[dict[str, Any]]) -> None:
            seen = [0]

            def counted() -> Iterator[dict[str, Any]]:
                for s in found:
                    seen[0] += 1
                    yield s

            if top is None:
                rows[key] = list(counted())
            else:
                rows[key] = heapq.nsmallest(top, counted(), key=order)
            counts[key] = seen[0]

        me = self.person.id if self.person else None
        if me is not None and "mine" in sections:
            # Only the files that can hold these lines are read, so Home does not
            # cost more in a bigger organisation (HR's "all" and the line aside).
            own = self.store.reviews_of_person(me)
            counts["mine"] = len(own)  # more than the rows when an index could not be read
            for review_id in own:
                cycle_id = review_id.split("/")[0]
                found: list[dict[str, Any]] = []
                if self.person and self.person.manager:  # normally the reviewer
                    found = self.store.summaries(cycle_id, self.person.manager, person_id=me,
                                                    problems=problems)
                if not found:
                    found = self.store.summaries(cycle_id, person_id=me, problems=problems)
                for s in found:
                    if s["state"] in {st.value for st in BEFORE_JOINT}:
                        s = {**s, "overall": None, "complete": False}  # from manager ratings
                    rows["mine"].append(s)
        team: list[dict[str, Any]] = []
        if me is not None and ("team" in sections or "line" in sections):
            team = [s for s in self.store.summaries(reviewer_id=me, problems=problems)
                    if s["person_id"] != me]
            if "team" in sections:
                rows["team"] = team
        below = self._reports_below(me) if me is not None and "line" in sections else set()
        if below:
            index = self.store.people_index()
            direct = {s["review_id"] for s in team}
            reviewers = sorted(
                p for p in set(index.children.get(me or "", ())) | below if index.children.get(p)
            )
            # One listing of the cycle folders for every reviewer below, not one each.
            cut("line", (
                s for s in self.store.iter_summaries(reviewer_ids=reviewers, problems=problems)
                if s["person_id"] in below and s["review_id"] not in direct
            ))
        if self.is_hr and "all" in sections:
            cut("all", self.store.iter_summaries(problems=problems))
        for key in sections:
            counts.setdefault(key, len(rows[key]))
        # The same damaged file can be met by several of the lists above.
        return Lists(rows, counts, list(dict.fromkeys(problems)))

    def has_reports(self) -> bool:
        """Whether anyone reports to this person (whether or not they have a review yet)."""
        return bool(self.person and self.store.people_index().children.get(self.person.id))

    def has_long_lists(self) -> bool:
        """Whether Home has a "line" or "all" list to show (the lists that can be long)."""
        if self.is_hr:
            return True
        if self.person is None:
            return False
        # Whether a direct report has reports of their own: O(team), not O(everyone below).
        me = self.person.id
        children = self.store.people_index().children
        return any(c != me for r in children.get(me, ()) for c in children.get(r, ()))

    def _reports_below(self, person_id: str) -> set[str]:
        """Everyone below the direct reports (their reports, and so on)."""
        index = self.store.people_index()
        direct = set(index.children.get(person_id, ()))
        return index.below(person_id) - direct - {person_id}

    # --- writing -------------------------------------------------------------

    def _require(self, review: Review, sides: frozenset[str], what: str) -> None:
        if review.state is State.signed_off:
            raise AccessError(
                f"review {review.id} is signed off and read-only; an HR admin can reopen it"
            )
        allowed = set()
        for side in sides & {"employee", "manager"}:
            allowed |= EDITABLE.get((review.state, side), frozenset())
        if what not in allowed:
            who = " and ".join(sorted(sides)) or "nobody"
            raise AccessError(
                f"as {who} you may not change {what.replace('_', ' ')} of review {review.id} "
                f"in {review.state.label} (next step: {NEXT_STEP[review.state]})"
            )

    def _change(self, review_id: str, check: Callable[[Review, frozenset[str]], None],
                apply: Callable[[Review], tuple[T, list[HistoryEntry]]]) -> T:
        """Check permissions on the fresh copy under the lock, then apply."""

        def change(review: Review) -> tuple[T, list[HistoryEntry]]:
            sides = self.sides(review)
            if not sides:
                raise NotFound(f"no review {review_id!r} that you can see")
            check(review, sides)
            return apply(review)

        result, _ = self.store.update_review(review_id, change)
        return result

    def set_kpi(self, review_id: str, kpi_id: str, field: str, value: Any,
                expected: Any = ...) -> None:
        from . import workflow

        self._change(
            review_id,
            lambda r, s: self._require(r, s, field),
            lambda r: (None, workflow.set_kpi_field(r, kpi_id, field, value, self.actor, now(),
                                                    expected)),
        )

    def set_comment(self, review_id: str, kpi_id: str, text: str, expected: Any = ...) -> None:
        from . import workflow

        self._change(
            review_id,
            lambda r, s: self._require(r, s, "comment"),
            lambda r: (None, workflow.set_comment(r, kpi_id, self.actor, text, now(), expected)),
        )

    def set_planning(self, review_id: str, kra_weights: dict[str, Any],
                     kpi_weights: dict[str, Any], targets: dict[str, Any],
                     expected: dict[str, dict[str, Any]] | None = None) -> None:
        """Weights and targets at once; `expected`: see `workflow.set_weights`."""
        from . import workflow

        self._change(
            review_id,
            lambda r, s: self._require(r, s, "weights"),
            lambda r: (None, workflow.set_weights(r, kra_weights, kpi_weights, targets,
                                                  self.actor, now(), expected)),
        )

    def add_action(self, review_id: str, text: str, owner: str | None = None, **kw: Any) -> str:
        from . import workflow

        def apply(r: Review) -> tuple[str, list[HistoryEntry]]:
            action, entries = workflow.add_action(r, self.actor, now(), text,
                                                  owner or r.person_id, cycle=self._cycle(r),
                                                  **kw)
            return action.id, entries

        return self._change(review_id, lambda r, s: self._require(r, s, "action"), apply)

    def update_action(self, review_id: str, action_id: str, changes: dict[str, Any],
                      expected: dict[str, Any] | None = None) -> None:
        from . import workflow

        self._change(
            review_id,
            lambda r, s: self._require(r, s, "action"),
            lambda r: (None, workflow.update_action(r, action_id, changes, self.actor, now(),
                                                    expected, cycle=self._cycle(r))),
        )

    def _cycle(self, review: Review) -> Cycle | None:
        """The review's cycle, for checks against its dates (None if it has gone)."""
        try:
            return self.store.cycle(review.cycle_id)
        except NotFound:
            return None

    def advance(self, review_id: str) -> State:
        from . import workflow

        def check(r: Review, sides: frozenset[str]) -> None:
            if r.state is State.signed_off:
                raise AccessError(f"review {r.id} is signed off; an HR admin can reopen it")
            if not sides & ADVANCE.get(r.state, frozenset()):
                raise AccessError(
                    f"you may not move review {r.id} on from {r.state.label} "
                    f"(next step: {NEXT_STEP[r.state]})"
                )

        def apply(r: Review) -> tuple[State, list[HistoryEntry]]:
            entries = workflow.advance(r, self.actor, now())
            return r.state, entries

        return self._change(review_id, check, apply)

    def sign(self, review_id: str, seen_revision: int) -> State:
        from . import workflow

        def check(r: Review, sides: frozenset[str]) -> None:
            if not sides & {"employee", "manager"}:
                raise AccessError(
                    f"only the employee and the reviewer sign review {r.id}; nobody signs for others"
                )
            if r.state is not State.joint_review:
                raise AccessError(
                    f"review {r.id} is in {r.state.label}; it is signed in the joint review "
                    f"(next step: {NEXT_STEP[r.state]})"
                )

        def apply(r: Review) -> tuple[State, list[HistoryEntry]]:
            sides = self.sides(r)
            role = SignRole.manager if "manager" in sides else SignRole.employee
            # the signature covers the history up to the signing (read under the lock)
            history = self.store.history(review_id)
            entries = workflow.sign(r, self.actor, role, seen_revision, now(), history)
            return r.state, entries

        return self._change(review_id, check, apply)

    def reopen(self, review_id: str, reason: str) -> None:
        from . import workflow

        def check(r: Review, sides: frozenset[str]) -> None:
            if "hr" not in sides:
                raise AccessError("only an HR admin can reopen a signed-off review")
            if r.state is not State.signed_off:
                raise AccessError(
                    f"review {r.id} is in {r.state.label}, not signed off: there is nothing to "
                    "reopen"
                )

        self._change(review_id, check,
                     lambda r: (None, workflow.reopen(r, self.actor, reason, now())))

    def record(self, review_id: str, action: str, note: str,
               revision: int | None = None) -> None:
        """Add a history entry (an export) for a review this person can see; it names
        `revision` (by default the review's revision now)."""
        from . import workflow

        review, _ = self._visible(review_id)
        at = review.revision if revision is None else revision
        self.store.append_history(
            review_id, [workflow.entry(self.actor, now(), action, note=note, revision=at)])

    def record_each(self, review_ids: Iterator[str], action: str,
                    work: Callable[[str, ReviewView, list[HistoryEntry]], str | None],
                    unreadable: list[DataFileError] | None = None) -> None:
        """Do `work` on each review this person can see, and record `action` for each.

        Each review file is read once, both for `work` (the review as `view`
        shows it, the history as `history` does) and for the history entry,
        whose note is what `work` returns (None: nothing is recorded).
        Reviews this person cannot see are skipped; with `unreadable`, so are
        review files that cannot be read, each error added there (without it,
        the first one is raised). The entries are saved by
        a `Store.history_batch`: one sync for many files, and a save that
        someone made since the read is kept.
        """
        from . import workflow

        batch = self.store.history_batch()
        try:
            for review_id in review_ids:
                try:
                    snapshot = self.store.snapshot(review_id)
                except NotFound:
                    continue
                except DataFileError as exc:
                    if unreadable is None:
                        raise
                    unreadable.append(exc)
                    continue
                review = snapshot.review
                sides = self.sides(review)
                if not sides:
                    continue
                hidden = hidden_fields(review, sides)
                history = [e for e in snapshot.history() if not hides(e.field, hidden)]
                note = work(review_id, self._make_view(review, sides), history)
                if note is not None:
                    batch.add(snapshot, [workflow.entry(self.actor, now(), action, note=note,
                                                        revision=review.revision)])
        finally:
            batch.commit()

    # --- live: changes by others, presence --------------------------------------

    def change_token(self, review_id: str) -> live.Token:
        """Changes whenever the review is saved by anyone; a stat(), no read."""
        return live.change_token(self.store, review_id)

    def open_presence(self, review_id: str) -> live.PresenceFile:
        """Announce that this person has the review open; call .beat() and .leave().

        Screens of one session showing the same review share one presence.
        """
        self._visible(review_id)
        presence = self._presences.get(review_id)
        if presence is None:
            presence = live.PresenceFile(self.store, review_id, self.login, self.display_name)
            self._presences[review_id] = presence
        presence.join()
        return presence

    def others_present(self, review_id: str, mine: live.PresenceFile | None = None) -> list[str]:
        """Names of the other people who have this review open right now."""
        exclude = mine.path if mine else None
        return sorted({p.name for p in live.present(self.store, review_id, exclude)})

    # --- administration ------------------------------------------------------

    def require_hr(self, what: str) -> None:
        if not self.is_hr:
            raise AccessError(f"only an HR admin may {what}; HR admins are named in config.toml")

    def start_review(self, cycle_id: str, person_id: str) -> str:
        from . import workflow

        cycle = self.store.cycle(cycle_id)
        person = self.store.person(person_id)
        if not person.manager:
            raise WorkflowError(f"{person.id} has no manager to review them")
        me = self.person.id if self.person else None
        if me == person.id:
            raise AccessError(
                "nobody can start or review their own review; your manager or an HR admin "
                "starts it"
            )
        if not self.is_hr and me != person.manager:
            raise AccessError(
                f"only {person.id}'s manager or an HR admin may start their review"
            )
        if cycle.state is CycleState.closed:
            raise WorkflowError(f"cycle {cycle.id} is closed")
        review_id = review_id_for(cycle.id, person.id)
        if self.store.review_exists(review_id):
            raise StoreError(f"{person.id} already has a review in {cycle.id}")
        reviewer = self.store.person(person.manager)
        template = self.store.template(person.role)
        review, entries = workflow.start_review(template, person, reviewer, cycle,
                                                self.actor, now())
        self.store.create_review(review, entries)
        return review_id

    def save_cycle(self, cycle: Cycle, must_be_new: bool = False) -> None:
        self.require_hr("open, close or change cycles")
        self.store.save_cycle(cycle, must_be_new=must_be_new)

    def save_template(self, text: str, source: str = "template") -> RoleTemplate:
        """Add or replace a role template in the data directory (HR admin).

        The TOML is checked first; reviews already started keep their own copy.
        """
        self.require_hr("add or change role templates")
        from .templates import parse_text, template_from_data

        template = template_from_data(parse_text(text, source), source)
        self.store.write_template(template.id, text)
        return template

    def save_people(self, people: list[Person]) -> None:
        self.require_hr("add or change people")
        from .people import check_people

        templates = self.store.template_ids()
        self.store.save_people(people, lambda all_: check_people(all_, templates))


# --- blind phases -------------------------------------------------------------


def hidden_fields(review: Review, sides: frozenset[str]) -> set[str]:
    """Field suffixes this viewer may not see in the review's current state."""
    hidden: set[str] = set()
    if "hr" in sides and not sides & {"employee", "manager"}:
        return hidden  # HR reads everything; an HR admin's own review is still blind
    if "employee" in sides and review.state in BEFORE_JOINT:
        hidden |= {"manager_rating", "agreed_rating", "rating_reason",
                   f"comment.{review.reviewer_id}"}
    if sides & {"manager", "line"} and review.state in SELF_BLIND:
        hidden |= {"self_rating", f"comment.{review.person_id}"}
    return hidden


def hides(field_name: str, hidden: set[str]) -> bool:
    return any(field_name.endswith("." + h) for h in hidden)


def redact(review: Review, sides: frozenset[str]) -> tuple[Review, list[str]]:
    hidden = hidden_fields(review, sides)
    if not hidden:
        return review, []
    shown = review.model_copy(deep=True)
    notes = []
    for kpi in shown.all_kpis():
        if "manager_rating" in hidden:
            kpi.manager_rating = None
            kpi.agreed_rating = None
            kpi.rating_reason = ""
        if "self_rating" in hidden:
            kpi.self_rating = None
        kpi.comments = [c for c in kpi.comments if f"comment.{c.author}" not in hidden]
    if "manager_rating" in hidden:
        notes.append("manager ratings are hidden until the joint review")
    if "self_rating" in hidden:
        notes.append("self ratings are hidden until the manager assessment")
    return shown, notes
