"""The choice offered when someone else changed the field you were editing.

`ConflictModal(what, theirs, yours, who="")` shows both values literally and
dismisses with

- ``"mine"``   keep what you typed (it is saved over theirs; the history keeps theirs),
- ``"theirs"`` take the value stored now (your text is dropped on purpose),
- ``None``     decide later: nothing is saved, your text stays in the field.

Keys: ``m`` keep mine, ``t`` take theirs, ``escape`` decide later (also the
buttons, with tab/enter).

The dialog answers once: a second key or click after the first choice (it
may arrive before the dialog has gone) is ignored, as is a choice while
another screen is on top of it; mounted without its buttons (popped before
it was composed) it does nothing.
"""

from __future__ import annotations

from typing import Any

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Button, Footer, Static

from .widgets import VisibleControls, clean, literal

__all__ = ["ConflictModal", "VisibleControls", "show_value"]

# One visible character for each control character, so the cursor stays in step.
def show_value(value: Any) -> str:
    """A stored or typed value as a person reads it."""
    if value is None or value == "":
        return "(empty)"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if hasattr(value, "value") and not isinstance(value, (int, str)):  # enums
        return str(value.value)
    return str(value)


class ConflictModal(ModalScreen[str | None]):
    """Their value (stored now) against yours; the person chooses which stays."""

    DEFAULT_CSS = """
    ConflictModal {
        align: center middle;
    }
    ConflictModal > #conflict-box {
        width: 72;
        max-width: 100%;
        height: auto;
        max-height: 100%;
        border: heavy $warning;
        padding: 0 1;
        background: $surface;
    }
    ConflictModal .conflict-title {
        text-style: bold;
        height: auto;
    }
    ConflictModal .conflict-label {
        margin-top: 1;
        text-style: bold;
        height: 1;
    }
    ConflictModal .conflict-value {
        height: auto;
        max-height: 5;
        border-left: thick $panel;
        padding-left: 1;
    }
    ConflictModal #conflict-buttons {
        height: auto;
        margin-top: 1;
    }
    ConflictModal #conflict-buttons Button {
        margin-right: 1;
        min-width: 10;
    }
    """

    BINDINGS = [
        Binding("m", "choose('mine')", "Keep mine"),
        Binding("t", "choose('theirs')", "Take theirs"),
        Binding("escape", "later", "Decide later"),
    ]

    def __init__(self, what: str, theirs: Any, yours: Any, who: str = "") -> None:
        super().__init__()
        self.what = what
        self.theirs = theirs
        self.yours = yours
        self.who = who
        self._answered = False

    def compose(self) -> ComposeResult:
        by = f" by {clean(self.who)}" if self.who else " by someone else"
        with Vertical(id="conflict-box"):
            yield Static(
                literal(f"⚠ Changed{by} while you were editing: {clean(self.what)}"),
                classes="conflict-title", markup=False,
            )
            yield Static("Theirs (stored now):", classes="conflict-label", markup=False)
            yield Static(literal(show_value(self.theirs)), id="conflict-theirs",
                         classes="conflict-value", markup=False)
            yield Static("Yours (not saved yet):", classes="conflict-label", markup=False)
            yield Static(literal(show_value(self.yours)), id="conflict-yours",
                         classes="conflict-value", markup=False)
            with Horizontal(id="conflict-buttons"):
                yield Button(Content("Keep mine (m)"), id="mine", variant="primary")
                yield Button(Content("Take theirs (t)"), id="theirs")
                yield Button(Content("Later (esc)"), id="later")
        yield Footer()

    def on_mount(self) -> None:
        for button in self.query("#mine").results(Button):
            button.focus()

    def _answer(self, choice: str | None) -> None:
        """Dismiss with `choice`, once, and only while this dialog is on top
        (dismiss pops whatever screen is on top)."""
        if self._answered or not self.is_active:
            return
        self._answered = True
        self.dismiss(choice)

    def action_choose(self, choice: str) -> None:
        self._answer(choice)

    def action_later(self) -> None:
        self._answer(None)

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self._answer(None if event.button.id == "later" else event.button.id)
