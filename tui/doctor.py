"""`kpireview doctor` and `backup`: check every file of a data directory, copy it safely."""

from __future__ import annotations

import os
import stat
from collections.abc import Callable
from contextlib import nullcontext
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from .models import Cycle, HistoryEntry, Person
from .people import PeopleError, check_people
from .store import (
    DataFileError,
    Store,
    StoreError,
    atomic_write_bytes,
    first_error,
    parse_db_bytes,
    read_json_file,
    summary_of,
    validate_person,
)
from .templates import TemplateError

Progress = Callable[..., Any]

# Folders whose files are not TinyDB data: presence files come and go with
# open apps and are plain JSON.
SKIP_DIRS = {"presence"}
INDEX_FIX = "run 'kpireview doctor --repair-indexes' to rebuild the team indexes from the reviews"


def _bar(progress: Progress | None, items: list[Path], label: str) -> Any:
    if progress is None:
        return nullcontext(items)
    import sys

    return progress(items, label=label, file=sys.stderr)


def _skipped(root: Path, path: Path) -> bool:
    rel = path.relative_to(root).parts
    return bool(rel) and rel[0] in SKIP_DIRS or any(p.startswith(".") for p in rel)


def broken(exc: DataFileError) -> str:
    return (f"{exc.path}: {exc.problem}; it was not changed: restore it from a backup "
            "or repair it by hand")


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
    files = data_files(root)
    people: list[Person] = []
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
                    problems.append(f"{exc.path}: {exc.problem}; it is only a list index: "
                                    "'kpireview doctor --repair-indexes' rebuilds it from the "
                                    "review files")
                else:
                    problems.append(broken(exc))
                if is_review or is_index:
                    broken_cycles.add(rel[1])
                continue
            if data is None:
                continue
            try:
                if rel == ("people.json",):
                    people = []
                    for d in data.get("people", {}).values():
                        try:
                            people.append(validate_person(path, d))
                        except DataFileError as exc:
                            problems.append(broken(exc))
                    people_ok = len(people) == len(data.get("people", {}))
                elif rel == ("cycles.json",):
                    for d in data.get("cycles", {}).values():
                        Cycle.model_validate(d)
                elif is_review:
                    review = store._review_from(path, data)
                    expected_id = f"{rel[1]}/{Path(rel[2]).stem}"
                    if review.id != expected_id:
                        problems.append(
                            f"{path}: holds review {review.id!r}, expected {expected_id!r} "
                            "(was the file renamed or copied? put it back under its own name)"
                        )
                    seqs = [HistoryEntry.model_validate(d).seq for d in data.get("history", {}).values()]
                    if len(seqs) != len(set(seqs)):
                        problems.append(f"{path}: history has duplicate sequence numbers")
                    reviews[review.id] = {"summary": summary_of(review)}
                elif is_index:
                    for d in data.get("summaries", {}).values():
                        summaries[d.get("review_id", "?")] = (path, d)
            except DataFileError as exc:
                problems.append(broken(exc))
                if is_review:
                    broken_cycles.add(rel[1])
            except ValidationError as exc:
                problems.append(f"{path}: invalid content: {first_error(exc)}")
                if is_review:
                    broken_cycles.add(rel[1])
    if people_ok and store.people_index_path.exists():
        raw = store.people_path.read_bytes()
        index = store.people_index_path.read_bytes()
        if _parses(store, index) and index != store.people_index_bytes(raw):
            problems.append(
                f"{store.people_index_path}: out of step with people.json (edited by hand?); "
                "it is only an index, so nothing is wrong with the people, but starting "
                "kpireview is slower until 'kpireview doctor --repair-indexes' rebuilds it"
            )
    if people_ok and people:
        try:
            check_people(people, templates or {p.role for p in people})
        except PeopleError as exc:
            problems += [f"{store.people_path}: {p}" for p in exc.problems]
    for rid, info in reviews.items():
        if rid.split("/")[0] in broken_cycles:
            continue  # fix the broken file first; the index follows from it
        found = summaries.get(rid)
        if found is None:
            problems.append(f"review {rid}: missing from its team index (lists will not show "
                            f"it); {INDEX_FIX}")
        elif found[1] != info["summary"]:
            problems.append(
                f"review {rid}: team index {found[0]} is out of date (state "
                f"{found[1].get('state')} vs {info['summary']['state']}); {INDEX_FIX}"
            )
    for rid, (path, _) in summaries.items():
        if rid not in reviews and rid.split("/")[0] not in broken_cycles:
            problems.append(f"review {rid}: listed in team index {path} but its file is missing; "
                            f"restore the review from a backup, or {INDEX_FIX}")
    return problems


def _parses(store: Store, raw: bytes) -> bool:
    try:
        parse_db_bytes(store.people_index_path, raw)
    except DataFileError:
        return False  # reported as damaged already
    return True


def repair_indexes(store: Store) -> int:
    """Rebuild people-index.json, and every cycle's team indexes from its review files;
    the number of reviews."""
    try:
        store.write_people_index()
    except DataFileError:
        pass  # people.json itself is damaged: doctor names it; the index waits for it
    reviews_root = store.root / "reviews"
    if not reviews_root.is_dir():
        return 0
    return sum(
        store.rebuild_team_indexes(cdir.name)
        for cdir in sorted(reviews_root.iterdir())
        if cdir.is_dir() and not cdir.name.startswith(".")
    )


def backup_data_dir(store: Store, target: Path, progress: Progress | None = None) -> int:
    """Copy every data file under its lock (so none is caught half-saved).

    The team indexes of the copy are then rebuilt from the copied reviews,
    so a review saved while the backup ran cannot leave the copy with an
    index that disagrees with it. Presence, lock and temp files are left out.
    """
    target = Path(target)
    root = store.root
    if not (root / Store.CONFIG).is_file():
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
    except DataFileError:
        pass  # a damaged review was copied as it is; doctor on the copy names it
    return count


__all__ = ["backup_data_dir", "check_data_dir", "data_files", "repair_indexes"]
