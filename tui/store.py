"""The data directory: TinyDB JSON files, locks, atomic writes, schema versions.

Layout (see docs/storage.md):

    config.toml                         HR admins, whether --as is allowed, ...
    people.json                         TinyDB, table "people"
    cycles.json                         TinyDB, table "cycles"
    templates/*.toml                    role templates added by HR
    reviews/<cycle>/<person>.json       one review: tables "review" and "history"
    reviews/<cycle>/teams/<reviewer>.json   summaries of one reviewer's reviews
    presence/<cycle>/<person>/<login>-<pid>.json   who has a review open

Every read-modify-write holds a lock on a separate, stable lock file
(``.<name>.lock`` beside the data file); every write goes to a temporary file
in the same directory, is fsynced and renamed over the old one. A file that
cannot be read is never written: the caller gets a `DataFileError`.
"""

from __future__ import annotations

import json
import os
import tempfile
import threading
import tomllib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, TypeVar

import filelock
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from tinydb import Query, TinyDB
from tinydb.storages import Storage

from .models import (
    SCHEMA_VERSION,
    Cycle,
    HistoryEntry,
    Person,
    RatingScale,
    Review,
    RoleTemplate,
)

T = TypeVar("T")
FILE_MODE = 0o660
DIR_MODE = 0o2770
LOCK_TIMEOUT = 30.0


class StoreError(Exception):
    """Something in the data directory stops the operation; nothing was written."""


class DataFileError(StoreError):
    """A data file that cannot be used as it is. It is left untouched."""

    def __init__(self, path: Path, problem: str):
        self.path = path
        self.problem = problem
        super().__init__(
            f"{path}: {problem}. The file was left as it is; restore it from a backup "
            f"or repair it by hand, then run 'kpireview doctor'."
        )


class NotFound(StoreError):
    pass


def now() -> datetime:
    return datetime.now(timezone.utc).replace(microsecond=0)


# --- files -----------------------------------------------------------------


def fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def make_dirs(path: Path) -> None:
    """Create missing directories level by level, each group-accessible."""
    if path.is_dir():
        return
    make_dirs(path.parent)
    try:
        path.mkdir(mode=DIR_MODE)
    except FileExistsError:
        pass


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write `data` to `path` so that a crash leaves the old or the new file."""
    make_dirs(path.parent)
    try:
        mode = path.stat().st_mode & 0o7777
    except FileNotFoundError:
        mode = FILE_MODE
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fchmod(fh.fileno(), mode)
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
    fsync_dir(path.parent)


def atomic_write_text(path: Path, text: str) -> None:
    atomic_write_bytes(path, text.encode("utf-8"))


def read_json_file(path: Path) -> dict[str, Any] | None:
    """A TinyDB file's data; None when the file does not exist.

    Empty, truncated, NUL-filled, non-JSON and newer-schema files raise
    `DataFileError` and are not touched.
    """
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise DataFileError(path, f"cannot be read ({exc.strerror})") from None
    if not raw.strip():
        raise DataFileError(path, "is empty (0 bytes of data)" if not raw else "holds only whitespace")
    if b"\x00" in raw:
        offset = raw.index(b"\x00")
        raise DataFileError(path, f"contains NUL bytes at offset {offset} (damaged on disk?)")
    try:
        data = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise DataFileError(path, f"is not UTF-8 text (byte {exc.start})") from None
    except json.JSONDecodeError as exc:
        hint = " — it looks truncated" if exc.pos >= len(raw.rstrip()) - 1 else ""
        raise DataFileError(
            path, f"is not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}{hint}"
        ) from None
    if not isinstance(data, dict) or not all(isinstance(t, dict) for t in data.values()):
        raise DataFileError(path, "is JSON but not a TinyDB database (expected tables of documents)")
    for table_name, table in data.items():
        for doc_id, doc in table.items():
            if not isinstance(doc, dict):
                raise DataFileError(path, f"table {table_name!r} document {doc_id} is not an object")
            version = doc.get("schema_version")
            if not isinstance(version, int):
                raise DataFileError(
                    path, f"table {table_name!r} document {doc_id} has no schema_version"
                )
            if version > SCHEMA_VERSION:
                raise DataFileError(
                    path,
                    f"was written by a newer kpireview (schema version {version}, this program "
                    f"knows {SCHEMA_VERSION}); upgrade kpireview to use it",
                )
    return data


def dump_json(data: Any) -> bytes:
    # No indent: with indent json falls back to its pure-Python encoder, which
    # made saving a 40-KPI review several times slower.
    return json.dumps(data, ensure_ascii=False).encode("utf-8")


class TransactionStorage(Storage):
    """TinyDB storage that reads the file once and writes it once, atomically.

    Only used inside `Store.transaction`, which holds the file's lock for the
    whole read-modify-write. Unlike CachingMiddleware nothing is buffered past
    the end of the transaction: `commit()` writes, an exception discards.
    """

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self._data = read_json_file(self.path)
        self.dirty = False

    def read(self) -> dict[str, Any] | None:
        return self._data

    def write(self, data: dict[str, Any]) -> None:
        self._data = data
        self.dirty = True

    def commit(self) -> None:
        if self.dirty and self._data is not None:
            atomic_write_bytes(self.path, dump_json(self._data))
            self.dirty = False


class ReadOnlyStorage(TransactionStorage):
    def write(self, data: dict[str, Any]) -> None:  # pragma: no cover - guarded by callers
        raise StoreError(f"{self.path} was opened read-only")


# --- config ----------------------------------------------------------------


class Config(BaseModel):
    model_config = ConfigDict(extra="forbid")

    schema_version: int = SCHEMA_VERSION
    organisation: str = "My organisation"
    hr_admins: list[str] = Field(default_factory=list)  # logins
    allow_as: bool = False  # --as LOGIN; only for demo data
    default_scale: RatingScale = Field(default_factory=RatingScale)


def config_text(config: Config) -> str:
    import tomli_w

    return (
        "# kpireview data directory configuration\n"
        "# hr_admins: OS logins that may manage templates, cycles and people and reopen reviews.\n"
        "# allow_as: whether 'kpireview --as LOGIN' may act as someone else (demo data only).\n"
        + tomli_w.dumps(config.model_dump(mode="json"))
    )


# --- the store -------------------------------------------------------------


class Store:
    """One data directory. Every method is safe with other processes writing."""

    CONFIG = "config.toml"

    def __init__(self, root: Path):
        self.root = Path(root)
        self._locks: dict[Path, filelock.FileLock] = {}
        self._locks_guard = threading.Lock()
        self._config: Config | None = None

    # paths
    @property
    def people_path(self) -> Path:
        return self.root / "people.json"

    @property
    def cycles_path(self) -> Path:
        return self.root / "cycles.json"

    @property
    def templates_dir(self) -> Path:
        return self.root / "templates"

    def review_path(self, review_id: str) -> Path:
        cycle_id, person_id = split_review_id(review_id)
        return self.root / "reviews" / cycle_id / f"{person_id}.json"

    def team_index_path(self, cycle_id: str, reviewer_id: str) -> Path:
        return self.root / "reviews" / cycle_id / "teams" / f"{reviewer_id}.json"

    def presence_dir(self, review_id: str) -> Path:
        cycle_id, person_id = split_review_id(review_id)
        return self.root / "presence" / cycle_id / person_id

    def exists(self) -> bool:
        return (self.root / self.CONFIG).is_file()

    def is_empty(self) -> bool:
        return not self.root.exists() or not any(self.root.iterdir())

    # locking
    def lock(self, path: Path) -> filelock.FileLock:
        lock_path = path.parent / f".{path.name}.lock"
        with self._locks_guard:
            lock = self._locks.get(lock_path)
            if lock is None:
                make_dirs(path.parent)
                lock = filelock.FileLock(
                    lock_path, timeout=LOCK_TIMEOUT, mode=FILE_MODE, thread_local=False,
                    preserve_lock_file=True,
                )
                self._locks[lock_path] = lock
        return lock

    @contextmanager
    def locked(self, path: Path) -> Iterator[None]:
        lock = self.lock(path)
        try:
            lock.acquire()
        except filelock.Timeout:
            raise StoreError(
                f"{path}: could not get the lock within {LOCK_TIMEOUT:.0f} s; another kpireview "
                "process is holding it. Try again in a moment."
            ) from None
        try:
            yield
        finally:
            lock.release()

    @contextmanager
    def transaction(self, path: Path) -> Iterator[TinyDB]:
        """A TinyDB on `path` under its lock, written atomically on success."""
        with self.locked(path):
            db = TinyDB(path, storage=TransactionStorage)
            yield db
            db.storage.commit()  # type: ignore[attr-defined]

    def read_db(self, path: Path) -> TinyDB:
        """A read-only snapshot; a reader needs no lock because writes are renames."""
        return TinyDB(path, storage=ReadOnlyStorage)

    # config
    def config(self) -> Config:
        if self._config is None:
            path = self.root / self.CONFIG
            try:
                data = tomllib.loads(path.read_text(encoding="utf-8"))
            except FileNotFoundError:
                raise StoreError(
                    f"{self.root} is not a kpireview data directory (no {self.CONFIG}). "
                    "Run 'kpireview init' or 'kpireview demo' to create one."
                ) from None
            except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
                raise DataFileError(path, f"cannot be read: {exc}") from None
            if isinstance(data.get("schema_version"), int) and data["schema_version"] > SCHEMA_VERSION:
                raise DataFileError(
                    path, f"was written by a newer kpireview (schema version {data['schema_version']})"
                )
            try:
                self._config = Config.model_validate(data)
            except ValidationError as exc:
                problems = "; ".join(
                    f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()
                )
                raise DataFileError(path, f"is not a valid config: {problems}") from None
        return self._config

    def write_config(self, config: Config) -> None:
        path = self.root / self.CONFIG
        with self.locked(path):
            atomic_write_text(path, config_text(config))
        self._config = config

    # templates
    def templates(self) -> dict[str, RoleTemplate]:
        from .templates import load_all

        return load_all(self.templates_dir)

    def template(self, template_id: str) -> RoleTemplate:
        templates = self.templates()
        if template_id not in templates:
            raise NotFound(
                f"no role template {template_id!r}; known: {', '.join(sorted(templates))}"
            )
        return templates[template_id]

    # people
    def people(self) -> list[Person]:
        return [Person.model_validate(d) for d in self._table(self.people_path, "people")]

    def person(self, person_id: str) -> Person:
        for doc in self._table(self.people_path, "people"):
            if doc.get("id") == person_id:
                return Person.model_validate(doc)
        raise NotFound(f"no person with id {person_id!r}")

    def find_person(self, person_id: str) -> Person | None:
        try:
            return self.person(person_id)
        except NotFound:
            return None

    def person_by_login(self, login: str) -> Person | None:
        for doc in self._table(self.people_path, "people"):
            if doc.get("login") == login and doc.get("active", True):
                return Person.model_validate(doc)
        return None

    def save_people(
        self, people: list[Person], check: Callable[[list[Person]], None] | None = None
    ) -> None:
        """Insert or replace people by id, all or nothing; `check` sees the result first."""
        with self.transaction(self.people_path) as db:
            table = db.table("people")
            current = {d["id"]: Person.model_validate(d) for d in table.all()}
            for p in people:
                current[p.id] = p
            if check is not None:
                check(list(current.values()))
            by_id = {d["id"]: d.doc_id for d in table.all()}
            for p in people:
                doc = p.model_dump(mode="json")
                if p.id in by_id:
                    table.update(doc, doc_ids=[by_id[p.id]])
                else:
                    table.insert(doc)

    # cycles
    def cycles(self) -> list[Cycle]:
        return [Cycle.model_validate(d) for d in self._table(self.cycles_path, "cycles")]

    def cycle(self, cycle_id: str) -> Cycle:
        for c in self.cycles():
            if c.id == cycle_id:
                return c
        raise NotFound(f"no cycle with id {cycle_id!r}")

    def save_cycle(self, cycle: Cycle, must_be_new: bool = False) -> None:
        with self.transaction(self.cycles_path) as db:
            table = db.table("cycles")
            q = Query()
            if table.search(q.id == cycle.id):
                if must_be_new:
                    raise StoreError(f"cycle {cycle.id!r} exists already")
                table.update(cycle.model_dump(mode="json"), q.id == cycle.id)
            else:
                table.insert(cycle.model_dump(mode="json"))

    # reviews
    def review_exists(self, review_id: str) -> bool:
        return self.review_path(review_id).is_file()

    def load_review(self, review_id: str) -> Review:
        path = self.review_path(review_id)
        data = read_json_file(path)
        if data is None:
            raise NotFound(f"no review {review_id!r}")
        return self._review_from(path, data)

    def _review_from(self, path: Path, data: dict[str, Any]) -> Review:
        docs = list(data.get("review", {}).values())
        if len(docs) != 1:
            raise DataFileError(path, f"holds {len(docs)} review documents, expected 1")
        try:
            return Review.model_validate(docs[0])
        except ValidationError as exc:
            raise DataFileError(path, f"holds an invalid review: {first_error(exc)}") from None

    def history(self, review_id: str) -> list[HistoryEntry]:
        path = self.review_path(review_id)
        data = read_json_file(path)
        if data is None:
            raise NotFound(f"no review {review_id!r}")
        entries = [HistoryEntry.model_validate(d) for d in data.get("history", {}).values()]
        return sorted(entries, key=lambda e: e.seq)

    def review_mtime(self, review_id: str) -> int | None:
        try:
            return self.review_path(review_id).stat().st_mtime_ns
        except FileNotFoundError:
            return None

    def create_review(self, review: Review, entries: list[HistoryEntry], replace: bool = False) -> None:
        path = self.review_path(review.id)
        with self.transaction(path) as db:
            table = db.table("review")
            if len(table) and not replace:
                raise StoreError(f"review {review.id!r} exists already")
            table.truncate()
            table.insert(review.model_dump(mode="json"))
            history = db.table("history")
            if not replace:
                history.truncate()
            start = max((int(d["seq"]) for d in history.all()), default=0)
            history.insert_multiple(
                e.model_copy(update={"seq": start + i + 1}).model_dump(mode="json")
                for i, e in enumerate(entries)
            )
        self._update_summary(review)

    def update_review(
        self, review_id: str, change: Callable[[Review], tuple[T, list[HistoryEntry]]]
    ) -> tuple[T, Review]:
        """Lock, read, apply `change` to a copy, validate, write review and history.

        `change` returns a result and the history entries that describe what
        it did; if it raises, nothing is written.
        """
        path = self.review_path(review_id)
        with self.transaction(path) as db:
            raw = db.storage.read()  # type: ignore[attr-defined]
            if raw is None:
                raise NotFound(f"no review {review_id!r}")
            review = self._review_from(path, raw)
            result, entries = change(review)
            if not entries:
                return result, review
            try:
                review = Review.model_validate(review.model_dump())
            except ValidationError as exc:
                raise StoreError(f"review {review_id}: the change is not valid: {first_error(exc)}") from None
            review.updated_at = now()
            table = db.table("review")
            table.update(review.model_dump(mode="json"), doc_ids=[table.all()[0].doc_id])
            history = db.table("history")
            last = max((int(d["seq"]) for d in history.all()), default=0)
            history.insert_multiple(
                e.model_copy(update={"seq": last + i + 1}).model_dump(mode="json")
                for i, e in enumerate(entries)
            )
        self._update_summary(review)
        return result, review

    def append_history(self, review_id: str, entries: list[HistoryEntry]) -> None:
        """Add entries (an export, a refused access) without changing the review."""
        path = self.review_path(review_id)
        with self.transaction(path) as db:
            history = db.table("history")
            last = max((int(d["seq"]) for d in history.all()), default=0)
            history.insert_multiple(
                e.model_copy(update={"seq": last + i + 1}).model_dump(mode="json")
                for i, e in enumerate(entries)
            )

    def append_audit(self, event: dict[str, Any]) -> None:
        """Events that belong to no review (a refused --as), in audit.json."""
        with self.transaction(self.root / "audit.json") as db:
            db.table("events").insert({"schema_version": SCHEMA_VERSION, **event})

    def audit(self) -> list[dict[str, Any]]:
        return self._table(self.root / "audit.json", "events")

    # summaries: one small file per reviewer and cycle keeps lists fast
    def _update_summary(self, review: Review) -> None:
        from .scoring import fmt, overall, progress

        done, total = progress(review)
        result = overall(review, "agreed")
        summary = {
            "schema_version": SCHEMA_VERSION,
            "review_id": review.id,
            "cycle_id": review.cycle_id,
            "person_id": review.person_id,
            "person_name": review.person_name,
            "reviewer_id": review.reviewer_id,
            "role_id": review.role_id,
            "role_title": review.role_title,
            "state": review.state.value,
            "done": done,
            "total": total,
            "overall": None if result.score is None else fmt(result.score),
            "complete": result.complete,
        }
        path = self.team_index_path(review.cycle_id, review.reviewer_id)
        with self.transaction(path) as db:
            table = db.table("summaries")
            q = Query()
            # Most edits (an actual, a comment) leave the summary as it was: skip the write.
            if table.get(q.review_id == review.id) != summary:
                table.upsert(summary, q.review_id == review.id)

    def summaries(
        self,
        cycle_id: str | None = None,
        reviewer_id: str | None = None,
        person_id: str | None = None,
    ) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        reviews_root = self.root / "reviews"
        if not reviews_root.is_dir():
            return out
        cycle_dirs = [reviews_root / cycle_id] if cycle_id else sorted(
            p for p in reviews_root.iterdir() if p.is_dir()
        )
        for cdir in cycle_dirs:
            if reviewer_id is not None:
                files = [cdir / "teams" / f"{reviewer_id}.json"]
            else:
                files = sorted((cdir / "teams").glob("*.json"))
            for f in files:
                data = read_json_file(f)
                if data is None:
                    continue
                for doc in data.get("summaries", {}).values():
                    if person_id is None or doc.get("person_id") == person_id:
                        out.append(doc)
        return out

    def review_ids(self, cycle_id: str | None = None) -> list[str]:
        reviews_root = self.root / "reviews"
        if not reviews_root.is_dir():
            return []
        cycle_dirs = [reviews_root / cycle_id] if cycle_id else sorted(
            p for p in reviews_root.iterdir() if p.is_dir()
        )
        return [
            f"{cdir.name}/{f.stem}" for cdir in cycle_dirs for f in sorted(cdir.glob("*.json"))
        ]

    def reviews_of_person(self, person_id: str) -> list[str]:
        reviews_root = self.root / "reviews"
        if not reviews_root.is_dir():
            return []
        return [
            f"{cdir.name}/{person_id}"
            for cdir in sorted(p for p in reviews_root.iterdir() if p.is_dir())
            if (cdir / f"{person_id}.json").is_file()
        ]

    # helpers
    def _table(self, path: Path, name: str) -> list[dict[str, Any]]:
        data = read_json_file(path)
        if data is None:
            return []
        return list(data.get(name, {}).values())


def review_id_for(cycle_id: str, person_id: str) -> str:
    return f"{cycle_id}/{person_id}"


def split_review_id(review_id: str) -> tuple[str, str]:
    from .models import ID_RE

    parts = review_id.split("/")
    if len(parts) != 2 or not all(ID_RE.match(p) for p in parts):
        raise NotFound(f"{review_id!r} is not a review id (expected CYCLE/PERSON)")
    return parts[0], parts[1]


def first_error(exc: ValidationError) -> str:
    err = exc.errors()[0]
    loc = ".".join(str(x) for x in err["loc"])
    return f"{loc}: {err['msg']}" if loc else err["msg"]
