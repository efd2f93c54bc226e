"""Helpers for the Pilot tests of the app."""

from __future__ import annotations

from typing import Any

from tui.access import open_session
from tui.app import create_app
from tui.store import Store

SIZE = (80, 24)
ALEX = "2026-h2/alex"
MAYA = "2026-h2/maya"
SAM = "2026-h2/sam"


def app_for(store: Store, login: str = "root") -> Any:
    return create_app(store=store, session=open_session(store, login=login), login=login)


def text_of(widget: Any) -> str:
    content = widget.content
    return getattr(content, "plain", None) or str(content)
