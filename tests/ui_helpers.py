"""Helpers for the Pilot tests of the app, and a few shared by other tests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from textual import events
from textual.keys import _character_to_key

from tui.access import Session, open_session
from tui.app import create_app
from tui.store import Store

SIZE = (80, 24)
ALEX = "2026-h2/alex"
MAYA = "2026-h2/maya"
SAM = "2026-h2/sam"


def hr(root: Path) -> Session:
    """A session of the demo's HR admin (harriet) on the data directory at `root`."""
    return open_session(Store(root), login="harriet")


def app_for(store: Store, login: str = "root") -> Any:
    return create_app(store=store, session=open_session(store, login=login), login=login)


def text_of(widget: Any) -> str:
    content = widget.content
    return getattr(content, "plain", None) or str(content)


def lines_of(widget: Any) -> list[str]:
    """What a Line API widget (Home's lists) draws, line by line, as text."""
    return [widget.render_line(y).text for y in range(widget.scrollable_content_region.height)]


def key_event(key: str) -> events.Key:
    """A Key event as the terminal driver makes it (`key` is a key name or a character)."""
    if len(key) == 1:
        return events.Key(_character_to_key(key), key)
    return events.Key(key, None)


async def burst(pilot: Any, *keys: str) -> None:
    """Send `keys` in one go, as a terminal over SSH does: every event is queued
    before the app has handled the first one; then wait until all are handled."""
    app = pilot.app
    for key in keys:
        event = key_event(key)
        event.set_sender(app)
        app._driver.send_message(event)
    for _ in range(5):
        await pilot.pause()
    await pilot.pause(0.05)
    await pilot.pause()
