"""A list of reviews as fixed-width text rows: Home's sections.

Textual's DataTable measures and renders every cell as its own renderable;
for Home's few columns of plain text that was most of the time to the first
screen. This widget draws each row as one line (the Line API) and keeps the
keys people expect of a table: ↑/↓, home/end, page up/down, enter, a click.
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
    """A header line and one line per row; the cursor row is highlighted."""

    DEFAULT_CSS = """
    ReviewList {
        height: auto;
        background: $surface;
        scrollbar-size-vertical: 1;
        overflow-x: hidden;
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

    COMPONENT_CLASSES: ClassVar[set[str]] = {"review-list--header", "review-list--cursor"}

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

    def __init__(self, columns: list[tuple[str, int]], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.columns = columns
        self._keys: list[str] = []
        self._cells: dict[str, list[Text]] = {}
        self._lines: dict[tuple[Any, ...], Strip] = {}  # drawn lines, until anything changes

    # --- the rows -------------------------------------------------------------

    def set_rows(self, rows: list[tuple[str, list[Text]]]) -> None:
        """Show these (key, cells) rows; the cursor stays on its row number where it can."""
        self._keys = [key for key, _ in rows]
        self._cells = dict(rows)
        width = sum(w + 2 for _, w in self.columns)
        self.virtual_size = Size(width, len(self._keys) + 1)
        self.cursor_row = max(0, min(self.cursor_row, len(self._keys) - 1))
        self._lines.clear()
        self.refresh()

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
        shown = max(1, self.scrollable_content_region.height - 1)  # rows below the header
        top = round(self.scroll_y)
        if self.cursor_row < top:
            self.scroll_to(y=self.cursor_row, animate=False)
        elif self.cursor_row >= top + shown:
            self.scroll_to(y=self.cursor_row - shown + 1, animate=False)

    # --- drawing ----------------------------------------------------------------

    def get_content_height(self, container: Any, viewport: Any, width: int) -> int:
        return len(self._keys) + 1

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

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        row = round(self.scroll_y) + y - 1 if y else -1
        scroll_x = round(self.scroll_x)
        key = (row, row == self.cursor_row, self.has_focus, width, scroll_x)
        line = self._lines.get(key)
        if line is None:
            line = self._lines[key] = self._render_line(y, row, width, scroll_x)
        return line

    def _render_line(self, y: int, row: int, width: int, scroll_x: int) -> Strip:
        base = self.rich_style
        if y == 0:
            style = base + self.get_component_rich_style("review-list--header")
            header = [Text(name) for name, _ in self.columns]
            segments = self._line(header, style)
        elif row >= len(self._keys):
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
        self.cursor_row -= max(1, self.scrollable_content_region.height - 1)

    def action_page_down(self) -> None:
        self.cursor_row += max(1, self.scrollable_content_region.height - 1)

    def action_select_cursor(self) -> None:
        key = self.cursor_key
        if key is not None:
            self.post_message(self.Selected(self, key))

    def on_click(self, event: events.Click) -> None:
        row = round(self.scroll_y) + event.y - 1
        if event.y >= 1 and 0 <= row < len(self._keys):
            self.cursor_row = row
            self.focus()
            self.action_select_cursor()
