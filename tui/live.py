"""Noticing changes made by another process, and who else has a review open.

Change detection is a `stat()` of the review file: saves are atomic renames,
so a new (mtime, inode, size) means a new version and nothing is re-read
when nothing changed. Presence is one small file per open app
(`presence/<cycle>/<person>/<login>-<host>-<pid>.json`), refreshed by a
heartbeat; a file older than `PRESENCE_TIMEOUT` or whose process is gone
(same host) is ignored and removed by the next reader.
"""

from __future__ import annotations

import json
import os
import socket
import time
from dataclasses import dataclass
from pathlib import Path

from .store import Store, atomic_write_text

PRESENCE_TIMEOUT = 15.0  # seconds without a heartbeat before someone counts as gone
HEARTBEAT = 5.0

Token = tuple[int, int, int] | None


def change_token(store: Store, review_id: str) -> Token:
    """Cheap fingerprint of the stored review; changes whenever it is saved."""
    try:
        st = store.review_path(review_id).stat()
    except FileNotFoundError:
        return None
    return (st.st_mtime_ns, st.st_ino, st.st_size)


@dataclass(frozen=True)
class Presence:
    login: str
    name: str
    host: str
    pid: int


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class PresenceFile:
    """This process's presence on one review, shared by the screens that show it.

    The file is named by login, host and pid, so one process has one file per
    review: each screen `join()`s and `leave()`s, and the file goes with the
    last one.
    """

    def __init__(self, store: Store, review_id: str, login: str, name: str):
        self.host = socket.gethostname()
        self.pid = os.getpid()
        safe_host = "".join(c if c.isalnum() or c in "-." else "_" for c in self.host)[:40]
        self.path = store.presence_dir(review_id) / f"{login}-{safe_host}-{self.pid}.json"
        self.body = json.dumps(
            {"login": login, "name": name, "host": self.host, "pid": self.pid}
        )
        self.users = 0

    def join(self) -> None:
        self.users += 1
        if self.users == 1:
            atomic_write_text(self.path, self.body)

    def beat(self) -> None:
        if not self.users:
            return
        try:
            os.utime(self.path)
        except FileNotFoundError:
            atomic_write_text(self.path, self.body)

    def leave(self) -> None:
        self.users = max(0, self.users - 1)
        if self.users:
            return
        try:
            self.path.unlink()
        except FileNotFoundError:
            pass


def present(store: Store, review_id: str, exclude: Path | None = None,
            now: float | None = None) -> list[Presence]:
    """Everyone with the review open now, except `exclude` (this process)."""
    folder = store.presence_dir(review_id)
    if not folder.is_dir():
        return []
    now = time.time() if now is None else now
    host = socket.gethostname()
    found = []
    for path in sorted(folder.glob("*.json")):
        if exclude is not None and path == exclude:
            continue
        try:
            age = now - path.stat().st_mtime
            info = json.loads(path.read_text(encoding="utf-8"))
            who = Presence(str(info["login"]), str(info["name"]), str(info["host"]),
                           int(info["pid"]))
        except (OSError, ValueError, KeyError, TypeError):
            continue
        stale = age > PRESENCE_TIMEOUT or (who.host == host and not _pid_alive(who.pid))
        if stale:
            try:
                path.unlink()
            except OSError:
                pass
            continue
        found.append(who)
    return found
