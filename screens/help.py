"""`?` help: every screen's keys and the workflow in five lines."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Header, Static

WORKFLOW = [
    "1. planning: the manager sets targets and weights (w), then moves on (m).",
    "2. self assessment: the employee enters actuals and self ratings (m).",
    "3. manager assessment: the manager rates; then opens the joint review (m).",
    "4. joint review: both agree ratings, write actions, and each signs (g).",
    "5. signed off: locked, read-only; HR can reopen it with a reason (r).",
]

KEYS: list[tuple[str, list[tuple[str, str]]]] = [
    ("Everywhere", [
        ("ctrl+q", "quit (scores save as you go; asks first if a form is unsaved)"),
        ("? / f1", "this help (f1 also works while typing in a field)"),
        ("ctrl+p", "command palette: open a review, summary, export, help"),
        ("escape", "back to the previous screen / close a dialog"),
        ("tab / shift+tab", "next / previous field or list"),
    ]),
    ("Welcome (no data yet)", [
        ("d", "create and open the demo organisation"),
        ("i", "initialise an empty data directory, you as HR admin"),
        ("q", "quit"),
    ]),
    ("Home", [
        ("↑ ↓", "move in a list; past its end, into the next list"),
        ("enter", "open the review (overview)"),
        ("s", "summary and sign-off of the review"),
        ("f5 / ctrl+r", "refresh the lists"),
        ("q / ctrl+q", "quit (asks first if something is unsaved)"),
    ]),
    ("Review overview", [
        ("↑ ↓", "choose a KRA"),
        ("enter", "guided scoring from that KRA"),
        ("a or ctrl+t", "improvement actions"),
        ("s", "summary and sign-off"),
        ("x", "export to TOML"),
        ("h", "history of every change"),
        ("w", "planning: weights and targets (manager, in planning)"),
        ("m", "move the review on to the next state (asks first)"),
        ("r", "reopen a signed-off review (HR admin, with a reason)"),
    ]),
    ("Planning editor", [
        ("tab / ↑ ↓", "next / previous field; the sums update as you type"),
        ("ctrl+s", "save all weights and targets (when every value is a number and every "
                   "sum is 100)"),
        ("escape", "back (asks when something is not saved)"),
    ]),
    ("Guided scoring", [
        ("pgdn / pgup (f6 / f5)", "next / previous KPI, into the first field you can edit"),
        ("f8 / f7", "next / previous KRA"),
        ("ctrl+g (f4)", "jump to a KRA"),
        ("enter (KPI table)", "edit the highlighted KPI"),
        ("ctrl+t (f9)", "improvement actions"),
        ("enter", "save the field and go on; after a KPI's last field, the next KPI"),
        ("ctrl+z", "put back the saved value of a field whose new value was refused"),
        ("space", "on the N/A box: toggle N/A (enter moves on without toggling)"),
        ("f3", "read-only review: scroll the KPI details"),
    ]),
    ("Summary and sign-off", [
        ("g", "sign the review as it is now (asks first)"),
        ("x", "export to TOML"),
        ("↑ ↓ pgup pgdn", "scroll"),
    ]),
    ("History", [
        ("↑ ↓ pgup pgdn", "scroll; home / end jump"),
        ("escape / q", "back"),
    ]),
    ("Export dialog", [
        ("enter", "export to the file named (asks before overwriting)"),
        ("escape", "close"),
    ]),
    ("Dialogs", [
        ("y / n", "yes / no"),
        ("enter", "OK"),
        ("escape", "cancel"),
    ]),
]


def help_text() -> Text:
    out = Text(end="")
    out.append("The workflow\n", style="bold underline")
    for line in WORKFLOW:
        out.append(f"  {line}\n")
    out.append("\n")
    for title, keys in KEYS:
        out.append(f"{title}\n", style="bold underline")
        for key, what in keys:
            out.append(f"  {key:<16}" if len(key) < 16 else f"  {key}  ", style="bold")
            out.append(f"{what}\n")
        out.append("\n")
    out.rstrip()
    return out


class HelpScreen(Screen[None]):
    BINDINGS = [Binding("escape,q,question_mark", "close", "Close")]

    def compose(self) -> ComposeResult:
        yield Header()
        with VerticalScroll(id="help-body"):
            yield Static(help_text(), markup=False, id="help-text")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.query_one("#help-body", VerticalScroll).focus()

    def action_close(self) -> None:
        self.app.pop_screen()
