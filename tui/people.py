"""People: checking an organisation chart and reading people from CSV."""

from __future__ import annotations

import csv
import io
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # imported where used, so the command starts without pydantic
    from .models import Person


class PeopleError(ValueError):
    """People that cannot be saved; `problems` holds one line each."""

    def __init__(self, problems: list[str], people: list[Person] | None = None,
                 where: dict[str, str] | None = None):
        self.problems = problems
        self.people = people or []  # the rows that were good, for checking them too
        self.where = where or {}
        super().__init__("\n".join(problems))


def check_people(people: list[Person], template_ids: set[str],
                 where: dict[str, str] | None = None) -> None:
    """Repeated ids, unknown managers, manager cycles, unknown roles, duplicate logins."""
    where = where or {}
    problems: list[str] = []
    by_id = {p.id: p for p in people}
    logins: dict[str, str] = {}

    def at(pid: str) -> str:
        return f"{where[pid]}: " if pid in where else ""

    counts = Counter(p.id for p in people)
    for pid in sorted(i for i, n in counts.items() if n > 1):
        problems.append(f"{at(pid)}{pid}: the id is given to {counts[pid]} people "
                        "(each person needs an id of their own)")
    for p in people:
        if p.manager and p.manager not in by_id:
            problems.append(f"{at(p.id)}{p.id}: manager {p.manager!r} is not a known person")
        if p.manager == p.id:
            problems.append(f"{at(p.id)}{p.id}: cannot be their own manager")
        if p.role not in template_ids:
            problems.append(
                f"{at(p.id)}{p.id}: role {p.role!r} is not a role template "
                f"(known: {', '.join(sorted(template_ids))})"
            )
        if p.active and p.login in logins:
            problems.append(
                f"{at(p.id)}{p.id}: login {p.login!r} is already used by {logins[p.login]}"
            )
        logins.setdefault(p.login, p.id)
    reported: set[frozenset[str]] = set()
    for p in people:
        seen: list[str] = []
        current: str | None = p.id
        while current in by_id and current not in seen:
            seen.append(current)
            current = by_id[current].manager
        if current in seen:
            loop = seen[seen.index(current):]
            key = frozenset(loop)
            if len(loop) > 1 and key not in reported:
                reported.add(key)
                chain = " manages ".join(reversed(loop + [loop[0]]))
                problems.append(f"{at(loop[0])}{loop[0]}: the managers go round in a circle: {chain}")
    if problems:
        raise PeopleError(problems)


COLUMNS = ("id", "name", "login", "email", "manager", "role")


def read_people_csv(path: Path) -> tuple[list[Person], dict[str, str]]:
    """People from a CSV with columns id,name,login,email,manager,role.

    Raises PeopleError naming each bad line; returns the people and the line
    each came from.
    """
    from pydantic import ValidationError

    from .models import Person

    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise PeopleError([f"{path}: cannot be read: {exc}"]) from None
    sample = text[:2048]
    delimiter = ";" if sample.count(";") > sample.count(",") else ","
    reader = csv.DictReader(io.StringIO(text), delimiter=delimiter)
    header = [h.strip().lower() for h in (reader.fieldnames or [])]
    missing = [c for c in ("id", "name", "login", "role") if c not in header]
    unknown = [h for h in header if h not in COLUMNS]
    if missing or unknown:
        parts = []
        if missing:
            parts.append(f"missing column(s) {', '.join(missing)}")
        if unknown:
            parts.append(f"unknown column(s) {', '.join(unknown)}")
        raise PeopleError([f"{path}:1: {'; '.join(parts)} (expected {','.join(COLUMNS)})"])
    reader.fieldnames = header
    people: list[Person] = []
    where: dict[str, str] = {}
    problems: list[str] = []
    for row in reader:
        line = reader.line_num
        if None in row:
            problems.append(f"{path}:{line}: more fields than columns")
            continue
        values = {k: (v or "").strip() for k, v in row.items()}
        if not any(values.values()):
            continue
        values["manager"] = values.get("manager") or None  # type: ignore[assignment]
        try:
            person = Person.model_validate(values)
        except ValidationError as exc:
            for err in exc.errors():
                field = ".".join(str(x) for x in err["loc"])
                msg = err["msg"].removeprefix("Value error, ")
                if field == "email" and err["type"] == "string_pattern_mismatch":
                    msg = f"{values.get('email')!r} is not an email address (name@example.com)"
                elif field == "login" and err["type"] == "string_pattern_mismatch":
                    msg = (f"{values.get('login')!r} is not a login (letters, digits, "
                           "'.', '_', '@', '-')")
                problems.append(f"{path}:{line}: {field}: {msg}")
            continue
        if person.id in where:
            problems.append(f"{path}:{line}: id {person.id!r} is already on {where[person.id]}")
            continue
        where[person.id] = f"{path}:{line}"
        people.append(person)
    if problems:
        raise PeopleError(problems, people=people, where=where)
    return people, where
