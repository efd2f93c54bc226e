"""Reviews <-> TOML documents (the format is described in docs/review-format.md).

Writing:

- `review_document(review, history, cycle, ...)` -> the document as a dict of
  TOML-ready values (optional values left out, never `None`).
- `dumps_review(review, history, cycle, ...)` -> the document as TOML text.
- `export_text(session, review_id)` -> the TOML text of a review as the
  person at the keyboard may see it (blind-phase fields stay hidden).
- `export_review(session, review_id, path, force=False) -> Path`: write one
  review atomically; an existing file is only replaced with `force`.
- `export_cycle(session, cycle_id, directory, force=False, progress=None)`:
  every review of a cycle this person can see, one file each
  (`<cycle>--<person>.toml`).

Every export goes through `tui.access.Session` (view, history) and is
recorded in the review's history (`action = "export"`, `note = path`).

Reading:

- `parse_review(text, source) -> ReviewFile`: validate one document; the
  derived numbers in it (scores, achievement, suggested and final ratings)
  are ignored and recomputed.
- `read_review_file(path) -> ReviewFile`.
- `import_reviews(store, paths, login, session=None, replace=False,
  write=True) -> ImportResult`: validate every file and the data directory
  first, then write (or, with `write=False`, only check).
- `recomputed(file) -> list[str]`: the recomputed scores, and where the file's
  own numbers differ.

Numbers: a `Decimal` is written as a TOML integer when it is whole, as a TOML
float when that float reads back as exactly the same value, else as a string
holding the exact decimal. Computed values are rounded half-up to 2 places for
people to read; they are never read back.

Problems are raised as `ReviewFileError` (one line each: file, place, what is
wrong) and `ExportError`; nothing is written when either is raised.
"""

from __future__ import annotations

import json
import re
import tomllib
from collections.abc import Callable, Iterable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

import tomli_w
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from .models import (
    HUNDRED,
    ID_RE,
    Action,
    Band,
    Cycle,
    CycleState,
    Config,
    HistoryEntry,
    Id,
    Kind,
    Number,
    Person,
    RatingScale,
    Review,
    ReviewKRA,
    SignOff,
    SignRole,
    State,
    Weight,
    blank_as_empty,
    check_bands,
    is_blank,
    show_number,
    whole_number_problem,
)
from .scoring import fmt, kra_score, overall, round2, suggestion
from .store import (
    DataFileError,
    NotFound,
    Store,
    StoreError,
    atomic_write_bytes,
    atomic_write_text,
    fsync_dir,
    lock_path_for,
    now,
    sync_files,
)
from .workflow import DIGEST_V2, entry, signature_holds
from .workflow import _canonical as canonical

if TYPE_CHECKING:  # pragma: no cover
    from .access import ReviewView, Session

SCHEMA_ID = "kpireview.review"
FORMAT_VERSION = 1
HEADER = "# A kpireview review. Format: docs/review-format.md\n"

# Keys written for people to read; import ignores them and recomputes.
COMPUTED_KRA_KEYS = frozenset({"score", "self_score", "reweighted"})
COMPUTED_KPI_KEYS = frozenset({"achievement", "achievement_note", "suggested_rating", "final_rating"})


class ExportError(ValueError):
    """An export that cannot be written as asked; nothing was written."""


class ReviewFileError(ValueError):
    """One or more review files that cannot be imported; `problems` has one line each."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("\n".join(problems))


# --- numbers -----------------------------------------------------------------


def toml_number(value: Decimal) -> int | float | str:
    """An exact decimal as the TOML value that reads back as the same number.

    Whole numbers become integers; others a float when the float's shortest
    text is the same value (33.33, 4.3), else a string of the exact decimal
    ("12345678901234.5678") so no reader rounds it.
    """
    if value == value.to_integral_value():
        return int(value)
    as_float = float(value)
    if Decimal(repr(as_float)) == value:
        return as_float
    return str(value)


def _shown(value: Decimal | None) -> int | float | str | None:
    """A computed value rounded half-up to 2 places, for reading only."""
    return None if value is None else toml_number(round2(value))


def _put(table: dict[str, Any], key: str, value: Any) -> None:
    """Set `key` unless the value is absent (None, '' or an empty list)."""
    if type(value) is str:  # the most common case, first
        if value:
            table[key] = value
        return
    if value is None or value == "" or value == []:
        return
    if isinstance(value, Decimal):
        value = toml_number(value)
    table[key] = value


# --- writing ----------------------------------------------------------------


def review_document(
    review: Review,
    history: Iterable[HistoryEntry],
    cycle: Cycle,
    *,
    manager: Person | None = None,
    exported_at: datetime | None = None,
    exported_by: str = "",
    hidden: Iterable[str] = (),
) -> dict[str, Any]:
    """One review as a TOML-ready dict; computed values from `tui.scoring`."""
    doc: dict[str, Any] = {"schema": SCHEMA_ID, "schema_version": FORMAT_VERSION}
    _put(doc, "exported_at", exported_at)
    _put(doc, "exported_by", exported_by)
    _put(doc, "hidden", list(hidden))
    doc["achievement_cap"] = toml_number(review.achievement_cap)
    doc["review"] = {
        "id": review.id,
        "state": review.state.value,
        "revision": review.revision,
        "created_at": review.created_at,
        "updated_at": review.updated_at,
    }
    person: dict[str, Any] = {"id": review.person_id, "name": review.person_name}
    _put(person, "login", review.person_login)
    doc["person"] = person
    mgr: dict[str, Any] = {"id": review.reviewer_id}
    _put(mgr, "name", review.reviewer_name)
    if manager is not None and manager.id == review.reviewer_id:
        _put(mgr, "login", manager.login)
        _put(mgr, "role", manager.role)
    doc["manager"] = mgr
    doc["cycle"] = {
        "id": cycle.id, "name": cycle.name, "start": cycle.start, "end": cycle.end,
        "state": cycle.state.value,
    }
    doc["role"] = {"id": review.role_id, "title": review.role_title, "version": review.role_version}
    doc["scale"] = {"min": review.scale.min, "max": review.scale.max,
                    "labels": list(review.scale.labels)}
    bands = []
    for band in review.bands:
        b: dict[str, Any] = {}
        _put(b, "below", band.below)
        b["rating"] = band.rating
        bands.append(b)
    doc["bands"] = bands

    agreed = overall(review, "agreed")
    own = overall(review, "self")
    scores: dict[str, Any] = {}
    _put(scores, "overall", _shown(agreed.score))
    _put(scores, "percent_of_max", _shown(agreed.percent_of_max))
    _put(scores, "band", agreed.label)
    _put(scores, "self_assessment", _shown(own.score))
    scores["complete"] = agreed.complete
    doc["scores"] = scores

    kras = []
    for kra, ks, own_ks in zip(review.kras, agreed.kras, own.kras):
        k: dict[str, Any] = {"id": kra.id, "title": kra.title}
        _put(k, "statement", kra.statement)
        _put(k, "description", kra.description)
        k["weight"] = toml_number(kra.weight)
        _put(k, "score", _shown(ks.score))
        _put(k, "self_score", _shown(own_ks.score))
        if ks.reweighted:
            k["reweighted"] = True
        k["kpis"] = [_kpi_table(review, kpi) for kpi in kra.kpis]
        kras.append(k)
    doc["kras"] = kras

    actions = []
    for action in review.actions:
        a: dict[str, Any] = {"id": action.id, "text": action.text}
        _put(a, "kra_id", action.kra_id)
        _put(a, "kpi_id", action.kpi_id)
        a["owner"] = action.owner
        _put(a, "due", action.due)
        _put(a, "success_measure", action.success_measure)
        a["status"] = action.status.value
        a["created_by"] = action.created_by
        a["created_at"] = action.created_at
        actions.append(a)
    _put(doc, "actions", actions)
    signoffs = []
    for s in review.signoffs:
        so: dict[str, Any] = {"person_id": s.person_id, "role": s.role.value, "at": s.at,
                              "revision": s.revision}
        _put(so, "digest", s.digest)
        signoffs.append(so)
    _put(doc, "signoffs", signoffs)
    entries = []
    for e in history:
        h: dict[str, Any] = {"at": e.at, "who": e.who, "action": e.action}
        _put(h, "field", e.field)
        _put(h, "old", e.old)
        _put(h, "new", e.new)
        _put(h, "note", e.note)
        if e.revision:
            h["revision"] = e.revision
        entries.append(h)
    _put(doc, "history", entries)
    return doc


def _kpi_table(review: Review, kpi: Any) -> dict[str, Any]:
    p: dict[str, Any] = {"id": kpi.id, "name": kpi.name, "kind": kpi.kind.value}
    _put(p, "unit", kpi.unit)
    _put(p, "direction", kpi.direction.value if kpi.direction else None)
    _put(p, "target", kpi.target)
    p["weight"] = toml_number(kpi.weight)
    _put(p, "measurement", kpi.measurement)
    _put(p, "actual", kpi.actual)
    if kpi.kind is Kind.numeric and not kpi.na:
        ach, suggested = suggestion(review, kpi)
        _put(p, "achievement", _shown(ach.percent))
        note = f"capped at {fmt(review.achievement_cap)} %" if ach.capped else ach.reason
        _put(p, "achievement_note", note)
        _put(p, "suggested_rating", suggested)
    _put(p, "self_rating", kpi.self_rating)
    _put(p, "manager_rating", kpi.manager_rating)
    _put(p, "agreed_rating", kpi.agreed_rating)
    _put(p, "final_rating", kpi.agreed)
    _put(p, "rating_reason", kpi.rating_reason)
    if kpi.na:
        p["na"] = True
    _put(p, "na_reason", kpi.na_reason)
    _put(p, "comments", [{"author": c.author, "at": c.at, "text": c.text} for c in kpi.comments])
    return p


def _is_tables(value: Any) -> bool:
    return isinstance(value, list) and bool(value) and all(isinstance(v, dict) for v in value)


# A string tomli_w writes as "..." unchanged: no quote, backslash or control character.
_PLAIN_STRING = re.compile(r'[^\x00-\x08\x0a-\x1f\x7f"\\]*')
_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")
_bare_keys: dict[str, bool] = {}


def _scalars(table: dict[str, Any]) -> str:
    """The table's plain values as `key = value` lines, exactly as `tomli_w.dumps` writes them.

    tomli_w is pure Python and formats a string character by character; the
    common cases (plain strings, numbers, dates under bare keys) are formatted
    here, anything else by tomli_w itself. This is most of the time an export
    takes, so it is written for speed.
    """
    lines = []
    for key, value in table.items():
        kind = type(value)
        if kind is str:
            text = f'"{value}"' if _PLAIN_STRING.fullmatch(value) else None
        elif kind is int or kind is float or kind is datetime or kind is date:
            text = str(value)
        elif kind is bool:
            text = "true" if value else "false"
        elif isinstance(value, dict) or _is_tables(value):
            continue
        else:
            text = None
        if text is not None and type(key) is str:
            bare = _bare_keys.get(key)
            if bare is None:
                bare = bool(_BARE_KEY.fullmatch(key))
                if len(_bare_keys) < 1000:  # keys are few; never let it grow without bound
                    _bare_keys[key] = bare
            if bare:
                lines.append(f"{key} = {text}\n")
                continue
        lines.append(tomli_w.dumps({key: value}))
    return "".join(lines)


def _array_table(name: str, item: dict[str, Any]) -> str:
    text = f"\n[[{name}]]\n{_scalars(item)}"
    for key, value in item.items():
        if isinstance(value, list) and _is_tables(value):
            text += "".join(_array_table(f"{name}.{key}", sub) for sub in value)
    return text


def render(doc: dict[str, Any]) -> str:
    """TOML text with a fixed layout: every list of tables as [[tables]], in order.

    Values are formatted by `tomli_w.dumps`; only the table headers are
    written here, so the layout does not depend on how long the values are.
    """
    parts = [HEADER, _scalars(doc)]
    for key, value in doc.items():
        if isinstance(value, dict):
            parts.append(f"\n[{key}]\n{_scalars(value)}")
        elif _is_tables(value):
            parts.extend(_array_table(key, item) for item in value)
    return "".join(parts)


def dumps_review(review: Review, history: Iterable[HistoryEntry], cycle: Cycle,
                 **kw: Any) -> str:
    """`review_document(...)` as TOML text (see `render`)."""
    return render(review_document(review, history, cycle, **kw))


# --- exporting through the access layer ---------------------------------------


def export_text(session: Session, review_id: str) -> str:
    """The review as this person may see it, as TOML (blind-phase fields hidden)."""
    return exported(session, review_id)[0]


def exported(session: Session, review_id: str) -> tuple[str, int]:
    """`export_text`, and the revision of the review it shows (for the history entry:
    a save by someone else meanwhile moves the review on, not what was exported)."""
    view = session.view(review_id)
    text = _text(session, review_id, view, session.history(review_id),
                 session.store.find_person, None)
    return text, view.review.revision


def _text(session: Session, review_id: str, view: ReviewView, history: list[HistoryEntry],
          find_person: Callable[[str], Person | None], cycle: Cycle | None) -> str:
    review = view.review
    if not review.person_login:
        person = find_person(review.person_id)
        if person is not None:
            review = review.model_copy(update={"person_login": person.login})
    if cycle is None or cycle.id != review.cycle_id:
        try:
            cycle = session.store.cycle(review.cycle_id)
        except NotFound:
            raise ExportError(
                f"review {review_id}: its cycle {review.cycle_id!r} is missing from "
                f"{session.store.root}/cycles.json; run 'kpireview doctor'"
            ) from None
    return dumps_review(
        review, history, cycle, manager=find_person(review.reviewer_id),
        exported_at=now(), exported_by=session.login, hidden=view.hidden,
    )


def file_name(cycle_id: str, person_id: str) -> str:
    """`<cycle>--<person>.toml`; refuses ids that could leave the directory."""
    for what, ident in (("cycle", cycle_id), ("person", person_id)):
        if not isinstance(ident, str) or not ID_RE.fullmatch(ident):
            raise ExportError(
                f"{what} id {ident!r} cannot be used in a file name (ids are lowercase letters, "
                "digits, '.', '_' and '-'); run 'kpireview doctor'"
            )
    return f"{cycle_id}--{person_id}.toml"


def target_in(directory: Path, cycle_id: str, person_id: str) -> Path:
    """The export file of one review inside `directory`, never outside it."""
    path = directory / file_name(cycle_id, person_id)
    if path.resolve().parent != directory.resolve():
        raise ExportError(f"{path} would land outside {directory}; nothing was written")
    return path


def _refuse_existing(path: Path, force: bool) -> None:
    if path.is_dir():
        raise ExportError(f"{path} is a directory; give a file name, or -o DIR for a whole cycle")
    if path.exists() and not force:
        raise ExportError(f"{path} exists already; add --force to replace it, or pick another name")


def export_review(session: Session, review_id: str, path: Path, force: bool = False) -> Path:
    """Write one review to `path` atomically and record the export in its history."""
    path = Path(path)
    _refuse_existing(path, force)
    text, revision = exported(session, review_id)
    atomic_write_text(path, text)
    session.record(review_id, "export", note=str(path), revision=revision)
    return path


def visible_reviews(session: Session, cycle_id: str) -> list[str]:
    """Ids of the reviews of a cycle this person can see."""
    out = []
    for review_id in session.store.review_ids(cycle_id):
        try:
            session.view(review_id)
        except NotFound:
            continue
        out.append(review_id)
    return out


Progress = Callable[..., Any]


def export_cycle(session: Session, cycle_id: str, directory: Path, force: bool = False,
                 progress: Progress | None = None) -> list[Path]:
    """Every review of a cycle this person can see, one file each, in `directory`.

    All target names are checked before anything is written: without `force`
    an existing file stops the export and nothing is written. Each file is
    written atomically (a temporary file renamed into place); they are flushed
    to disk together at the end rather than one by one. Each review file is
    read once, for its export and for the history entry that records it
    (`Session.record_each`, which saves those entries in batches).
    """
    directory = Path(directory)
    if directory.exists() and not directory.is_dir():
        raise ExportError(f"{directory} is a file; for a whole cycle give a directory with -o DIR")
    try:
        cycle = session.store.cycle(cycle_id)
    except NotFound:
        known = ", ".join(c.id for c in session.store.cycles()) or "none"
        raise ExportError(f"no cycle {cycle_id!r} (known cycles: {known})") from None
    # Every review of the cycle; the ones this person cannot see are skipped as
    # they come (reading each review once more up front to sort them out cost
    # as much as exporting it).
    targets = []
    for review_id in session.store.review_ids(cycle_id):
        _, person_id = review_id.split("/")
        if ID_RE.fullmatch(person_id):  # else not a review file (the store would refuse it)
            targets.append((review_id, target_in(directory, cycle_id, person_id)))
    existing = [str(p) for review_id, p in targets
                if p.exists() and _can_see(session, review_id)]
    if existing and not force:
        shown = ", ".join(existing[:3]) + (f" and {len(existing) - 3} more" if len(existing) > 3 else "")
        raise ExportError(
            f"{len(existing)} file(s) exist already: {shown}; add --force to replace them, "
            "or export to an empty directory. Nothing was written."
        )
    # One look at the people for all reviews (the store reads people.json
    # again on every lookup, which adds up over thousands of reviews).
    people = session.store.people_index().by_id
    paths = dict(targets)
    written: list[Path] = []

    def one(review_id: str, view: ReviewView, history: list[HistoryEntry]) -> str:
        path = paths[review_id]
        text = _text(session, review_id, view, history, people.get, cycle)
        _refuse_existing(path, force=True)
        atomic_write_text(path, text, sync=False)
        written.append(path)
        return str(path)

    items: Any = targets
    if progress is not None:
        items = progress(targets, label=f"Exporting {cycle_id}")
    unreadable: list[DataFileError] = []
    try:
        if hasattr(items, "__enter__"):
            with items as bar:
                session.record_each((review_id for review_id, _ in bar), "export", one,
                                    unreadable)
        else:
            session.record_each((review_id for review_id, _ in items), "export", one, unreadable)
    except StoreError as exc:
        exc.exported = list(written)  # type: ignore[attr-defined]  (what was done before it)
        raise
    finally:
        _sync(written)
    if unreadable:
        raise UnreadableReviews(unreadable, written)
    if not written:
        raise ExportError(f"cycle {cycle_id} has no review that you can see; nothing was written")
    return written


class UnreadableReviews(ExportError):
    """A cycle export that wrote every review it could read, and names the ones it could not."""

    def __init__(self, errors: list[DataFileError], exported: list[Path]) -> None:
        self.errors = errors
        self.exported = exported
        lines = "\n".join(f"  {e}" for e in errors)
        super().__init__(f"{len(errors)} review file(s) could not be read and were not "
                         f"exported:\n{lines}")


def _can_see(session: Session, review_id: str) -> bool:
    try:
        session.view(review_id)
    except NotFound:
        return False
    return True


def _sync(paths: list[Path]) -> None:
    """Flush written files and their folders to disk: one sync for all."""
    sync_files(paths)
    for folder in {p.parent for p in paths}:
        fsync_dir(folder)


# --- reading ----------------------------------------------------------------


class _Doc(BaseModel):
    model_config = ConfigDict(extra="forbid")


class DocMeta(_Doc):
    id: str | None = None
    state: State
    revision: int = Field(default=0, ge=0)
    created_at: datetime
    updated_at: datetime


class DocPerson(_Doc):
    id: Id
    name: str = Field(min_length=1)
    login: str | None = None


class DocManager(_Doc):
    id: Id
    name: str = ""
    login: str | None = None
    role: str | None = None


class DocCycle(_Doc):
    id: Id
    name: str = Field(min_length=1)
    start: date
    end: date
    state: CycleState = CycleState.open


class DocRole(_Doc):
    id: str = Field(min_length=1)
    title: str = Field(min_length=1)
    version: int = Field(ge=1)


class DocScores(_Doc):
    """Computed when written; ignored when read."""

    overall: Any = None
    percent_of_max: Any = None
    band: Any = None
    self_assessment: Any = None
    complete: Any = None


class DocHistory(_Doc):
    at: datetime
    who: str = Field(min_length=1)
    action: str = Field(min_length=1)
    field: str = ""
    old: str | None = None
    new: str | None = None
    note: str = ""
    revision: int = Field(default=0, ge=0)


class ReviewDocument(_Doc):
    schema_: str = Field(alias="schema")
    schema_version: int
    exported_at: datetime | None = None
    exported_by: str | None = None
    hidden: list[str] = Field(default_factory=list)
    achievement_cap: Number
    review: DocMeta
    person: DocPerson
    manager: DocManager
    cycle: DocCycle
    role: DocRole
    scale: RatingScale
    bands: list[Band]
    scores: DocScores | None = None
    kras: list[dict[str, Any]] = Field(min_length=1)
    actions: list[dict[str, Any]] = Field(default_factory=list)
    signoffs: list[dict[str, Any]] = Field(default_factory=list)
    history: list[DocHistory] = Field(default_factory=list)


@dataclass
class ReviewFile:
    """One validated review document, ready to be written to a data directory."""

    source: str
    review: Review
    history: list[HistoryEntry]
    cycle: Cycle
    manager_login: str | None
    manager_role: str | None
    hidden: list[str]
    data: dict[str, Any]  # the document as read, for comparing its numbers

    @property
    def review_id(self) -> str:
        return self.review.id


def _where(loc: tuple[Any, ...], data: Any) -> str:
    """A pydantic error location in words: KRA/KPI/action ids instead of indexes."""
    labels = {"kras": "KRA", "kpis": "KPI", "actions": "action", "comments": "comment",
              "signoffs": "sign-off", "history": "history entry", "bands": "band"}
    parts: list[str] = []
    node = data
    i = 0
    while i < len(loc):
        key = loc[i]
        if key in labels and i + 1 < len(loc) and isinstance(loc[i + 1], int):
            idx = loc[i + 1]
            items = node.get(key) if isinstance(node, dict) else None
            item = items[idx] if isinstance(items, list) and idx < len(items) else None
            ident = item.get("id") if isinstance(item, dict) else None
            parts.append(f"{labels[key]} {ident!r}" if isinstance(ident, str)
                         else f"{labels[key]} #{idx + 1}")
            node = item
            i += 2
            continue
        parts.append(str(key))
        node = node.get(key) if isinstance(node, dict) else None
        i += 1
    return " · ".join(parts)


# The document's top-level tables, as a missing one is named.
_TABLES = {"review": "[review]", "person": "[person]", "manager": "[manager]",
           "cycle": "[cycle]", "role": "[role]", "scale": "[scale]", "scores": "[scores]",
           "bands": "[[bands]]", "kras": "[[kras]]"}


# Keys a rule of the model requires only sometimes (a numeric KPI's unit):
# the rule's message, and the key it asks for.
_NEEDED = {"a numeric KPI needs a unit": "unit", "a numeric KPI needs a direction": "direction"}


def _needed_key(msg: str, table: Any) -> str | None:
    """The key that `msg` asks for, when `table` does not have it."""
    for start, key in _NEEDED.items():
        if msg.startswith(start) and isinstance(table, dict) and table.get(key) is None:
            return key
    return None


def _describe(exc: ValidationError | list[Any], data: Any,
              rename: dict[str, str] | None = None) -> list[str]:
    """One line per pydantic error (all of them): the place in words, then what is wrong."""
    lines = []
    for err in exc.errors() if isinstance(exc, ValidationError) else exc:
        loc = tuple(err["loc"])
        if rename and loc and loc[0] in rename:
            loc = tuple(rename[loc[0]].split(".")) + loc[1:]
        where = _where(loc, data)
        msg = err["msg"].removeprefix("Value error, ")
        if err["type"] == "extra_forbidden":
            msg = "unknown key (check the spelling against docs/review-format.md)"
        elif err["type"] == "missing":
            msg = "required key is missing"
            if len(loc) == 1 and loc[0] in _TABLES:
                msg = f"required table {_TABLES[loc[0]]} is missing"
        elif err["type"] == "string_too_short" and err.get("input") == "":
            msg = "required text is missing (the key is empty); write it"
        elif (needed := _needed_key(msg, err.get("input"))) is not None:
            where = f"{where} · {needed}" if where else needed
            msg = f"required key is missing ({msg})"
        else:
            value = err.get("input")
            if isinstance(value, (str, int, Decimal, date)) and not isinstance(value, bool):
                shown = repr(value) if not isinstance(value, Decimal) else str(value)
                if len(shown) > 40:
                    shown = shown[:37] + "..."
                msg = f"{msg} (found {shown})"
        lines.append(f"{where}: {msg}" if where else msg)
    return lines


def _naive_datetimes(node: Any, path: str = "") -> list[str]:
    found = []
    if isinstance(node, dict):
        for key, value in node.items():
            found += _naive_datetimes(value, f"{path}.{key}" if path else key)
    elif isinstance(node, list):
        for i, value in enumerate(node):
            ident = value.get("id") if isinstance(value, dict) else None
            found += _naive_datetimes(value, f"{path}[{ident if isinstance(ident, str) else i + 1}]")
    elif isinstance(node, datetime) and node.tzinfo is None:
        found.append(
            f"{path}: {node.isoformat()} has no UTC offset; write it as e.g. "
            f"{node.isoformat()}Z (UTC)"
        )
    return found


_REVIEW_FIELDS = {
    "person_id": "person.id", "person_name": "person.name", "person_login": "person.login",
    "reviewer_id": "manager.id", "reviewer_name": "manager.name", "role_id": "role.id",
    "role_title": "role.title", "role_version": "role.version", "state": "review.state",
    "revision": "review.revision", "created_at": "review.created_at",
    "updated_at": "review.updated_at", "cycle_id": "cycle.id",
}


def parse_review(text: str, source: str) -> ReviewFile:
    """Validate one document. Raises `ReviewFileError` listing every problem found
    (each naming `source` and the place), not only the first."""

    def fail(lines: list[str]) -> ReviewFileError:
        return ReviewFileError([f"{source}: {line}" for line in lines])

    try:
        data = tomllib.loads(text.removeprefix("\ufeff"), parse_float=Decimal)
    except tomllib.TOMLDecodeError as exc:
        raise fail([f"not valid TOML: {exc}"]) from None
    # A file of another kind or a newer version is not checked any further:
    # its other keys mean something this kpireview does not know.
    schema = data.get("schema")
    if schema is None:
        raise fail([f"schema: required key is missing (schema = {SCHEMA_ID!r}); "
                    "is this a review exported by kpireview?"])
    if schema != SCHEMA_ID:
        raise fail([f"schema: expected {SCHEMA_ID!r}, found schema = {schema!r}; "
                    "is this a review exported by kpireview?"])
    problems: list[str] = []
    version = data.get("schema_version")
    if version is None:
        problems.append(f"schema_version: required key is missing (schema_version = "
                        f"{FORMAT_VERSION})")
    elif not isinstance(version, int) or isinstance(version, bool) or version < 1:
        problems.append(f"schema_version: expected a whole number from 1, found {version!r}")
    elif version > FORMAT_VERSION:
        raise fail([f"schema_version {version} is newer than this kpireview reads "
                    f"({FORMAT_VERSION}); upgrade kpireview to import it"])
    problems += _naive_datetimes(data)
    doc: ReviewDocument | None = None
    try:
        doc = ReviewDocument.model_validate({**data, "schema_version": FORMAT_VERSION})
    except ValidationError as exc:
        problems += _describe(exc, data)

    # The KRAs, actions and sign-offs are checked item by item with the
    # review's own models (the document only checks that they are tables),
    # each list on its own, so that a bad value in one hides nothing in another.
    kras = [_without_computed(kra) for kra in _tables(data, "kras")]
    lists: dict[str, list[Any] | None] = {}
    for key, adapter in _LISTS.items():
        value = kras if key == "kras" else _tables(data, key)
        try:
            lists[key] = adapter.validate_python(value)
        except ValidationError as exc:
            lists[key] = None
            # an item that is not a table is reported by the document already
            problems += _describe(
                [{**e, "loc": (key, *e["loc"])} for e in exc.errors()
                 if not (len(e["loc"]) == 1 and not isinstance(e.get("input"), dict))],
                data)
    scale = doc.scale if doc else _readable(_SCALE, data.get("scale"))
    problems += _structure(kras, scale)
    bands = doc.bands if doc else _readable(_BANDS, data.get("bands"))
    if scale is not None and bands is not None:
        try:
            check_bands(bands, scale)
        except ValueError as exc:
            problems.append(str(exc))
    problems += _document_problems(data)
    if lists["actions"] is not None:
        problems += _action_problems(lists["actions"], kras)
    if lists["signoffs"] is not None:
        problems += _signoff_people(lists["signoffs"], data)
    state = doc.review.state if doc else _readable(_STATE, _text_at(data, "review", "state"))
    actions = _tables(data, "actions")
    if state is State.signed_off:
        # A signed-off review is taken as it was signed: its sign-offs must all be
        # there, and their digests vouch for every value (checked below).
        if lists["signoffs"] is not None and doc is not None:
            problems += _signoffs_needed(lists["signoffs"], doc.review.revision)
    else:
        problems += _kpi_value_problems(kras, state)
        problems += _action_value_problems(actions, lists["actions"], data)
        kras = [_blank_texts_cleared(kra, "kpis", ("rating_reason", "na_reason")) for kra in kras]
        actions = [_blank_texts_cleared(a, None, ("success_measure",)) for a in actions]
    if problems or doc is None:
        raise fail(problems)

    review_data = {
        "id": f"{doc.cycle.id}/{doc.person.id}",
        "cycle_id": doc.cycle.id,
        "person_id": doc.person.id,
        "person_name": doc.person.name,
        "person_login": doc.person.login or "",
        "reviewer_id": doc.manager.id,
        "reviewer_name": doc.manager.name,
        "role_id": doc.role.id,
        "role_title": doc.role.title,
        "role_version": doc.role.version,
        "state": doc.review.state,
        "scale": doc.scale,
        "bands": doc.bands,
        "achievement_cap": doc.achievement_cap,
        "kras": kras,
        "actions": actions,
        "signoffs": _tables(data, "signoffs"),
        "revision": doc.review.revision,
        "created_at": doc.review.created_at,
        "updated_at": doc.review.updated_at,
    }
    try:
        review = Review.model_validate(review_data)
    except ValidationError as exc:  # a rule of the model not checked above
        raise fail(_describe(exc, data, _REVIEW_FIELDS)) from None

    history = [HistoryEntry(seq=0, **h.model_dump()) for h in doc.history]
    problems = _signatures(review, history)
    if problems:
        raise fail(problems)
    cycle = Cycle(**doc.cycle.model_dump())
    return ReviewFile(
        source=source, review=review, history=history, cycle=cycle,
        manager_login=doc.manager.login, manager_role=doc.manager.role, hidden=doc.hidden,
        data=data,
    )


def _tables(data: dict[str, Any], key: str) -> list[Any]:
    """`data[key]` when it is a list (the document reports it when it is not)."""
    value = data.get(key)
    return value if isinstance(value, list) else []


def _without_computed(kra: Any) -> Any:
    if not isinstance(kra, dict):
        return kra
    kra = {k: v for k, v in kra.items() if k not in COMPUTED_KRA_KEYS}
    if isinstance(kra.get("kpis"), list):
        kra["kpis"] = [
            {k: v for k, v in kpi.items() if k not in COMPUTED_KPI_KEYS}
            if isinstance(kpi, dict) else kpi
            for kpi in kra["kpis"]
        ]
    return kra


_LISTS: dict[str, TypeAdapter[Any]] = {
    "kras": TypeAdapter(list[ReviewKRA]), "actions": TypeAdapter(list[Action]),
    "signoffs": TypeAdapter(list[SignOff]),
}
_SCALE: TypeAdapter[RatingScale] = TypeAdapter(RatingScale)
_BANDS: TypeAdapter[list[Band]] = TypeAdapter(list[Band])
_WEIGHT: TypeAdapter[Decimal] = TypeAdapter(Weight)
_RATING: TypeAdapter[int] = TypeAdapter(int)
_RATINGS = ("self_rating", "manager_rating", "agreed_rating")
_NUMBER: TypeAdapter[Decimal] = TypeAdapter(Number)
_STATE: TypeAdapter[State] = TypeAdapter(State)
_DATE: TypeAdapter[date] = TypeAdapter(date)


def _readable(adapter: TypeAdapter[Any], value: Any) -> Any:
    """`value` as the model reads it, or None when it cannot (pydantic reports why)."""
    if value is None:
        return None
    try:
        return adapter.validate_python(value)
    except ValidationError:
        return None


def _ident(item: dict[str, Any], n: int) -> str:
    """The id of the n-th KRA or KPI as written in a message: 'its-id', else #n."""
    ident = item.get("id")
    return repr(ident) if isinstance(ident, str) else f"#{n}"


def _terms(items: list[tuple[dict[str, Any], int, Decimal]]) -> str:
    """`a 60 + b 40`: the ids and weights that make up a sum."""
    return " + ".join(
        f"{item['id'] if isinstance(item.get('id'), str) else f'#{n}'} {show_number(weight)}"
        for item, n, weight in items
    )


def _structure(kras: list[Any], scale: RatingScale | None) -> list[str]:
    """Duplicate ids, weight sums and ratings off the scale, for every KRA and KPI.

    Runs on the document as read, so that one bad value elsewhere (a rating
    that is not a number, a missing key) does not hide these: every weight and
    rating that can be read is checked.
    """
    problems: list[str] = []
    kra_ids: set[str] = set()
    kpi_ids: dict[str, str] = {}
    kra_weights: list[tuple[dict[str, Any], int, Decimal]] = []
    all_weights = bool(kras)
    for n, kra in enumerate(kras, 1):
        if not isinstance(kra, dict):
            all_weights = False
            continue
        name = _ident(kra, n)
        kid = kra.get("id")
        if isinstance(kid, str):
            if kid in kra_ids:
                problems.append(f"duplicate KRA id {kid!r}")
            kra_ids.add(kid)
        weight = _readable(_WEIGHT, kra.get("weight"))
        if weight is None:
            all_weights = False
        else:
            kra_weights.append((kra, n, weight))
        kpis = kra.get("kpis")
        if not isinstance(kpis, list) or not kpis:
            continue  # reported as missing or not a list
        kpi_weights: list[tuple[dict[str, Any], int, Decimal]] = []
        sub_ok = True
        for m, kpi in enumerate(kpis, 1):
            if not isinstance(kpi, dict):
                sub_ok = False
                continue
            pid = kpi.get("id")
            if isinstance(pid, str):
                if pid in kpi_ids:
                    first = kpi_ids[pid]
                    also = f", first used in KRA {first!r}" if first != kid else ""
                    problems.append(f"duplicate KPI id {pid!r} (in KRA {kid!r}{also})")
                else:
                    kpi_ids[pid] = kid if isinstance(kid, str) else name
            w = _readable(_WEIGHT, kpi.get("weight"))
            if w is None:
                sub_ok = False
            else:
                kpi_weights.append((kpi, m, w))
            if scale is not None:
                for key in _RATINGS:
                    rating = _readable(_RATING, kpi.get(key))
                    if rating is not None and not scale.contains(rating):
                        problems.append(
                            f"KPI {_ident(kpi, m)}: {key} {rating} is off the scale "
                            f"{scale.min}..{scale.max}"
                        )
        total = sum((w for _, _, w in kpi_weights), Decimal(0))
        if sub_ok and total != HUNDRED:
            problems.append(f"KRA {name}: KPI weights sum to {show_number(total)}, not 100 "
                            f"({_terms(kpi_weights)})")
    total = sum((w for _, _, w in kra_weights), Decimal(0))
    if all_weights and total != HUNDRED:
        problems.insert(0, f"KRA weights sum to {show_number(total)}, not 100 "
                           f"({_terms(kra_weights)})")
    return problems


def _text_at(data: dict[str, Any], table: str, key: str) -> str | None:
    value = data.get(table)
    value = value.get(key) if isinstance(value, dict) else None
    return value if isinstance(value, str) else None


def _document_problems(data: dict[str, Any]) -> list[str]:
    """Rules across tables, checked on the values as read (wherever they can be)."""
    problems = []
    stated, cycle_id, person_id = (_text_at(data, "review", "id"), _text_at(data, "cycle", "id"),
                                   _text_at(data, "person", "id"))
    if stated is not None and cycle_id is not None and person_id is not None:
        review_id = f"{cycle_id}/{person_id}"
        if stated != review_id:
            problems.append(
                f"review.id: {stated!r} does not match cycle.id/person.id ({review_id!r}); "
                "correct one of them"
            )
    if person_id is not None and _text_at(data, "manager", "id") == person_id:
        problems.append(f"manager.id: {person_id!r} cannot review their own review")
    cycle = data.get("cycle") if isinstance(data.get("cycle"), dict) else {}
    start, end = cycle.get("start"), cycle.get("end")
    if (isinstance(start, date) and isinstance(end, date) and not isinstance(start, datetime)
            and not isinstance(end, datetime) and end < start):
        problems.append(f"cycle: ends ({end}) before it starts ({start})")
    return problems


def _action_problems(actions: list[Action], kras: list[Any]) -> list[str]:
    """Duplicate action ids, and actions on KRAs/KPIs the review does not have.

    A reference is only checked when every KRA (or KPI) has a readable id, so
    that a KRA with a bad id is reported once, not again by each of its actions.
    """
    problems = []
    tables = [k for k in kras if isinstance(k, dict)]
    kra_ids = {k.get("id") for k in tables}
    kras_known = bool(kras) and len(tables) == len(kras) and all(
        isinstance(i, str) for i in kra_ids)
    kpi_tables = [(k.get("id"), p) for k in tables if isinstance(k.get("kpis"), list)
                  for p in k["kpis"]]
    kpi_owner = {p.get("id"): kid for kid, p in kpi_tables if isinstance(p, dict)}
    kpis_known = kras_known and all(isinstance(k.get("kpis"), list) for k in tables) and all(
        isinstance(p, dict) and isinstance(p.get("id"), str) for _, p in kpi_tables)
    seen: set[str] = set()
    for action in actions:
        where = f"action {action.id!r}"
        if action.id in seen:
            problems.append(f"{where}: the id is used twice")
        seen.add(action.id)
        if kras_known and action.kra_id and action.kra_id not in kra_ids:
            problems.append(f"{where}: kra_id {action.kra_id!r} is not a KRA of this review")
        if kpis_known and action.kpi_id:
            if action.kpi_id not in kpi_owner:
                problems.append(f"{where}: kpi_id {action.kpi_id!r} is not a KPI of this review")
            else:
                owner_kra = kpi_owner[action.kpi_id]
                if action.kra_id and action.kra_id != owner_kra:
                    problems.append(
                        f"{where}: KPI {action.kpi_id!r} belongs to KRA {owner_kra!r}, "
                        f"not {action.kra_id!r}"
                    )
    return problems


def _kpi_value_problems(kras: list[Any], state: State | None) -> list[str]:
    """Values a KPI needs in the review's state, and values it cannot take, for every
    KPI that can be read (a review that is not signed off).

    - after planning, a numeric KPI that is not N/A needs its target (the review
      left planning only with one; `scoring.needs_target`): `target` is then a
      required key, though the type allows leaving it out in planning;
    - a KPI counted in whole things (unit `count`) takes whole targets and actuals;
    - a comment needs a text (only white space is none).
    """
    problems = []
    for n, kra in enumerate(kras, 1):
        kpis = kra.get("kpis") if isinstance(kra, dict) else None
        if not isinstance(kpis, list):
            continue
        for m, kpi in enumerate(kpis, 1):
            if not isinstance(kpi, dict):
                continue
            where = f"KRA {_ident(kra, n)} · KPI {_ident(kpi, m)}"
            numeric = kpi.get("kind", Kind.numeric.value) == Kind.numeric.value
            if (state is not None and state is not State.planning and numeric
                    and kpi.get("na") is not True and kpi.get("target") is None):
                problems.append(
                    f"{where} · target: required key is missing (a numeric KPI keeps the "
                    f"target set in planning, and this review is in {state.label}); add "
                    "target = ..., or na = true with an na_reason if the KPI does not apply"
                )
            unit = kpi.get("unit")
            for key in ("target", "actual"):
                problem = whole_number_problem(unit if isinstance(unit, str) else None,
                                               _readable(_NUMBER, kpi.get(key)))
                if problem:
                    problems.append(f"{where} · {key}: {problem}")
            comments = kpi.get("comments")
            for i, comment in enumerate(comments if isinstance(comments, list) else [], 1):
                text = comment.get("text") if isinstance(comment, dict) else None
                if isinstance(text, str) and is_blank(text):
                    problems.append(
                        f"{where} · comment #{i} · text: required text is missing (it is empty "
                        "or only white space); write the comment, or remove its "
                        "[[kras.kpis.comments]] table"
                    )
    return problems


def _action_value_problems(tables: list[Any], actions: list[Action] | None,
                           data: dict[str, Any]) -> list[str]:
    """An action's text that is only white space, and a due date before the cycle starts."""
    problems = []
    for n, table in enumerate(tables, 1):
        text = table.get("text") if isinstance(table, dict) else None
        if isinstance(text, str) and text and is_blank(text):
            problems.append(
                f"action {_ident(table, n)} · text: required text is missing (it is only white "
                "space); write what is to be done"
            )
    cycle = data.get("cycle") if isinstance(data.get("cycle"), dict) else {}
    start, end = _readable(_DATE, cycle.get("start")), _readable(_DATE, cycle.get("end"))
    if start is not None and actions is not None:
        for action in actions:
            if action.due is not None and action.due < start:
                why = due_problem(action.due, cycle.get("id"), start, end)
                problems.append(f"action {action.id!r} · due: {why}")
    return problems


def due_problem(due: date, cycle_id: Any, start: date, end: date | None) -> str:
    """Why an action cannot be due on `due` (before its cycle starts), and what to do."""
    runs = f"it runs {start} to {end}" if end is not None else f"it starts {start}"
    return (f"{due} is before the cycle {cycle_id} starts ({runs}); give a date from "
            f"{start} on")


def _blank_texts_cleared(table: Any, sub: str | None, keys: tuple[str, ...]) -> Any:
    """The table (or each of its `sub` tables) with free texts of only white space as
    empty: such a text is stored as no text, as an edit in kpireview stores it."""
    if not isinstance(table, dict):
        return table
    if sub is not None:
        items = table.get(sub)
        if not isinstance(items, list):
            return table
        return {**table, sub: [_blank_texts_cleared(item, None, keys) for item in items]}
    return {k: blank_as_empty(v) if k in keys and isinstance(v, str) else v
            for k, v in table.items()}


def _signoffs_needed(signoffs: list[SignOff], revision: int) -> list[str]:
    """A signed-off review has the employee's and the manager's sign-off at its
    revision, each with the digest of what was signed."""
    problems = []
    for role in (SignRole.employee, SignRole.manager):
        if not any(s.role is role and s.revision == revision for s in signoffs):
            problems.append(
                f"signoffs: the review is signed off, but the {role.value}'s sign-off at its "
                f"revision {revision} is missing; a signed-off review needs both. Restore it, "
                "or import the review in joint review (state = \"joint_review\", without the "
                "sign-offs) and sign it again in kpireview"
            )
    for n, s in enumerate(signoffs, 1):
        if not s.digest:
            problems.append(
                f"sign-off #{n} · digest: required key is missing (the digest of what was "
                "signed; without it the signature cannot be checked)"
            )
    return problems


def _signoff_people(signoffs: list[SignOff], data: dict[str, Any]) -> list[str]:
    people = (_text_at(data, "person", "id"), _text_at(data, "manager", "id"))
    if None in people:
        return []  # reported as missing or not valid
    return [
        f"sign-off #{n}: {s.person_id!r} is neither the person nor the manager"
        for n, s in enumerate(signoffs, 1)
        if s.person_id not in people
    ]


def _signatures(review: Review, history: list[HistoryEntry]) -> list[str]:
    """A signed-off file whose content or history changed after signing."""
    problems = []
    if review.state is not State.signed_off:
        return problems
    for n, signoff in enumerate(review.signoffs, 1):
        if signoff.person_id not in (review.person_id, review.reviewer_id):
            continue  # reported before
        if not signature_holds(review, signoff, history):
            covers = ("content or history" if signoff.digest.startswith(DIGEST_V2)
                      else "content")
            problems.append(
                f"sign-off #{n} ({signoff.role.value} {signoff.person_id}): the signed {covers} "
                "does not match this file — it was changed after signing. A signed review "
                "cannot be edited in a file; reopen it in kpireview instead"
            )
    return problems


def read_review_file(path: Path) -> ReviewFile:
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ReviewFileError([f"{path}: cannot be read ({exc.strerror or exc})"]) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ReviewFileError(
            [f"{path}: byte {exc.start}: not UTF-8 text; save the file as UTF-8"]
        ) from None
    return parse_review(text, str(path))


# --- recomputed numbers ------------------------------------------------------------


def _stated(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, (int, Decimal)) and not isinstance(value, bool):
        return fmt(Decimal(value))
    try:
        return fmt(Decimal(str(value)))
    except ArithmeticError:
        return str(value)


def recomputed(file: ReviewFile) -> list[str]:
    """The scores as recomputed from the file's inputs, and where the file said otherwise."""
    review = file.review
    agreed = overall(review, "agreed")
    own = overall(review, "self")
    lines = []
    if agreed.score is None:
        lines.append(f"overall: — ({agreed.reason})")
    else:
        lines.append(
            f"overall: {fmt(agreed.score)} = {fmt(agreed.percent_of_max)} % of "
            f"{review.scale.max} ({agreed.label})" + ("" if agreed.complete else ", not complete")
        )
    lines.append(f"self-assessment: {fmt(own.score)}")
    differ = []
    scores = file.data.get("scores") if isinstance(file.data.get("scores"), dict) else {}
    for key, value in (("overall", agreed.score), ("self_assessment", own.score),
                       ("percent_of_max", agreed.percent_of_max)):
        said = _stated(scores.get(key))
        if said is not None and said != fmt(value):
            differ.append(f"scores.{key} {said} → {fmt(value)}")
    raw_kras = {k.get("id"): k for k in file.data.get("kras", []) if isinstance(k, dict)}
    for kra in review.kras:
        raw = raw_kras.get(kra.id, {})
        for key, side in (("score", "agreed"), ("self_score", "self")):
            said = _stated(raw.get(key))
            value = kra_score(kra, side).score  # type: ignore[arg-type]
            if said is not None and said != fmt(value):
                differ.append(f"KRA {kra.id!r} {key} {said} → {fmt(value)}")
        raw_kpis = {p.get("id"): p for p in raw.get("kpis", []) if isinstance(p, dict)}
        for kpi in kra.kpis:
            rk = raw_kpis.get(kpi.id, {})
            ach, suggested = suggestion(review, kpi)
            checks = (("achievement", _stated(rk.get("achievement")), fmt(ach.percent)),
                      ("suggested_rating", _stated(rk.get("suggested_rating")),
                       fmt(Decimal(suggested)) if suggested is not None else "—"),
                      ("final_rating", _stated(rk.get("final_rating")),
                       fmt(Decimal(kpi.agreed)) if kpi.agreed is not None else "—"))
            for key, said, now_value in checks:
                if said is not None and said != now_value:
                    differ.append(f"KPI {kpi.id!r} {key} {said} → {now_value}")
    if differ:
        lines.append(
            f"{len(differ)} number(s) in the file differ from the recomputed ones and are "
            "ignored: " + "; ".join(differ)
        )
    return lines


# --- importing into a data directory ---------------------------------------------


@dataclass
class ImportResult:
    files: list[ReviewFile]
    new_directory: bool
    people: list[Person] = field(default_factory=list)  # created
    cycles: list[Cycle] = field(default_factory=list)  # created
    replaced: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    actor: str = ""
    written: bool = False


def _person_problems(source: str, section: str, want_name: str, want_login: str | None,
                     have: Person) -> list[str]:
    problems = []
    if want_login and want_login != have.login:
        problems.append(
            f"{source}: {section}.login: person {have.id!r} exists with login {have.login!r}, "
            f"the file says {want_login!r}; a person id cannot change hands. Correct the file, "
            "or change the person first (kpireview people add ...)"
        )
    if want_name and want_name != have.name:
        problems.append(
            f"{source}: {section}.name: person {have.id!r} exists as {have.name!r}, the file "
            f"says {want_name!r}; correct the file or the person, then import again"
        )
    return problems


def plan_import(store: Store, files: list[ReviewFile], login: str, replace: bool = False,
                actor: str | None = None) -> ImportResult:
    """Check the files against the data directory; raise `ReviewFileError` listing every clash."""
    new_directory = not store.exists()
    problems: list[str] = []
    warnings: list[str] = []
    if new_directory and not store.is_empty():
        raise ReviewFileError([
            f"{store.root} is not empty but has no config.toml, so it is not a kpireview data "
            "directory; import into an empty directory or an existing data directory"
        ])
    existing = {} if new_directory else {p.id: p for p in store.people()}
    cycles = {} if new_directory else {c.id: c for c in store.cycles()}
    logins = {p.login: p.id for p in existing.values()}
    new_people: dict[str, tuple[Person, str]] = {}
    new_cycles: dict[str, tuple[Cycle, str]] = {}
    seen_reviews: dict[str, str] = {}
    replaced: list[str] = []

    def want_person(source: str, section: str, pid: str, name: str, plogin: str | None,
                    manager: str | None, role: str) -> None:
        if pid in existing:
            problems.extend(_person_problems(source, section, name, plogin, existing[pid]))
            return
        if pid in new_people:
            earlier, where = new_people[pid]
            if (plogin and plogin != earlier.login) or (name and name != earlier.name):
                problems.append(
                    f"{source}: {section}: person {pid!r} is {name!r} (login {plogin!r}) here but "
                    f"{earlier.name!r} (login {earlier.login!r}) in {where}; make them agree"
                )
            elif section == "person" and earlier.manager is None and manager:
                new_people[pid] = (earlier.model_copy(update={"manager": manager, "role": role}), where)
            return
        if not plogin:
            problems.append(
                f"{source}: {section}.login: person {pid!r} is not in {store.root} and the file "
                f"gives no login; add them first (kpireview people add --id {pid} ...) or add "
                f"{section}.login to the file"
            )
            return
        if plogin in logins and logins[plogin] != pid:
            problems.append(
                f"{source}: {section}.login: login {plogin!r} already belongs to person "
                f"{logins[plogin]!r} in {store.root}; a login identifies one person"
            )
            return
        try:
            person = Person(id=pid, name=name or pid, login=plogin, manager=manager, role=role)
        except ValidationError as exc:
            problems.extend(f"{source}: {section}.{line}" for line in _describe(exc, {}))
            return
        new_people[pid] = (person, source)
        logins[plogin] = pid

    for f in files:
        r = f.review
        if r.id in seen_reviews:
            problems.append(f"{f.source}: review {r.id} is also in {seen_reviews[r.id]}; "
                            "import only one of them")
            continue
        seen_reviews[r.id] = f.source
        if not new_directory and store.review_exists(r.id):
            try:
                current = store.load_review(r.id)
            except StoreError as exc:
                problems.append(f"{f.source}: review {r.id} exists but cannot be read: {exc}")
                continue
            if not replace:
                problems.append(
                    f"{f.source}: review {r.id} exists already in {store.root}; add --replace "
                    "to replace it (its history is kept), or leave the file out"
                )
            elif current.state is State.signed_off:
                problems.append(
                    f"{f.source}: review {r.id} is signed off in {store.root} and cannot be "
                    "replaced; an HR admin must reopen it first"
                )
            elif f.hidden:
                by = f.data.get("exported_by")
                problems.append(
                    f"{f.source}: exported by {by or 'someone'} who could not see everything "
                    f"({'; '.join(f.hidden)}), so those values are missing from it; replacing "
                    f"review {r.id} with it would wipe them in {store.root}. Export the review "
                    "again as an HR admin (or as the manager after the blind phase) and import "
                    "that file"
                )
            else:
                try:
                    replacement(f, current, store.history(r.id), actor or "", now())
                except StoreError as exc:
                    problems.append(str(exc))
                else:
                    replaced.append(r.id)
                    if current.revision > f.review.revision:
                        warnings.append(
                            f"{f.source}: review {r.id} was changed here after this file was "
                            f"exported (revision {current.revision} here, {f.review.revision} in "
                            "the file); those changes are replaced, each recorded in its history"
                        )
        want_person(f.source, "person", r.person_id, r.person_name, r.person_login or None,
                    r.reviewer_id, r.role_id)
        c = f.cycle
        if c.id in cycles:
            have = cycles[c.id]
            if have.start != c.start and r.state is not State.signed_off:
                # the cycle here is kept: an action may not be due before it starts
                for a in r.actions:
                    if a.due is not None and a.due < have.start:
                        problems.append(
                            f"{f.source}: action {a.id!r} · due: "
                            f"{due_problem(a.due, have.id, have.start, have.end)} (the cycle "
                            f"here; the file says it starts {c.start})"
                        )
            if (have.name, have.start, have.end) != (c.name, c.start, c.end):
                warnings.append(
                    f"{f.source}: cycle {c.id} exists here as {have.name!r} {have.start} → "
                    f"{have.end}; the file says {c.name!r} {c.start} → {c.end}; the existing "
                    "cycle is kept"
                )
        elif c.id in new_cycles:
            earlier, where = new_cycles[c.id]
            if earlier != c:
                problems.append(
                    f"{f.source}: cycle: {c.id} is {c.name!r} {c.start} → {c.end} ({c.state.value}) "
                    f"here but {earlier.name!r} {earlier.start} → {earlier.end} "
                    f"({earlier.state.value}) in {where}; make them agree"
                )
        else:
            new_cycles[c.id] = (c, f.source)
        if f.hidden and r.id not in replaced:
            warnings.append(
                f"{f.source}: exported by someone who could not see everything "
                f"({'; '.join(f.hidden)}); those values are missing from the import"
            )
    for f in files:
        r = f.review
        want_person(f.source, "manager", r.reviewer_id, r.reviewer_name,
                    f.manager_login, None, f.manager_role or r.role_id)
    if problems:
        raise ReviewFileError(problems)

    if not new_directory:
        templates = set(store.templates())
        for person, source in new_people.values():
            if person.role not in templates:
                warnings.append(
                    f"{source}: person {person.id} gets role {person.role!r}, which is not a role "
                    f"template in {store.root}; add the template before starting new reviews "
                    "for them"
                )
    if actor is None:
        me = next((p.id for p in existing.values() if p.login == login), None)
        me = me or next((p.id for p, _ in new_people.values() if p.login == login), None)
        actor = me or f"login:{login}"
    return ImportResult(
        files=files, new_directory=new_directory,
        people=[p for p, _ in new_people.values()], cycles=[c for c, _ in new_cycles.values()],
        replaced=replaced, warnings=warnings, actor=actor,
    )


def _key(e: HistoryEntry) -> tuple[Any, ...]:
    return (e.at, e.who, e.action, e.field, e.old, e.new, e.note, e.revision)


# --- replacing a review: what changes --------------------------------------------


def _as_text(value: Any) -> str | None:
    """A canonical value as history text; '' and empty lists are "not set" (None)."""
    if value is None or value == "" or value == []:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, (bool, int, float)):
        return str(value)
    return json.dumps(value, sort_keys=True, ensure_ascii=False)


def _fields(review: Review) -> dict[tuple[str, ...], tuple[str, str | None]]:
    """Every value of a review, keyed, with the history field name an edit of it gets
    (`kpi.actual`, `kpi.comment.author`, `kra.weight`, `action.a1.due`, `state`, ...)."""
    doc = canonical(review.model_dump(exclude={"schema_version", "revision", "updated_at"}))
    out: dict[tuple[str, ...], tuple[str, str | None]] = {}

    def put(key: tuple[str, ...], name: str, value: Any) -> None:
        out[key] = (name, _as_text(value))

    for kra in doc.pop("kras"):
        kpis = kra.pop("kpis")
        for k, v in kra.items():
            put(("kra", kra["id"], k), f"{kra['id']}.{k}", v)
        for kpi in kpis:
            for c in kpi.pop("comments"):
                put(("comment", kpi["id"], c["author"]), f"{kpi['id']}.comment.{c['author']}",
                    c["text"])
            for k, v in kpi.items():
                put(("kpi", kpi["id"], k), f"{kpi['id']}.{k}", v)
    for a in doc.pop("actions"):
        for k, v in a.items():
            put(("action", a["id"], k), f"action.{a['id']}.{k}", v)
    for so in doc.pop("signoffs"):
        put(("signoff", so["role"]), f"signoff.{so['role']}", so)
    for k, v in doc.items():
        put(("review", k), k, v)
    return out


def changed_fields(old: Review, new: Review) -> list[tuple[str, str | None, str | None]]:
    """(field, old, new) for every value that differs, revision and updated_at aside."""
    before, after = _fields(old), _fields(new)
    changes = []
    for key in [*before, *(k for k in after if k not in before)]:
        name, was = before.get(key, ("", None))
        name2, now_ = after.get(key, ("", None))
        if was != now_:
            changes.append((name or name2, was, now_))
    return changes


def _action_of(field_name: str) -> str:
    if field_name == "state":
        return "state"
    return "action" if field_name.startswith("action.") else "set"


def replacement(f: ReviewFile, current: Review, history: list[HistoryEntry], actor: str,
                at: datetime) -> tuple[Review, list[HistoryEntry]]:
    """The review that replaces `current` (stored, with `history`) and the entries to add.

    The file's entries the history lacks, then one entry per changed value
    (old → new), like any edit. The revision moves past the stored one when
    anything changed (a signing alone, as in kpireview, keeps it); a signed-off
    file keeps its own revision and must still hold its signatures on the
    merged history. Raises `StoreError` (nothing written) when it cannot.
    """
    new = f.review
    changes = changed_fields(current, new)
    content = [c for c in changes if c[0] != "state" and not c[0].startswith("signoff.")]
    if new.revision > current.revision or not changes:
        revision = max(new.revision, current.revision)
    elif not content and new.revision == current.revision:
        revision = new.revision
    else:
        revision = current.revision + 1
    known = {_key(e) for e in history}
    entries = [e for e in f.history if _key(e) not in known]
    if new.state is State.signed_off:
        if revision != new.revision:
            raise StoreError(
                f"{f.source}: review {new.id} is signed at revision {new.revision} in this file, "
                f"but the review here was changed after that (it is at revision "
                f"{current.revision}); a signed file cannot replace those changes. "
                f"Compare the two ('kpireview export --cycle {new.cycle_id} --person "
                f"{new.person_id}') and go on with the review here"
            )
        if not all(signature_holds(new, s, [*history, *entries]) for s in new.signoffs):
            raise StoreError(
                f"{f.source}: review {new.id}: the history here differs from the history this "
                "file was signed with, so its signatures would not hold here. Go on with the "
                "review here, or import the file into a new data directory"
            )
    note = f"imported from {f.source}"
    entries += [entry(actor, at, _action_of(name), name, old, value, note=note, revision=revision)
                for name, old, value in changes]
    review = new.model_copy(update={"revision": revision,
                                    "updated_at": at if changes else current.updated_at})
    return review, entries


# --- writing an import, all or nothing -------------------------------------------------


class ImportFailed(StoreError):
    """An import stopped part-way; what it had written was put back (the message says
    exactly what could not be)."""


_UNREADABLE = b"\0(could not be read)"


def _bytes(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        return None


class _Undo:
    """What an import wrote, to put back if it cannot finish: each file's bytes before
    and after our write (None: no file), and the folders and lock files it created."""

    def __init__(self, store: Store):
        self.store = store
        self.files: dict[Path, list[bytes | None]] = {}
        self.created: list[Path] = []
        self.doing = "starting"

    @contextmanager
    def writing(self, *paths: Path) -> Iterator[None]:
        """Hold the paths' locks (the store's methods take them again) while the caller
        writes them, so that what is read before and after is exactly our write."""
        with ExitStack() as stack:
            for path in paths:
                folder = path.parent
                while not folder.exists():
                    self.created.append(folder)
                    folder = folder.parent
                if not lock_path_for(path).exists():
                    self.created.append(lock_path_for(path))
                stack.enter_context(self.store.locked(path))
                if path not in self.files:
                    self.files[path] = [_bytes(path), None]
            try:
                yield
            finally:
                for path in paths:
                    try:
                        self.files[path][1] = _bytes(path)
                    except OSError:
                        self.files[path][1] = _UNREADABLE

    def rollback(self, cause: BaseException) -> ImportFailed:
        """Put back every file that still holds what we wrote; remove what we created."""
        store, left = self.store, []
        restored: set[Path] = set()
        not_back: set[Path] = set()
        for path, (before, after) in reversed(self.files.items()):
            if before == after:
                continue
            try:
                with store.locked(path):
                    current = _bytes(path)
                    if current == after:
                        if before is None:
                            path.unlink()
                        else:
                            atomic_write_bytes(path, before)
                        restored.add(path)
                    elif current != before:
                        left.append(f"{path} (changed by someone else after the import wrote "
                                    "it; left as it is, with both changes)")
                        not_back.add(path)
            except (OSError, StoreError) as exc:
                left.append(f"{path} (could not be put back: {exc})")
                not_back.add(path)
        # The indexes put back byte for byte match the reviews put back; a cycle where
        # something stayed gets its team indexes rebuilt from its review files.
        reviews = store.root / "reviews"
        for cycle_id in sorted({p.relative_to(reviews).parts[0] for p in not_back
                                if p.is_relative_to(reviews)}):
            try:
                store.rebuild_team_indexes(cycle_id)
            except (OSError, StoreError) as exc:
                left.append(f"the team indexes of {cycle_id} (could not be rebuilt: {exc})")
        if store.people_path in restored and store.people_path.exists():
            try:
                store.write_people_index()
            except (OSError, StoreError) as exc:
                left.append(f"{store.people_index_path} (could not be rebuilt: {exc})")
        for extra in sorted(self.created, key=lambda p: len(p.parts), reverse=True):
            try:
                if extra.is_dir():
                    extra.rmdir()
                else:
                    extra.unlink(missing_ok=True)
            except OSError:
                pass  # a folder something else was put into meanwhile stays
        why = str(cause) or type(cause).__name__
        if isinstance(cause, KeyboardInterrupt):
            why = "interrupted"
        head = f"the import stopped while {self.doing}: {why}"
        if not left:
            return ImportFailed(f"{head}\nNothing of the import was kept: every file it had "
                                f"written in {store.root} was put back as it was.")
        return ImportFailed(
            f"{head}\nThe import was undone except for {len(left)} file(s) that could not be "
            "put back:\n" + "\n".join(f"  {line}" for line in left)
            + f"\nRun 'kpireview --data {store.root} doctor' to check the data directory (with "
              "--repair-indexes to rebuild the indexes), and look at or restore those files "
              "from a backup before you import again."
        )


def apply_import(store: Store, plan: ImportResult, login: str,
                 progress: Progress | None = None) -> None:
    """Write what `plan_import` found: config (new directory), people, cycles, reviews.

    All or nothing: when anything fails part-way (a full disk, a lock, a file
    changed meanwhile, Ctrl-C), every file written so far is put back as it
    was, and `ImportFailed` says so (or names what could not be put back).
    """
    undo = _Undo(store)
    try:
        _write_import(store, plan, login, undo, progress)
    except BaseException as exc:
        raise undo.rollback(exc) from exc
    plan.written = True


def _write_import(store: Store, plan: ImportResult, login: str, undo: _Undo,
                  progress: Progress | None) -> None:
    if plan.new_directory:
        undo.doing = f"creating {store.root / store.CONFIG}"
        with undo.writing(store.root / store.CONFIG):
            store.write_config(Config(hr_admins=[login]))
    if plan.people:
        undo.doing = f"adding people to {store.people_path}"
        with undo.writing(store.people_path, store.people_index_path):
            store.save_people(plan.people)
    if plan.cycles:
        undo.doing = f"adding cycles to {store.cycles_path}"
        with undo.writing(store.cycles_path):
            for cycle in plan.cycles:
                store.save_cycle(cycle)
    at = now()
    with _progress(progress, plan.files, f"Importing {len(plan.files)} review(s)") as files:
        for f in files:
            undo.doing = f"writing review {f.review.id} from {f.source}"
            _write_review(store, plan, f, undo, at)


def _write_review(store: Store, plan: ImportResult, f: ReviewFile, undo: _Undo,
                  at: datetime) -> None:
    review, replacing = f.review, f.review.id in plan.replaced
    with undo.writing(store.review_path(review.id)):
        entries = list(f.history)
        note = f"imported from {f.source}"
        indexes = {store.team_index_path(review.cycle_id, review.reviewer_id)}
        if replacing:
            current = store.load_review(review.id)
            indexes.add(store.team_index_path(current.cycle_id, current.reviewer_id))
            review, entries = replacement(f, current, store.history(review.id), plan.actor, at)
            note += f" (replacing the review that was here; file revision {f.review.revision})"
        entries.append(entry(plan.actor, at, "import", note=note, revision=review.revision))
        with undo.writing(*sorted(indexes)):
            store.create_review(review, entries, replace=replacing)


@contextmanager
def _progress(progress: Progress | None, items: list[Any], label: str) -> Iterator[Any]:
    """`items`, through a progress bar when `progress` is given and there are many."""
    if progress is None or len(items) < PROGRESS_FROM:
        yield items
        return
    with progress(items, label=label) as bar:
        yield bar


PROGRESS_FROM = 20  # files; fewer import in a blink


def import_reviews(store: Store, paths: Iterable[Path], login: str,
                   session: Session | None = None, replace: bool = False,
                   write: bool = True, progress: Progress | None = None) -> ImportResult:
    """Validate every file and the target first; write only when all of it is good.

    Into an existing data directory only an HR admin (`session.is_hr`) may
    import. Into an empty one, the importing `login` becomes its HR admin.
    Raises `ReviewFileError` (every problem, one line each) or `AccessError`.
    """
    from .access import AccessError

    actor = None
    if store.exists():
        if session is None or not session.is_hr:
            raise AccessError(
                f"only an HR admin may import reviews into {store.root}; HR admins are named "
                "in its config.toml"
            )
        actor = session.actor
    files: list[ReviewFile] = []
    problems: list[str] = []
    paths = list(paths)
    with _progress(progress, paths, f"Checking {len(paths)} file(s)") as items:
        for path in items:
            try:
                files.append(read_review_file(Path(path)))
            except ReviewFileError as exc:
                problems.extend(exc.problems)
    if problems:
        raise ReviewFileError(problems)
    plan = plan_import(store, files, login, replace=replace, actor=actor)
    if write:
        apply_import(store, plan, login, progress)
    return plan
