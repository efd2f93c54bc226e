"""The data directory: TinyDB JSON files, locks, atomic writes, schema versions.

Layout (see docs/storage.md):

    config.toml                         HR admins, whether --as is allowed, ...
    people.json                         TinyDB, table "people"
    cycles.json                         TinyDB, table "cycles"
    audit.json                          TinyDB, table "events" (refused logins, refused --as)
    templates/*.toml                    role templates added by HR
    reviews/<cycle>/<person>.json       one review: tables "review" and "history"
    reviews/<cycle>/teams/<reviewer>.json   summaries of one reviewer's reviews
    presence/<cycle>/<person>/<login>-<host>-<pid>.json   who has a review open

Every read-modify-write holds a lock on a separate, stable lock file
(``.<name>.lock`` beside the data file) and, inside one process, a thread
lock for the same file; every write goes to a temporary file in the same
directory, is fsynced and renamed over the old one. A file that cannot be
read is never written: the caller gets a `DataFileError`.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import stat
import tempfile
import threading
import time
import tomllib
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]
from tinydb import Query, TinyDB
from tinydb.storages import Storage

from .kinds import ID_RE, SCHEMA_VERSION, State

# The pydantic models are imported where a document is validated, not here:
# the first screen (the session and Home's lists) needs none of them, and
# pydantic is the largest part of start-up time and memory (docs/ARCHITECTURE.md).
if TYPE_CHECKING:
    from pydantic import ValidationError

    from .models import Config, Cycle, HistoryEntry, Person, Review, RoleTemplate

T = TypeVar("T")
FILE_MODE = 0o660
DIR_MODE = 0o2770
LOCK_TIMEOUT = 30.0
# fsync makes a save survive a power cut (a rename alone survives a killed
# process). Tests that only prove locking switch it off for speed.
FSYNC = True
LOCK_POLL = 0.004  # longest wait between two tries for a busy lock (they start at 1 ms)


class StoreError(Exception):
    """Something in the data directory stops the operation; nothing was written."""


RESTORE = "restore it from a backup or repair it by hand"
UPGRADE = "upgrade kpireview to use it"


class DataFileError(StoreError):
    """A data file that cannot be used as it is. It is left untouched.

    `advice` says what to do about it (by default: restore or repair it).
    """

    left = "The file was left as it is"

    def __init__(self, path: Path, problem: str, advice: str = RESTORE):
        self.path = path
        self.problem = problem
        self.advice = advice
        then = ", then run 'kpireview doctor'" if advice == RESTORE else ""
        super().__init__(f"{path}: {problem}. {self.left}; {advice}{then}.")


class MissingFile(DataFileError):
    """A data file that is not there although the rest of the directory shows it was."""

    left = "Nothing was written"


def newer_schema(path: Path, version: int) -> DataFileError:
    return DataFileError(
        path, f"was written by a newer kpireview (schema version {version}, this program "
        f"knows {SCHEMA_VERSION})", UPGRADE)


class WriteError(StoreError, OSError):
    """The operating system refused a write (permissions, disk full); nothing was changed."""


class ReadOnlyReview(StoreError):
    """A signed-off review: the store itself refuses to change it (except a reopen)."""


class NotFound(StoreError):
    pass


def now() -> datetime:
    return datetime.now(timezone.utc).replace(microsecond=0)


# --- files -----------------------------------------------------------------


def fsync_dir(path: Path) -> None:
    if not FSYNC:
        return
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
    """Create missing directories level by level, each 2770 (group, setgid).

    `mkdir` applies the umask, so the mode is set again afterwards: a shared
    data directory stays group-writable whatever the user's umask.
    """
    path = Path(path)
    if path.is_dir():
        return
    make_dirs(path.parent)
    try:
        path.mkdir(mode=DIR_MODE)
    except FileExistsError:
        return
    except OSError as exc:
        raise WriteError(
            f"{path}: cannot create the folder ({exc.strerror}). Check that you may write to "
            f"{path.parent} (on a shared server: that you are in the data directory's group)."
        ) from None
    try:
        os.chmod(path, DIR_MODE)
    except OSError:  # pragma: no cover - we just created it, so we own it
        pass


def atomic_write_bytes(path: Path, data: bytes, sync: bool = True) -> None:
    """Write `data` to `path` so that a crash leaves the old or the new file.

    Temp file in the same folder, fsync, rename over the old file, fsync the
    folder. A new file is 0660 (no bits for others), an existing file keeps
    its mode. `sync=False` skips both fsyncs, for a caller that writes many
    files and syncs once at the end (the cycle export).
    """
    path = Path(path)
    make_dirs(path.parent)
    tmp = _write_temp(path, data, sync=sync)
    try:
        _replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
    if sync:
        fsync_dir(path.parent)


def atomic_write_text(path: Path, text: str, sync: bool = True) -> None:
    atomic_write_bytes(path, text.encode("utf-8"), sync=sync)


def read_json_file(path: Path) -> dict[str, Any] | None:
    """A TinyDB file's data; None when the file does not exist.

    Empty, truncated, NUL-filled, non-JSON and newer-schema files raise
    `DataFileError` and are not touched.
    """
    try:
        raw = Path(path).read_bytes()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise DataFileError(path, f"cannot be read ({exc.strerror})") from None
    return parse_db_bytes(path, raw)


def text_of(path: Path, raw: bytes) -> str:
    """A data file's bytes as text; empty, NUL-filled or non-UTF-8 files are refused."""
    if not raw.strip():
        raise DataFileError(path, "is empty (0 bytes of data)" if not raw else "holds only whitespace")
    if b"\x00" in raw:
        offset = raw.index(b"\x00")
        raise DataFileError(path, f"contains NUL bytes at offset {offset} (damaged on disk?)")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.reason == "unexpected end of data":
            raise DataFileError(path, f"is {CUT_SHORT} (it ends in the middle of a character)") from None
        raise DataFileError(path, f"is not UTF-8 text (byte {exc.start})") from None


CUT_SHORT = "cut short (truncated: an interrupted copy or a full disk?)"
_NUMBER_CUT = re.compile(r"\.|[eE][-+]?")
_ESCAPE_CUT = re.compile(r"u[0-9a-fA-F]{0,3}")


def _cut_short(text: str, exc: json.JSONDecodeError) -> bool:
    """Whether the JSON in `text` is fine up to where the text ends (a valid beginning)."""
    tail = text[exc.pos:].rstrip()
    if not tail or exc.msg.startswith("Unterminated string"):
        return True
    if exc.msg == "Expecting value":  # a word or a number cut after its first letters
        return any(word.startswith(tail) for word in ("true", "false", "null", "-"))
    if exc.msg == "Expecting ',' delimiter":  # a number cut after "1." or "1e"
        return bool(_NUMBER_CUT.fullmatch(tail))
    if exc.msg.startswith("Invalid \\uXXXX escape"):
        return bool(_ESCAPE_CUT.fullmatch(tail))
    return False


def json_problem(text: str, exc: json.JSONDecodeError) -> str:
    """What is wrong with `text` that json could not read, as a person would put it."""
    start = len(text) - len(text.lstrip())
    if exc.pos > start and _cut_short(text, exc):
        return f"is {CUT_SHORT}: its JSON stops part-way, at line {exc.lineno}, column {exc.colno}"
    if exc.pos == start:
        return f"is not JSON at all (it begins {text[start:start + 30].rstrip()!r})"
    return f"is damaged JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}"


def parse_db_bytes(path: Path, raw: bytes) -> dict[str, Any]:
    """The tables of a TinyDB file's bytes, or `DataFileError` naming `path`."""
    text = text_of(path, raw)
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise DataFileError(path, json_problem(text, exc)) from None
    if not isinstance(data, dict) or not all(isinstance(t, dict) for t in data.values()):
        raise DataFileError(path, "is JSON but not a TinyDB database (expected tables of documents)")
    for table_name, table in data.items():
        for doc_id, doc in table.items():
            if not isinstance(doc, dict):
                raise DataFileError(path, f"table {table_name!r} document {doc_id} is not an object")
            version = doc.get("schema_version")
            if not isinstance(version, int) or isinstance(version, bool):
                raise DataFileError(
                    path, f"table {table_name!r} document {doc_id} has no schema_version"
                )
            if version > SCHEMA_VERSION:
                raise newer_schema(path, version)
    return data


def dump_json(data: Any) -> bytes:
    # No indent: with indent json falls back to its pure-Python encoder, which
    # made saving a 40-KPI review several times slower.
    return json.dumps(data, ensure_ascii=False).encode("utf-8")


class TransactionStorage(Storage):
    """TinyDB storage that reads the file once and writes it once, atomically.

    Only used under `Store.locked`, which holds the file's lock for the whole
    read-modify-write. Unlike CachingMiddleware nothing is buffered past the
    end of the transaction: `commit()` writes, an exception discards.
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


# --- locks -----------------------------------------------------------------


class LockTimeout(Exception):
    pass


class _PathLock:
    """One data file's lock in this process: a thread lock, then the file lock.

    Threads of one process queue on the RLock (a file lock alone does not
    keep two threads of the same process apart); processes queue on an
    exclusive `flock` of the lock file. A failed try costs microseconds, so
    a waiter can retry every millisecond or so without eating the CPU the
    holder needs. (filelock is the fallback where there is no fcntl; it is
    about 100 times slower per try.)
    """

    def __init__(self, lock_path: Path):
        self.lock_path = lock_path
        self.threads = threading.RLock()
        self._depth = 0
        self._fd: int | None = None
        self._fallback = None
        if fcntl is None:  # pragma: no cover - Windows
            import filelock

            self._fallback = filelock.FileLock(
                lock_path, timeout=LOCK_TIMEOUT, mode=FILE_MODE, thread_local=False,
                preserve_lock_file=True, poll_interval=LOCK_POLL,
            )

    def acquire(self, timeout: float) -> None:
        """Take the file lock; the caller holds `self.threads`."""
        if self._depth:
            self._depth += 1
            return
        if self._fallback is not None:  # pragma: no cover - Windows
            import filelock

            try:
                self._fallback.acquire(timeout=timeout)
            except filelock.Timeout:
                raise LockTimeout from None
            self._depth = 1
            return
        fd = self._open()
        try:
            deadline = time.monotonic() + timeout
            delay = LOCK_POLL / 4
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() >= deadline:
                        raise LockTimeout from None
                    time.sleep(delay)
                    delay = min(delay * 2, LOCK_POLL)
        except BaseException:
            os.close(fd)
            raise
        self._fd = fd
        self._depth = 1

    def _open(self) -> int:
        try:
            fd = os.open(self.lock_path, os.O_RDWR | os.O_CREAT, FILE_MODE)
        except PermissionError:
            # someone else's lock file we may only read: flock works on that too
            return os.open(self.lock_path, os.O_RDONLY)
        try:
            st = os.fstat(fd)
            if st.st_uid == os.getuid() and stat.S_IMODE(st.st_mode) != FILE_MODE:
                os.fchmod(fd, FILE_MODE)  # the umask took the group's bits away
        except OSError:  # pragma: no cover - a file system without modes
            pass
        return fd

    def release(self) -> None:
        self._depth -= 1
        if self._depth:
            return
        if self._fallback is not None:  # pragma: no cover - Windows
            self._fallback.release()
            return
        fd, self._fd = self._fd, None
        if fd is not None:
            try:
                fcntl.flock(fd, fcntl.LOCK_UN)
            finally:
                os.close(fd)


_LOCKS: dict[str, _PathLock] = {}
_LOCKS_GUARD = threading.Lock()


def _forget_locks_after_fork() -> None:  # pragma: no cover - runs in forked children
    global _LOCKS_GUARD
    _LOCKS_GUARD = threading.Lock()
    _LOCKS.clear()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_locks_after_fork)


def lock_path_for(path: Path) -> Path:
    """The stable lock file of a data file: `.<name>.lock` beside it."""
    return path.parent / f".{path.name}.lock"


# --- config ----------------------------------------------------------------


# Every key config_text writes. A file missing one was cut short (or written
# by hand incompletely): refused rather than silently taking a default.
CONFIG_KEYS = ("schema_version", "organisation", "hr_admins", "allow_as", "default_scale")


def config_text(config: Config) -> str:
    import tomli_w

    return (
        "# kpireview data directory configuration\n"
        "# hr_admins: OS logins that may manage templates, cycles and people and reopen reviews.\n"
        "# allow_as: whether 'kpireview --as LOGIN' may act as someone else (demo data only).\n"
        + tomli_w.dumps(config.model_dump(mode="json"))
    )


def parse_config(path: Path, raw: bytes) -> Config:
    """config.toml's bytes -> Config, or `DataFileError` naming the file."""
    from pydantic import ValidationError

    from .models import Config

    data = config_data(path, raw)
    try:
        return Config.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        raise DataFileError(path, f"is not a valid config: {problems}") from None


def config_data(path: Path, raw: bytes) -> dict[str, Any]:
    """config.toml's bytes as TOML data with every key present, not yet validated."""
    text = text_of(path, raw)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise DataFileError(path, f"is not valid TOML: {exc}") from None
    version = data.get("schema_version")
    if version is None:
        raise DataFileError(path, "has no schema_version (is it cut short?)")
    if not isinstance(version, int) or isinstance(version, bool):
        raise DataFileError(path, f"schema_version {version!r} is not a whole number")
    if version > SCHEMA_VERSION:
        raise newer_schema(path, version)
    missing = [k for k in CONFIG_KEYS if k not in data]
    if isinstance(data.get("default_scale"), dict):
        missing += [f"default_scale.{k}" for k in ("min", "max", "labels")
                    if k not in data["default_scale"]]
    if missing:
        raise DataFileError(
            path, f"has no {', '.join(missing)} (is it cut short? 'kpireview init' writes every key)"
        )
    return data


@dataclass(frozen=True)
class Basics:
    """What opening a session needs of config.toml, read without pydantic.

    Only these three keys are checked here; `Store.config()` validates the
    whole file (the rating scale too) when anything else needs it.
    """

    organisation: str
    hr_admins: tuple[str, ...]
    allow_as: bool

    @classmethod
    def of(cls, path: Path, data: dict[str, Any]) -> Basics:
        hr, org, allow = data["hr_admins"], data["organisation"], data["allow_as"]
        if not isinstance(hr, list) or not all(isinstance(h, str) for h in hr):
            raise DataFileError(path, "is not a valid config: hr_admins: must be a list of logins")
        if not isinstance(org, str):
            raise DataFileError(path, "is not a valid config: organisation: must be text")
        if not isinstance(allow, bool):
            raise DataFileError(path, "is not a valid config: allow_as: must be true or false")
        return cls(org, tuple(hr), allow)


@dataclass(frozen=True)
class Member:
    """Who someone is in the organisation: the fields people.json links by.

    Read from the document without validating the rest of it (email, role):
    enough for a session and Home; `Store.person()` gives the validated Person.
    """

    id: str
    login: str
    name: str
    manager: str | None
    active: bool


# --- people index ------------------------------------------------------------


# (login, name, manager, active) of a person: what the index links by.
Row = tuple[str, str, "str | None", bool]


def link_row(doc: Any) -> tuple[str, str, str, str | None, bool] | None:
    """A person document's (id, login, name, manager, active); None if malformed."""
    if not isinstance(doc, dict):
        return None
    pid, login, name = doc.get("id"), doc.get("login"), doc.get("name")
    manager, active = doc.get("manager"), doc.get("active", True)
    if not (isinstance(pid, str) and ID_RE.fullmatch(pid) and isinstance(login, str)
            and isinstance(name, str) and (manager is None or isinstance(manager, str))
            and isinstance(active, bool)):
        return None
    return pid, login, name, manager, active  # type: ignore[return-value]


COLUMNS = ("id", "login", "name", "manager", "active")


def _columns_link(columns: Any) -> tuple[list[Any], ...] | None:
    """people-index.json's columns (id, login, name, manager, active), if they can be
    linked: lists of one length with the right types and valid ids. Checked with C
    loops (map, set) over whole columns: this runs at every start."""
    if not isinstance(columns, dict):
        return None
    cols = tuple(columns.get(name) for name in COLUMNS)
    if not all(type(c) is list for c in cols) or len({len(c) for c in cols}) != 1:
        return None
    ids, logins, names, managers, actives = cols
    if not ids:
        return cols
    if (set(map(type, ids + logins + names)) == {str}
            and set(map(type, managers)) <= {str, type(None)}
            and set(map(type, actives)) == {bool}
            and all(map(ID_RE.fullmatch, ids))):
        return cols
    return None


class LazyPeople(Mapping[str, "Person"]):
    """Person id -> Person, each validated the first time it is looked up.

    Validating all 10,000 people of a large organisation costs ~100 ms and
    ~10 MB at every start, for a screen that shows a dozen of them; `doctor`
    and every save still validate them all. The documents themselves are
    read (`load`) only when the first Person is asked for.
    """

    def __init__(self, path: Path | None, ids: Mapping[str, Any],
                 load: Callable[[], dict[str, dict[str, Any]]]):
        self._path = path
        self._ids = ids
        self._load = load
        self._docs: dict[str, dict[str, Any]] | None = None
        self._done: dict[str, Person] = {}

    def __getitem__(self, person_id: str) -> Person:
        found = self._done.get(person_id)
        if found is None:
            if person_id not in self._ids:
                raise KeyError(person_id)
            if self._docs is None:
                self._docs = self._load()
            found = self._done[person_id] = validate_person(self._path, self._docs[person_id])
        return found

    def __iter__(self) -> Iterator[str]:
        return iter(self._ids)

    def __len__(self) -> int:
        return len(self._ids)

    def __contains__(self, person_id: object) -> bool:
        return person_id in self._ids


def validate_person(path: Path | None, doc: dict[str, Any]) -> Person:
    from pydantic import ValidationError

    from .models import Person

    try:
        return Person.model_validate(doc)
    except ValidationError as exc:
        raise DataFileError(
            path or Path("people.json"),
            f"person {doc.get('id', '?')!r} is not valid: {first_error(exc)}",
        ) from None


@dataclass(frozen=True)
class PeopleIndex:
    """people.json looked up by id, login and manager.

    Built from the fields it links by (id, login, name, manager, active),
    checked, either from the documents or from people-index.json; each Person
    is validated when it is first looked up (`by_id`). The Person objects are
    shared with the cache: treat them as read-only (the public
    `Store.people()`/`person()` hand out copies).
    """

    rows: Mapping[str, Row] = field(default_factory=dict)  # id -> (login, name, manager, active)
    by_id: Mapping[str, Person] = field(default_factory=dict)
    logins: Mapping[str, str] = field(default_factory=dict)  # active people only: login -> id
    managers: Mapping[str, str | None] = field(default_factory=dict)
    children: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    @classmethod
    def build(cls, docs: list[dict[str, Any]], path: Path | None = None,
              load: Callable[[], dict[str, dict[str, Any]]] | None = None) -> PeopleIndex:
        """The index of people.json's documents; `DataFileError` for a malformed one.

        `load` gives the documents by id again when a Person is first asked
        for (default: keep `docs`)."""
        rows = []
        for doc in docs:
            row = link_row(doc)
            if row is None:
                validate_person(path, doc)  # raises, saying what is wrong
                raise DataFileError(path or Path("people.json"),
                                    f"person {doc.get('id')!r} is not valid")  # pragma: no cover
            rows.append(row)
        if load is None:
            kept = {d["id"]: d for d in docs}
            load = lambda: kept  # noqa: E731
        columns = tuple(map(list, zip(*rows))) if rows else ([], [], [], [], [])
        index = cls.of_columns(*columns, path=path, load=load)
        if index is None:
            seen: set[str] = set()
            twice = sorted({r[0] for r in rows if r[0] in seen or seen.add(r[0])})
            raise DataFileError(path or Path("people.json"),
                                f"holds person id(s) {', '.join(twice)} more than once")
        return index

    @classmethod
    def of_columns(cls, ids: list[str], logins: list[str], names: list[str],
                   managers: list[str | None], actives: list[bool], *, path: Path | None,
                   load: Callable[[], dict[str, dict[str, Any]]]) -> PeopleIndex | None:
        """The index of checked columns, one entry per person; None on a repeated id."""
        by_id = dict(zip(ids, zip(logins, names, managers, actives)))
        if len(by_id) != len(ids):
            return None
        # Built with C loops (zip, dict): this runs at every start.
        active = [(login, pid) for login, pid, on in zip(logins, ids, actives) if on]
        children: dict[str, list[str]] = {}
        for pid, manager in zip(ids, managers):
            if manager:
                children.setdefault(manager, []).append(pid)
        return cls(
            rows=by_id,
            by_id=LazyPeople(path, by_id, load),
            logins=dict(reversed(active)),  # the first active person with a login has it
            managers=dict(zip(ids, managers)),
            children={k: tuple(v) for k, v in children.items()},
        )

    def people(self) -> list[Person]:
        """Everyone, validated (the first call validates the whole file)."""
        return list(self.by_id.values())

    def by_login(self, login: str) -> Person | None:
        pid = self.logins.get(login)
        return None if pid is None else self.by_id[pid]

    def member(self, person_id: str) -> Member | None:
        """Who `person_id` is, without validating the rest of their document."""
        row = self.rows.get(person_id)
        return None if row is None else Member(person_id, *row)

    def line_above(self, person_id: str) -> set[str]:
        """Everyone above `person_id` in the management chain."""
        chain: set[str] = set()
        current = self.managers.get(person_id)
        while current and current not in chain:
            chain.add(current)
            current = self.managers.get(current)
        return chain

    def below(self, person_id: str) -> set[str]:
        """Everyone below `person_id` (reports, their reports, and so on)."""
        found: set[str] = set()
        frontier = list(self.children.get(person_id, ()))
        while frontier:
            pid = frontier.pop()
            if pid not in found and pid != person_id:
                found.add(pid)
                frontier.extend(self.children.get(pid, ()))
        return found


# A file's time stamps move in clock ticks (a few ms, a second on some file
# systems): a file read within this long of its last change may change again
# with the same stamp and size, so it is not trusted on its stat alone.
RACY_NS = 2_000_000_000


@dataclass(frozen=True)
class PeopleCache:
    """people.json's index, and what says whether the file is still the one it was
    built from: its stat (file, size, change times) and its bytes' SHA-256."""

    stat: os.stat_result | None
    digest: bytes
    read_at_ns: int
    index: PeopleIndex

    def fresh(self, st: os.stat_result) -> bool:
        """Whether a file of stat `st` is, without reading it, the one cached."""
        old = self.stat
        return (old is not None
                and (st.st_ino, st.st_dev, st.st_size, st.st_mtime_ns, st.st_ctime_ns)
                == (old.st_ino, old.st_dev, old.st_size, old.st_mtime_ns, old.st_ctime_ns)
                and self.read_at_ns - st.st_mtime_ns > RACY_NS)


# --- the store -------------------------------------------------------------


class Store:
    """One data directory. Every method is safe with other processes writing."""

    CONFIG = "config.toml"

    def __init__(self, root: Path):
        self.root = Path(root)
        self._config: Config | None = None
        self._basics: Basics | None = None
        self._people_cache: PeopleCache | None = None
        self._templates_cache: tuple[tuple[tuple[str, bytes], ...], dict[str, RoleTemplate]] | None = None
        self._cache_guard = threading.Lock()

    # paths
    @property
    def people_path(self) -> Path:
        return self.root / "people.json"

    @property
    def cycles_path(self) -> Path:
        return self.root / "cycles.json"

    @property
    def audit_path(self) -> Path:
        return self.root / "audit.json"

    @property
    def templates_dir(self) -> Path:
        return self.root / "templates"

    def review_path(self, review_id: str) -> Path:
        cycle_id, person_id = split_review_id(review_id)
        return self.root / "reviews" / cycle_id / f"{person_id}.json"

    def team_index_path(self, cycle_id: str, reviewer_id: str) -> Path:
        check_id(cycle_id, "cycle id")
        check_id(reviewer_id, "reviewer id")
        return self.root / "reviews" / cycle_id / "teams" / f"{reviewer_id}.json"

    def presence_dir(self, review_id: str) -> Path:
        cycle_id, person_id = split_review_id(review_id)
        return self.root / "presence" / cycle_id / person_id

    def exists(self) -> bool:
        return (self.root / self.CONFIG).is_file()

    # What a data directory holds besides config.toml ('kpireview init' writes only that).
    DATA_NAMES = ("people.json", "people-index.json", "cycles.json", "reviews")

    def holds_data(self) -> list[str]:
        """The kpireview data files and folders in the directory, config.toml aside."""
        return [name for name in self.DATA_NAMES if (self.root / name).exists()]

    def missing_config(self) -> StoreError:
        """The error for a directory without config.toml. Where there is data, the
        config was lost: restore it (init or demo would start a new organisation)."""
        found = self.holds_data()
        if not found:
            return StoreError(
                f"{self.root} is not a kpireview data directory (no {self.CONFIG}). "
                "Run 'kpireview init' or 'kpireview demo' to create one."
            )
        from .models import Config

        example = "".join(line for line in config_text(Config(hr_admins=["your-login"]))
                          .splitlines(keepends=True) if not line.startswith("#"))
        return MissingFile(
            self.root / self.CONFIG,
            f"is missing, but {self.root} holds kpireview data ({', '.join(found)})",
            f"restore {self.CONFIG} from a backup (one made by 'kpireview backup'), or write "
            f"it again by hand with every key and your organisation's HR admins, e.g.:\n\n"
            f"{example}\nthen run 'kpireview doctor'",
        )

    def missing_people(self) -> MissingFile | None:
        """The error for a lost people.json: None while it is there, or in a new directory
        (no people yet); else reviews or people-index.json show there were people."""
        if self.people_path.exists():
            return None
        found = None
        if self.people_index_path.exists():
            found = self.people_index_path.name
        else:
            for cdir in self._cycle_dirs(None):
                review = next((f for f in cdir.rglob("*.json") if not f.name.startswith(".")), None)
                if review is not None:
                    found = f"review files ({review.relative_to(self.root)})"
                    break
        if found is None:
            return None
        return MissingFile(
            self.people_path, f"is missing, but {self.root} has {found}, so it held people before",
            "restore people.json from a backup (one made by 'kpireview backup'), then run "
            "'kpireview doctor'. Do not add people until then: that would start an "
            "organisation chart without everyone else",
        )

    def _no_people(self) -> PeopleIndex:
        """The index when people.json is not there: empty, unless it was lost."""
        missing = self.missing_people()
        if missing is not None:
            raise missing
        return PeopleIndex()

    def is_empty(self) -> bool:
        return not self.root.exists() or not any(self.root.iterdir())

    # locking
    def lock(self, path: Path) -> _PathLock:
        lock_path = lock_path_for(Path(path))
        key = os.path.abspath(lock_path)
        with _LOCKS_GUARD:
            lock = _LOCKS.get(key)
            if lock is None:
                lock = _LOCKS[key] = _PathLock(lock_path)
        return lock

    @contextmanager
    def locked(self, path: Path) -> Iterator[None]:
        """Hold `path`'s lock (threads of this process and other processes)."""
        path = Path(path)
        lock = self.lock(path)
        busy = StoreError(
            f"{path}: could not get the lock within {LOCK_TIMEOUT:.0f} s; another kpireview "
            "process is holding it. Try again in a moment."
        )
        if not lock.threads.acquire(timeout=LOCK_TIMEOUT):
            raise busy
        try:
            make_dirs(path.parent)
            try:
                lock.acquire(LOCK_TIMEOUT)
            except LockTimeout:
                raise busy from None
            except OSError as exc:
                raise WriteError(
                    f"{lock.lock_path}: cannot create or open the lock file ({exc.strerror}). "
                    f"Check that you may write to {path.parent} (on a shared server: that you "
                    "are in the data directory's group; see docs/shared-server.md)."
                ) from None
            try:
                yield
            finally:
                lock.release()
        finally:
            lock.threads.release()

    @staticmethod
    def _open(path: Path) -> TinyDB:
        """A TinyDB on `path` that writes only on `db.storage.commit()`; caller holds the lock."""
        return TinyDB(path, storage=TransactionStorage)

    @contextmanager
    def _transaction(self, path: Path) -> Iterator[TinyDB]:
        """A TinyDB on `path` under its lock, written atomically on success."""
        with self.locked(path):
            db = self._open(path)
            yield db
            db.storage.commit()  # type: ignore[attr-defined]

    # config
    def config(self) -> Config:
        if self._config is None:
            path = self.root / self.CONFIG
            self._config = parse_config(path, self._config_bytes(path))
        return self._config

    def basics(self) -> Basics:
        """What a session needs of config.toml (see `Basics`), without pydantic."""
        if self._config is not None:
            c = self._config
            return Basics(c.organisation, tuple(c.hr_admins), c.allow_as)
        if self._basics is None:
            path = self.root / self.CONFIG
            self._basics = Basics.of(path, config_data(path, self._config_bytes(path)))
        return self._basics

    def _config_bytes(self, path: Path) -> bytes:
        try:
            return path.read_bytes()
        except FileNotFoundError:
            raise self.missing_config() from None
        except OSError as exc:
            raise DataFileError(path, f"cannot be read ({exc.strerror})") from None

    def write_config(self, config: Config) -> None:
        path = self.root / self.CONFIG
        with self.locked(path):
            if path.exists():
                # never replace a config that cannot be read: it may be the only copy
                parse_config(path, path.read_bytes())
            atomic_write_text(path, config_text(config))
        self._config = config
        self._basics = None

    # templates
    def templates(self) -> dict[str, RoleTemplate]:
        """Shipped and data-directory templates by id (the data directory's win).

        Parsed once and kept until a template file's bytes change (the files
        are read on every call, which is cheap; parsing is not).
        """
        return {k: v.model_copy(deep=True) for k, v in self._templates().items()}

    def write_template(self, template_id: str, text: str) -> Path:
        """Write a (checked) template's TOML to templates/<id>.toml, atomically."""

        if not ID_RE.fullmatch(template_id):
            raise StoreError(f"{template_id!r} is not a template id; nothing was written")
        path = self.templates_dir / f"{template_id}.toml"
        with self.locked(path):
            atomic_write_text(path, text)
        return path

    def template_ids(self) -> set[str]:
        """The ids of every template (no copies made: cheap)."""
        return set(self._templates())

    def _templates(self) -> dict[str, RoleTemplate]:
        """The cached templates themselves: never hand these out to be changed."""
        from .templates import TemplateError, load_template, template_files

        files = template_files(self.templates_dir)
        contents = []
        for path in files:
            try:
                contents.append((str(path), path.read_bytes()))
            except OSError as exc:
                raise TemplateError(str(path), [f"cannot read: {exc.strerror}"]) from None
        key = tuple(contents)
        with self._cache_guard:
            cached = self._templates_cache
        if cached is None or cached[0] != key:
            templates: dict[str, RoleTemplate] = {}
            for path in files:
                template = load_template(path)
                templates[template.id] = template
            cached = (key, templates)
            with self._cache_guard:
                self._templates_cache = cached
        return cached[1]

    def template(self, template_id: str) -> RoleTemplate:
        templates = self._templates()
        if template_id not in templates:
            raise NotFound(
                f"no role template {template_id!r}; known: {', '.join(sorted(templates))}"
            )
        return templates[template_id].model_copy(deep=True)

    # people
    @property
    def people_index_path(self) -> Path:
        return self.root / "people-index.json"

    def people_index(self) -> PeopleIndex:
        """people.json's index (see `PeopleIndex`), cached until the file changes.

        The file is stat'ed on every call (no read) and the cache kept while
        it is the same file, size and change time; so a save by another
        process (always a new file, renamed into place) is seen at once. A
        file changed within `RACY_NS` of being read could change again without
        a new time stamp: it is read again and compared by its SHA-256. A new
        index comes from people-index.json when that was made from these very
        bytes (a quarter of the time of parsing people.json), else from
        people.json itself.
        """
        path = self.people_path
        try:
            st = os.stat(path)
        except FileNotFoundError:
            return self._no_people()
        except OSError as exc:
            raise DataFileError(path, f"cannot be read ({exc.strerror})") from None
        with self._cache_guard:
            cached = self._people_cache
        if cached is not None and cached.fresh(st):
            return cached.index
        return self._load_people_index()

    def _read_people(self) -> tuple[bytes | None, os.stat_result | None]:
        """people.json's bytes and the stat of the very file they were read from."""
        path = self.people_path
        try:
            with open(path, "rb") as f:
                return f.read(), os.fstat(f.fileno())
        except FileNotFoundError:
            return None, None
        except OSError as exc:
            raise DataFileError(path, f"cannot be read ({exc.strerror})") from None

    def _load_people_index(self) -> PeopleIndex:
        """Read people.json's index (and cache it): the cached one if the bytes are
        the same, else people-index.json's if made from them, else people.json's own.

        The bytes are let go as soon as their digest is known: at 10,000 people
        they are a few MB of the peak memory of a start.
        """
        path = self.people_path
        raw, st = self._read_people()
        if raw is None:
            return self._no_people()
        digest = hashlib.sha256(raw).digest()
        with self._cache_guard:
            cached = self._people_cache
        if cached is not None and cached.digest == digest:
            index = cached.index
        else:
            del raw
            found = self._people_from_index_file(digest, self._people_docs)
            if found is None:
                raw, st = self._read_people()  # (again: it may have changed meanwhile)
                if raw is None:
                    return self._no_people()
                digest = hashlib.sha256(raw).digest()
                data = parse_db_bytes(path, raw)
                del raw
                found = PeopleIndex.build(list(data.get("people", {}).values()), path,
                                          self._people_docs)
            index = found
        with self._cache_guard:
            self._people_cache = PeopleCache(st, digest, time.time_ns(), index)
        return index

    def _people_docs(self) -> dict[str, dict[str, Any]]:
        """people.json's documents by id, read from the file as it is now: they are not
        kept with the index (newer, if anything, than the index)."""
        raw, _ = self._read_people()
        if raw is None:
            self._no_people()
        data = parse_db_bytes(self.people_path, raw) if raw is not None else {}
        return {d["id"]: d for d in data.get("people", {}).values()
                if isinstance(d, dict) and isinstance(d.get("id"), str)}

    def _people_from_index_file(
        self, digest: bytes, load: Callable[[], dict[str, dict[str, Any]]]
    ) -> PeopleIndex | None:
        """The index from people-index.json, if it was made from people.json's bytes of
        SHA-256 `digest`.

        It is only a cache: missing, damaged or out of step, it is passed
        over (doctor reports it; `doctor --repair-indexes` writes it again).
        """
        try:
            data = read_json_file(self.people_index_path)
        except DataFileError:
            return None
        doc = (data or {}).get("index", {}).get("1")
        if not isinstance(doc, dict) or doc.get("source_sha256") != digest.hex():
            return None
        columns = _columns_link(doc.get("columns"))
        if columns is None:
            return None
        return PeopleIndex.of_columns(*columns, path=self.people_path, load=load)

    def people_index_bytes(self, raw: bytes) -> bytes:
        """people-index.json for people.json's bytes `raw` (which must parse)."""
        docs = parse_db_bytes(self.people_path, raw).get("people", {}).values()
        defaults = {"active": True}
        columns = {name: [d.get(name, defaults.get(name)) for d in docs] for name in COLUMNS}
        return dump_json({"index": {"1": {
            "schema_version": SCHEMA_VERSION,
            "source_sha256": hashlib.sha256(raw).hexdigest(),
            "columns": columns,
        }}})

    def write_people_index(self) -> bool:
        """Write people-index.json from people.json (under its lock); False if there is none."""
        with self.locked(self.people_path):
            try:
                raw = self.people_path.read_bytes()
            except FileNotFoundError:
                return False
            except OSError as exc:
                raise DataFileError(self.people_path, f"cannot be read ({exc.strerror})") from None
            self._write_people_index(raw)
        return True

    def _write_people_index(self, raw: bytes) -> None:
        """Caller holds people.json's lock (taken first, so the two locks never cross)."""
        with self.locked(self.people_index_path):
            atomic_write_bytes(self.people_index_path, self.people_index_bytes(raw))

    def people(self) -> list[Person]:
        return [p.model_copy() for p in self.people_index().people()]

    def person(self, person_id: str) -> Person:
        found = self.people_index().by_id.get(person_id)
        if found is None:
            raise NotFound(f"no person with id {person_id!r}")
        return found.model_copy()

    def find_person(self, person_id: str) -> Person | None:
        try:
            return self.person(person_id)
        except NotFound:
            return None

    def person_by_login(self, login: str) -> Person | None:
        found = self.people_index().by_login(login)
        return None if found is None else found.model_copy()

    def member_by_login(self, login: str) -> Member | None:
        """Who has this login (active people only), without validating their document."""
        index = self.people_index()
        pid = index.logins.get(login)
        return None if pid is None else index.member(pid)

    def save_people(
        self, people: list[Person], check: Callable[[list[Person]], None] | None = None
    ) -> None:
        """Insert or replace people by id, all or nothing; `check` sees the result first."""
        from .models import Person

        people = [Person.model_validate(p.model_dump()) for p in people]
        counts = Counter(p.id for p in people)
        dupes = sorted(i for i, n in counts.items() if n > 1)
        if dupes:
            raise StoreError(f"the same person id is given twice: {', '.join(dupes)}; nothing saved")
        path = self.people_path
        with self.locked(path):
            raw, _ = self._read_people()
            if raw is None:
                self._no_people()  # refused where people.json was lost: never a new one
            data = parse_db_bytes(path, raw) if raw is not None else {}
            index = PeopleIndex.build(list(data.get("people", {}).values()), path)
            current = dict(index.by_id)  # (validates everyone)
            for p in people:
                current[p.id] = p
            if check is not None:
                check(list(current.values()))
            table = dict(data.get("people", {}))
            doc_ids = {d.get("id"): k for k, d in table.items()}
            next_id = max((int(k) for k in table), default=0)
            for p in people:
                key = doc_ids.get(p.id)
                if key is None:
                    next_id += 1
                    key = doc_ids[p.id] = str(next_id)
                table[key] = p.model_dump(mode="json")
            out = dump_json({**data, "people": table})
            atomic_write_bytes(path, out)
            try:
                self._write_people_index(out)
            except (OSError, StoreError):
                pass  # only a cache: the next start reads people.json; doctor says so
            new_index = PeopleIndex.build(list(table.values()), path)
            with self._cache_guard:
                # (under the lock: nobody has replaced the file written above)
                self._people_cache = PeopleCache(os.stat(path), hashlib.sha256(out).digest(),
                                                 time.time_ns(), new_index)

    # cycles
    def cycles(self) -> list[Cycle]:
        from pydantic import ValidationError

        from .models import Cycle

        out = []
        for doc_id, doc in self._docs(self.cycles_path, "cycles"):
            try:
                out.append(Cycle.model_validate(doc))
            except ValidationError as exc:
                raise DataFileError(
                    self.cycles_path, f"cycle {doc.get('id', doc_id)!r} is not valid: {first_error(exc)}"
                ) from None
        return out

    def cycle(self, cycle_id: str) -> Cycle:
        for c in self.cycles():
            if c.id == cycle_id:
                return c
        raise NotFound(f"no cycle with id {cycle_id!r}")

    def save_cycle(self, cycle: Cycle, must_be_new: bool = False) -> None:
        from .models import Cycle

        cycle = Cycle.model_validate(cycle.model_dump())
        with self._transaction(self.cycles_path) as db:
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
        from pydantic import ValidationError

        from .models import Review

        docs = list(data.get("review", {}).values())
        if len(docs) != 1:
            raise DataFileError(path, f"holds {len(docs)} review documents, expected 1")
        try:
            review = Review.model_validate(docs[0])
        except ValidationError as exc:
            raise DataFileError(path, f"holds an invalid review: {first_error(exc)}") from None
        # A review is found, listed and permitted by its file name: fields that
        # disagree with it (a hand edit, a copied file) are not guessed between.
        cycle_id, person_id = path.parent.name, path.stem
        wrong = [f"{name} {value!r} (the file name says {want!r})"
                 for name, value, want in (("id", review.id, f"{cycle_id}/{person_id}"),
                                           ("cycle_id", review.cycle_id, cycle_id),
                                           ("person_id", review.person_id, person_id))
                 if value != want]
        if wrong:
            raise DataFileError(
                path, f"does not match its file name reviews/{cycle_id}/{person_id}.json: it "
                f"holds {', '.join(wrong)}",
                "put the review back under its own name or change those fields back by hand "
                "(or restore it from a backup), then run 'kpireview doctor --repair-indexes'",
            )
        return review

    def _history_from(self, path: Path, data: dict[str, Any]) -> list[HistoryEntry]:
        from pydantic import ValidationError

        from .models import HistoryEntry

        entries = []
        for doc_id, doc in data.get("history", {}).items():
            try:
                entries.append(HistoryEntry.model_validate(doc))
            except ValidationError as exc:
                raise DataFileError(
                    path, f"history entry {doc_id} is not valid: {first_error(exc)}"
                ) from None
        return sorted(entries, key=lambda e: e.seq)

    def history(self, review_id: str) -> list[HistoryEntry]:
        path = self.review_path(review_id)
        data = read_json_file(path)
        if data is None:
            raise NotFound(f"no review {review_id!r}")
        return self._history_from(path, data)

    def review_mtime(self, review_id: str) -> int | None:
        try:
            return self.review_path(review_id).stat().st_mtime_ns
        except FileNotFoundError:
            return None

    def create_review(self, review: Review, entries: list[HistoryEntry], replace: bool = False) -> None:
        """Write a new review with its first history entries.

        With `replace`, an existing review is replaced (an import) and its
        history kept, the new entries appended; a signed-off review is never
        replaced (an HR admin reopens it first).
        """
        from pydantic import ValidationError

        from .models import Review

        try:
            review = Review.model_validate(review.model_dump())
        except ValidationError as exc:
            raise StoreError(f"review {review.id}: not valid: {first_error(exc)}; nothing saved") from None
        if review.id != review_id_for(review.cycle_id, review.person_id):
            raise StoreError(
                f"review {review.id!r} does not match its cycle {review.cycle_id!r} and person "
                f"{review.person_id!r} (expected {review_id_for(review.cycle_id, review.person_id)!r}); "
                "nothing saved"
            )
        path = self.review_path(review.id)
        with self.locked(path):
            raw = read_json_file(path)
            old_reviewer = None
            if raw is not None:
                if not replace:
                    raise StoreError(f"review {review.id!r} exists already ({path})")
                old = self._review_from(path, raw)
                if old.state is State.signed_off:
                    raise ReadOnlyReview(
                        f"review {review.id} is signed off and read-only, so it was not replaced; "
                        "an HR admin can reopen it with a reason first"
                    )
                if old.reviewer_id != review.reviewer_id:
                    old_reviewer = old.reviewer_id
            data = with_review(raw or {}, review, entries)
            self._commit_with_summary(path, data, review, old_reviewer)

    def update_review(
        self, review_id: str, change: Callable[[Review], tuple[T, list[HistoryEntry]]]
    ) -> tuple[T, Review]:
        """Lock, read, apply `change` to a copy, validate, write review and history.

        `change` returns a result and the history entries that describe what
        it did; if it raises, nothing is written. A signed-off review only
        accepts a reopen (state back to joint review, with a reason, nothing
        else changed): `ReadOnlyReview` otherwise.
        """
        from pydantic import ValidationError

        from .models import Review

        path = self.review_path(review_id)
        if not path.is_file():
            raise NotFound(f"no review {review_id!r}")
        with self.locked(path):
            raw = read_json_file(path)
            if raw is None:
                raise NotFound(f"no review {review_id!r}")
            review = self._review_from(path, raw)
            state, reviewer, ident = review.state, review.reviewer_id, (review.id, review.person_id)
            result, entries = change(review)
            if not entries:
                return result, review
            if state is State.signed_off:
                check_reopen(self._review_from(path, raw), review, entries)
            try:
                review = Review.model_validate(review.model_dump())
            except ValidationError as exc:
                raise StoreError(
                    f"review {review_id}: the change is not valid: {first_error(exc)}; nothing saved"
                ) from None
            if (review.id, review.person_id) != ident:
                raise StoreError(f"review {review_id}: a change may not alter the review's id")
            review.updated_at = now()
            data = with_review(raw, review, entries)
            old_reviewer = reviewer if reviewer != review.reviewer_id else None
            self._commit_with_summary(path, data, review, old_reviewer)
        return result, review

    def append_history(self, review_id: str, entries: list[HistoryEntry]) -> None:
        """Add entries (an export, a refused access) without changing the review.

        History only grows: there is no public way to change or remove an
        entry, and each new entry gets the next sequence number.
        """
        path = self.review_path(review_id)
        if not path.is_file():
            raise NotFound(f"no review {review_id!r}")
        with self.locked(path):
            raw = read_json_file(path)
            if raw is None:
                raise NotFound(f"no review {review_id!r}")
            self._review_from(path, raw)
            atomic_write_bytes(path, dump_json(with_history(raw, entries)))

    def snapshot(self, review_id: str) -> ReviewSnapshot:
        """A review file read once, without a lock: its bytes, tables, review and history.

        For work on many reviews that then adds to their history
        (`history_batch`). Raises `NotFound` and `DataFileError` as
        `load_review` does.
        """
        path = self.review_path(review_id)
        try:
            raw = path.read_bytes()
        except FileNotFoundError:
            raise NotFound(f"no review {review_id!r}") from None
        except OSError as exc:
            raise DataFileError(path, f"cannot be read ({exc.strerror})") from None
        data = parse_db_bytes(path, raw)
        return ReviewSnapshot(self, review_id, path, raw, data, self._review_from(path, data))

    def history_batch(self, size: int = 200) -> HistoryBatch:
        """Add history entries to many reviews with one sync per `size` files (see HistoryBatch)."""
        return HistoryBatch(self, size)

    def _commit_with_summary(self, path: Path, data: dict[str, Any], review: Review,
                             old_reviewer: str | None) -> None:
        """Write the review file, then its line in the reviewer's team index.

        Called with the review's lock held; the index is locked and read
        before the review is written, so a damaged index stops the save
        before anything changes. (Lock order: review, then team index.)
        """
        index_path = self.team_index_path(review.cycle_id, review.reviewer_id)
        old_path = self.team_index_path(review.cycle_id, old_reviewer) if old_reviewer else None
        with self.locked(index_path):
            index = self._open(index_path)
            team_index_entries(index_path, index.storage.read())  # type: ignore[attr-defined]
            if old_path is not None:
                # it must be readable too before anything is written
                team_index_entries(old_path, read_json_file(old_path))
            atomic_write_bytes(path, dump_json(data))
            table = index.table("summaries")
            summary = summary_of(review)
            q = Query()
            # Most edits (an actual, a comment) leave the summary as it was: skip the write.
            if table.get(q.review_id == review.id) != summary:
                table.upsert(summary, q.review_id == review.id)
            index.storage.commit()  # type: ignore[attr-defined]
        if old_path is not None:
            with self.locked(old_path):
                old_index = self._open(old_path)
                old_index.table("summaries").remove(Query().review_id == review.id)
                old_index.storage.commit()  # type: ignore[attr-defined]

    def rebuild_team_indexes(self, cycle_id: str, problems: list[str] | None = None) -> int:
        """Write every team index of a cycle afresh from its review files.

        The indexes only repeat what the reviews say, so this loses nothing.
        Returns the number of reviews indexed. A review file that cannot be
        read raises `DataFileError` before anything is written; with
        `problems`, it is left out of the indexes and described there instead.
        """
        cdir = self.root / "reviews" / cycle_id
        by_reviewer: dict[str, list[dict[str, Any]]] = {}
        for f in sorted(cdir.glob("*.json")):
            if f.name.startswith("."):
                continue
            try:
                data = read_json_file(f)
                if data is None:
                    continue
                review = self._review_from(f, data)
            except DataFileError as exc:
                if problems is None:
                    raise
                problems.append(f"{exc.path}: {exc.problem}. It was left out of the team "
                                f"indexes and as it is; {exc.advice}")
                continue
            by_reviewer.setdefault(review.reviewer_id, []).append(summary_of(review))
        teams = cdir / "teams"
        existing = {f.stem for f in teams.glob("*.json") if not f.name.startswith(".")}
        for reviewer in sorted(existing | set(by_reviewer)):
            path = self.team_index_path(cycle_id, reviewer)
            docs = {str(i): s for i, s in enumerate(by_reviewer.get(reviewer, []), 1)}
            with self.locked(path):
                atomic_write_bytes(path, dump_json({"summaries": docs}))
        return sum(len(v) for v in by_reviewer.values())

    def append_audit(self, event: dict[str, Any]) -> None:
        """Events that belong to no review (a refused login or --as), in audit.json."""
        with self._transaction(self.audit_path) as db:
            db.table("events").insert({**event, "schema_version": SCHEMA_VERSION})

    def audit(self) -> list[dict[str, Any]]:
        return [doc for _, doc in self._docs(self.audit_path, "events")]

    def summaries(
        self,
        cycle_id: str | None = None,
        reviewer_id: str | None = None,
        person_id: str | None = None,
        problems: list[str] | None = None,
        reviewer_ids: list[str] | None = None,
    ) -> list[dict[str, Any]]:
        """Review summaries from the team indexes (of `reviewer_id` or `reviewer_ids`).

        With `problems`, a damaged index is skipped and described there (so one
        bad file does not blank every list); without it, the error is raised.
        """
        return list(self.iter_summaries(cycle_id, reviewer_id, person_id, problems, reviewer_ids))

    def iter_summaries(
        self,
        cycle_id: str | None = None,
        reviewer_id: str | None = None,
        person_id: str | None = None,
        problems: list[str] | None = None,
        reviewer_ids: list[str] | None = None,
    ) -> Iterator[dict[str, Any]]:
        """`summaries`, one team index file read at a time."""
        if reviewer_id is not None:
            reviewer_ids = [reviewer_id]
        for cdir in self._cycle_dirs(cycle_id):
            if reviewer_ids is not None:
                files = [cdir / "teams" / f"{r}.json" for r in reviewer_ids]
            else:
                files = sorted(f for f in (cdir / "teams").glob("*.json") if not f.name.startswith("."))
            for f in files:
                try:
                    entries = team_index_entries(f, read_json_file(f))
                except DataFileError as exc:
                    if problems is None:
                        raise
                    problems.append(
                        f"{exc.path}: {exc.problem}. It is only a list index: "
                        f"'kpireview --data {self.root} doctor --repair-indexes' rebuilds it "
                        "from the review files; "
                        "the reviews listed in it are missing from these lists until then."
                    )
                    continue
                for doc in entries:
                    if person_id is None or doc.get("person_id") == person_id:
                        yield doc

    def review_ids(self, cycle_id: str | None = None) -> list[str]:
        return [
            f"{cdir.name}/{f.stem}"
            for cdir in self._cycle_dirs(cycle_id)
            for f in sorted(cdir.glob("*.json"))
            if not f.name.startswith(".")
        ]

    def reviews_of_person(self, person_id: str) -> list[str]:
        return [
            f"{cdir.name}/{person_id}"
            for cdir in self._cycle_dirs(None)
            if (cdir / f"{person_id}.json").is_file()
        ]

    # helpers
    def _cycle_dirs(self, cycle_id: str | None) -> list[Path]:
        reviews_root = self.root / "reviews"
        if not reviews_root.is_dir():
            return []
        if cycle_id:
            check_id(cycle_id, "cycle id")
            return [reviews_root / cycle_id]
        return sorted(p for p in reviews_root.iterdir() if p.is_dir() and not p.name.startswith("."))

    def _docs(self, path: Path, name: str) -> list[tuple[str, dict[str, Any]]]:
        data = read_json_file(path)
        if data is None:
            return []
        return list(data.get(name, {}).items())


def with_history(data: dict[str, Any], entries: list[HistoryEntry]) -> dict[str, Any]:
    """A review file's tables with `entries` appended to its history (TinyDB layout).

    Each entry gets the next document id and the next sequence number; the
    entries already there are kept exactly as they are.
    """
    from .models import HistoryEntry

    history = dict(data.get("history", {}))
    next_id = max((int(k) for k in history), default=0)
    last_seq = max((int(d["seq"]) for d in history.values()), default=0)
    for i, e in enumerate(entries, 1):
        doc = HistoryEntry.model_validate(
            {**e.model_dump(), "seq": last_seq + i, "schema_version": SCHEMA_VERSION}
        ).model_dump(mode="json")
        history[str(next_id + i)] = doc
    return {**data, "history": history}


def with_review(data: dict[str, Any], review: Review, entries: list[HistoryEntry]) -> dict[str, Any]:
    """A review file's tables with the review document replaced and `entries` appended."""
    return with_history({**data, "review": {"1": review.model_dump(mode="json")}}, entries)


@dataclass
class ReviewSnapshot:
    """A review file as `Store.snapshot` read it."""

    store: Store
    review_id: str
    path: Path
    raw: bytes
    data: dict[str, Any]
    review: Review

    def history(self) -> list[HistoryEntry]:
        """The history, validated (only when asked for: a review that the reader
        may not see is skipped without it)."""
        return self.store._history_from(self.path, self.data)


class HistoryBatch:
    """History entries for many reviews (a cycle export), made durable together.

    `add` writes a review file's new content (the file as it was read, plus
    the entries) to a temporary file beside it. `commit`, every `size` files
    and at the end, flushes all of them to disk with one `sync`, then renames
    each over its review file under that file's lock — only if the file is
    still exactly as it was read. If it changed meanwhile (someone saved an
    edit), the temporary file is dropped and the entries go through
    `Store.append_history`, on a fresh read under the lock.

    So every review file is replaced whole by content that is on disk
    already, as with `atomic_write_bytes`; a process killed at any moment
    leaves each review file old or new, and at most `size` temporary files.
    """

    def __init__(self, store: Store, size: int = 200):
        self.store = store
        self.size = size
        # (review id, path, the bytes read, entries, temporary file): not the
        # snapshots, whose parsed tables would keep many objects alive
        self._staged: list[tuple[str, Path, bytes, list[HistoryEntry], str]] = []

    def add(self, snapshot: ReviewSnapshot, entries: list[HistoryEntry]) -> None:
        tmp = _write_temp(snapshot.path, history_appended(snapshot.raw, snapshot.data, entries))
        self._staged.append((snapshot.review_id, snapshot.path, snapshot.raw, entries, tmp))
        if len(self._staged) >= self.size:
            self.commit()

    def commit(self) -> None:
        """Save everything added so far; a review that cannot be saved is raised at the end."""
        staged, self._staged = self._staged, []
        done = 0
        failed: list[StoreError] = []
        try:
            sync_files([Path(tmp) for *_, tmp in staged])
            for review_id, path, raw, entries, tmp in staged:
                with self.store.locked(path):
                    try:
                        same = path.read_bytes() == raw
                    except FileNotFoundError:
                        same = False
                    if same:
                        _replace(tmp, path)
                    else:
                        os.unlink(tmp)
                done += 1
                if not same:
                    try:
                        self.store.append_history(review_id, entries)
                    except StoreError as exc:  # the other reviews are still recorded
                        failed.append(exc)
            for folder in {path.parent for _, path, *_ in staged}:
                fsync_dir(folder)
        finally:
            for *_, tmp in staged[done:]:
                try:
                    os.unlink(tmp)
                except FileNotFoundError:
                    pass
        if failed:
            raise failed[0]


_HISTORY_KEY = b'"history": '
_JSON = json.JSONDecoder()


def history_appended(raw: bytes, data: dict[str, Any], entries: list[HistoryEntry]) -> bytes:
    """A review file's bytes `raw` (whose tables are `data`) with `entries` added to its history.

    The same tables as `dump_json(with_history(data, entries))`, and for a
    file the store wrote the same bytes, but the new entries are put into
    `raw` at the end of the history table instead of encoding the whole file
    again. That is only done where `raw` shows the history as the file's last
    table: a top-level "history" key whose table, read back, is `data`'s and
    ends at the file's closing brace. Any other file is encoded whole.
    """
    new = with_history(data, entries)
    old = data.get("history", {})
    body = raw.rstrip()
    if old and body.endswith(b"}"):
        body = body[:-1].rstrip()  # the file without its closing brace
        key = raw.rfind(_HISTORY_KEY, 0, len(body))
        # (after a backslash the quote would be inside a string, not a key)
        if key > 0 and raw[key - 1:key] != b"\\" and body.endswith(b"}"):
            try:
                text = body[key + len(_HISTORY_KEY):].decode("utf-8")
                table, end = _JSON.raw_decode(text)
            except ValueError:
                text, table, end = "", None, -1
            if end == len(text) and table == old:
                added = b"".join(
                    b", " + dump_json(k) + b": " + dump_json(doc)
                    for k, doc in new["history"].items() if k not in old
                )
                return body[:-1] + added + raw[len(body) - 1:]
    return dump_json(new)


def _write_temp(path: Path, data: bytes, sync: bool = False) -> str:
    """`data` in a new temporary file beside `path`, with `path`'s mode (fsynced with `sync`)."""
    try:
        mode = path.stat().st_mode & 0o7777
    except FileNotFoundError:
        mode = FILE_MODE
    try:
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as exc:
        raise _write_error(path, exc) from None
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fchmod(fh.fileno(), mode)
            if FSYNC and sync:
                os.fsync(fh.fileno())
    except BaseException as exc:
        os.unlink(tmp)
        if isinstance(exc, OSError):
            raise _write_error(path, exc) from None
        raise
    return tmp


def _replace(tmp: str, path: Path) -> None:
    try:
        os.replace(tmp, path)
    except OSError as exc:
        raise _write_error(path, exc) from None


def _write_error(path: Path, exc: OSError) -> WriteError:
    return WriteError(
        f"{path}: cannot save ({exc.strerror}); the file was not changed. Check that you "
        f"may write to {path.parent} and that the disk is not full."
    )


def sync_files(paths: list[Path]) -> None:
    """Flush written files' data to disk: one `sync` for all (an fsync each costs ~2 ms).

    Their folders are not synced; see `fsync_dir`.
    """
    if not paths or not FSYNC:
        return
    if hasattr(os, "sync"):
        os.sync()
        return
    for path in paths:  # pragma: no cover - Windows
        with open(path, "rb+") as fh:
            os.fsync(fh.fileno())


def summary_of(review: Review) -> dict[str, Any]:
    """One review's line in its reviewer's team index."""
    from .scoring import fmt, overall, progress

    done, total = progress(review)
    result = overall(review, "agreed")
    return {
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


# The fields of a team index entry (see `summary_of`) and their types.
SUMMARY_FIELDS: dict[str, type] = {
    "review_id": str, "cycle_id": str, "person_id": str, "person_name": str,
    "reviewer_id": str, "role_id": str, "role_title": str, "state": str,
    "done": int, "total": int, "complete": bool,
}
_STATES = frozenset(s.value for s in State)
_TYPE_WORDS = {str: "text", int: "a whole number", bool: "true or false"}


def summary_fault(doc: dict[str, Any], cycle_id: str, reviewer_id: str) -> str | None:
    """What is wrong with one entry of `cycle_id`'s team index of `reviewer_id`, or None."""
    for name, kind in SUMMARY_FIELDS.items():
        value = doc.get(name)
        if type(value) is not kind:
            return f"{name} is missing" if name not in doc else (
                f"{name} {value!r} is not {_TYPE_WORDS[kind]}")
    overall = doc.get("overall")
    if overall is not None and type(overall) is not str:
        return f"overall {overall!r} is not a score"
    if doc["state"] not in _STATES:
        return f"state {doc['state']!r} is not a review state"
    if not ID_RE.fullmatch(doc["person_id"]):
        return f"person_id {doc['person_id']!r} is not a person id"
    if (doc["cycle_id"], doc["reviewer_id"], doc["review_id"]) != (
            cycle_id, reviewer_id, f"{cycle_id}/{doc['person_id']}"):
        return (f"review {doc['review_id']!r} of reviewer {doc['reviewer_id']!r} in cycle "
                f"{doc['cycle_id']!r} does not belong in this file")
    return None


def team_index_entries(path: Path, data: dict[str, Any] | None) -> list[dict[str, Any]]:
    """The entries of the team index file `path` (reviews/<cycle>/teams/<reviewer>.json),
    whose tables are `data`; `DataFileError` for one that is not a review's summary."""
    if data is None:
        return []
    cycle_id, reviewer_id = path.parent.parent.name, path.stem
    entries = list(data.get("summaries", {}).items())
    for key, doc in entries:
        fault = summary_fault(doc, cycle_id, reviewer_id)
        if fault is not None:
            raise DataFileError(path, f"entry {key}: {fault}")
    return [doc for _, doc in entries]


REOPEN_MAY_CHANGE = {"state", "signoffs", "revision", "updated_at"}


def check_reopen(before: Review, after: Review, entries: list[HistoryEntry]) -> None:
    """A signed-off review may only be reopened: raise `ReadOnlyReview` otherwise."""
    reopened = (
        after.state is not State.signed_off
        and any(e.action == "reopen" and e.note.strip() for e in entries)
        and before.model_dump(exclude=REOPEN_MAY_CHANGE) == after.model_dump(exclude=REOPEN_MAY_CHANGE)
    )
    if not reopened:
        raise ReadOnlyReview(
            f"review {before.id} is signed off and read-only; nothing was changed. "
            "An HR admin can reopen it with a reason."
        )


def review_id_for(cycle_id: str, person_id: str) -> str:
    return f"{cycle_id}/{person_id}"


def check_id(value: str, what: str) -> str:
    """An id that is safe as a file name (no '/', no '..'), or StoreError."""

    if not isinstance(value, str) or not ID_RE.fullmatch(value):
        raise StoreError(f"{value!r} is not a valid {what} (lowercase letters, digits, '.', '_', '-')")
    return value


def split_review_id(review_id: str) -> tuple[str, str]:

    parts = review_id.split("/") if isinstance(review_id, str) else []
    if len(parts) != 2 or not all(ID_RE.fullmatch(p) for p in parts):
        raise NotFound(f"{review_id!r} is not a review id (expected CYCLE/PERSON)")
    return parts[0], parts[1]


# pydantic's words for a few errors, as a person would put them.
PLAIN = {
    "string_pattern_mismatch": "{value!r} is not in the expected form",
    "string_type": "{value!r} is not text",
    "bool_type": "{value!r} is not true or false",
    "list_type": "{value!r} is not a list",
    "missing": "is missing",
}
PLAIN_FIELDS = {
    "email": "{value!r} is not an email address (name@example.com)",
    "login": "{value!r} is not a login (letters, digits, '.', '_', '@', '-')",
}


def first_error(exc: ValidationError) -> str:
    err = exc.errors()[0]
    loc = ".".join(str(x) for x in err["loc"])
    msg = err["msg"].removeprefix("Value error, ")
    template = PLAIN.get(err["type"])
    if err["type"] == "string_pattern_mismatch":
        template = PLAIN_FIELDS.get(loc, template)
    if template is not None:
        msg = template.format(value=err.get("input"))
    return f"{loc}: {msg}" if loc else msg
