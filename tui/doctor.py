"""`kpireview doctor` and `backup`: check every file of a data directory, copy it safely."""

from __future__ import annotations

import os
import stat
from collections.abc import Callable
from contextlib import nullcontext
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from .kinds import State
from .models import Cycle, HistoryEntry, Person, Review, is_blank, whole_number_problem
from .people import PeopleError, check_people
from .store import (
    RESTORE,
    DataFileError,
    Store,
    StoreError,
    atomic_write_bytes,
    first_error,
    parse_db_bytes,
    read_json_file,
    summary_of,
    team_index_entries,
    validate_person,
)
from .templates import TemplateError

Progress = Callable[..., Any]

# Folders whose files are not TinyDB data: presence files come and go with
# open apps and are plain JSON.
SKIP_DIRS = {"presence"}
INDEX_ONLY = ("it is only a list index: 'kpireview doctor --repair-indexes' rebuilds it from "
              "the review files")
BY_FILE = ("an HR admin can mend it in its export: 'kpireview export', edit the TOML, then "
           "'kpireview import --replace'")
INDEX_FIX = "run 'kpireview doctor --repair-indexes' to rebuild the team indexes from the reviews"


def _bar(progress: Progress | None, items: list[Path], label: str) -> Any:
    if progress is None:
        return nullcontext(items)
    import sys

    return progress(items, label=label, file=sys.stderr)


def _skipped(root: Path, path: Path) -> bool:
    rel = path.relative_to(root).parts
    return bool(rel) and rel[0] in SKIP_DIRS or any(p.startswith(".") for p in rel)


class RepairIncomplete(StoreError):
    """`repair_indexes` left something out; the message says what and why."""


def broken(exc: DataFileError) -> str:
    if exc.advice == RESTORE:
        return f"{exc.path}: {exc.problem}; it was not changed: {RESTORE}"
    return f"{exc.path}: {exc.problem}; {exc.advice}"


def people_problems(store: Store, data: dict[str, Any], templates: set[str]) -> list[str]:
    """What a session or a save of people would refuse in people.json's tables `data`:
    invalid people, then (when every person is valid) repeated ids and logins, unknown
    managers and roles, managers in a circle. One line each, naming the file."""
    path = store.people_path
    docs = list(data.get("people", {}).values())
    people: list[Person] = []
    problems: list[str] = []
    for doc in docs:
        try:
            people.append(validate_person(path, doc))
        except DataFileError as exc:
            problems.append(broken(exc))
    if people and len(people) == len(docs):
        try:
            check_people(people, templates or {p.role for p in people})
        except PeopleError as exc:
            problems += [f"{path}: {p}; {RESTORE}" for p in exc.problems]
    return problems


def data_files(root: Path) -> list[Path]:
    """Every TinyDB data file (no lock files, temp files or presence files)."""
    return sorted(p for p in root.rglob("*.json") if p.is_file() and not _skipped(root, p))


def check_data_dir(store: Store, progress: Progress | None = None) -> list[str]:
    """Every problem found, one line each, naming the file. Changes nothing."""
    problems: list[str] = []
    root = store.root
    if not root.is_dir():
        return [f"{root}: does not exist; give the data directory with --data DIR"]
    try:
        store.config()
    except DataFileError as exc:
        problems.append(broken(exc))
    except StoreError as exc:
        problems.append(str(exc))
    try:
        templates = set(store.templates())
    except TemplateError as exc:
        problems.append(f"{exc} (fix the template file or move it out of {store.templates_dir})")
        templates = set()
    for leftover in sorted(root.rglob(".*.tmp")):
        problems.append(f"{leftover}: a temporary file left by an interrupted save (safe to delete)")
    missing = store.missing_people()
    if missing is not None:
        problems.append(broken(missing))
    files = data_files(root)
    people_ok = False
    reviews: dict[str, dict[str, Any]] = {}
    summaries: dict[str, tuple[Path, dict[str, Any]]] = {}
    broken_cycles: set[str] = set()
    with _bar(progress, files, "Checking files") as bar:
        for path in bar:
            rel = path.relative_to(root).parts
            is_review = len(rel) == 3 and rel[0] == "reviews"
            is_index = len(rel) == 4 and rel[0] == "reviews" and rel[2] == "teams"
            try:
                data = read_json_file(path)
            except DataFileError as exc:
                if rel == ("people-index.json",):
                    problems.append(f"{exc.path}: {exc.problem}; it is only an index of "
                                    "people.json: 'kpireview doctor --repair-indexes' rebuilds it")
                    continue
                if is_index:
                    problems.append(f"{exc.path}: {exc.problem}; {INDEX_ONLY}")
                else:
                    problems.append(broken(exc))
                if is_review or is_index:
                    broken_cycles.add(rel[1])
                continue
            if data is None:
                continue
            try:
                if rel == ("people.json",):
                    trouble = people_problems(store, data, templates)
                    problems += trouble
                    people_ok = not trouble
                elif rel == ("cycles.json",):
                    for d in data.get("cycles", {}).values():
                        Cycle.model_validate(d)
                elif is_review:
                    review = store._review_from(path, data)
                    seqs = [HistoryEntry.model_validate(d).seq for d in data.get("history", {}).values()]
                    if len(seqs) != len(set(seqs)):
                        problems.append(f"{path}: history has duplicate sequence numbers")
                    reviews[review.id] = {"summary": summary_of(review)}
                    problems += [f"{path}: {p}" for p in value_problems(review)]
                elif is_index:
                    for d in team_index_entries(path, data):
                        summaries[d["review_id"]] = (path, d)
            except DataFileError as exc:
                if is_index:
                    problems.append(f"{exc.path}: {exc.problem}; {INDEX_ONLY}")
                else:
                    problems.append(broken(exc))
                if is_review or is_index:
                    broken_cycles.add(rel[1])
            except ValidationError as exc:
                problems.append(f"{path}: invalid content: {first_error(exc)}")
                if is_review:
                    broken_cycles.add(rel[1])
            except Exception as exc:  # doctor reports what it cannot check; it never stops
                problems.append(f"{path}: could not be checked ({type(exc).__name__}: {exc}); "
                                f"it was not changed: {RESTORE}")
                if is_review or is_index:
                    broken_cycles.add(rel[1])
    if store.people_path.is_file() and store.people_index_path.exists():
        raw = store.people_path.read_bytes()
        index = store.people_index_path.read_bytes()
        if _parses(store, index) and _parses(store, raw) and index != store.people_index_bytes(raw):
            then = ("once the problems with people.json above are fixed" if not people_ok
                    else "(people.json itself is as it should be)")
            problems.append(
                f"{store.people_index_path}: out of step with people.json (edited by hand?); "
                "it is only an index that makes kpireview start faster: "
                f"'kpireview doctor --repair-indexes' rebuilds it {then}"
            )
    for rid, info in reviews.items():
        if rid.split("/")[0] in broken_cycles:
            continue  # fix the broken file first; the index follows from it
        found = summaries.get(rid)
        if found is None:
            problems.append(f"review {rid}: missing from its team index (lists will not show "
                            f"it); {INDEX_FIX}")
        elif found[1] != info["summary"]:
            indexed, actual = found[1], info["summary"]
            differ = "; ".join(
                f"{key} {indexed.get(key)!r} in the index, {actual.get(key)!r} in the review"
                for key in sorted(set(indexed) | set(actual)) if indexed.get(key) != actual.get(key))
            problems.append(f"review {rid}: team index {found[0]} is out of date ({differ}); "
                            f"{INDEX_FIX}")
    for rid, (path, _) in summaries.items():
        if rid not in reviews and rid.split("/")[0] not in broken_cycles:
            problems.append(f"review {rid}: listed in team index {path} but its file is missing; "
                            f"restore the review from a backup, or {INDEX_FIX}")
    return problems


def value_problems(review: Review) -> list[str]:
    """Values a review holds that would be refused if entered today (saved by an
    older kpireview, or edited by hand). A signed-off review is left as signed."""
    from .scoring import missing_targets

    if review.state is State.signed_off:
        return []
    out = [f"KRA {kra.id!r} · KPI {kpi.id!r}: no target, and the review is past planning; "
           f"mark the KPI N/A with a reason, or {BY_FILE}" for kra, kpi in missing_targets(review)]
    for kra in review.kras:
        for kpi in kra.kpis:
            for field in ("target", "actual"):
                why = whole_number_problem(kpi.unit, getattr(kpi, field))
                if why:
                    out.append(f"KRA {kra.id!r} · KPI {kpi.id!r} · {field}: {why}; {BY_FILE}")
            if any(is_blank(c.text) for c in kpi.comments):
                out.append(f"KRA {kra.id!r} · KPI {kpi.id!r}: a comment with no text; {BY_FILE}")
    for action in review.actions:
        if is_blank(action.text):
            out.append(f"action {action.id!r} has no text; give it one in the app's "
                       f"improvement actions, or {BY_FILE}")
    return out


def _parses(store: Store, raw: bytes) -> bool:
    try:
        parse_db_bytes(store.people_index_path, raw)
    except DataFileError:
        return False  # reported as damaged already
    return True


def lost_config(root: Path) -> str | None:
    """What to say about `root` when its config.toml is gone but its data is not
    (never to be offered 'init' or the demo); None otherwise."""
    store = Store(root)
    if store.exists() or not store.holds_data():
        return None
    return str(store.missing_config())


def repair_indexes(store: Store) -> int:
    """Rebuild people-index.json from people.json, and every cycle's team indexes from
    its review files; the number of reviews indexed.

    An index is never made from a file that fails doctor's checks: such a
    people.json or review file is left out, and `RepairIncomplete` says which
    and why, after everything else was rebuilt.
    """
    left: list[str] = []
    why = _people_unfit(store)
    if why:
        left.append(f"{store.people_index_path}: not rebuilt from people.json, because:\n  "
                    + "\n  ".join(why))
    else:
        store.write_people_index()
    reviews_root = store.root / "reviews"
    count = 0
    if reviews_root.is_dir():
        count = sum(
            store.rebuild_team_indexes(cdir.name, left)
            for cdir in sorted(reviews_root.iterdir())
            if cdir.is_dir() and not cdir.name.startswith(".")
        )
    if left:
        raise RepairIncomplete(
            f"rebuilt the team indexes of {count} review(s), but not everything:\n"
            + "\n".join(left) + f"\nRun 'kpireview --data {store.root} doctor' to see every problem."
        )
    return count


def _people_unfit(store: Store) -> list[str]:
    """Why people.json may not be indexed (missing where it is needed, unreadable, or
    failing the checks of a save); empty when it may."""
    missing = store.missing_people()
    if missing is not None:
        return [broken(missing)]
    try:
        data = read_json_file(store.people_path)
    except DataFileError as exc:
        return [broken(exc)]
    if data is None:
        return []
    try:
        templates = set(store.templates())
    except TemplateError:
        templates = set()
    return people_problems(store, data, templates)


def backup_data_dir(store: Store, target: Path, progress: Progress | None = None) -> int:
    """Copy every data file under its lock (so none is caught half-saved).

    The team indexes of the copy are then rebuilt from the copied reviews,
    so a review saved while the backup ran cannot leave the copy with an
    index that disagrees with it. Presence, lock and temp files are left out.
    """
    target = Path(target)
    root = store.root
    if not (root / Store.CONFIG).is_file() and not store.holds_data():
        raise StoreError(f"{root} is not a kpireview data directory (no config.toml); "
                         "give it with --data DIR")
    if target.resolve() == root.resolve() or target.resolve().is_relative_to(root.resolve()):
        raise StoreError(f"{target} is inside the data directory {root}; give a folder outside it")
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise StoreError(f"{target} is not empty; give a new or empty directory")
    files = [
        p for p in sorted(root.rglob("*"))
        if p.is_file() and not _skipped(root, p)
    ]
    count = 0
    with _bar(progress, files, "Copying") as bar:
        for path in bar:
            dest = target / path.relative_to(root)
            with store.locked(path):
                atomic_write_bytes(dest, path.read_bytes())
            # the copy keeps the owner's and group's bits, never any for others
            os.chmod(dest, stat.S_IMODE(path.stat().st_mode) & 0o7770)
            count += 1
    copy = Store(target)
    try:
        repair_indexes(copy)
    except StoreError:
        pass  # a damaged file was copied as it is; doctor on the copy names it
    return count


__all__ = ["RepairIncomplete", "backup_data_dir", "check_data_dir", "data_files", "lost_config",
           "repair_indexes"]
