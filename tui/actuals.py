"""Actual values from other systems (a CRM, a ticketing tool) as CSV.

Columns: `person`, `kpi`, `actual`, and optionally `note`; a header line
names them (any order, any case). The file may start with a UTF-8 BOM and use
',' or ';' between fields. Decimal commas (`12,5`) are read only when asked
(`decimal_comma=True`, the CLI's `--decimal-comma`); `1.234,5` is then
1234.5.

`import_actuals(session, cycle_id, path, ...)` is for an HR admin: every line
is checked against the reviews of the cycle first (unknown person or KPI,
a value that is not a number, a rated or N/A KPI, a signed-off review, the
same KPI twice); when any line is bad nothing is applied and every bad line
is reported. Good files are applied per review with
`workflow.set_kpi_field(..., note="imported from FILE")`, so each change has
its history entry.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING

from .models import CycleState, HistoryEntry, Kind, Review, State
from .store import NotFound, StoreError, now, review_id_for
from .workflow import WorkflowError, parse_number, set_kpi_field

if TYPE_CHECKING:  # pragma: no cover
    from .access import Session

COLUMNS = ("person", "kpi", "actual", "note")
REQUIRED = ("person", "kpi", "actual")
SPACES = re.compile(r"[ \u00a0\u202f]")
GROUPED_COMMA = re.compile(r"^[+-]?\d{1,3}(\.\d{3})+(,\d+)?$")  # 1.234.567,89
PLAIN_COMMA = re.compile(r"^[+-]?\d*(,\d+)?$")


class ActualsError(ValueError):
    """A CSV of actuals that cannot be applied; `problems` has one line each. Nothing was applied."""

    def __init__(self, problems: list[str], applied_to: list[str] | None = None):
        self.problems = problems
        self.applied_to = applied_to or []  # reviews changed before a late problem (a race)
        super().__init__("\n".join(problems))


@dataclass
class ActualRow:
    line: int
    person: str
    kpi: str
    text: str  # the value as written, for messages
    value: str  # the value with the decimal mark normalised to '.'
    note: str = ""


@dataclass
class ActualsResult:
    cycle_id: str
    rows: int
    changed: int = 0
    unchanged: int = 0
    reviews: list[str] = field(default_factory=list)
    applied: bool = False


def normalise_number(text: str, decimal_comma: bool) -> str:
    """The value with '.' as the decimal mark; raise ValueError saying what is wrong."""
    value = SPACES.sub("", text.strip())
    if decimal_comma:
        if GROUPED_COMMA.match(value):
            return value.replace(".", "").replace(",", ".")
        if "." in value:
            raise ValueError(
                f"{text!r} has a '.' but --decimal-comma says ',' is the decimal mark "
                "(write 12,5 or 1.234,5)"
            )
        if not PLAIN_COMMA.match(value) and "," in value:
            raise ValueError(f"{text!r} is not a number")
        return value.replace(",", ".")
    if "," in value:
        raise ValueError(
            f"{text!r} has a comma; if the file uses decimal commas add --decimal-comma, "
            "otherwise write the number without thousands separators"
        )
    return value


def read_actuals_csv(path: Path, decimal_comma: bool = False) -> list[ActualRow]:
    """The rows of an actuals CSV. Raises ActualsError naming every bad line."""
    rows, problems = _read(Path(path), decimal_comma)
    if problems:
        raise ActualsError(problems)
    return rows


def _read(path: Path, decimal_comma: bool) -> tuple[list[ActualRow], list[str]]:
    """The good rows and a problem for each bad line; header faults raise ActualsError."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ActualsError([f"{path}: cannot be read ({exc.strerror or exc})"]) from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ActualsError([f"{path}: byte {exc.start}: not UTF-8 text; save the file as UTF-8 "
                            "(CSV UTF-8 in a spreadsheet)"]) from None
    first = text.split("\n", 1)[0]
    delimiter = ";" if first.count(";") > first.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = next(reader)
    except StopIteration:
        raise ActualsError([f"{path}: the file is empty; expected a header line "
                            f"{','.join(REQUIRED)}[,note]"]) from None
    header = [h.strip().lower() for h in header]
    missing = [c for c in REQUIRED if c not in header]
    unknown = [h for h in header if h not in COLUMNS]
    doubled = sorted({h for h in header if header.count(h) > 1})
    if missing or unknown or doubled:
        parts = []
        if missing:
            parts.append(f"missing column(s) {', '.join(missing)}")
        if unknown:
            parts.append(f"unknown column(s) {', '.join(repr(u) for u in unknown)}")
        if doubled:
            parts.append(f"column(s) given twice: {', '.join(doubled)}")
        raise ActualsError([f"{path}:1: {'; '.join(parts)} (expected person{delimiter}kpi"
                            f"{delimiter}actual, optionally {delimiter}note)"])
    rows: list[ActualRow] = []
    problems: list[str] = []
    seen: dict[tuple[str, str], int] = {}
    try:
        for fields in reader:
            line = reader.line_num
            if not any(f.strip() for f in fields):
                continue
            if len(fields) > len(header):
                problems.append(f"{path}:{line}: {len(fields)} fields but {len(header)} columns "
                                f"(is a value with a '{delimiter}' missing its quotes?)")
                continue
            values = dict(zip(header, (f.strip() for f in fields)))
            person, kpi, actual = (values.get(c, "") for c in REQUIRED)
            where = f"{path}:{line}"
            bad = [c for c, v in (("person", person), ("kpi", kpi), ("actual", actual)) if not v]
            if bad:
                problems.append(f"{where}: {' and '.join(bad)} missing")
                continue
            key = (person, kpi)
            if key in seen:
                problems.append(f"{where}: person {person!r} KPI {kpi!r} is already on line "
                                f"{seen[key]}; give each KPI once")
                continue
            seen[key] = line
            try:
                value = normalise_number(actual, decimal_comma)
            except ValueError as exc:
                problems.append(f"{where}: actual {exc}")
                continue
            rows.append(ActualRow(line, person, kpi, actual, value, values.get("note", "")))
    except csv.Error as exc:
        problems.append(f"{path}:{reader.line_num}: not readable as CSV: {exc}")
    return rows, problems


def _line_of(problem: str) -> int:
    match = re.search(r":(\d+): ", problem)
    return int(match.group(1)) if match else 0


def _check_row(review: Review, row: ActualRow, where: str) -> tuple[Decimal | None, str | None]:
    """The parsed value, or the problem with this row."""
    if review.state is State.signed_off:
        return None, (f"{where}: the review of {row.person} ({review.id}) is signed off; "
                      "an HR admin must reopen it first, or leave the line out")
    try:
        kpi = review.kpi(row.kpi)
    except KeyError:
        known = ", ".join(k.id for k in review.all_kpis()[:6])
        return None, (f"{where}: KPI {row.kpi!r} is not in the review of {row.person} "
                      f"(its KPIs include {known}, ...)")
    if kpi.kind is Kind.rating:
        return None, (f"{where}: KPI {row.kpi!r} is rated by judgement on the scale; "
                      "it takes no actual")
    if kpi.na:
        reason = f" ({kpi.na_reason})" if kpi.na_reason else ""
        return None, (f"{where}: KPI {row.kpi!r} of {row.person} is N/A{reason}; an actual "
                      "would not count. Leave the line out, or clear N/A first")
    try:
        return parse_number(row.value, kpi, "actual"), None
    except WorkflowError as exc:
        return None, f"{where}: KPI {row.kpi!r}: {exc}"


def import_actuals(session: Session, cycle_id: str, path: Path, decimal_comma: bool = False,
                   apply: bool = True) -> ActualsResult:
    """Check every line, then (with `apply`) set the actuals, one history entry each.

    Only an HR admin may import actuals. Raises ActualsError (every bad line)
    or AccessError; when either is raised nothing was applied.
    """
    path = Path(path)
    session.require_hr("import actuals")
    store = session.store
    try:
        cycle = store.cycle(cycle_id)
    except NotFound:
        known = ", ".join(c.id for c in store.cycles()) or "none"
        raise ActualsError([f"no cycle {cycle_id!r} (known cycles: {known})"]) from None
    if cycle.state is CycleState.closed:
        raise ActualsError([f"cycle {cycle_id} is closed; open it again "
                            f"(kpireview cycle open {cycle_id}) to import actuals"])
    rows, problems = _read(path, decimal_comma)
    reviews: dict[str, Review] = {}
    by_review: dict[str, list[tuple[ActualRow, Decimal]]] = {}
    for row in rows:
        where = f"{path}:{row.line}"
        try:
            review_id = review_id_for(cycle_id, row.person)
            if review_id not in reviews:
                reviews[review_id] = store.load_review(review_id)
        except NotFound:
            problems.append(f"{where}: person {row.person!r} has no review in cycle {cycle_id} "
                            "(check the id with 'kpireview review list')")
            continue
        except StoreError as exc:
            problems.append(f"{where}: {exc}")
            continue
        value, problem = _check_row(reviews[review_id], row, where)
        if problem:
            problems.append(problem)
            continue
        by_review.setdefault(review_id, []).append((row, value))  # type: ignore[arg-type]
    if problems:
        raise ActualsError(sorted(problems, key=_line_of))
    result = ActualsResult(cycle_id, len(rows), reviews=sorted(by_review))
    for review_id, items in sorted(by_review.items()):
        review = reviews[review_id]
        for row, value in items:
            if review.kpi(row.kpi).actual == value:
                result.unchanged += 1
            else:
                result.changed += 1
    if not apply:
        return result
    result.changed = result.unchanged = 0
    done: list[str] = []
    for review_id, items in sorted(by_review.items()):
        try:
            counts = _apply(session, review_id, items, path)
        except ActualsError as exc:
            raise ActualsError(exc.problems, applied_to=done) from None
        except StoreError as exc:
            raise ActualsError([f"{review_id}: {exc}"], applied_to=done) from None
        done.append(review_id)
        result.changed += counts[0]
        result.unchanged += counts[1]
    result.applied = True
    return result


def _apply(session: Session, review_id: str, items: list[tuple[ActualRow, Decimal]],
           path: Path) -> tuple[int, int]:
    """Set one review's actuals under its lock, re-checking it as it is now."""

    def change(review: Review) -> tuple[tuple[int, int], list[HistoryEntry]]:
        entries: list[HistoryEntry] = []
        unchanged = 0
        at = now()
        for row, value in items:
            _, problem = _check_row(review, row, f"{path}:{row.line}")
            if problem:
                raise ActualsError([problem + " (it changed while importing; nothing was "
                                    f"applied to {review_id})"])
            note = f"imported from {path.name}" + (f": {row.note}" if row.note else "")
            made = set_kpi_field(review, row.kpi, "actual", value, session.actor, at, note=note)
            if made:
                entries += made
            else:
                unchanged += 1
        return (len(entries), unchanged), entries

    counts, _ = session.store.update_review(review_id, change)
    return counts
