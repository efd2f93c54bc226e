"""The review workflow of DESIGN.md §4 as pure operations on a `Review`.

Each operation changes the review in place and returns the history entries
that describe the change. Nothing here does I/O or checks *who* may act: the
caller (`tui.access`) decides that first.
"""

from __future__ import annotations

import hashlib
import json
from datetime import date, datetime, timezone
from enum import Enum
from decimal import Decimal, InvalidOperation
from typing import Any

from .models import (
    NON_NEGATIVE_UNITS,
    Action,
    ActionStatus,
    Comment,
    Cycle,
    HistoryEntry,
    Kind,
    Person,
    Review,
    ReviewKPI,
    ReviewKRA,
    RoleTemplate,
    SignOff,
    SignRole,
    State,
    blank_as_empty,
    check_structure,
    check_weight,
    is_blank,
    weight_problems,
    whole_number_problem,
)
from .errors import Conflict, WorkflowError  # noqa: F401  (re-exported)
from .scoring import missing_for_signoff, needs_target

NEXT_STATE = {
    State.planning: State.self_assessment,
    State.self_assessment: State.manager_assessment,
    State.manager_assessment: State.joint_review,
}
KPI_FIELDS = (
    "target", "actual", "self_rating", "manager_rating", "agreed_rating",
    "rating_reason", "na", "na_reason",
)


def entry(who: str, at: datetime, action: str, field: str = "", old: Any = None,
          new: Any = None, note: str = "", revision: int = 0) -> HistoryEntry:
    return HistoryEntry(
        seq=0, at=at, who=who, action=action, field=field,
        old=None if old is None else str(old), new=None if new is None else str(new),
        note=note, revision=revision,
    )


# --- starting a review -------------------------------------------------------


def start_review(template: RoleTemplate, person: Person, reviewer: Person, cycle: Cycle,
                 who: str, at: datetime) -> tuple[Review, list[HistoryEntry]]:
    """A review with its own frozen copy of the template's KRAs and KPIs."""
    kras = [
        ReviewKRA(
            id=kra.id, title=kra.title, statement=kra.statement, description=kra.description,
            weight=kra.weight,
            kpis=[ReviewKPI(**kpi.model_dump()) for kpi in kra.kpis],
        )
        for kra in template.kras
    ]
    review = Review(
        id=f"{cycle.id}/{person.id}", cycle_id=cycle.id, person_id=person.id,
        person_name=person.name, person_login=person.login, reviewer_id=reviewer.id,
        reviewer_name=reviewer.name, role_id=template.id, role_title=template.title,
        role_version=template.version, scale=template.scale.model_copy(deep=True),
        bands=[b.model_copy() for b in template.bands], achievement_cap=template.achievement_cap,
        kras=kras, created_at=at, updated_at=at,
    )
    note = f"started from template {template.id} v{template.version}; reviewer {reviewer.id}"
    return review, [entry(who, at, "start", note=note)]


# --- values ------------------------------------------------------------------


def _decimal(text: Any, what: str) -> Decimal:
    """Text as a Decimal. Python would also read `2_5` as 25; a typo like that must
    not become a different number, so no separators of any kind are taken."""
    typed = str(text).strip()
    if "_" in typed:
        raise WorkflowError(f"{what} {typed!r} is not a number: write it without '_' "
                            "or other separators (1000, not 1_000)")
    try:
        return Decimal(typed)
    except InvalidOperation:
        raise WorkflowError(f"{what} {typed!r} is not a number") from None


def parse_number(text: str | Decimal | int | float | None, kpi: ReviewKPI, what: str) -> Decimal | None:
    """A number typed for a KPI, or a clear error that says what is accepted."""
    if text is None or (isinstance(text, str) and not text.strip()):
        return None
    if isinstance(text, float):
        text = repr(text)
    value = _decimal(text, what)
    if not value.is_finite():
        raise WorkflowError(f"{what} {str(text)!r} is not a finite number")
    if abs(value) >= Decimal("1e15"):
        raise WorkflowError(f"{what} {str(text)!r} is too large (at most 15 digits)")
    if value.as_tuple().exponent > 0:  # typed as 1e5: kept (and shown) as 100000
        value = Decimal(format(value, "f"))
    if value != value.quantize(Decimal("0.0001")):
        raise WorkflowError(f"{what} {str(text)!r} has more than 4 decimals")
    if value < 0 and kpi.unit in NON_NEGATIVE_UNITS:
        raise WorkflowError(f"{what} {value} cannot be negative for a KPI counted in {kpi.unit}")
    problem = whole_number_problem(kpi.unit, value)
    if problem:
        raise WorkflowError(f"{what} {problem}")
    return value


def parse_rating(value: Any, review: Review, what: str) -> int | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        if isinstance(value, bool):
            raise ValueError
        # Digits of any script count as digits (٣ is 3), as they do in numbers.
        text = "".join(str(int(c)) if c.isdecimal() else c for c in str(value).strip())
        rating = int(text)
        if str(rating) != text.lstrip("+"):
            raise ValueError
    except ValueError:
        raise WorkflowError(
            f"{what} {str(value)!r} is not a whole number on the scale "
            f"{review.scale.min}..{review.scale.max}"
        ) from None
    if not review.scale.contains(rating):
        raise WorkflowError(
            f"{what} {rating} is off the scale {review.scale.min}..{review.scale.max}"
        )
    return rating


def normalise(review: Review, kpi: ReviewKPI, field: str, value: Any) -> Any:
    what = field.replace("_", " ")
    if field in ("target", "actual"):
        if kpi.kind is Kind.rating and value not in (None, ""):
            raise WorkflowError(f"KPI {kpi.id} is rated by judgement; it has no {field}")
        return parse_number(value, kpi, what)
    if field.endswith("_rating"):
        return parse_rating(value, review, what)
    if field == "na":
        if not isinstance(value, bool):
            raise WorkflowError("N/A must be yes or no")
        return value
    if field in ("rating_reason", "na_reason"):
        return blank_as_empty(value)  # only white space is no reason
    raise WorkflowError(f"{field!r} is not a KPI field")


def check_target(review: Review, kpi: ReviewKPI, target: Decimal | None, na: bool) -> None:
    """Refuse a KPI left without the target it needs in the review's state
    (`scoring.needs_target`): after planning a numeric KPI keeps its target
    unless it is N/A."""
    if target is not None or not needs_target(kpi.model_copy(update={"na": na}), review.state):
        return
    if kpi.target is None:
        raise WorkflowError(
            f"KPI {kpi.id} has no target, so it stays N/A: targets are set in planning, and "
            f"this review is in {review.state.label} (it was N/A when planning ended). Keep it "
            "N/A with a reason"
        )
    raise WorkflowError(
        f"KPI {kpi.id}: the target cannot be removed in {review.state.label}; a numeric KPI "
        "keeps the target set in planning (mark it N/A, with a reason, if it does not apply)"
    )


def same(a: Any, b: Any) -> bool:
    if a in (None, "") and b in (None, ""):
        return True
    if isinstance(a, bool) != isinstance(b, bool):
        return False
    return a == b


# --- edits -------------------------------------------------------------------


def set_kpi_field(review: Review, kpi_id: str, field: str, value: Any, who: str,
                  at: datetime, expected: Any = ..., note: str = "") -> list[HistoryEntry]:
    """Set one field of one KPI. With `expected`, refuse if it changed meanwhile."""
    kpi = find_kpi(review, kpi_id)
    new = normalise(review, kpi, field, value)
    if field == "target":
        check_target(review, kpi, new, kpi.na)
    elif field == "na" and not new:
        check_target(review, kpi, kpi.target, False)
    old = getattr(kpi, field)
    if expected is not ... and not same(old, expected):
        raise Conflict(f"KPI {kpi_id} {field}", old, new)
    if same(old, new):
        return []
    setattr(kpi, field, new)
    if field == "na" and not new:
        kpi.na_reason = ""
    review.revision += 1
    return [entry(who, at, "set", f"{kpi_id}.{field}", old, new, note=note, revision=review.revision)]


def set_comment(review: Review, kpi_id: str, author: str, text: str, at: datetime,
                expected: Any = ...) -> list[HistoryEntry]:
    """Each person has one comment per KPI; saving replaces it, empty removes it."""
    kpi = find_kpi(review, kpi_id)
    text = blank_as_empty(text)  # only white space is no comment
    mine = next((c for c in kpi.comments if c.author == author), None)
    old = mine.text if mine else ""
    if expected is not ... and old != (expected or ""):
        raise Conflict(f"KPI {kpi_id} comment", old, text)
    if old == text:
        return []
    kpi.comments = [c for c in kpi.comments if c.author != author]
    if text:
        kpi.comments.append(Comment(author=author, at=at, text=text))
    review.revision += 1
    return [entry(author, at, "set", f"{kpi_id}.comment.{author}", old or None, text or None,
                  revision=review.revision)]


def set_weights(review: Review, kra_weights: dict[str, Any], kpi_weights: dict[str, Any],
                targets: dict[str, Any], who: str, at: datetime,
                expected: dict[str, dict[str, Any]] | None = None) -> list[HistoryEntry]:
    """Planning: set this person's weights and targets together, checked as a whole.

    `expected` ({"kra_weights": ..., "kpi_weights": ..., "targets": ...}, by id)
    holds what the editor showed for the values it sends: if one of them was
    changed meanwhile (by someone else), a `Conflict` and nothing is changed.
    Values not given are left as they are, so an editor sends only what its
    user changed and two people planning at once lose nothing of each other's.
    """
    for kra_id, value in (expected or {}).get("kra_weights", {}).items():
        current = find_kra(review, kra_id).weight
        if current != parse_weight(value, f"KRA {kra_id} weight"):
            raise Conflict(f"KRA {kra_id} weight", current, kra_weights.get(kra_id))
    for kpi_id, value in (expected or {}).get("kpi_weights", {}).items():
        current = find_kpi(review, kpi_id).weight
        if current != parse_weight(value, f"KPI {kpi_id} weight"):
            raise Conflict(f"KPI {kpi_id} weight", current, kpi_weights.get(kpi_id))
    for kpi_id, value in (expected or {}).get("targets", {}).items():
        kpi = find_kpi(review, kpi_id)
        if not same(kpi.target, normalise(review, kpi, "target", value)):
            raise Conflict(f"KPI {kpi_id} target", kpi.target, targets.get(kpi_id))
    entries: list[HistoryEntry] = []
    trial = review.model_copy(deep=True)
    for kra_id, value in kra_weights.items():
        trial_kra = find_kra(trial, kra_id)
        trial_kra.weight = parse_weight(value, f"KRA {kra_id} weight")
    for kpi_id, value in kpi_weights.items():
        find_kpi(trial, kpi_id).weight = parse_weight(value, f"KPI {kpi_id} weight")
    for kpi_id, value in targets.items():
        kpi = find_kpi(trial, kpi_id)
        target = normalise(trial, kpi, "target", value)
        check_target(trial, kpi, target, kpi.na)
        kpi.target = target
    problems = weight_problems(trial.kras)
    if problems:
        raise WorkflowError("; ".join(problems))
    for kra, new_kra in zip(review.kras, trial.kras):
        if kra.weight != new_kra.weight:
            entries.append(entry(who, at, "set", f"{kra.id}.weight", kra.weight, new_kra.weight))
            kra.weight = new_kra.weight
        for kpi, new_kpi in zip(kra.kpis, new_kra.kpis):
            for field in ("weight", "target"):
                if getattr(kpi, field) != getattr(new_kpi, field):
                    entries.append(entry(who, at, "set", f"{kpi.id}.{field}",
                                         getattr(kpi, field), getattr(new_kpi, field)))
                    setattr(kpi, field, getattr(new_kpi, field))
    if entries:
        review.revision += 1
        for e in entries:
            e.revision = review.revision
    check_structure(review.kras)
    return entries


def parse_weight(value: Any, what: str) -> Decimal:
    """A weight typed for a KRA or KPI, or a WorkflowError that says why not."""
    if isinstance(value, bool):
        raise WorkflowError(f"{what} {value!r} is not a number")
    if isinstance(value, float):
        value = repr(value)
    weight = _decimal(value, what)
    try:
        return check_weight(weight)
    except ValueError as exc:
        raise WorkflowError(f"{what} {exc}") from None


# --- actions -----------------------------------------------------------------


def parse_due(value: Any, cycle: Cycle | None = None) -> date | None:
    """A due date typed for an action; with `cycle` (the review's), not before it starts."""
    due = _due(value)
    if due is not None and cycle is not None and due < cycle.start:
        raise WorkflowError(
            f"due date {due} is before the cycle {cycle.id} starts (it runs {cycle.start} to "
            f"{cycle.end}); give a date from {cycle.start} on"
        )
    return due


def _cycle_of(review: Review, cycle: Cycle | None) -> Cycle | None:
    if cycle is not None and cycle.id != review.cycle_id:
        raise WorkflowError(f"cycle {cycle.id} is not the cycle of review {review.id}")
    return cycle


def _due(value: Any) -> date | None:
    if value is None or (isinstance(value, str) and is_blank(value)):
        return None
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError:
        raise WorkflowError(f"due date {str(value)!r} is not a date (use YYYY-MM-DD)") from None


def add_action(review: Review, who: str, at: datetime, text: str, owner: str,
               kra_id: str | None = None, kpi_id: str | None = None, due: Any = None,
               success_measure: str = "", cycle: Cycle | None = None,
               ) -> tuple[Action, list[HistoryEntry]]:
    """A new improvement action. With `cycle` (the review's cycle), a due date before
    the cycle starts is refused."""
    if is_blank(text):
        raise WorkflowError("an improvement action needs a text (what is to be done)")
    cycle = _cycle_of(review, cycle)
    if kpi_id:
        kra_id = review.kra_of(kpi_id).id
    if kra_id:
        find_kra(review, kra_id)
    if owner not in (review.person_id, review.reviewer_id):
        raise WorkflowError(f"owner {owner!r} must be the employee or the reviewer")
    number = max((int(a.id.removeprefix("a")) for a in review.actions if a.id[1:].isdigit()), default=0) + 1
    action = Action(
        id=f"a{number}", text=text, kra_id=kra_id or None, kpi_id=kpi_id or None, owner=owner,
        due=parse_due(due, cycle), success_measure=blank_as_empty(success_measure),
        created_by=who, created_at=at,
    )
    review.actions.append(action)
    review.revision += 1
    return action, [entry(who, at, "action", f"action.{action.id}", None, text, revision=review.revision)]


ACTION_FIELDS = ("text", "kra_id", "kpi_id", "owner", "due", "success_measure", "status")


def update_action(review: Review, action_id: str, changes: dict[str, Any], who: str,
                  at: datetime, expected: dict[str, Any] | None = None,
                  cycle: Cycle | None = None) -> list[HistoryEntry]:
    """Change fields of an action. With `cycle` (the review's cycle), a due date
    before the cycle starts is refused."""
    cycle = _cycle_of(review, cycle)
    action = next((a for a in review.actions if a.id == action_id), None)
    if action is None:
        raise WorkflowError(f"review {review.id} has no action {action_id!r}")
    entries = []
    for field, value in changes.items():
        if field not in ACTION_FIELDS:
            raise WorkflowError(f"{field!r} is not a field of an action")
        if field == "due":
            value = parse_due(value, cycle)
        elif field == "status":
            try:
                value = ActionStatus(value)
            except ValueError:
                raise WorkflowError(
                    f"status {value!r} is not one of {', '.join(s.value for s in ActionStatus)}"
                ) from None
        elif field == "text" and is_blank(value):
            raise WorkflowError("an improvement action needs a text (what is to be done)")
        elif field == "success_measure":
            value = blank_as_empty(value)
        elif field == "owner" and value not in (review.person_id, review.reviewer_id):
            raise WorkflowError(f"owner {value!r} must be the employee or the reviewer")
        elif field == "kpi_id" and value:
            review.kra_of(value)
        old = getattr(action, field)
        if expected and field in expected and not same(show_raw(old), show_raw(expected[field])):
            raise Conflict(f"action {action_id} {field}", old, value)
        if show_raw(old) == show_raw(value):
            continue
        setattr(action, field, value)
        entries.append(entry(who, at, "action", f"action.{action_id}.{field}",
                             show_raw(old), show_raw(value)))
    if entries:
        review.revision += 1
        for e in entries:
            e.revision = review.revision
    return entries


def show_raw(value: Any) -> Any:
    if isinstance(value, ActionStatus):
        return value.value
    if isinstance(value, date):
        return value.isoformat()
    return value


# --- state -------------------------------------------------------------------


def advance(review: Review, who: str, at: datetime) -> list[HistoryEntry]:
    if review.state not in NEXT_STATE:
        if review.state is State.joint_review:
            raise WorkflowError("a joint review ends when both the employee and the manager sign")
        raise WorkflowError("the review is signed off; an HR admin can reopen it with a reason")
    if review.state is State.planning:
        missing = [
            k.id for k in review.all_kpis()
            if k.kind is Kind.numeric and not k.na and k.target is None
        ]
        if missing:
            raise WorkflowError(f"set a target (or N/A) for: {', '.join(missing)}")
    old = review.state
    review.state = NEXT_STATE[old]
    review.revision += 1
    return [entry(who, at, "state", "state", old.value, review.state.value, revision=review.revision)]


def sign(review: Review, person_id: str, role: SignRole, seen_revision: int,
         at: datetime, history: list[HistoryEntry] | None = None) -> list[HistoryEntry]:
    """Sign as `role`. With `history` (the review's history so far), the signature
    also covers the history up to and including this signing (`signature_digest`);
    without it, only the content (`content_digest`, as before)."""
    if review.state is not State.joint_review:
        raise WorkflowError(f"a review is signed in joint review, not in {review.state.label}")
    if seen_revision != review.revision:
        raise WorkflowError(
            f"the review changed since you looked at it (revision {seen_revision} → "
            f"{review.revision}); look at it again, then sign"
        )
    missing = missing_for_signoff(review)
    if missing:
        raise WorkflowError(
            f"{len(missing)} thing(s) missing before sign-off, first: {missing[0]}"
        )
    entries = [entry(person_id, at, "sign", "signoff", None, role.value,
                     note=f"signed revision {review.revision}", revision=review.revision)]
    others = {s.role for s in review.valid_signoffs() if s.role is not role}
    closes = others | {role} == {SignRole.employee, SignRole.manager}
    if closes:
        entries.append(entry(person_id, at, "state", "state", State.joint_review.value,
                             State.signed_off.value, note="both signed", revision=review.revision))
    digest = (content_digest(review) if history is None
              else signature_digest(review, [*history, *entries]))
    review.signoffs = [s for s in review.signoffs if s.role is not role] + [
        SignOff(person_id=person_id, role=role, at=at, revision=review.revision, digest=digest)]
    if closes:
        review.state = State.signed_off
    return entries


def reopen(review: Review, who: str, reason: str, at: datetime) -> list[HistoryEntry]:
    if review.state is not State.signed_off:
        raise WorkflowError(f"only a signed-off review can be reopened (this one is in {review.state.label})")
    if not reason.strip():
        raise WorkflowError("reopening needs a reason")
    review.state = State.joint_review
    review.signoffs = []
    review.revision += 1
    return [entry(who, at, "reopen", "state", State.signed_off.value, State.joint_review.value,
                  note=reason, revision=review.revision)]


# --- what a signature covers ----------------------------------------------------


def _canonical(value: Any) -> Any:
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, dict):
        return {k: _canonical(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_canonical(v) for v in value]
    return value


def content_digest(review: Review) -> str:
    """A fingerprint of the content a signature vouches for (digest version 1).

    The KRAs and KPIs with every number, rating and comment, the actions, who
    and what is reviewed. Numbers are normalised (4.0 and 4 are the same) so an
    export and re-import keeps the digest; any edited value changes it.
    """
    return _sha256(_content(review))


def _content(review: Review) -> dict[str, Any]:
    return review.model_dump(
        mode="python",
        include={"cycle_id", "person_id", "reviewer_id", "role_id", "role_version", "scale",
                 "bands", "achievement_cap", "kras", "actions"},
    )


def _sha256(value: Any) -> str:
    text = json.dumps(_canonical(value), sort_keys=True, ensure_ascii=False,
                      separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


DIGEST_V2 = "v2:"


def signature_digest(review: Review, history: list[HistoryEntry]) -> str:
    """Digest version 2 (`v2:` + SHA-256): the content of `content_digest`, the
    names shown on the review (person, reviewer, role title: a signed review is
    a snapshot, and a reader takes the names for what was signed), and the
    history entries given — up to and including the signing. Entries added
    later (exports, a reopen) are not covered. Fields of an entry that a TOML
    export leaves out when empty ('' and None) count as the same; times are
    compared in UTC.
    """
    names = {"person_name": review.person_name, "reviewer_name": review.reviewer_name,
             "role_title": review.role_title}
    entries = [
        [e.at.astimezone(timezone.utc), e.who, e.action, e.field or None, e.old or None,
         e.new or None, e.note or None, e.revision]
        for e in history
    ]
    return DIGEST_V2 + _sha256({"content": _content(review), "names": names, "history": entries})


def signed_history(history: list[HistoryEntry], signoff: SignOff) -> list[HistoryEntry] | None:
    """The history a signature covers: up to its own sign entry, and the entry that
    closed the review when it was the second signature. None: no such sign entry."""
    for i, e in enumerate(history):
        if (e.action == "sign" and e.who == signoff.person_id and e.new == signoff.role.value
                and e.revision == signoff.revision and e.at == signoff.at):
            end = i + 1
            if (end < len(history) and history[end].action == "state"
                    and history[end].new == State.signed_off.value
                    and history[end].revision == signoff.revision and history[end].at == e.at):
                end += 1
            return history[:end]
    return None


def signature_holds(review: Review, signoff: SignOff, history: list[HistoryEntry]) -> bool:
    """Whether the review (and its history) is still what `signoff` signed.

    A version 2 digest checks the content, the names and the history up to the
    signing; a version 1 digest (signed before digests covered the history) the
    content only, as it always did.
    """
    if signoff.digest.startswith(DIGEST_V2):
        covered = signed_history(history, signoff)
        return covered is not None and signoff.digest == signature_digest(review, covered)
    return signoff.digest == content_digest(review)


# --- lookups -----------------------------------------------------------------


def find_kpi(review: Review, kpi_id: str) -> ReviewKPI:
    try:
        return review.kpi(kpi_id)
    except KeyError as exc:
        raise WorkflowError(str(exc.args[0])) from None


def find_kra(review: Review, kra_id: str) -> ReviewKRA:
    try:
        return review.kra(kra_id)
    except KeyError as exc:
        raise WorkflowError(str(exc.args[0])) from None
