"""Home's list widget: its title and note stay in place while the rows scroll."""

from __future__ import annotations

from rich.text import Text
from textual.app import App, ComposeResult

from screens.review_list import ReviewList
from ui_helpers import lines_of  # noqa: E402

COLUMNS = [("Person", 10), ("Score", 5)]


class ListApp(App[None]):
    CSS = "ReviewList { height: 8; max-height: 8; }"

    def __init__(self, rows: int, note: str = "") -> None:
        super().__init__()
        self.rows = rows
        self.note = note

    def compose(self) -> ComposeResult:
        yield ReviewList(COLUMNS, title="My team", id="list")

    def on_mount(self) -> None:
        widget = self.query_one(ReviewList)
        widget.set_rows([(f"k{i}", [Text(f"person {i}"), Text(str(i))])
                         for i in range(self.rows)], self.note)
        widget.focus()


async def test_title_header_and_note_stay_while_the_rows_scroll() -> None:
    app = ListApp(30, note="The first 30 of 99 are listed")
    async with app.run_test(size=(40, 10)) as pilot:
        await pilot.pause()
        widget = app.query_one(ReviewList)
        lines = lines_of(widget)
        assert lines[0].startswith("My team")
        assert lines[1].startswith(" Person")
        assert lines[2].startswith(" person 0")
        assert lines[-1].startswith(" The first 30 of 99")
        await pilot.press("end")
        await pilot.pause()
        assert widget.cursor_key == "k29"
        lines = lines_of(widget)
        assert lines[0].startswith("My team") and lines[1].startswith(" Person")
        assert lines[-2].startswith(" person 29")  # the last row is shown, above the note
        assert lines[-1].startswith(" The first 30 of 99")
        await pilot.press("pageup")
        await pilot.pause()
        assert widget.cursor_row == 29 - 5  # five rows fit between the header and the note
        await pilot.click(widget, offset=(2, 2))  # the first row shown
        await pilot.pause()
        assert widget.cursor_key == f"k{round(widget.scroll_y)}"


async def test_a_list_without_rows_shows_its_note_and_takes_no_focus() -> None:
    app = ListApp(0, note="No reviews yet.")
    async with app.run_test(size=(40, 10)) as pilot:
        await pilot.pause()
        widget = app.query_one(ReviewList)
        assert app.focused is None and not widget.focusable
        lines = lines_of(widget)
        assert lines[0].startswith("My team") and lines[1].startswith(" No reviews yet.")
        assert "Person" not in "".join(lines)  # no column header over nothing


async def test_a_long_note_is_cut_to_the_width_not_wrapped() -> None:
    note = "x" * 200
    app = ListApp(2, note=note)
    async with app.run_test(size=(40, 10)) as pilot:
        await pilot.pause()
        widget = app.query_one(ReviewList)
        lines = lines_of(widget)
        assert lines[4].startswith(" xxx")  # right below the two rows
        assert len(lines[4]) == widget.scrollable_content_region.width
        assert lines[4].rstrip().endswith("…") and not lines[5].strip()
