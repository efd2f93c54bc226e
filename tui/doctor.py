"""`kpireview doctor` and `backup`: check every file of a data directory, copy it safely."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from contextlib import nullcontext
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from .models import Cycle, HistoryEntry, Person
from .people import PeopleError, check_people
from .store import DataFileError, Store, StoreError, atomic_write_bytes, first_error, read_json_file
from .templates import TemplateError

Progress = Callable[..., Any]


def _bar(progress: Progress | None, items: list[Path], label: str) -> Any:
    if progress is None:
        return nullcontext(items)
    import sys

    return progress(items, label=label, file=sys.stderr)


def data_files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*.json") if not p.name.startswith("."))


def check_data_dir(store: Store, progress: Progress | None = None) -> list[str]:
    """Every problem found, one line each, naming the file. Changes nothing."""
    problems: list[str] = []
    root = store.root
    if not root.is_dir():
        return [f"{root}: does not exist"]
    try:
        store.config()
    except StoreError as exc:
        problems.append(str(exc))
    try:
        templates = set(store.templates())
    except TemplateError as exc:
        problems.append(str(exc))
        templates = set()
    for leftover in sorted(root.rglob(".*.tmp")):
        problems.append(f"{leftover}: a temporary file left by an interrupted save (safe to delete)")
    files = data_files(root)
    people: list[Person] = []
    reviews: dict[str, dict[str, Any]] = {}
    summaries: dict[str, dict[str, Any]] = {}
    with _bar(progress, files, "Checking files") as bar:
        for path in bar:
            try:
                data = read_json_file(path)
            except DataFileError as exc:
                problems.append(f"{exc.path}: {exc.problem}")
                continue
            if data is None:
                continue
            rel = path.relative_to(root).parts
            try:
                if rel == ("people.json",):
                    people = [Person.model_validate(d) for d in data.get("people", {}).values()]
                elif rel == ("cycles.json",):
                    for d in data.get("cycles", {}).values():
                        Cycle.model_validate(d)
                elif len(rel) == 3 and rel[0] == "reviews":
                    review = store._review_from(path, data)
                    expected_id = f"{rel[1]}/{Path(rel[2]).stem}"
                    if review.id != expected_id:
                        problems.append(f"{path}: holds review {review.id!r}, expected {expected_id!r}")
                    seqs = [HistoryEntry.model_validate(d).seq for d in data.get("history", {}).values()]
                    if len(seqs) != len(set(seqs)):
                        problems.append(f"{path}: history has duplicate sequence numbers")
                    reviews[review.id] = {"state": review.state.value, "reviewer": review.reviewer_id,
                                          "revision": review.revision}
                elif len(rel) == 4 and rel[0] == "reviews" and rel[2] == "teams":
                    for d in data.get("summaries", {}).values():
                        summaries[d.get("review_id", "?")] = d
            except DataFileError as exc:
                problems.append(f"{exc.path}: {exc.problem}")
            except ValidationError as exc:
                problems.append(f"{path}: invalid content: {first_error(exc)}")
    if people:
        try:
            check_people(people, templates or {p.role for p in people})
        except PeopleError as exc:
            problems += [f"{store.people_path}: {p}" for p in exc.problems]
    for rid, info in reviews.items():
        s = summaries.get(rid)
        if s is None:
            problems.append(f"review {rid}: missing from its team index (lists will not show it)")
        elif s.get("state") != info["state"]:
            problems.append(f"review {rid}: team index is out of date (state {s.get('state')} vs {info['state']})")
    for rid in summaries:
        if rid not in reviews:
            problems.append(f"review {rid}: listed in a team index but its file is missing")
    return problems


def backup_data_dir(store: Store, target: Path, progress: Progress | None = None) -> int:
    """Copy every data file under its lock (so none is caught half-saved)."""
    target = Path(target)
    if target.exists() and any(target.iterdir()):
        raise StoreError(f"{target} is not empty; give a new or empty directory")
    root = store.root
    if not (root / Store.CONFIG).is_file():
        raise StoreError(f"{root} is not a kpireview data directory (no config.toml)")
    files = [p for p in sorted(root.rglob("*")) if p.is_file() and not p.name.startswith(".")]
    count = 0
    with _bar(progress, files, "Copying") as bar:
        for path in bar:
            dest = target / path.relative_to(root)
            with store.locked(path):
                atomic_write_bytes(dest, path.read_bytes())
            shutil.copymode(path, dest)
            count += 1
    return count


__all__ = ["backup_data_dir", "check_data_dir", "data_files"]
