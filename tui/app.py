"""The Textual app: `create_app()`, global keys, the command palette and styles.

The app is the one place in the UI that touches the data directory itself
(to open a `Store`, create the demo or initialise an empty directory); the
screens only ever get a `Session`.
"""

from __future__ import annotations

import asyncio
import gc
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

from textual.app import App
from textual.binding import Binding
from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.screen import Screen
from textual.content import Content
from textual.theme import Theme

from .access import AccessError, Session, open_session, os_login
from .store import Store, StoreError

THEME = Theme(
    # Plain, saturated colours that map cleanly onto a 16-colour palette;
    # every state is also spelled out in text, so colour is never the only cue.
    name="kpireview",
    primary="#0087d7",
    secondary="#00afaf",
    accent="#d7af00",
    warning="#d7af00",
    error="#d70000",
    success="#00af00",
    foreground="#e4e4e4",
    background="#000000",
    surface="#121212",
    panel="#262626",
    dark=True,
)


def _highlight(matcher: Any, text: str) -> Content:
    """Like Matcher.highlight, but the candidate is plain text, never markup."""
    content = Content(text)
    score, offsets = matcher.fuzzy_search.match(matcher.query, text)
    if score:
        for offset in offsets:
            if offset < len(text) and not text[offset].isspace():
                content = content.stylize(matcher.match_style, offset, offset + 1)
    return content


Command = tuple[str, Callable[[], Any], str]


class KpiCommands(Provider):
    """The main actions of kpireview in the command palette (ctrl+p)."""

    # Before anything is typed the palette lists the general commands and the
    # reviews of the first this many people; typing searches every review.
    # (Someone who sees thousands of reviews would otherwise wait for a list
    # of three commands for each of them.)
    DISCOVER_REVIEWS = 40

    def _parts(self) -> tuple[list[Command], list[Command], list[Command]]:
        """(general commands, three per visible review, help and quit)."""
        app = self.app
        if not isinstance(app, KpiReviewApp):
            return [], [], []
        general: list[Command] = []
        reviews: list[Command] = []
        current = app.current_review_id()
        # Every command that leaves the screen shown (or covers it with another
        # review's) goes through `app.leave_then`: it asks first, as escape and
        # ctrl+q do, when something typed there is not saved.  Help stacks on
        # top and comes back to it; quit has its own question.
        leave = app.leave_then
        if app.session is not None:
            general.append(("Home: my reviews", app.action_home, "Go back to the list of reviews"))
            if current:
                general.append(("Summary and sign-off of this review",
                                partial(leave, partial(app.open_summary, current)),
                                "Scores, what is missing, sign-offs"))
                general.append(("Export this review to TOML",
                                partial(leave, partial(app.open_export, current)),
                                "Write a TOML file"))
            for s in app.visible_summaries():
                rid, name = s["review_id"], str(s.get("person_name") or s["review_id"])
                cycle = s.get("cycle_id", "")
                reviews.append((f"Open review: {name} ({cycle})",
                                partial(leave, partial(app.open_review, rid)),
                                f"{s.get('role_title', '')}"))
                reviews.append((f"Summary: {name} ({cycle})",
                                partial(leave, partial(app.open_summary, rid)),
                                "Scores and sign-off"))
                reviews.append((f"Export: {name} ({cycle})",
                                partial(leave, partial(app.open_export, rid)),
                                "Write a TOML file"))
        tail: list[Command] = [
            ("Help: keys and workflow", app.action_help, "Every screen's keys"),
            ("Quit kpireview", app.action_quit, "Asks first when something typed is not saved"),
        ]
        return general, reviews, tail

    def _commands(self) -> list[Command]:
        general, reviews, tail = self._parts()
        return general + reviews + tail

    async def startup(self) -> None:
        # Once each time the palette opens, instead of on every key typed.
        self._cached = self._parts()

    def _current_parts(self) -> tuple[list[Command], list[Command], list[Command]]:
        cached = getattr(self, "_cached", None)
        return cached if cached is not None else self._parts()

    async def discover(self) -> Hits:
        general, reviews, tail = self._current_parts()
        for text, callback, help_text in general + reviews[:3 * self.DISCOVER_REVIEWS] + tail:
            yield DiscoveryHit(Content(text), callback, text=text, help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        general, reviews, tail = self._current_parts()
        for n, (text, callback, help_text) in enumerate(general + reviews + tail, 1):
            if n % 500 == 0:
                await asyncio.sleep(0)  # let the next key typed cancel a long search
            score = matcher.match(text)
            if score > 0:
                yield Hit(score, _highlight(matcher, text), callback, text=text, help=help_text)


class KpiReviewApp(App[None]):
    """kpireview: guided KRA/KPI reviews in the terminal."""

    CSS_PATH = "app.tcss"
    TITLE = "kpireview"
    COMMANDS = App.COMMANDS | {KpiCommands}
    BINDINGS = [
        Binding("ctrl+q", "quit", "Quit", priority=True, show=False),
        Binding("question_mark", "help", "Help", key_display="?"),
        Binding("f1", "help", "Help", show=False),
    ]

    def __init__(self, store: Store | None = None, session: Session | None = None,
                 data_dir: Path | None = None, demo_dir: Path | None = None,
                 as_login: str | None = None, login: str | None = None) -> None:
        super().__init__()
        self.store = store if store is not None else (session.store if session else None)
        self.session = session
        self.data_dir = Path(data_dir) if data_dir is not None else (
            self.store.root if self.store is not None else None)
        self.demo_dir = Path(demo_dir) if demo_dir is not None else None
        self.as_login = as_login
        self.login = login or (session.login if session else None) or os_login()
        self.startup_error: str | None = None
        self._quit_question: Any = None  # the ConfirmModal of ctrl+q while it is shown
        self._leave_question: Any = None  # the palette's "Leave anyway?" while it is shown
        # Set before the first screen, so the styles are parsed once with this
        # theme (setting it in on_mount parsed every stylesheet a second time).
        self.register_theme(THEME)
        self.theme = THEME.name

    # --- start-up ----------------------------------------------------------

    def get_default_screen(self) -> Screen[Any]:
        """Home itself when there is a session (no empty screen under it to draw first)."""
        if self.session is None and self.store is not None and self.store.exists():
            try:
                self.session = open_session(self.store, login=self.login, as_login=self.as_login)
            except (AccessError, StoreError) as exc:
                self.startup_error = str(exc)
        if self.session is not None:
            from screens.home import HomeScreen

            return HomeScreen(self.session)
        return super().get_default_screen()

    def on_mount(self) -> None:
        self.call_after_refresh(self._first_screen_painted)
        self._update_titles()
        if self.session is None:
            from screens.welcome import WelcomeScreen

            self.push_screen(WelcomeScreen(self.data_dir, self.demo_dir, self.startup_error))

    def _first_screen_painted(self) -> None:
        # `kpireview` starts with collections off (tui.cli.app_process): what
        # start-up built lives as long as the app, so it is left out of them.
        if not gc.isenabled():
            gc.freeze()
            gc.enable()

    def _update_titles(self) -> None:
        self.title = "kpireview"
        if self.session is None:
            self.sub_title = "no data yet" if self.startup_error is None else "cannot open data"
            return
        try:
            org = self.session.store.basics().organisation
        except StoreError:
            org = str(self.data_dir or "")
        name = self.session.display_name
        login = self.session.login
        self.sub_title = f"{name} ({login}) · {org}" if name != login else f"{login} · {org}"

    # --- file-creating helpers used by the welcome screen ---------------------

    def create_demo(self, on_progress: Callable[[str], None] | None = None) -> Store:
        """Build the demo organisation in demo_dir, or open it when it is already there.

        Runs in a worker thread; `on_progress` is called from that thread.
        """
        from .demo import build_demo, display_name

        target = self.demo_dir or self.data_dir
        if target is None:
            raise StoreError("no directory for the demo; start kpireview with --data DIR")
        store = Store(target)
        if store.exists():
            if on_progress:
                on_progress(f"the demo is already in {target}; opening it")
            return store
        return build_demo(target, self.login, on_progress, name=display_name(self.login))

    def init_data_dir(self) -> Store:
        """Initialise the (empty) data directory with this login as HR admin."""
        if self.data_dir is None:
            raise StoreError("no data directory; start kpireview with --data DIR")
        store = Store(self.data_dir)
        if store.exists():
            return store
        if not store.is_empty():
            raise StoreError(
                f"{self.data_dir} is not empty but has no config.toml; pick another with --data DIR"
            )
        from .models import Config

        store.write_config(Config(hr_admins=[self.login]))
        return store

    def use_store(self, store: Store) -> Session:
        """Open a session on `store` and show Home (after the welcome screen)."""
        as_login = self.as_login if store.basics().allow_as else None
        session = open_session(store, login=self.login, as_login=as_login)
        self.store = store
        self.data_dir = store.root
        self.session = session
        self.startup_error = None
        self._update_titles()
        from screens.home import HomeScreen

        self.switch_screen(HomeScreen(session))
        return session

    # --- navigation --------------------------------------------------------

    def visible_summaries(self) -> list[dict[str, Any]]:
        if self.session is None:
            return []
        try:
            groups = self.session.summaries()
        except StoreError:
            return []
        seen: dict[str, dict[str, Any]] = {}
        for key in ("mine", "team", "line", "all"):
            for s in groups.get(key, []):
                seen.setdefault(s["review_id"], s)
        return list(seen.values())

    def current_review_id(self) -> str | None:
        for screen in reversed(self.screen_stack):
            rid = getattr(screen, "review_id", None)
            if isinstance(rid, str):
                return rid
        return None

    def open_review(self, review_id: str) -> None:
        if self.session is None:
            return
        from screens.overview import OverviewScreen

        self.push_screen(OverviewScreen(self.session, review_id))

    def open_summary(self, review_id: str) -> None:
        if self.session is None:
            return
        from screens.summary import SummaryScreen

        self.push_screen(SummaryScreen(self.session, review_id))

    def open_export(self, review_id: str) -> None:
        if self.session is None:
            return
        from screens.export import ExportModal

        self.push_screen(ExportModal(self.session, review_id))

    def action_home(self) -> None:
        """Back to Home (the command palette): asks first when something typed
        on a screen it leaves is not saved (see `leave_then`)."""
        if self.session is None:
            return
        self.leave_then(self._pop_to_home)

    def _pop_to_home(self) -> None:
        from screens.home import HomeScreen

        # Pop back down to the home screen (the default screen, or the first one
        # above it when the data was opened from the welcome screen).
        while len(self.screen_stack) > 1 and not isinstance(self.screen, HomeScreen):
            self.pop_screen()

    def leave_then(self, then: Callable[[], Any]) -> None:
        """Run `then`, a command that leaves the screen shown (Home, another review,
        a summary, an export), the way escape leaves a screen: what can be saved is
        saved first (each screen's `unsaved_work` does that), and when something
        typed cannot be saved (refused, or a choice left for later) the person is
        asked "Leave anyway?" first.  No does nothing; yes drops it (the screens
        holding it are closed, as escape twice would) and then runs `then`.
        """
        if self._asking():
            return
        unsaved = self._unsaved_screens()
        if not unsaved:
            then()
            return
        from screens.widgets import ConfirmModal

        holding = [screen for screen, _what in unsaved]

        def done(yes: bool | None) -> None:
            self._leave_question = None
            if not yes:
                return
            # Close the screens that hold it (and whatever is on top of them),
            # from the top: they drop what could not be saved as they go.
            stack = self.screen_stack
            lowest = next((i for i, screen in enumerate(stack) if screen in holding), None)
            if lowest is not None:
                for _ in range(len(stack) - max(lowest, 1)):
                    self.pop_screen()
            then()

        self._leave_question = ConfirmModal(
            f"Unsaved: {'; '.join(what for _screen, what in unsaved)}. Leave anyway? (y/n)",
            "y leaves and drops it; n or escape goes back to it.")
        self.push_screen(self._leave_question, done)

    def _asking(self) -> bool:
        """Whether the quit or leave question is on the screen now."""
        return any(q is not None and q in self.screen_stack
                   for q in (self._quit_question, self._leave_question))

    # --- quitting -----------------------------------------------------------

    def unsaved_work(self) -> list[str]:
        """What the screens on the stack hold that is typed but not saved yet.

        A screen may define `unsaved_work() -> str | None` (a short description,
        or None when everything it shows is saved); screens that save as you go
        simply do not define it.
        """
        return [what for _screen, what in self._unsaved_screens()]

    def _unsaved_screens(self) -> list[tuple[Screen[Any], str]]:
        """(screen, what) for each screen on the stack that holds unsaved work."""
        found: list[tuple[Screen[Any], str]] = []
        for screen in list(self.screen_stack):
            check = getattr(screen, "unsaved_work", None)
            if not callable(check):
                continue
            try:
                what = check()
            except Exception:  # a screen that cannot tell: assume nothing is lost
                what = None
            if what:
                found.append((screen, str(what)))
        return found

    def action_quit(self) -> None:  # type: ignore[override]
        """ctrl+q: quit at once, unless a screen holds unsaved work; then ask first."""
        from screens.widgets import ConfirmModal

        if self._quit_question is not None and self._quit_question in self.screen_stack:
            return  # already asking
        unsaved = self.unsaved_work()
        if not unsaved:
            self.exit()
            return

        def done(yes: bool | None) -> None:
            self._quit_question = None
            if yes:
                self.exit()

        self._quit_question = ConfirmModal(
            f"Unsaved: {'; '.join(unsaved)}. Quit anyway? (y/n)",
            "y quits and drops it; n or escape goes back to it.")
        self.push_screen(self._quit_question, done)

    def action_help(self) -> None:
        from screens.help import HelpScreen

        if isinstance(self.screen, HelpScreen):
            return
        self.push_screen(HelpScreen())


def create_app(store: Store | None = None, session: Session | None = None,
               data_dir: Path | None = None, demo_dir: Path | None = None,
               as_login: str | None = None, login: str | None = None) -> KpiReviewApp:
    """The one factory used by `kpireview` and by every test."""
    if store is None and session is None and data_dir is not None:
        candidate = Store(Path(data_dir))
        if candidate.exists():
            store = candidate
    return KpiReviewApp(store=store, session=session, data_dir=data_dir, demo_dir=demo_dir,
                        as_login=as_login, login=login)
