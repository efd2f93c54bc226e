"""Home: who I am, my reviews, my team's, further down the line, and (HR) all."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.events import DescendantFocus
from textual.screen import Screen
from textual.widgets import Header, Static

from tui.access import Session, StoreError

from .keys_now import KeysNow
from .review_list import ReviewList
from .widgets import Literal, MessageLine, StableFooter, literal, text_bar

SECTIONS = [
    ("mine", "My reviews"),
    ("team", "My team"),
    ("line", "Further down the line (read-only)"),
    ("all", "All reviews (HR)"),
]

STATE_SHORT = {
    "planning": "planning",
    "self_assessment": "self-assess",
    "manager_assessment": "mgr assess",
    "joint_review": "joint review",
    "signed_off": "signed off ✓",
}

# 76 columns in all: the list's own scrollbar and the page's still fit in 80.
COLUMNS = [("Person", 15), ("Role", 14), ("Cycle", 7), ("State", 12), ("Progress", 11),
           ("Score", 5)]

# Rows put into one section's list at first; `m` adds as many again (a list
# of thousands, HR's or the head of a large organisation's, is not drawn whole).
PAGE = 50


def home_order(s: dict[str, Any]) -> tuple[str, str]:
    """Lists are sorted by cycle, then name (whatever its case)."""
    return (str(s.get("cycle_id")), str(s.get("person_name")).casefold())


def _cell(value: Any, width: int) -> Text:
    text = literal(value)
    text.truncate(width, overflow="ellipsis")
    return text


def summary_row(s: dict[str, Any]) -> list[Text]:
    state = str(s.get("state", ""))
    values = [
        s.get("person_name", ""),
        s.get("role_title", ""),
        s.get("cycle_id", ""),
        STATE_SHORT.get(state, state.replace("_", " ")),
        text_bar(s.get("done", 0), s.get("total", 0), width=5),
        s.get("overall") or "—",
    ]
    return [_cell(v, w) for v, (_, w) in zip(values, COLUMNS)]


class ReviewTable(KeysNow, ReviewList):
    """One section of Home; enter opens the review under the cursor.

    ↓ on the last row goes on to the first row of the next list, ↑ on the
    first row back to the last row of the list above. Keys are handled when
    read (`KeysNow`): ↓↓↓ in one burst walks on through the next list.
    """

    def action_cursor_down(self) -> None:
        screen = self.screen
        if (self.row_count and self.cursor_row >= self.row_count - 1
                and isinstance(screen, HomeScreen) and screen.move_to_table(self, 1)):
            return
        super().action_cursor_down()

    def action_cursor_up(self) -> None:
        screen = self.screen
        if (self.cursor_row <= 0 and isinstance(screen, HomeScreen)
                and screen.move_to_table(self, -1)):
            return
        super().action_cursor_up()


class HomeScreen(Screen[None]):
    DEFAULT_CSS = """
    HomeScreen #home-warning {
        height: auto;
        padding: 0 1;
        color: $warning;
        text-style: bold;
    }
    """

    BINDINGS = [
        Binding("enter", "open", "Open", show=False),
        Binding("s", "summary", "Summary"),
        Binding("f5,ctrl+r", "reload", "Refresh"),
        Binding("m", "more", "More rows"),
        Binding("q", "app.quit", "Quit", show=False),
        Binding("tab", "app.focus_next", "Next list", show=False),
    ]

    def __init__(self, session: Session) -> None:
        super().__init__()
        self.session = session
        self.summaries: dict[str, list[dict[str, Any]]] = {}
        self.counts: dict[str, int] = {}  # rows of each list, also those not read (see `PAGE`)
        self._loading = False  # the long lists are being read
        self._generation = 0  # of the lists being read: a later reload wins
        self.limits: dict[str, int] = {key: PAGE for key, _ in SECTIONS}
        self._stale = False  # another screen was shown over this one since the last load
        self.problems: list[str] = []  # why some lists may be incomplete (damaged indexes)
        self._last_table: str | None = None  # id of the list that last had the focus

    def compose(self) -> ComposeResult:
        yield Header()
        with VerticalScroll(id="home", can_focus=False):
            yield Literal("", id="whoami")
            yield Literal("", id="home-warning")
            for key, title in SECTIONS:
                # the section's title and its note ("No reviews yet.") are lines of the list
                yield ReviewTable(COLUMNS, title=title, id=f"table-{key}", classes="review-table")
            yield Static("", id="hint", classes="hint", markup=False)
        yield MessageLine(id="message", classes="message")
        yield StableFooter(compact=True)

    def on_mount(self) -> None:
        self.reload()

    def on_screen_suspend(self) -> None:
        self._stale = True

    def on_screen_resume(self) -> None:
        # Only when coming back from another screen: the first showing follows
        # on_mount, which has just loaded everything.
        if self.is_mounted and self._stale:
            self._stale = False
            self.reload()

    def _capped(self) -> list[str]:
        return [key for key, _ in SECTIONS
                if self.counts.get(key, len(self.summaries.get(key, []))) > self.limits[key]]

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "more":
            return bool(self._capped())
        return True

    def action_more(self) -> None:
        capped = self._capped()
        focused = self.focused
        key = next((k for k in capped if focused is not None and focused.id == f"table-{k}"),
                   capped[0] if capped else None)
        if key is not None:
            self.limits[key] += PAGE
            self.reload()

    def action_reload(self) -> None:
        self.reload()

    def reload(self) -> None:
        """Read my reviews and my team's now; the long lists in the background."""
        self._generation += 1
        try:
            lists = self.session.lists(("mine", "team"))
            # The long lists read before stay shown until they are read again.
            self.summaries = {**self.summaries, **lists.rows}
            self.counts = {**self.counts, **lists.counts}
            self.problems = [str(p) for p in lists.problems]
            self._loading = self.session.has_long_lists()
        except StoreError as exc:
            # Nothing could be listed; still say so plainly, with the advice.
            self.summaries, self.counts, self.problems = {}, {}, [str(exc)]
            self._loading = False
        self._show()
        if self._loading:
            # After Home is painted: the thread would hold the interpreter lock
            # for much of the time the first paint takes.
            self.call_after_refresh(self._load_long_lists, self._generation, dict(self.limits))

    @work(thread=True, exclusive=True, group="home-long-lists")
    def _load_long_lists(self, generation: int, limits: dict[str, int]) -> None:
        # Further down the line and HR's all: the head of a large organisation
        # reads hundreds of team indexes for them, so Home is shown first.
        try:
            lists = self.session.lists(("line", "all"), top=max(limits.values()), order=home_order)
            rows, counts, problems = lists.rows, lists.counts, lists.problems
        except StoreError as exc:
            rows, counts, problems = {}, {}, [str(exc)]
        self.app.call_from_thread(self._long_lists_loaded, generation, rows, counts, problems)

    def _long_lists_loaded(self, generation: int, rows: dict[str, list[dict[str, Any]]],
                           counts: dict[str, int], problems: list[str]) -> None:
        if generation != self._generation or not self.is_mounted:
            return  # a newer reload is on its way
        self._loading = False
        self.summaries = {**self.summaries, **rows}
        self.counts = {**self.counts, **counts}
        self.problems = list(dict.fromkeys(self.problems + problems))
        self._show(("line", "all"))

    def _show(self, keys: tuple[str, ...] = tuple(key for key, _ in SECTIONS)) -> None:
        """Show the lists `keys` as read (and the lines above and below them)."""
        problems = self.problems
        warning = self.query_one("#home-warning", Literal)
        warning.display = bool(problems)
        if len(problems) == 1:
            warning.set_text(f"! Some reviews may be missing from these lists: {problems[0]}")
        elif problems:
            warning.set_text("! Some reviews may be missing from these lists:\n"
                             + "\n".join(f"  • {p}" for p in problems))
        else:
            warning.set_text("")
        me = self.session.person
        who = f"{self.session.display_name} ({self.session.login})"
        roles = []
        manager = self.session.has_reports()
        if me is not None:
            roles.append("employee")
            if manager or self.summaries.get("team"):
                roles.append("manager")
        if self.session.is_hr:
            roles.append("HR admin")
        self.query_one("#whoami", Literal).set_text(
            f"You are {who}" + (f" · {', '.join(roles)}" if roles else "")
        )
        focused_table = None
        for key, _title in SECTIONS:
            rows = self.summaries.get(key, [])
            if key not in keys:
                if rows and focused_table is None and self.limits[key]:
                    focused_table = self.query_one(f"#table-{key}", ReviewTable)
                continue
            count = self.counts.get(key, len(rows))
            loading = self._loading and key in ("line", "all")
            table = self.query_one(f"#table-{key}", ReviewTable)
            shown = bool(rows) or (key == "mine" and me is not None) or (
                key == "all" and self.session.is_hr) or loading
            if key == "team":
                shown = bool(rows) or manager
            table.display = shown
            limit = self.limits[key]
            note = ""
            if not shown:
                pass  # (hidden)
            elif loading and not rows:
                note = "Loading…"
            elif not rows and problems and (key != "mine" or count):
                note = "None listed: some lists could not be read (see the warning above)."
            elif not rows:
                note = "No reviews yet." if key == "mine" else "None."
            elif key == "mine" and count > len(rows) and problems:
                note = "Some could not be listed (see the warning above)."
            elif count > limit:
                note = (f"The first {limit:,} of {count:,} are listed; "
                        f"press m for {min(PAGE, count - limit):,} more.")
            elif count > len(rows) and problems:
                note = "Some could not be listed (see the warning above)."
            ordered = sorted(rows, key=home_order)
            table.set_rows([(s["review_id"], summary_row(s)) for s in ordered[:limit]], note)
            if rows:
                if focused_table is None:
                    focused_table = table
        hint = self.query_one("#hint", Static)
        if (not any(self.summaries.get(k) for k, _ in SECTIONS) and not problems
                and not self._loading):
            hint.update(
                "No reviews to show. An HR admin starts reviews with 'kpireview cycle open' and "
                "'kpireview review start'. To see a full example, try the demo in a folder "
                "of its own: kpireview --data ~/kpi-demo demo"
            )
            hint.display = True
        else:
            hint.display = False
        focused = self.focused
        lost = focused is None or (isinstance(focused, ReviewTable) and not (
            focused.display and focused.row_count))
        if lost and focused_table is not None:
            focused_table.focus()
        self.refresh_bindings()

    def _tables(self) -> list[ReviewTable]:
        """The lists shown now, top to bottom."""
        return [t for t in self.query(ReviewTable).results(ReviewTable)
                if t.display and t.row_count]

    def move_to_table(self, table: ReviewTable, step: int) -> bool:
        """Focus the next (step 1) or previous (-1) list shown; False when there is none."""
        tables = self._tables()
        if table not in tables:
            return False
        i = tables.index(table) + step
        if not 0 <= i < len(tables):
            return False
        target = tables[i]
        target.move_cursor(row=0 if step > 0 else target.row_count - 1, animate=False)
        self.set_focus(target)  # now, not after the keys already read (see KeysNow)
        return True

    @on(DescendantFocus)
    def _focus_changed(self, event: DescendantFocus) -> None:
        if isinstance(event.widget, ReviewTable):
            self._last_table = event.widget.id

    def _current_table(self) -> ReviewTable | None:
        """The focused list, else the one focused last, else the first shown."""
        tables = self._tables()
        focused = self.focused
        if isinstance(focused, ReviewTable) and focused in tables:
            return focused
        last = next((t for t in tables if t.id == self._last_table), None)
        return last or (tables[0] if tables else None)

    def _selected(self) -> str | None:
        table = self._current_table()
        if table is None:
            return None
        return table.cursor_key

    @on(ReviewList.Selected)
    def _row_selected(self, event: ReviewList.Selected) -> None:
        event.stop()
        self.app_open(event.key)

    def app_open(self, review_id: str) -> None:
        app: Any = self.app
        app.open_review(review_id)

    def action_open(self) -> None:
        rid = self._selected()
        if rid:
            self.app_open(rid)

    def action_summary(self) -> None:
        rid = self._selected()
        if rid:
            app: Any = self.app
            app.open_summary(rid)
