"""A list of reviews as fixed-width text rows: Home's sections.

Textual's DataTable measures and renders every cell as its own renderable;
for Home's few columns of plain text that was most of the time to the first
screen. This widget draws each row as one line (the Line API) and keeps the
keys people expect of a table: ↑/↓, home/end, page up/down, enter, a click.
A section's title above the list and a note below it ("No reviews yet.",
"The first 50 of 120 are listed") are lines of the same widget: every widget
on Home is paid for at every start.
"""

from __future__ import annotations

from typing import Any, ClassVar

from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual import events
from textual.binding import Binding, BindingType
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip


class ReviewList(ScrollView, can_focus=True):
    """A title line, a header line, one line per row and a note line; the cursor
    row is highlighted. Without rows there is no header, and no focus."""

    DEFAULT_CSS = """
    ReviewList {
        height: auto;
        background: $surface;
        scrollbar-size-vertical: 1;
        overflow-x: hidden;
    }
    ReviewList > .review-list--title {
        text-style: bold underline;
        background: $background;
    }
    ReviewList > .review-list--note {
        color: $text-muted;
        background: $background;
    }
    ReviewList > .review-list--header {
        text-style: bold;
        color: $foreground;
        background: $panel;
    }
    ReviewList > .review-list--cursor {
        background: $block-cursor-blurred-background;
        color: $block-cursor-blurred-foreground;
    }
    ReviewList:focus > .review-list--cursor {
        background: $block-cursor-background;
        color: $block-cursor-foreground;
        text-style: $block-cursor-text-style;
    }
    """

    COMPONENT_CLASSES: ClassVar[set[str]] = {"review-list--title", "review-list--header",
                                               "review-list--cursor", "review-list--note"}

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "select_cursor", "Open"),
        Binding("up", "cursor_up", "Up", show=False),
        Binding("down", "cursor_down", "Down", show=False),
        Binding("home", "first", "First", show=False),
        Binding("end", "last", "Last", show=False),
        Binding("pageup", "page_up", "Page up", show=False),
        Binding("pagedown", "page_down", "Page down", show=False),
    ]

    cursor_row: reactive[int] = reactive(0, always_update=True)

    class Selected(Message):
        """Enter or a click on a row."""

        def __init__(self, review_list: ReviewList, key: str) -> None:
            super().__init__()
            self.review_list = review_list
            self.key = key

        @property
        def control(self) -> ReviewList:
            return self.review_list

    def __init__(self, columns: list[tuple[str, int]], title: str = "", **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.columns = columns
        self._title = title
        self._note = ""
        self._keys: list[str] = []
        self._cells: dict[str, list[Text]] = {}
        self._lines: dict[tuple[Any, ...], Strip] = {}  # drawn lines, until anything changes

    # --- the rows -------------------------------------------------------------

    def set_rows(self, rows: list[tuple[str, list[Text]]], note: str | None = None) -> None:
        """Show these (key, cells) rows, and `note` below them (None: keep it); the
        cursor stays on its row number where it can."""
        self._keys = [key for key, _ in rows]
        self._cells = dict(rows)
        if note is not None:
            self._note = note
        self._resized()
        self.cursor_row = max(0, min(self.cursor_row, len(self._keys) - 1))

    def set_note(self, note: str) -> None:
        """The line below the rows ('' for none)."""
        if note != self._note:
            self._note = note
            self._resized()

    @property
    def title(self) -> str:
        return self._title

    @property
    def note(self) -> str:
        return self._note

    def _resized(self) -> None:
        width = sum(w + 2 for _, w in self.columns)
        self.virtual_size = Size(width, self._top + len(self._keys) + self._bottom)
        self._lines.clear()
        self.refresh(layout=True)

    @property
    def _top(self) -> int:
        """Lines above the rows: the title, and the header when there are rows."""
        return bool(self._title) + bool(self._keys)

    @property
    def _bottom(self) -> int:
        return bool(self._note)

    @property
    def _shown_rows(self) -> int:
        return max(1, self.scrollable_content_region.height - self._top - self._bottom)

    def allow_focus(self) -> bool:
        return bool(self._keys)

    @property
    def row_count(self) -> int:
        return len(self._keys)

    @property
    def row_keys(self) -> list[str]:
        return list(self._keys)

    def get_row(self, key: str) -> list[Text]:
        return self._cells[key]

    @property
    def cursor_key(self) -> str | None:
        return self._keys[self.cursor_row] if self._keys else None

    def move_cursor(self, row: int, animate: bool = False) -> None:
        self.cursor_row = max(0, min(row, len(self._keys) - 1))

    def validate_cursor_row(self, row: int) -> int:
        return max(0, min(row, len(self._keys) - 1))

    def watch_cursor_row(self) -> None:
        self._scroll_to_cursor()
        self.refresh()

    def _scroll_to_cursor(self) -> None:
        shown = self._shown_rows
        top = round(self.scroll_y)
        if self.cursor_row < top:
            self.scroll_to(y=self.cursor_row, animate=False)
        elif self.cursor_row >= top + shown:
            self.scroll_to(y=self.cursor_row - shown + 1, animate=False)

    # --- drawing ----------------------------------------------------------------

    def get_content_height(self, container: Any, viewport: Any, width: int) -> int:
        return self._top + len(self._keys) + self._bottom

    def _line(self, cells: list[Text], style: Style) -> list[Segment]:
        line = Text(no_wrap=True, end="")
        for cell, (_, width) in zip(cells, self.columns):
            line.append(" ")
            part = cell.copy()
            part.truncate(width, overflow="ellipsis", pad=True)
            line.append_text(part)
            line.append(" ")
        return list(Segment.apply_style(line.render(self.app.console), style))

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._lines.clear()

    def _part(self, y: int) -> tuple[str, int]:
        """What line `y` of the widget shows: ("title" | "header" | "note" | "row", row)."""
        if self._title and y == 0:
            return "title", -1
        if self._keys and y == bool(self._title):
            return "header", -1
        # below the last row, or at the bottom while the rows scroll
        if self._note and y == min(self.scrollable_content_region.height - 1,
                                   self._top + len(self._keys)):
            return "note", -1
        return "row", round(self.scroll_y) + y - self._top

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        part, row = self._part(y)
        scroll_x = round(self.scroll_x)
        key = (part, row, row == self.cursor_row, self.has_focus, width, scroll_x)
        line = self._lines.get(key)
        if line is None:
            line = self._lines[key] = self._render_line(part, row, width, scroll_x)
        return line

    def _render_line(self, part: str, row: int, width: int, scroll_x: int) -> Strip:
        base = self.rich_style
        if part in ("title", "note"):
            # Fixed in place (not scrolled sideways), cut to the width.
            style = base + self.get_component_rich_style(f"review-list--{part}")
            text = Text(self._title if part == "title" else self._note, no_wrap=True, end="")
            text.truncate(max(0, width - 1), overflow="ellipsis")
            line = Text(" " if part == "note" else "", end="")
            line.append_text(text)
            segments = list(Segment.apply_style(line.render(self.app.console), style))
            return Strip(segments).extend_cell_length(width, style).crop(0, width)
        if part == "header":
            style = base + self.get_component_rich_style("review-list--header")
            header = [Text(name) for name, _ in self.columns]
            segments = self._line(header, style)
        elif not 0 <= row < len(self._keys):
            return Strip.blank(width, base)
        else:
            style = base
            if row == self.cursor_row:
                style = base + self.get_component_rich_style("review-list--cursor")
            segments = self._line(self._cells[self._keys[row]], style)
        return Strip(segments).extend_cell_length(scroll_x + width, style).crop(
            scroll_x, scroll_x + width)

    def on_resize(self) -> None:
        self._scroll_to_cursor()

    def on_focus(self) -> None:
        self.refresh()

    def on_blur(self) -> None:
        self.refresh()

    # --- keys and the mouse ---------------------------------------------------------

    def action_cursor_up(self) -> None:
        self.cursor_row -= 1

    def action_cursor_down(self) -> None:
        self.cursor_row += 1

    def action_first(self) -> None:
        self.cursor_row = 0

    def action_last(self) -> None:
        self.cursor_row = len(self._keys) - 1

    def action_page_up(self) -> None:
        self.cursor_row -= self._shown_rows

    def action_page_down(self) -> None:
        self.cursor_row += self._shown_rows

    def action_select_cursor(self) -> None:
        key = self.cursor_key
        if key is not None:
            self.post_message(self.Selected(self, key))

    def on_click(self, event: events.Click) -> None:
        part, row = self._part(event.y)
        if part == "row" and 0 <= row < len(self._keys):
            self.cursor_row = row
            self.focus()
            self.action_select_cursor()
