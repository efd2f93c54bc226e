"""Welcome: shown when the data directory is empty or new (or has lost its config.toml)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Header, Static
from textual.worker import get_current_worker

from tui.doctor import lost_config

from .widgets import Literal, MessageLine

INTRO = (
    "kpireview walks a manager and the person who reports to them through a "
    "review: every KRA of the role, every KPI under it, target and actual, a "
    "rating from each of them, comments and improvement actions. At the end "
    "both sign and the review is locked; it can be exported as TOML."
)


class WelcomeScreen(Screen[None]):
    """Offer the demo organisation or an empty data directory."""

    BINDINGS = [
        Binding("d", "demo", "Demo"),
        Binding("i", "init", "Initialise here"),
        Binding("q", "app.quit", "Quit"),
    ]

    def __init__(self, data_dir: Path | None, demo_dir: Path | None,
                 error: str | None = None) -> None:
        super().__init__()
        self.data_dir = data_dir
        self.demo_dir = demo_dir
        self.error = error
        self.busy = False
        # A directory with data but no config.toml lost it: no init or demo over it.
        self.lost = lost_config(data_dir) if data_dir is not None else None

    def compose(self) -> ComposeResult:
        yield Header()
        with VerticalScroll(id="welcome"):
            yield Static("Welcome to kpireview", classes="title")
            yield Static(INTRO, markup=False, classes="para")
            where = str(self.data_dir) if self.data_dir else "(none)"
            if self.lost:
                yield Literal(f"{self.data_dir} holds kpireview data, but its config.toml is "
                              "missing.", classes="para")
                yield Literal(self.lost, id="lost", classes="para")
            else:
                yield Literal(f"There is no kpireview data in {where} yet.", classes="para")
                demo = str(self.demo_dir or self.data_dir or "")
                yield Literal(
                    f"d  create and open the demo organisation (in {demo}): you manage a "
                    "team of five with reviews in every state", classes="choice")
                yield Literal(
                    f"i  initialise an empty data directory in {where}, with you as HR admin",
                    classes="choice")
            yield Static("q  quit", classes="choice", markup=False)
            yield Literal("", id="progress")
            yield MessageLine(id="message", classes="message")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        if self.error:
            self.query_one("#message", MessageLine).error(self.error)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("demo", "init"):
            if self.lost:
                return False
            if self.busy:
                return None
        return True

    def _progress(self, text: str) -> None:
        self.query_one("#progress", Literal).set_text(text)

    def action_demo(self) -> None:
        if self.busy or self.lost:
            return
        self.busy = True
        self.refresh_bindings()
        self._progress("Creating the demo organisation…")
        self.query_one("#message", MessageLine).clear()
        self._build_demo()

    @work(thread=True, exclusive=True, group="welcome")
    def _build_demo(self) -> None:
        worker = get_current_worker()
        app: Any = self.app

        def say(msg: str) -> None:
            if not worker.is_cancelled:
                self.app.call_from_thread(self._progress, f"Creating the demo… {msg}")

        try:
            store = app.create_demo(say)
        except Exception as exc:  # shown in place; the app keeps running
            self.app.call_from_thread(self._failed, str(exc))
            return
        self.app.call_from_thread(self._open, store)

    def action_init(self) -> None:
        if self.busy or self.lost:
            return
        app: Any = self.app
        try:
            store = app.init_data_dir()
        except Exception as exc:
            self._failed(str(exc))
            return
        self._open(store)

    def _failed(self, message: str) -> None:
        self.busy = False
        self.refresh_bindings()
        self._progress("")
        self.query_one("#message", MessageLine).error(message)

    def _open(self, store: Any) -> None:
        app: Any = self.app
        try:
            app.use_store(store)
        except Exception as exc:
            self._failed(str(exc))
