"""Guided scoring: one KRA at a time, one KPI at a time, saved as you go.

`ScoringScreen(session, review_id, kra_index=0, kpi_index=0)` shows

- a progress line ``KRA 3/10 · KPI 2/4 — <KRA title> (weight 10%)`` and the
  KRA statement,
- the KRA's KPIs in a compact table (target, actual, achievement %,
  suggested, self, manager and agreed rating; ``N/A`` where not applicable;
  ``▶`` marks the KPI in the editor),
- an editor for one KPI: its definition, target, actual, achievement and the
  suggested rating (or why there is none), the ratings on the review's scale,
  the reason for departing from the suggestion, N/A with a reason, my comment
  and the others' comments (read-only).

Only the fields in `view.editable` can be edited; the rest are shown
disabled with a note why.  Every value is checked by the core on save; a
refused value stays in its field with the core's message under it, and
nothing is saved.

Saving: a field is saved on enter, when it loses focus, one second after the
last keystroke, before moving to another KPI/KRA or screen, and when the
screen goes away (also when the app quits with ctrl+q).  Every save passes
the value last seen for that field; if someone else changed it meanwhile the
`ConflictModal` asks which value stays.

A value in conflict is saved only when the person chooses "Keep mine".  After
"Later" (or a conflict found while nothing could ask: the app's quit guard,
another screen on top) the field is *held*: it shows why under it, and no
automatic save (typing pause, tab, leaving, another screen, quitting) tries it
again; enter in it asks again, and typing in it makes it a new value.  A
refused value is held the same way.  Leaving (escape twice) or quitting
drops a held value, as the screen says; the value stored stays theirs.

Live: the review file is polled every 0.5 s; changes by others update the
table and every field you are not editing.  ``Also here:`` names the others
who have the review open.

Keys (they all work while a field has focus; none is a key a text field uses):

=====================  ==================================================
enter (on the table)   edit the highlighted KPI: its first field you can edit
enter                  save the field, go to the next one; in the last
                       field go to the next KPI (after a KRA's last KPI:
                       the first KPI of the next KRA)
tab / shift+tab        next / previous field (saves the one you leave)
pagedown or f6         next KPI
pageup or f5           previous KPI
f8 or ctrl+pagedown    next KRA
f7 or ctrl+pageup      previous KRA
ctrl+g or f4           jump to any KRA (a list; enter jumps)
                       (each of these lands in the first field you can edit
                       of the KPI shown, whichever field had the focus)
ctrl+t or f9           improvement actions of this review
space                  toggle N/A (on the N/A box; enter there moves on)
ctrl+z                 put back the saved value of a field whose typed value
                       was refused (or is not saved yet)
f3                     read-only review: focus the KPI details, so
                       up/down/home/end scroll them (again: the table)
escape                 back (everything is saved first)
=====================  ==================================================

Keys typed in a burst (over SSH) go to the field that has the focus after
the keys before them: see `KeysNow`.

F-keys are offered beside the ctrl keys because ctrl+pageup/pagedown do not
reach the app in some terminals; all of the keys above work over SSH in tmux.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from rich.text import Text
from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.message import Message
from textual.reactive import reactive
from textual.screen import ModalScreen, Screen
from textual.timer import Timer
from textual.widget import Widget
from textual.widgets import DataTable, Footer, Header, Input, OptionList, Static
from textual.widgets.option_list import Option

from tui.access import (
    AccessError, Conflict, DataFileError, NotFound, ReviewView, Session, StoreError,
    WorkflowError,
)
from tui.models import NON_NEGATIVE_UNITS, Direction, Kind, Review, ReviewKPI, ReviewKRA, State
from tui.scoring import fmt, kpi_done, suggestion

from .conflict import ConflictModal, VisibleControls, show_value
from .keys_now import KeysNow, binding_now, type_now
from .widgets import (
    ConfirmModal, MessageLine, PresenceKeeper, ReviewProblem, StableFooter, clean, literal,
    resign_note, watch_review,
)

__all__ = ["FieldInput", "JumpModal", "KPITable", "NAToggle", "ScoringScreen", "StableFooter"]

ERRORS = (AccessError, WorkflowError, NotFound, StoreError)
DEBOUNCE = 1.0  # seconds after the last keystroke before a field saves itself

# Text fields of the editor, in the order enter walks them.
ORDER = ("actual", "self_rating", "manager_rating", "agreed_rating", "rating_reason",
         "na_reason", "comment")
NUMBER_FIELDS = ("actual",)
RATING_FIELDS = ("self_rating", "manager_rating", "agreed_rating")
LABELS = {
    "actual": "Actual",
    "self_rating": "Self rating",
    "manager_rating": "Manager rating",
    "agreed_rating": "Agreed rating",
    "rating_reason": "Reason",
    "na_reason": "N/A reason",
    "comment": "My comment",
    "na": "N/A",
}
WIDE_FIELDS = ("rating_reason", "na_reason", "comment")  # no hint: the field fills the row
LABEL_WIDTH = 16
SHORT_WIDTH = 16  # cells of a field that is not wide (Input.short below)
HIDDEN_WHEN_EMPTY = ("sc-departure", "sc-others")
# The screen-wide messages about a field that blocks moving on (cleared once
# nothing does: see `_settle_message`).
BLOCKED_MESSAGES = ("a field could not be saved", "a value in conflict")
SUGGESTED_OF = {"self_rating": "self rating", "manager_rating": "manager rating",
                "agreed_rating": "agreed rating"}


def num(value: Decimal | None) -> str:
    """A Decimal as a person types it: no exponent, no trailing zeros ('' for None)."""
    if value is None:
        return ""
    return format(value.normalize(), "f")


def short(text: str, width: int) -> str:
    text = clean(text).replace("\n", " ")
    if width <= 1:
        return text[:max(width, 0)]
    return text if len(text) <= width else text[: width - 1] + "…"


def same(a: Any, b: Any) -> bool:
    """Equal as stored values ('' and None are both empty)."""
    if a in (None, "") and b in (None, ""):
        return True
    if isinstance(a, bool) != isinstance(b, bool):
        return False
    return bool(a == b)


def name_of(review: Review, person_id: str) -> str:
    if person_id == review.person_id:
        return review.person_name
    if person_id == review.reviewer_id:
        return review.reviewer_name or person_id
    return person_id.removeprefix("login:")


class FieldInput(KeysNow, Input):
    """An editor field: keys are typed in at once (see `KeysNow`); always compact."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        # What Input(compact=True) does, less its restyling of a widget that is not
        # mounted yet (mounting styles it again): most of what an Input costs to make.
        self.add_class("-textual-compact", update=False)
        self.set_reactive(Input.compact, True)


class KPITable(KeysNow, DataTable):  # type: ignore[type-arg]
    """The KPI table: its keys move the editor at once (see `KeysNow`).

    Enter edits the highlighted KPI (the focus goes to its first field you can
    edit); the screen handles it when the app reads the key (`_key_now`), the
    binding is what the Footer shows and what runs otherwise.
    """

    BINDINGS = [Binding("enter", "edit_kpi", "Edit KPI")]

    def action_edit_kpi(self) -> None:
        select = getattr(self.screen, "_select_row", None)
        if select is not None:
            select()


class NAToggle(KeysNow, Widget, can_focus=True):
    """``[x] Not applicable`` / ``[ ] Not applicable``: readable without colour."""

    DEFAULT_CSS = """
    NAToggle {
        height: 1;
        width: auto;
    }
    NAToggle:focus {
        text-style: reverse;
    }
    NAToggle:disabled {
        text-style: dim;
    }
    """
    # Space (or a click) toggles; enter moves on, as in every other field.
    BINDINGS = [Binding("space", "toggle", "Toggle N/A", show=False),
                Binding("enter", "next_field", "Next field", show=False)]
    LABEL = "Not applicable (N/A)"
    WIDTH = 4 + len(LABEL)  # cells, with the box

    value: reactive[bool] = reactive(False)

    class Changed(Message):
        def __init__(self, toggle: NAToggle, value: bool) -> None:
            super().__init__()
            self.toggle = toggle
            self.value = value

        @property
        def control(self) -> NAToggle:
            return self.toggle

    def render(self) -> Text:
        return Text(f"[{'x' if self.value else ' '}] {self.LABEL}")

    def action_toggle(self) -> None:
        if self.disabled:
            return
        self.value = not self.value
        self.post_message(self.Changed(self, self.value))

    def action_next_field(self) -> None:
        after = getattr(self.screen, "_na_enter", None)
        if after is not None:
            after()


class FieldRow(Widget):
    """One line of the editor: a label, the field (the row's one child), a hint.

    The row draws the label and the hint itself, under and beside the field,
    instead of holding a Static for each: the time a screen takes to open
    grows with its widgets.  The field starts after the label; the hint
    `hint_at` cells after that.
    """

    DEFAULT_CSS = f"""
    FieldRow {{
        layout: horizontal;
        height: 1;
        text-wrap: nowrap;
        text-overflow: ellipsis;
    }}
    FieldRow > FieldInput, FieldRow > NAToggle {{
        margin-left: {LABEL_WIDTH};
    }}
    """

    def __init__(self, label: str, field: Widget, hint_at: int, hint: str = "",
                 id: str | None = None) -> None:
        super().__init__(field, id=id, classes="field-row")
        self.label = label
        self.hint_at = LABEL_WIDTH + hint_at
        self.hint = hint

    def set_hint(self, hint: str) -> None:
        if hint != self.hint:
            self.hint = hint
            self.refresh()

    def render(self) -> Text:
        if not self.hint:
            return Text(self.label, end="")
        return Text(self.label.ljust(self.hint_at) + clean(self.hint), end="")


class JumpModal(ModalScreen[int | None]):
    """The KRAs of the review; enter jumps to one, escape stays."""

    DEFAULT_CSS = """
    JumpModal {
        align: center middle;
    }
    JumpModal > Vertical {
        width: 76;
        max-width: 100%;
        height: auto;
        max-height: 100%;
        border: heavy $primary;
        background: $surface;
        padding: 0 1;
    }
    JumpModal #jump-title {
        text-style: bold;
        height: 1;
    }
    JumpModal OptionList {
        height: auto;
        max-height: 16;
    }
    """
    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, review: Review, current: int) -> None:
        super().__init__()
        self.review = review
        self.current = current

    def compose(self) -> ComposeResult:
        options = []
        for i, kra in enumerate(self.review.kras):
            done = sum(kpi_done(k, self.review.state) for k in kra.kpis)
            mark = "▶" if i == self.current else " "
            options.append(Option(
                literal(f"{mark}{i + 1:>2}. {short(kra.title, 50)} "
                        f"({num(kra.weight)}%) {done}/{len(kra.kpis)} done"),
                id=str(i),
            ))
        with Vertical():
            yield Static("Jump to a KRA (enter jumps, escape stays)", id="jump-title",
                         markup=False)
            yield OptionList(*options, id="jump-list")
        yield Footer()

    def on_mount(self) -> None:
        option_list = self.query_one(OptionList)
        option_list.highlighted = self.current
        option_list.focus()

    @on(OptionList.OptionSelected)
    def _selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.dismiss(int(event.option.id or 0))

    def action_cancel(self) -> None:
        self.dismiss(None)


KPI_GROUP = Binding.Group("KPI")
KRA_GROUP = Binding.Group("KRA")


class ScoringScreen(Screen[None]):
    """The guided review of one KRA at a time (see the module docstring for keys)."""

    DEFAULT_CSS = """
    ScoringScreen #sc-progress {
        height: auto;
        max-height: 2;
        text-style: bold;
        padding: 0 1;
    }
    ScoringScreen #sc-statement {
        height: auto;
        max-height: 2;
        padding: 0 1;
        text-style: italic;
    }
    ScoringScreen #sc-status {
        height: 1;
        padding: 0 1;
        text-wrap: nowrap;
        text-overflow: ellipsis;
    }
    ScoringScreen #sc-table {
        height: auto;
        max-height: 7;
    }
    ScoringScreen #sc-editor {
        height: 1fr;
        padding: 0 1;
        border-top: solid $panel;
    }
    ScoringScreen #sc-editor:focus {
        border-top: heavy $accent;
    }
    ScoringScreen #sc-definition {
        height: auto;
    }
    ScoringScreen .field-row > Input {
        height: 1;
    }
    ScoringScreen .field-row > Input.short {
        width: 16;
    }
    ScoringScreen .field-row > Input.wide {
        width: 1fr;
    }
    ScoringScreen .field-row > Input:disabled {
        text-style: dim;
    }
    ScoringScreen .field-error {
        height: auto;
        padding-left: 16;
    }
    ScoringScreen #sc-departure {
        height: auto;
    }
    ScoringScreen #sc-others {
        height: auto;
        margin-top: 1;
    }
    ScoringScreen #sc-message {
        height: auto;
        max-height: 3;  /* a long reason wraps instead of being cut at 80 columns */
        padding: 0 1;
    }
    """

    BINDINGS = [
        Binding("pageup,f5", "prev_kpi", "Previous KPI", key_display="PgUp", priority=True,
                group=KPI_GROUP),
        Binding("pagedown,f6", "next_kpi", "Next KPI", key_display="PgDn", priority=True,
                group=KPI_GROUP),
        Binding("f7,ctrl+pageup", "prev_kra", "Previous KRA", key_display="F7", priority=True,
                group=KRA_GROUP),
        Binding("f8,ctrl+pagedown", "next_kra", "Next KRA", key_display="F8", priority=True,
                group=KRA_GROUP),
        Binding("ctrl+g,f4", "jump", "Jump", key_display="^G", priority=True),
        Binding("ctrl+t,f9", "actions", "Actions", key_display="^T", priority=True),
        # Read-only review: focus the KPI details so up/down/home/end scroll them.
        Binding("f3", "details", "Details", key_display="F3", priority=True),
        # Priority: handled when the app reads the key, before the next key is
        # handed to the focused widget (see `KeysNow`).
        Binding("tab", "next_field", "Next field", show=False, priority=True),
        Binding("shift+tab", "prev_field", "Previous field", show=False, priority=True),
        Binding("escape", "back", "Back", priority=True),
        # A refused value: put back the value stored (Input has no ctrl+z of its own).
        Binding("ctrl+z", "put_back", "Put back", key_display="^Z", show=False,
                priority=True),
    ]

    def __init__(self, session: Session, review_id: str, kra_index: int = 0,
                 kpi_index: int = 0) -> None:
        super().__init__()
        self.session = session
        self.review_id = review_id
        self.kra_index = max(0, kra_index)
        self.kpi_index = max(0, kpi_index)
        self.view: ReviewView | None = None
        # Why the review cannot be read now (a damaged file): the screen shows
        # that instead of the review, offers only back and saves nothing; what
        # was typed stays in its field (see `_show_problem`).
        self.problem: BaseException | None = None
        self._focus_at_problem: Widget | None = None
        self._presence: PresenceKeeper | None = None
        self._kpi_id: str | None = None  # the KPI the fields belong to
        self._seen: dict[str, Any] = {}  # stored value last seen, per field ("expected")
        self._shown: dict[str, str] = {}  # text put into / saved from each field
        self._inputs: dict[str, Input] = {}
        self._rows: dict[str, FieldRow] = {}  # per field and "na"
        self._typed_in: dict[str, State] = {}  # the review's state when typing began, by field
        self._errors: dict[str, MessageLine] = {}  # made on the first error (see `_error`)
        self._na: NAToggle | None = None
        self._resolving = False  # a ConflictModal is open
        # Fields whose text is not saved by any automatic save: "conflict" (someone
        # else's value is stored; only "Keep mine" saves this one) or "refused".
        # Enter in the field tries again; typing in it makes it a new value.
        self._held: dict[str, str] = {}
        self._debounce: Timer | None = None
        self._watch: Any = None
        self._leave_armed = False  # escape pressed once with an unsaveable field
        self._table_width = 0
        self._others: list[str] = []
        self._closing = False  # unmounting: save, but touch no widgets
        self._texts: dict[str, str] = {}  # what each Static shows (skip same updates)
        self._cells: dict[tuple[str, str], str] = {}  # the same for the table
        self._focus_moves = 0  # focus changes made by this screen (see on_screen_resume)
        self._focus_before: tuple[Widget | None, int] | None = None  # at suspend
        self._was_suspended = False

    # --- layout ------------------------------------------------------------

    def compose(self) -> ComposeResult:
        # Loaded first, so the widgets are built showing the review rather than
        # being filled in, restyled and laid out again once mounted.
        try:
            self.view = self.session.view(self.review_id)
        except ERRORS:
            pass  # on_mount tries again and shows why
        kpi: ReviewKPI | None = None
        if self.view is not None:
            self._clamp()
            kpi = self._kpi
            self._kpi_id = kpi.id
        yield Header()
        yield ReviewProblem(id="sc-problem")
        yield self._static("sc-progress", self._progress_text() if kpi else "")
        yield self._static("sc-statement", self._statement_text() if kpi else "")
        yield self._static("sc-status", self._status_text() if kpi else "")
        table: DataTable[Text] = KPITable(id="sc-table", cursor_type="row", zebra_stripes=False)
        yield table
        with VerticalScroll(id="sc-editor", can_focus=self._read_only()):
            definition = self._definition(kpi) if kpi else Text()
            self._texts["sc-definition"] = definition.plain
            yield Static(definition, id="sc-definition", markup=False)
            for field in ORDER:
                if field == "na_reason":
                    na_disabled = "na" not in self.view.editable if self.view else False
                    self._na = NAToggle(id="f-na", disabled=na_disabled)
                    if kpi is not None:
                        self._na.set_reactive(NAToggle.value, kpi.na)
                        self._seen["na"] = kpi.na
                    self._rows["na"] = FieldRow(LABELS["na"], self._na, NAToggle.WIDTH + 1,
                                                "read-only" if na_disabled else "", id="row-na")
                    yield self._rows["na"]
                wide = field in WIDE_FIELDS
                text, stored, editable = "", None, True
                if kpi is not None:
                    stored = None if self._hidden(field) else self._stored(field, kpi)
                    text = self._text(field, stored)
                    editable = self._editable(field, kpi)
                # No select_on_focus: it would select later, on the Focus event,
                # after characters typed right behind a Tab; `_focus` selects at once.
                inp = FieldInput(id=f"f-{field}", highlighter=VisibleControls(),
                                 classes="wide" if wide else "short", disabled=not editable,
                                 placeholder=self._placeholder(field), select_on_focus=False)
                with inp.prevent(Input.Changed):
                    inp.value = text
                self._inputs[field] = inp
                self._shown[field] = text
                hint = ""
                if kpi is not None:
                    self._seen[field] = stored
                    hint = self._hint(field, kpi)
                    if wide:
                        inp.placeholder, hint = hint, ""
                if field == "rating_reason":
                    yield self._static("sc-departure", self._departure_text(kpi) if kpi else "")
                self._rows[field] = FieldRow(LABELS[field], inp, SHORT_WIDTH + 1, hint,
                                             id=f"row-{field}")
                yield self._rows[field]
            yield self._static("sc-others", self._others_text(kpi) if kpi else "")
        yield MessageLine(id="sc-message")
        # The Footer is mounted by on_mount, once the focus is set: the keys it
        # shows depend on the focus (a field takes "?"), and are then right at once.

    def _static(self, widget_id: str, text: str) -> Static:
        """A Static showing `text` literally, as `_put` would show it."""
        self._texts[widget_id] = text
        static = Static(literal(text), id=widget_id, markup=False)
        if widget_id in HIDDEN_WHEN_EMPTY:
            static.display = bool(text)
        return static

    def _clamp(self) -> None:
        self.kra_index = min(self.kra_index, len(self._review.kras) - 1)
        self.kpi_index = min(self.kpi_index, len(self._kra.kpis) - 1)

    @staticmethod
    def _placeholder(field: str) -> str:
        return {"rating_reason": "why the rating departs from the suggestion",
                "na_reason": "why this KPI does not apply",
                "comment": "your comment on this KPI"}.get(field, "")

    def on_mount(self) -> None:
        # compose could not load the review: try again; `_load` shows why not
        # (and the watch below shows the review once it can be read).
        if self.view is None and self._load():
            self._clamp()
            self._show_kpi(force=True)
        if self.view is not None:
            self._build_table()
            first = self._first_field()
            self._focus(first or self.query_one("#sc-table", DataTable))
        self.mount(StableFooter())
        self._presence = PresenceKeeper(self, self.session, self.review_id)
        self._update_presence()
        self.set_interval(2.0, self._update_presence, name="others present")
        self._watch = watch_review(self, self.session, self.review_id, self._on_change)

    def on_unmount(self) -> None:
        # The app may be quitting (ctrl+q): save what was typed without asking;
        # a value in conflict or refused (held) is dropped, never forced in.
        self._closing = True
        self._cancel_debounce()
        try:
            self._flush(interactive=False, at_exit=True)
        except Exception:
            pass
        if self._presence is not None:
            self._presence.leave()

    def unsaved_work(self) -> str | None:
        """For the app's quit guard (ctrl+q): what is typed here and cannot be saved.
        What can be saved is saved now, as leaving would; a refused value (shown
        with its error) or a choice between two people's values is what is left."""
        if self.view is None or self._kpi_id is None or not self.is_mounted or self._closing:
            return None
        if self.problem is not None:
            what = self._unsaved_text()
            return f"{what}: not saved, the review file cannot be read" if what else None
        if self._resolving:
            return ("a choice between your value and someone else's, on the screen now "
                    "(quitting keeps theirs)")
        self._cancel_debounce()
        try:
            self._flush(interactive=False)
        except Exception:  # (a screen that cannot tell: the app asks nothing)
            return None
        left = [LABELS[f].lower() for f in self._dirty_fields()]
        if not left:
            return None
        return (f"{', '.join(left)} of KPI {self._kpi.name!r} could not be saved "
                "(see the message under the field)")

    def on_screen_suspend(self) -> None:
        self._was_suspended = True
        # Help or another screen on top: save what can be saved, ask nothing.
        if not self._resolving and not self._closing:
            self._focus_before = (self.focused, self._focus_moves)
        if not self._resolving and self.view is not None and not self._closing:
            self._cancel_debounce()
            try:
                self._flush(interactive=False)
            except Exception:  # the app may be tearing down
                pass

    def on_screen_resume(self, event: events.ScreenResume) -> None:
        if not self._was_suspended:
            # Just mounted: nothing to reload, and every widget was styled as it
            # mounted, so Textual's restyling of the whole screen (it runs after
            # this handler) would only do that work again.
            event.refresh_styles = False
            return
        if self.view is not None and not self._resolving:
            self._reload()
        self._restore_focus()

    def _restore_focus(self) -> None:
        """Back from another screen: the focus is where it was when that screen opened.

        Unless this screen moved it meanwhile on purpose (a jump); never a text
        field that did not have the focus (keys typed next would land in it).
        """
        before, self._focus_before = self._focus_before, None
        if before is None or self._closing or self.view is None or self.problem is not None:
            return
        widget, moves = before
        if moves != self._focus_moves:
            return
        table = self.query_one("#sc-table", DataTable)
        if widget is None or not widget.is_attached or not widget.focusable:
            widget = table
        if self.focused is not widget:
            self.set_focus(widget, scroll_visible=False)

    def on_resize(self) -> None:
        if self.view is not None and self._name_width() != self._table_width:
            self._build_table()

    # --- data ----------------------------------------------------------------

    @property
    def _review(self) -> Review:
        assert self.view is not None
        return self.view.review

    @property
    def _kra(self) -> ReviewKRA:
        return self._review.kras[self.kra_index]

    @property
    def _kpi(self) -> ReviewKPI:
        return self._kra.kpis[self.kpi_index]

    def _load(self) -> bool:
        """Read the review again; when it cannot be read, show why (`_show_problem`)."""
        try:
            self.view = self.session.view(self.review_id)
        except ERRORS as exc:
            self._show_problem(exc)
            return False
        return True

    def _unsaved_text(self) -> str:
        """"your actual and comment of KPI 1.2 (Revenue)" for what is typed here and
        not saved ('' when nothing is)."""
        if self.view is None or self._kpi_id is None:
            return ""
        left = [LABELS[f].lower() for f in self._dirty_fields()]
        if not left:
            return ""
        return (f"your {' and '.join(left)} of KPI {self.kra_index + 1}.{self.kpi_index + 1} "
                f"({clean(self._kpi.name)})")

    def _show_problem(self, exc: BaseException | None) -> None:
        """Show why the review cannot be read in place of it (None: show it again).

        Nothing is saved meanwhile (there is nothing to save into); what was
        typed stays in its field, hidden, and the panel says so: it is saved
        once the file can be read again, and escape asks before dropping it.
        """
        was = self.problem
        self.problem = exc
        if self._closing:
            return
        self._cancel_debounce()
        note = ""
        if exc is not None:
            if was is None:
                self._focus_at_problem = self.focused
            unsaved = self._unsaved_text()
            note = (f"Not saved: {unsaved}. It is kept on this screen and saved once the file "
                    "can be read again; escape asks before leaving without it."
                    if unsaved else "")
        fields = [self.query_one("#sc-table"), self.query_one("#sc-editor")]
        parts = [self.query_one(wid) for wid in ("#sc-progress", "#sc-statement", "#sc-status")]
        if self.query_one("#sc-problem", ReviewProblem).stand_in(exc, parts + fields, fields,
                                                                 note):
            self._message().clear()
        self.refresh_bindings()

    def _on_change(self) -> None:
        """Someone (maybe another process) saved the review."""
        if not self._resolving:
            self._reload()

    def _reload(self) -> None:
        kpi_id = self._kpi_id
        if not self._load():
            return
        if self.problem is not None:
            self._restored(kpi_id)
            return
        if kpi_id is not None:
            self._stay_on(kpi_id)
        self._fill_table()
        self._show_kpi(force=False)

    def _stay_on(self, kpi_id: str) -> None:
        """Point at the KPI `kpi_id` again, even if the review's shape changed."""
        for i, kra in enumerate(self._review.kras):
            for j, kpi in enumerate(kra.kpis):
                if kpi.id == kpi_id:
                    self.kra_index, self.kpi_index = i, j

    def _restored(self, kpi_id: str | None) -> None:
        """The file can be read again: show the review, where it was; save what
        was typed meanwhile (as it would have been; a change made elsewhere
        since is asked about)."""
        self._show_problem(None)
        if kpi_id is None:  # opened on an unreadable file: shown for the first time
            self._clamp()
            self._show_kpi(force=True)
            self._build_table()
        else:
            self._stay_on(kpi_id)
            self._fill_table()
            self._show_kpi(force=False)
        before, self._focus_at_problem = self._focus_at_problem, None
        if kpi_id is not None and before is not None and before.is_attached \
                and before.focusable:
            self._focus(before)
        else:
            self._focus_first()
        if self._dirty_fields() and self.app.screen is self:
            self._flush()

    def _my_comment(self, kpi: ReviewKPI) -> str:
        me = self.session.actor
        return next((c.text for c in kpi.comments if c.author == me), "")

    def _stored(self, field: str, kpi: ReviewKPI) -> Any:
        if field == "comment":
            return self._my_comment(kpi)
        return getattr(kpi, field)

    @staticmethod
    def _text(field: str, value: Any) -> str:
        if value is None:
            return ""
        if field in NUMBER_FIELDS:
            return num(value)
        return str(value)

    def _hidden(self, field: str) -> str:
        """Why the field is hidden from this person now ('' if it is not)."""
        assert self.view is not None
        for note in self.view.hidden:
            if field in ("manager_rating", "agreed_rating", "rating_reason") and \
                    note.startswith("manager ratings"):
                return "hidden until the joint review"
            if field == "self_rating" and note.startswith("self ratings"):
                return "hidden until the manager assessment"
        return ""

    def _editable(self, field: str, kpi: ReviewKPI) -> bool:
        assert self.view is not None
        editable = self.view.editable
        if field not in editable:
            return False
        if field == "actual":
            return kpi.kind is Kind.numeric
        if field == "na_reason":
            return kpi.na
        return True

    def _why_read_only(self, field: str, kpi: ReviewKPI) -> str:
        hidden = self._hidden(field)
        if hidden:
            return hidden
        if field == "actual" and kpi.kind is Kind.rating:
            return "rated by judgement: no actual"
        if field == "na_reason" and not kpi.na and "na_reason" in self.view.editable:  # type: ignore[union-attr]
            return "only when N/A"
        return "read-only"

    def _dirty(self, field: str) -> bool:
        return self._inputs[field].value != self._shown.get(field, "")

    def _dirty_fields(self) -> list[str]:
        return [f for f in ORDER if not self._inputs[f].disabled and self._dirty(f)]

    # --- showing -------------------------------------------------------------

    def _name_width(self) -> int:
        width = self.size.width or 80
        return max(10, width - 53)

    def _build_table(self) -> None:
        table = self.query_one("#sc-table", DataTable)
        table.clear(columns=True)
        self._table_width = self._name_width()
        table.add_column("KPI", key="name", width=self._table_width)
        for label, key, width in (("Target", "target", 8), ("Actual", "actual", 8),
                                  ("Ach%", "ach", 5), ("Sugg", "sugg", 4), ("Self", "self", 4),
                                  ("Mgr", "mgr", 3), ("Agr", "agr", 3)):
            table.add_column(label, key=key, width=width)
        self._cells = {}
        keys = ("name", "target", "actual", "ach", "sugg", "self", "mgr", "agr")
        for j, kpi in enumerate(self._kra.kpis):
            row = self._row(j, kpi)
            table.add_row(*row, key=kpi.id)
            for key, cell in zip(keys, row):
                self._cells[(kpi.id, key)] = cell.plain
        table.move_cursor(row=self.kpi_index, animate=False)

    def _row(self, j: int, kpi: ReviewKPI) -> list[Text]:
        review = self._review
        mark = "▶" if j == self.kpi_index else " "
        ach, sugg = suggestion(review, kpi)
        self_hidden = bool(self._hidden("self_rating"))
        mgr_hidden = bool(self._hidden("manager_rating"))

        def rating(value: int | None, hidden: bool) -> str:
            if hidden:
                return "·"
            return "—" if value is None else str(value)

        if kpi.na:
            actual, ach_text, sugg_text = "N/A", "N/A", "—"
        else:
            actual = "—" if kpi.actual is None else num(kpi.actual)
            if kpi.kind is Kind.rating:
                actual = "judg."
            ach_text = "—" if ach.percent is None else fmt(ach.percent, Decimal(1))
            sugg_text = "—" if sugg is None else str(sugg)
        cells = [
            f"{mark}{j + 1} {clean(kpi.name)}",
            "—" if kpi.target is None else num(kpi.target),
            actual, ach_text, sugg_text,
            rating(kpi.self_rating, self_hidden),
            rating(kpi.manager_rating, mgr_hidden),
            rating(kpi.agreed, mgr_hidden),
        ]
        widths = [self._table_width or self._name_width(), 8, 8, 5, 4, 4, 3, 3]
        out = []
        for i, (cell, width) in enumerate(zip(cells, widths)):
            text = Text(short(cell, width), no_wrap=True)
            if i:
                text.justify = "right"
            out.append(text)
        return out

    def _fill_table(self) -> None:
        table = self.query_one("#sc-table", DataTable)
        kpis = self._kra.kpis
        if table.row_count != len(kpis) or any(
                k.id not in table.rows for k in kpis):
            self._build_table()
            return
        keys = ("name", "target", "actual", "ach", "sugg", "self", "mgr", "agr")
        for j, kpi in enumerate(kpis):
            for key, cell in zip(keys, self._row(j, kpi)):
                if self._cells.get((kpi.id, key)) != cell.plain:
                    self._cells[(kpi.id, key)] = cell.plain
                    table.update_cell(kpi.id, key, cell)
        if table.cursor_row != self.kpi_index:
            table.move_cursor(row=self.kpi_index, animate=False)

    def _show_kpi(self, force: bool) -> None:
        """Fill the editor from the view; `force` replaces every field (new KPI)."""
        kpi = self._kpi
        if force or kpi.id != self._kpi_id:
            force = True
            self._seen = {}
            self._shown = {}
            self._typed_in = {}
            self._held = {}
            self._kpi_id = kpi.id
            for field in [*ORDER, "na"]:
                self._error(field, "")
        self._put("sc-progress", self._progress_text())
        self._put("sc-statement", self._statement_text())
        self._show_status()
        self._show_definition(kpi)
        # The fields.
        for field in ORDER:
            inp = self._inputs[field]
            stored = self._stored(field, kpi)
            if self._hidden(field):
                stored = None
            if force:
                self._set_input(field, self._text(field, stored))
                self._seen[field] = stored
            elif self._dirty(field):
                # The person is typing here: keep their text and the value they
                # started from, so a save can notice someone else's change.
                if same(stored, self._parse_quiet(field, inp.value)):
                    self._seen[field] = stored
                    self._shown[field] = inp.value
                    if self._held.pop(field, None) is not None:
                        self._error(field, "")  # (stored now: nothing left to choose)
            elif not same(stored, self._seen.get(field)):
                self._set_input(field, self._text(field, stored))
                self._seen[field] = stored
            else:
                self._seen[field] = stored
            editable = self._editable(field, kpi)
            if not editable and not inp.disabled and not force and self._dirty(field):
                # The review moved on while this was being typed: it stays visible.
                state = self._review.state
                why = (self._moved_text(state) if self._typed_in.get(field, state) is not state
                       else f"you can no longer change this now ({self.view.next_step})")  # type: ignore[union-attr]
                self._error(field, f"not saved: {why}")
            inp.disabled = not editable
            self._show_hint(field, kpi)
        na = self._na
        assert na is not None
        na.value = kpi.na
        self._seen["na"] = kpi.na
        na.disabled = "na" not in self.view.editable  # type: ignore[union-attr]
        self._rows["na"].set_hint("" if not na.disabled else "read-only")
        self._put("sc-departure", self._departure_text(kpi))
        self._put("sc-others", self._others_text(kpi))
        # Read-only: nothing in the details takes the focus, so the details
        # themselves do (F3 or tab), and up/down/home/end scroll them.
        editor = self.query_one("#sc-editor", VerticalScroll)
        read_only = self._read_only()
        if editor.can_focus != read_only:
            editor.can_focus = read_only
            if not read_only and self.focused is editor:
                self._focus(self._first_field() or self.query_one("#sc-table", DataTable))
            self.refresh_bindings()

    def _set_input(self, field: str, text: str) -> None:
        self._held.pop(field, None)
        inp = self._inputs[field]
        with inp.prevent(Input.Changed):
            inp.value = text
        inp.cursor_position = len(text)
        self._shown[field] = text

    def _parse_quiet(self, field: str, text: str) -> Any:
        """What `text` would be stored as, as far as a comparison needs (None if unsure)."""
        text_s = text.strip()
        if field in NUMBER_FIELDS:
            try:
                return Decimal(text_s) if text_s else None
            except Exception:
                return object()
        if field in RATING_FIELDS:
            try:
                return int(text_s) if text_s else None
            except ValueError:
                return object()
        return text

    def _progress_text(self) -> str:
        review, kra = self._review, self._kra
        return (f"KRA {self.kra_index + 1}/{len(review.kras)} · "
                f"KPI {self.kpi_index + 1}/{len(kra.kpis)} — "
                f"{clean(kra.title)} (weight {num(kra.weight)}%)")

    def _statement_text(self) -> str:
        kra = self._kra
        return kra.statement or kra.description

    def _status_text(self) -> str:
        view = self.view
        assert view is not None
        review = view.review
        parts = [f"{review.state.label}"]
        who = " and ".join(sorted(view.sides & {"employee", "manager"})) or \
            ", ".join(sorted(view.sides)) or "viewer"
        parts.append(f"you: {who}")
        if not view.editable:
            parts.append(f"read-only — {view.next_step}")
        elif view.hidden:
            parts.append("; ".join(view.hidden))
        if self._others:
            parts.insert(0, f"Also here: {', '.join(clean(o) for o in self._others)}")
        return " · ".join(parts)

    def _show_status(self) -> None:
        self._put("sc-status", self._status_text())

    def _definition(self, kpi: ReviewKPI) -> Text:
        """The KPI's name (bold), unit and target, how it is measured, its achievement."""
        review = self._review
        if kpi.kind is Kind.rating:
            meta = (f"Rated by judgement on the scale {review.scale.min}–{review.scale.max}"
                    f" · weight {num(kpi.weight)}% of this KRA")
        else:
            direction = ("higher is better" if kpi.direction is Direction.higher
                         else "lower is better")
            target = "no target set" if kpi.target is None else f"target {num(kpi.target)}"
            meta = (f"Unit: {clean(kpi.unit or '—')} · {direction} · {target} · "
                    f"weight {num(kpi.weight)}% of this KRA")
        lines = [literal(kpi.name, style="bold"), literal(meta)]
        if kpi.measurement:
            lines.append(literal(f"How measured: {clean(kpi.measurement)}"))
        ach, sugg = suggestion(review, kpi)
        if kpi.na:
            lines.append(literal("Not applicable: this KPI is left out of the KRA score"))
        elif ach.percent is None:
            lines.append(literal(f"Achievement: — · no suggested rating: {ach.reason}"))
        elif sugg is not None:
            capped = " (capped)" if ach.capped else ""
            lines.append(literal(f"Achievement: {fmt(ach.percent)} %{capped} → suggested "
                                 f"rating {sugg} ({clean(review.scale.label(sugg))})"))
        return Text("\n", end="").join(lines)

    def _show_definition(self, kpi: ReviewKPI) -> None:
        text = self._definition(kpi)
        if self._texts.get("sc-definition") != text.plain:
            self._texts["sc-definition"] = text.plain
            self.query_one("#sc-definition", Static).update(text)

    def _hint(self, field: str, kpi: ReviewKPI) -> str:
        """What the field's row shows after it; for a wide field, its placeholder."""
        inp = self._inputs[field]
        if field in WIDE_FIELDS:
            if inp.disabled:
                return f"({self._why_read_only(field, kpi)})"
            return self._placeholder(field)
        if inp.disabled:
            extra = ""
            if field in RATING_FIELDS and not self._hidden(field):
                value = self._seen.get(field)
                if value is not None and self._review.scale.contains(value):
                    extra = f"{self._review.scale.label(value)} · "
                elif field == "agreed_rating" and kpi.manager_rating is not None:
                    extra = f"empty: the manager's {kpi.manager_rating} counts · "
            elif field == "actual" and kpi.kind is Kind.numeric and kpi.unit:
                extra = f"{kpi.unit} · "
            return f"{extra}({self._why_read_only(field, kpi)})"
        if field == "actual":
            unit = kpi.unit or ""
            rule = " (≥ 0)" if unit in NON_NEGATIVE_UNITS else ""
            return f"{unit}{rule}"
        scale = self._review.scale
        text = inp.value.strip()
        if not text:
            if (field == "agreed_rating" and kpi.manager_rating is not None
                    and not self._hidden("manager_rating")):
                return f"empty: the manager's {kpi.manager_rating} counts"
            return f"scale {scale.min}–{scale.max}"
        try:
            value = int(text)
        except ValueError:
            return f"a whole number {scale.min}–{scale.max}"
        if scale.contains(value):
            return scale.label(value)
        return f"off the scale {scale.min}–{scale.max}"

    def _show_hint(self, field: str, kpi: ReviewKPI) -> None:
        hint = self._hint(field, kpi)
        if field in WIDE_FIELDS:
            self._inputs[field].placeholder = hint
        else:
            self._rows[field].set_hint(hint)

    def _reason_needed(self, kpi: ReviewKPI) -> tuple[int, int] | None:
        """(rating, suggested) when the final rating departs from the suggestion."""
        if kpi.na or self._hidden("manager_rating"):
            return None
        _, sugg = suggestion(self._review, kpi)
        rating = kpi.agreed
        if sugg is None or rating is None or rating == sugg:
            return None
        return rating, sugg

    def _departure_text(self, kpi: ReviewKPI) -> str:
        needed = self._reason_needed(kpi)
        if needed is None:
            return ""
        rating, sugg = needed
        if kpi.rating_reason.strip():
            return f"Reason given: rating {rating} departs from suggested {sugg}"
        return f"⚠ Reason required: rating {rating} departs from suggested {sugg}"

    def _others_text(self, kpi: ReviewKPI) -> str:
        review = self._review
        me = self.session.actor
        lines = [f"{name_of(review, c.author)}: {clean(c.text)}"
                 for c in kpi.comments if c.author != me]
        return "Comments by others:\n" + "\n".join(lines) if lines else ""

    def _put(self, widget_id: str, text: str) -> None:
        """Show `text` literally in a Static (hidden when empty); skip it when unchanged."""
        if self._texts.get(widget_id) == text:
            return
        self._texts[widget_id] = text
        widget = self.query_one(f"#{widget_id}", Static)
        widget.update(literal(text))
        if widget_id in HIDDEN_WHEN_EMPTY:
            widget.display = bool(text)

    def _error(self, field: str, message: str) -> None:
        """Show `message` under the field ('' hides it).

        The line is made the first time the field has an error: most never do.
        """
        widget = self._errors.get(field)
        if widget is None:
            if not message:
                return
            widget = self._errors[field] = MessageLine(id=f"err-{field}", classes="field-error")
            row = self._rows[field]
            row.parent.mount(widget, after=row)  # type: ignore[union-attr]
        if not message and not widget.display:
            self._settle_message()
            return
        if message:
            widget.error(message)
            widget.display = True
            # The newest message replaces the last one: no "✓ saved" beside it.
            self._message().error(f"{LABELS[field]}: {message}")
        else:
            widget.clear()
            widget.display = False
            self._message().clear_error(f"{LABELS[field]}:")
            self._settle_message()

    def _error_shown(self) -> bool:
        return any(self._errors[f].display for f in ORDER if f in self._errors)

    def _settle_message(self) -> None:
        """Nothing left that blocks moving on: a message saying so goes, and an
        escape armed to leave without a field is disarmed."""
        if self._closing or self._error_shown() or self._held or self._resolving:
            return
        self._leave_armed = False
        message = self._message()
        for prefix in BLOCKED_MESSAGES:
            message.clear_error(prefix)

    def _message(self) -> MessageLine:
        return self.query_one("#sc-message", MessageLine)

    # --- presence --------------------------------------------------------------

    @property
    def presence(self) -> Any:
        return self._presence.file if self._presence is not None else None

    def _update_presence(self) -> None:
        others = self._presence.others() if self._presence is not None else []
        if others != self._others:
            self._others = others
            if self.view is not None and not self._closing:
                self._show_status()

    # --- saving ----------------------------------------------------------------

    def _save(self, field: str) -> tuple[str, Exception | None]:
        """Save one field: ('ok'|'error'|'conflict', exception)."""
        kpi_id = self._kpi_id
        if kpi_id is None:
            return "ok", None
        text = self._inputs[field].value
        expected = self._seen.get(field)
        before = self._review if self.view is not None else None
        try:
            if field == "comment":
                self.session.set_comment(self.review_id, kpi_id, text, expected=expected or "")
            else:
                value: Any = text.strip() if field in (*NUMBER_FIELDS, *RATING_FIELDS) else text
                self.session.set_kpi(self.review_id, kpi_id, field, value, expected=expected)
        except Conflict as exc:
            if same(exc.current, exc.yours) or (
                    field == "comment" and (exc.current or "") == text):
                # They saved exactly what you typed.
                self._seen[field] = exc.current
                self._shown[field] = text
                self._held.pop(field, None)
                if not self._closing:
                    self._error(field, "")
                return "ok", None
            return "conflict", exc
        except ERRORS as exc:
            if isinstance(exc, DataFileError) and not self._closing:
                self._load()  # the review's file went bad: show that, hold nothing
                if self.problem is not None:
                    return "unreadable", exc
            if not self._closing:
                self._error(field, f"not saved: {self._moved_on(field) or exc}")
            return "error", exc
        self._shown[field] = text
        self._typed_in.pop(field, None)
        self._held.pop(field, None)
        # What was saved, so the reload does not retype a field still being typed in.
        self._seen[field] = self._parse_quiet(field, text)
        if self._closing:
            return "ok", None
        self._error(field, "")
        self._after_save()
        if self.view is not None and self._kpi_id == kpi_id:
            self._seen[field] = self._stored(field, self._review.kpi(kpi_id))
        self._message().ok(self._saved_text(field, text, expected) + resign_note(before))
        self._leave_armed = False
        return "ok", None

    @staticmethod
    def _saved_text(field: str, text: str, expected: Any) -> str:
        """What a save did: blank text is stored as empty (nothing, or removed)."""
        if field == "comment" and not text.strip():
            return "comment removed" if (expected or "").strip() else \
                "comment is empty — nothing saved"
        return f"saved {LABELS[field].lower()}"

    def _after_save(self) -> None:
        if self._watch is not None:
            try:
                self._watch.reset_token()
            except Exception:
                pass
        self._reload()

    def _flush(self, then: Callable[[], None] | None = None, interactive: bool = True,
               at_exit: bool = False, fields: list[str] | None = None,
               retry: str | None = None) -> bool:
        """Save every changed field of this KPI, then call `then`.

        Returns True when everything was saved at once; False when something
        was not (refused, or in conflict), or when the ConflictModal was opened
        (`self._resolving`: the rest, and `then`, continue after "Keep mine" or
        "Take theirs").  A held field (see `_held`) is not tried again, except
        `retry` (the field enter was pressed in).  Without `interactive` (and
        at exit) a conflict is not asked about: the field is held, and at exit
        what was typed is dropped; theirs stays.
        """
        if self.problem is not None:
            return False  # the file cannot be read: nothing is saved, the text stays
        if self.view is None or self._kpi_id is None:
            if then:
                then()
            return True
        pending = fields if fields is not None else self._dirty_fields()
        failed = False
        for i, field in enumerate(pending):
            if self._inputs[field].disabled or not self._dirty(field):
                continue
            if field in self._held and field != retry:
                failed = True
                continue
            result, exc = self._save(field)
            if result == "unreadable":
                return False
            if result == "error":
                self._held[field] = "refused"
                failed = True
                continue
            if result == "conflict":
                assert isinstance(exc, Conflict)
                if at_exit or self._closing:
                    failed = True  # dropped: never saved over theirs unasked
                    continue
                if not interactive or self._resolving or self.app.screen is not self:
                    self._hold_conflict(field, exc)
                    failed = True
                    continue
                rest = [f for f in pending[i:]]
                self._ask(field, exc,
                          lambda: self._flush(then, fields=rest) or self._blocked())
                return False
        if failed:
            return False
        if then:
            then()
        return True

    def _hold_conflict(self, field: str, conflict: Conflict) -> None:
        """Keep what was typed, unsaved, until the person chooses (enter asks)."""
        self._held[field] = "conflict"
        if self._closing:
            return
        who = self._who_changed(field) or "someone else"
        self._error(field, f"not saved: {who} changed it meanwhile to "
                           f"{show_value(conflict.current)}; press enter to choose which "
                           "stays")

    def _moved_on(self, field: str) -> str:
        """Why a save was refused when the review moved on (or was signed) while
        this person typed: who moved it, to where, and that the text is kept here."""
        typed_in = self._typed_in.get(field)
        if self.view is None or typed_in is None:
            return ""
        try:
            now_state = self.session.view(self.review_id).review.state
        except Exception:
            return ""
        return "" if now_state is typed_in else self._moved_text(now_state)

    def _moved_text(self, now_state: State) -> str:
        try:
            history = self.session.history(self.review_id)
        except Exception:
            history = []
        who = next((name_of(self._review, e.who) for e in reversed(history)
                    if e.action == "state"), "someone")
        return (f"{who} moved the review on to {now_state.label} while you were typing; "
                "what you typed stays in the field, not saved (shift+home selects it, "
                "ctrl+c copies)")

    def _who_changed(self, field: str) -> str:
        try:
            history = self.session.history(self.review_id)
        except Exception:
            return ""
        suffix = f"{self._kpi_id}.{field}" if field != "comment" else f"{self._kpi_id}.comment."
        for entry in reversed(history):
            if entry.field.startswith(suffix) if field == "comment" else entry.field == suffix:
                return name_of(self._review, entry.who)
        return ""

    def _ask(self, field: str, conflict: Conflict, after: Callable[[], None]) -> None:
        """Let the person choose between their value and the stored one.

        One dialog at a time, and only while this screen is on top: otherwise
        the field is held (`_hold_conflict`) and enter in it asks later.
        """
        if self._resolving or self._closing or self.app.screen is not self:
            self._hold_conflict(field, conflict)
            return
        self._resolving = True
        self._cancel_debounce()
        kpi_id = self._kpi_id
        yours = self._inputs[field].value if field != "na" else conflict.yours
        what = f"{LABELS[field]} of KPI {self.kra_index + 1}.{self.kpi_index + 1}"

        def chosen(choice: str | None) -> None:
            self._resolving = False
            if self._closing or not self.is_attached or kpi_id != self._kpi_id \
                    or self.view is None:
                return
            if choice == "mine":
                self._held.pop(field, None)
                self._seen[field] = conflict.current
                after()
            elif choice == "theirs":
                self._seen[field] = conflict.current
                if field == "na":
                    self._reload()
                else:
                    self._set_input(field, self._text(field, conflict.current))
                    self._error(field, "")
                    self._reload()
                after()
            else:
                # Later: nothing is saved; the text stays, held until enter asks again.
                self._hold_conflict(field, conflict)
                self._reload()
                return
            self._settle_message()

        self.app.push_screen(
            ConflictModal(what, conflict.current, yours, self._who_changed(field)), chosen)

    def _cancel_debounce(self) -> None:
        if self._debounce is not None:
            self._debounce.stop()
            self._debounce = None

    def _debounced(self) -> None:
        self._debounce = None
        if self._resolving or not self.is_mounted or self.app.screen is not self:
            return
        self._flush()

    # --- events ------------------------------------------------------------------

    def _field_of(self, widget: Any) -> str | None:
        for field, inp in self._inputs.items():
            if inp is widget:
                return field
        return None

    @on(Input.Changed)
    def _changed(self, event: Input.Changed) -> None:
        field = self._field_of(event.input)
        if field is None or self.view is None:
            return
        if event.value != event.input.value:
            # Stale: keys typed in a burst are handled when read (`KeysNow`), so
            # this arrives after later keys, or after enter saved the field and
            # showed an error about it; the change that made the value shown now
            # is handled by its own event (or by whatever set the value).
            return
        self._leave_armed = False
        self._held.pop(field, None)  # a new value: saved (or asked about) as usual
        if field in ("actual", *RATING_FIELDS):
            self._show_hint(field, self._kpi)
        self._cancel_debounce()
        if self._dirty(field):
            self._typed_in.setdefault(field, self._review.state)
            self._debounce = self.set_timer(DEBOUNCE, self._debounced, name="autosave")
        else:
            self._typed_in.pop(field, None)
            self._error(field, "")  # back to what is stored: an error about a refused value is over

    @on(Input.Blurred)
    def _blurred(self, event: Input.Blurred) -> None:
        field = self._field_of(event.input)
        if field is None or self._resolving or self.view is None:
            return
        if not event.input.disabled and self._dirty(field):
            self._cancel_debounce()
            self._flush(fields=[field])
        self._show_stored(field)

    def _show_stored(self, field: str) -> None:
        """A saved number as it is stored (1e5 typed is 100000), once the field is left."""
        inp = self._inputs.get(field)
        if (field not in NUMBER_FIELDS or inp is None or self.focused is inp or self._closing
                or self.view is None or self._kpi_id is None
                or inp.value != self._shown.get(field)):
            return  # (still being typed in, or not saved)
        stored = self._text(field, self._stored(field, self._review.kpi(self._kpi_id)))
        if stored != inp.value and self._parse_quiet(field, inp.value) == self._seen.get(field):
            with inp.prevent(Input.Changed):
                inp.value = stored
            self._shown[field] = stored

    # --- keys, handled when the app reads them (see `KeysNow`) --------------------

    def _key_now(self, widget: Widget, event: events.Event) -> bool:
        """Handle a key for `widget` (focused when the app read it) now; False: not here."""
        if self._closing or self.view is None or self._resolving or self.problem is not None \
                or self.app.screen is not self or widget is not self.focused:
            return False
        if isinstance(event, events.Paste):
            return isinstance(widget, Input) and type_now(widget, event)
        assert isinstance(event, events.Key)
        key = event.key
        if isinstance(widget, FieldInput):
            field = self._field_of(widget)
            if field is None:
                return False
            if key == "enter":
                self._submit(field)
                return True
            if type_now(widget, event):
                return True
        elif isinstance(widget, NAToggle):
            if key == "space":
                self._toggle_na()
                return True
            if key == "enter":
                self._na_enter()
                return True
        elif isinstance(widget, KPITable) and key == "enter":
            self._select_row()
            return True
        handled = binding_now(self, key)
        if handled and isinstance(widget, KPITable) and self.app.screen is self:
            self._follow_table(widget)
        return handled

    def _focus(self, widget: Widget) -> None:
        """Focus `widget` now (Widget.focus waits for the app's queue), ready to type
        into (`_ready`)."""
        self._focus_moves += 1
        self.set_focus(widget)
        if isinstance(widget, Input):
            self._ready(widget)

    def _ready(self, widget: Input) -> None:
        """A number or rating is selected, so typing replaces it; in a comment or a
        reason the cursor goes to the end, so typing adds to what is written (a
        whole comment replaced by one key is easy to miss)."""
        if self._field_of(widget) in WIDE_FIELDS:
            widget.cursor_position = len(widget.value)
        else:
            widget.action_select_all()

    def _tab(self, direction: int) -> None:
        old = self.focused
        field = self._field_of(old)
        new = self.focus_next() if direction > 0 else self.focus_previous()
        self._focus_moves += 1
        if isinstance(new, Input) and self._field_of(new) is not None:
            self._ready(new)
        if field is not None and old is not None and not old.disabled and \
                self.view is not None and not self._resolving and self._dirty(field):
            self._cancel_debounce()
            self._flush(fields=[field])

    def action_next_field(self) -> None:
        self._tab(+1)

    def action_prev_field(self) -> None:
        self._tab(-1)

    def _read_only(self) -> bool:
        return self.view is not None and not self.view.editable

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if self.problem is not None:
            return action == "back"  # the review cannot be read: only back
        if action == "details":
            return self._read_only()
        return True

    def action_details(self) -> None:
        """Read-only: move between the KPI table and the details (up/down scroll them)."""
        editor = self.query_one("#sc-editor", VerticalScroll)
        if not editor.can_focus:
            return
        if self.focused is editor:
            self._focus(self.query_one("#sc-table", DataTable))
        else:
            self._focus(editor)

    def _select_row(self) -> None:
        """Enter on the table: edit the highlighted KPI (its first field you can edit)."""
        if self.view is None or self._resolving or self.app.screen is not self:
            return
        table = self.query_one("#sc-table", DataTable)
        row = table.cursor_row
        if row != self.kpi_index and 0 <= row < len(self._kra.kpis):
            kra = self.kra_index
            if not self._flush(lambda: self._go(kra, row, focus_field=True)):
                if not self._resolving:
                    table.move_cursor(row=self.kpi_index, animate=False)
                    self._blocked()
            return
        self._focus_first()

    def _focus_first(self) -> None:
        """The first field this person can edit of the KPI shown; without one
        (read-only) the table, unless the details have the focus (F3)."""
        first = self._first_field()
        if first is not None:
            self._focus(first)
            return
        editor = self.query_one("#sc-editor", VerticalScroll)
        if self.focused is not editor or not editor.can_focus:
            self._focus(self.query_one("#sc-table", DataTable))

    def _follow_table(self, table: DataTable[Any]) -> None:
        """The table's cursor moved: show that KPI (after saving this one)."""
        row = table.cursor_row
        if row == self.kpi_index or self.view is None or not table.has_focus:
            return
        if not 0 <= row < len(self._kra.kpis):
            return
        if not self._flush(lambda: self._go(self.kra_index, row, focus_field=False)):
            if self._kpi_id == self._kra.kpis[self.kpi_index].id:
                table.move_cursor(row=self.kpi_index, animate=False)

    def _na_enter(self) -> None:
        """Enter on the N/A box: on to the next field (space toggles N/A)."""
        if self.view is None or self._resolving or self.problem is not None:
            return
        self._cancel_debounce()
        if not self._flush(lambda: self._focus_after("na")):
            self._blocked()

    def _toggle_na(self) -> None:
        na = self._na
        if na is None or na.disabled or self._kpi_id is None:
            return
        na.value = not na.value
        self._save_na(na.value)

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        field = self._field_of(event.input)
        if field is None:
            return
        self._submit(field)

    def _submit(self, field: str) -> None:
        """Enter in a field: save it (and the others changed), then the next field."""
        if self.view is None or self._resolving:
            return
        self._cancel_debounce()
        kpi_id = self._kpi_id

        def after() -> None:
            if self._kpi_id != kpi_id:
                return
            if field == "rating_reason" and not self._inputs[field].value.strip():
                needed = self._reason_needed(self._kpi)
                if needed is not None:
                    self._error(field, f"Reason required: rating {needed[0]} departs from "
                                       f"suggested {needed[1]}")
                    return
            self._focus_after(field)

        order = [field] + [f for f in self._dirty_fields() if f != field]
        self._flush(after, fields=order, retry=field)

    @on(NAToggle.Changed)
    def _na_changed(self, event: NAToggle.Changed) -> None:
        event.stop()
        if self.view is None or self._kpi_id is None or self.problem is not None:
            return
        self._save_na(event.value)

    def _save_na(self, value: bool) -> None:
        kpi_id = self._kpi_id
        assert kpi_id is not None
        try:
            self.session.set_kpi(self.review_id, kpi_id, "na", value,
                                 expected=self._seen.get("na", False))
        except Conflict as exc:
            if same(exc.current, value):
                self._reload()
                return

            def retry() -> None:
                if self._na is not None and self._na.value != self._seen.get("na"):
                    self._save_na(self._na.value)

            self._ask_na(exc, value, retry)
            return
        except ERRORS as exc:
            self._error("na", f"not saved: {exc}")
            self._reload()
            return
        self._error("na", "")
        self._after_save()
        self._message().ok("saved N/A" if value else "saved: applicable again")
        if value and not self._inputs["na_reason"].disabled:
            self._focus(self._inputs["na_reason"])

    def _ask_na(self, conflict: Conflict, mine: bool, retry: Callable[[], None]) -> None:
        if self._resolving or self._closing or self.app.screen is not self:
            # One dialog at a time: the box shows what is stored; toggling asks again.
            self._reload()
            return
        self._resolving = True
        kpi_id = self._kpi_id

        def chosen(choice: str | None) -> None:
            self._resolving = False
            if self._closing or not self.is_attached or kpi_id != self._kpi_id \
                    or self.view is None:
                return
            self._seen["na"] = conflict.current
            if choice == "mine":
                assert self._na is not None
                self._na.value = mine
                retry()
            else:
                self._reload()

        self.app.push_screen(
            ConflictModal(f"N/A of KPI {self.kra_index + 1}.{self.kpi_index + 1}",
                          conflict.current, mine, self._who_changed("na")), chosen)

    @on(DataTable.RowHighlighted, "#sc-table")
    def _row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        table = event.data_table
        row = event.cursor_row
        # Ignore stale events from rebuilding the table; follow the person's cursor.
        if row != table.cursor_row or row == self.kpi_index or self.view is None:
            return
        if not table.has_focus:
            table.move_cursor(row=self.kpi_index, animate=False)
            return
        self._follow_table(table)

    @on(DataTable.RowSelected, "#sc-table")
    def _row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self._select_row()

    # --- moving ------------------------------------------------------------------

    def _fields_enabled(self) -> list[Widget]:
        out: list[Widget] = []
        for field in ORDER:
            inp = self._inputs[field]
            if not inp.disabled:
                out.append(inp)
        return out

    def _first_field(self) -> Input | None:
        fields = self._fields_enabled()
        return fields[0] if fields else None  # type: ignore[return-value]

    def _focus_after(self, field: str) -> None:
        """Focus the field after `field` ("na": the box, before the N/A reason)."""
        start = ORDER.index("na_reason") if field == "na" else ORDER.index(field) + 1
        later = [f for f in ORDER[start:] if not self._inputs[f].disabled]
        if later:
            self._focus(self._inputs[later[0]])
        else:
            self._step_kpi(+1, focus_field=True)

    def _step_kpi(self, delta: int, focus_field: bool) -> None:
        review = self._review
        kra, kpi = self.kra_index, self.kpi_index + delta
        if kpi >= len(review.kras[kra].kpis):
            if kra + 1 >= len(review.kras):
                self._message().ok("that was the last KPI of the review — "
                                   "ctrl+t for actions, escape to go back")
                return
            kra, kpi = kra + 1, 0
        elif kpi < 0:
            if kra == 0:
                self._message().ok("this is the first KPI of the review")
                return
            kra -= 1
            kpi = len(review.kras[kra].kpis) - 1
        self._go(kra, kpi, focus_field=focus_field)

    def _go(self, kra: int, kpi: int, focus_field: bool) -> None:
        """Show another KPI (the fields of this one are saved already)."""
        if self.view is None:
            return
        self._cancel_debounce()
        kra_changed = kra != self.kra_index
        self.kra_index, self.kpi_index = kra, kpi
        self._show_kpi(force=True)
        if kra_changed:
            self._build_table()
        else:
            self._fill_table()
        if focus_field:
            # Typing replaces the value shown.
            self._focus_first()
            self.query_one("#sc-editor", VerticalScroll).scroll_home(animate=False)

    def _after_typing(self, callback: Callable[[], None]) -> None:
        """Run `callback` now: the keys typed before were handled when the app read
        them (see `KeysNow`), so the fields hold them already.  Waiting here (for
        the field's queue) would let the keys typed *after* a navigation key reach
        the old field first.
        """
        callback()

    def _navigate(self, move: Callable[[bool], None]) -> None:
        """Save, then `move(True)`: a key that moves to another KPI lands in its
        first field this person can edit, whichever widget had the focus (keys
        typed next go there, never into the field that had it before)."""

        def go() -> None:
            if self.view is None or self._resolving or self.app.screen is not self:
                return
            self._cancel_debounce()
            if not self._flush(lambda: move(True)):
                self._blocked()

        self._after_typing(go)

    def _blocked(self) -> None:
        """Moving on failed: say why (not while the ConflictModal asks)."""
        if self._resolving:
            return
        if "conflict" in self._held.values():
            self._message().error("a value in conflict is not saved — enter in it chooses "
                                  "which stays; escape twice leaves without it")
        elif self._error_shown():
            self._message().error(f"a field could not be saved: {self._refused_text()}")

    def _refused_field(self) -> str | None:
        """The first field whose typed value was refused (shown with its error)."""
        for field in ORDER:
            widget = self._errors.get(field)
            if widget is not None and widget.display and not self._inputs[field].disabled \
                    and self._dirty(field):
                return field
        return None

    def _stored_shown(self, field: str) -> str:
        """The value stored for `field`, as the message names it ("(empty)" if none)."""
        if self.view is None or self._kpi_id is None:
            return "(empty)"
        stored = None if self._hidden(field) else self._stored(field, self._review.kpi(self._kpi_id))
        text = self._text(field, stored)
        if not text.strip():
            return "(empty)"
        return text if field in (*NUMBER_FIELDS, *RATING_FIELDS) else f"'{short(text, 30)}'"

    def _refused_text(self) -> str:
        """"actual '12,5' of KPI 1.1 — fix it, or ctrl+z puts back the saved value 11.2"."""
        field = self._refused_field()
        if field is None:
            return "fix it first"
        typed = short(self._inputs[field].value, 30)
        return (f"{LABELS[field].lower()} '{typed}' of KPI "
                f"{self.kra_index + 1}.{self.kpi_index + 1} — fix it, or press ctrl+z to put "
                f"back the saved value {self._stored_shown(field)}")

    def action_put_back(self) -> None:
        """ctrl+z: the focused field (else the first refused one) shows the value
        stored again; what was typed and not saved is dropped, its error goes."""
        if self.view is None or self._kpi_id is None or self._resolving \
                or self.problem is not None:
            return
        field = self._field_of(self.focused)
        if field is None or self._inputs[field].disabled or not self._dirty(field):
            field = self._refused_field()
        if field is None:
            self._message().ok("nothing to put back: every field shows what is saved")
            return
        self._cancel_debounce()
        stored = None if self._hidden(field) else self._stored(field, self._review.kpi(self._kpi_id))
        self._set_input(field, self._text(field, stored))
        self._seen[field] = stored
        self._typed_in.pop(field, None)
        self._error(field, "")
        self._show_hint(field, self._kpi)
        if self.focused is self._inputs[field]:
            self._ready(self._inputs[field])
        self._message().ok(f"put back the saved {LABELS[field].lower()} "
                           f"{self._stored_shown(field)}")

    def action_next_kpi(self) -> None:
        if self.view is not None and not self._resolving:
            self._navigate(lambda focus: self._step_kpi(+1, focus))

    def action_prev_kpi(self) -> None:
        if self.view is not None and not self._resolving:
            self._navigate(lambda focus: self._step_kpi(-1, focus))

    def _step_kra(self, delta: int, focus: bool) -> None:
        kra = self.kra_index + delta
        if not 0 <= kra < len(self._review.kras):
            self._message().ok("no more KRAs that way")
            return
        self._go(kra, 0, focus)

    def action_next_kra(self) -> None:
        if self.view is not None and not self._resolving:
            self._navigate(lambda focus: self._step_kra(+1, focus))

    def action_prev_kra(self) -> None:
        if self.view is not None and not self._resolving:
            self._navigate(lambda focus: self._step_kra(-1, focus))

    def action_jump(self) -> None:
        if self.view is None or self._resolving:
            return

        def pick(focus: bool) -> None:
            def jumped(index: int | None) -> None:
                if index is not None and self.view is not None:
                    self._go(index, 0, focus_field=True)

            self.app.push_screen(JumpModal(self._review, self.kra_index), jumped)

        self._navigate(pick)

    def action_actions(self) -> None:
        if self.view is None or self._resolving:
            return

        def open_actions(_focus: bool) -> None:
            from .actions import ActionsScreen

            self.app.push_screen(ActionsScreen(self.session, self.review_id,
                                               kpi_id=self._kpi_id))

        self._navigate(open_actions)

    def action_back(self) -> None:
        if self._resolving:
            return
        if self.problem is not None:
            self._back_unreadable()
            return
        if self.view is None:
            self.app.pop_screen()
            return
        self._after_typing(self._back)

    def _back_unreadable(self) -> None:
        """Back while the file cannot be read: what was typed cannot be saved, so
        leaving without it is asked first (Stay keeps it until the file is back)."""
        unsaved = self._unsaved_text()
        if not unsaved:
            self._leave()
            return

        def done(leave: bool | None) -> None:
            if not leave:
                return
            for field in ORDER:  # dropped, as the person chose
                self._shown[field] = self._inputs[field].value
            self._held = {}
            self._leave()

        self.app.push_screen(ConfirmModal(
            "Leave without saving?",
            f"The review file cannot be read, so {unsaved} is not saved. Leave drops it; "
            "Stay keeps it on this screen and saves it once the file can be read again.",
            yes="Leave", no="Stay"), done)

    def _back(self) -> None:
        if self._resolving or self.app.screen is not self:
            return
        self._cancel_debounce()
        if self._flush(self._leave):
            return
        if self._resolving:
            return  # the ConflictModal asks first; leaving goes on after the choice
        if self._leave_armed:
            # Second escape: leave; what cannot be saved is dropped (it was refused,
            # or is in conflict: theirs stays).
            for field in ORDER:
                self._shown[field] = self._inputs[field].value
            self._held = {}
            self._leave()
            return
        if self._error_shown() or self._held:
            self._leave_armed = True
            refused = self._refused_field()
            put_back = (f", ctrl+z to put back the saved value {self._stored_shown(refused)}"
                        if refused is not None else "")
            self._message().error(f"a field could not be saved — fix it{put_back}, or press "
                                  "escape again to leave without it")

    def _leave(self) -> None:
        """Back to the screen below, if this one is still on top (a dialog pushed
        meanwhile must not be popped in its place)."""
        if self.app.screen is self:
            self.app.pop_screen()
