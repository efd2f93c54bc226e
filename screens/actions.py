"""Improvement actions of one review: list, add, edit, move their status on.

`ActionsScreen(session, review_id, kpi_id=None)` lists the actions (status,
text, the KRA/KPI they serve, owner, due date, success measure) with the
selected one in full below the table.  `kpi_id` is the KPI a new action is
linked to by default (the one open in the guided scoring).

Keys: ``n`` new action, ``enter`` edit the selected one, ``c`` cycle its
status (open → in progress → done → dropped → open), ``escape`` back.  In
the form: ``enter`` goes to the next field and saves from the last text
field, ``ctrl+s`` saves from anywhere, ``escape`` cancels.

Actions can be written only while the review allows it (``"action"`` in
`view.editable`: the joint review); otherwise the screen is read-only and
says why.  Every save goes through the session with the values last seen;
a change by someone else in between opens the `ConflictModal`.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import Button, DataTable, Footer, Header, Input, Select, Static

from tui.access import (
    AccessError, Conflict, DataFileError, NotFound, ReviewView, Session, StoreError,
    WorkflowError,
)
from tui.models import Action, ActionStatus, Review, State

from .conflict import ConflictModal, VisibleControls
from .keys_now import TextInput
from .widgets import MessageLine, ReviewProblem, clean, literal, resign_note, watch_review

__all__ = ["ActionForm", "ActionsScreen", "NEXT_STATUS"]

ERRORS = (AccessError, WorkflowError, NotFound, StoreError)
NEXT_STATUS = {
    ActionStatus.open: ActionStatus.in_progress,
    ActionStatus.in_progress: ActionStatus.done,
    ActionStatus.done: ActionStatus.dropped,
    ActionStatus.dropped: ActionStatus.open,
}
STATUS_TEXT = {
    ActionStatus.open: "open",
    ActionStatus.in_progress: "in prog",
    ActionStatus.done: "done ✓",
    ActionStatus.dropped: "dropped",
}
NO_LINK = "-"
# The form's short structured fields: selected on focus (typing replaces them);
# the others are free text (the cursor goes to the end: typing adds to them).
SHORT_FIELDS = ("a-due",)


def short(text: str, width: int) -> str:
    text = clean(text).replace("\n", " ")
    return text if len(text) <= width else text[: max(width - 1, 0)] + "…"


def person(review: Review, person_id: str) -> str:
    if person_id == review.person_id:
        return review.person_name
    if person_id == review.reviewer_id:
        return review.reviewer_name or person_id
    return person_id


def link_value(action: Action) -> str:
    if action.kpi_id:
        return f"kpi:{action.kpi_id}"
    if action.kra_id:
        return f"kra:{action.kra_id}"
    return NO_LINK


def link_short(review: Review, action: Action) -> str:
    for i, kra in enumerate(review.kras, 1):
        if action.kpi_id:
            for j, kpi in enumerate(kra.kpis, 1):
                if kpi.id == action.kpi_id:
                    return f"{i}.{j}"
        elif kra.id == action.kra_id:
            return f"KRA {i}"
    return "—"


def link_long(review: Review, action: Action) -> str:
    for i, kra in enumerate(review.kras, 1):
        if action.kpi_id:
            for j, kpi in enumerate(kra.kpis, 1):
                if kpi.id == action.kpi_id:
                    return f"KRA {i} {kra.title} · KPI {i}.{j} {kpi.name}"
        elif kra.id == action.kra_id:
            return f"KRA {i} {kra.title}"
    return "the review as a whole"


def link_options(review: Review) -> list[tuple[Text, str]]:
    options: list[tuple[Text, str]] = [(Text("(the review as a whole)"), NO_LINK)]
    for i, kra in enumerate(review.kras, 1):
        options.append((literal(f"KRA {i}: {short(kra.title, 44)}"), f"kra:{kra.id}"))
        for j, kpi in enumerate(kra.kpis, 1):
            options.append((literal(f"  KPI {i}.{j}: {short(kpi.name, 40)}"), f"kpi:{kpi.id}"))
    return options


def parse_due(text: str) -> str | None:
    """None when `text` is empty or a date; else the error message."""
    text = text.strip()
    if not text:
        return None
    try:
        date.fromisoformat(text)
    except ValueError:
        return f"due date {text!r} is not a date (use YYYY-MM-DD, e.g. 2027-03-31)"
    if len(text) != 10:
        return f"due date {text!r} is not a date (use YYYY-MM-DD, e.g. 2027-03-31)"
    return None


def raw(action: Action, field: str) -> Any:
    """A field of an action as `update_action` compares it."""
    value = getattr(action, field)
    if isinstance(value, ActionStatus):
        return value.value
    if isinstance(value, date):
        return value.isoformat()
    return value


class ActionTable(DataTable[Text]):
    BINDINGS = [Binding("enter", "select_cursor", "Edit")]


class ActionForm(ModalScreen[str | None]):
    """Add or edit one action; dismisses with the action id, or None when cancelled."""

    DEFAULT_CSS = """
    ActionForm {
        align: center middle;
    }
    ActionForm > #form-box {
        width: 78;
        max-width: 100%;
        height: auto;
        max-height: 100%;
        border: heavy $primary;
        background: $surface;
        padding: 0 1;
    }
    ActionForm #form-title {
        text-style: bold;
        height: auto;
    }
    ActionForm .form-row {
        height: auto;
        margin-top: 1;
    }
    ActionForm .form-label {
        width: 17;
        height: 1;
    }
    ActionForm .form-row Input {
        width: 1fr;
    }
    ActionForm .form-row Select {
        width: 1fr;
    }
    ActionForm .form-error {
        height: auto;
        padding-left: 17;
    }
    ActionForm #form-buttons {
        height: auto;
        margin-top: 1;
    }
    ActionForm #form-buttons Button {
        margin-right: 1;
    }
    """
    BINDINGS = [
        Binding("ctrl+s", "save", "Save", key_display="^S", priority=True),
        Binding("escape", "cancel", "Cancel"),
    ]

    def __init__(self, session: Session, review_id: str, review: Review,
                 action: Action | None = None, kpi_id: str | None = None) -> None:
        super().__init__()
        self.session = session
        self.review_id = review_id
        self.review = review
        self.action = action
        self.default_link = f"kpi:{kpi_id}" if kpi_id else NO_LINK
        self.expected: dict[str, Any] = {}
        if action is not None:
            self.expected = {f: raw(action, f) for f in
                             ("text", "kra_id", "kpi_id", "owner", "due", "success_measure",
                              "status")}
        self._busy = False
        self._loaded: dict[str, Any] | None = None  # the form's values as first shown

    def compose(self) -> ComposeResult:
        r, a = self.review, self.action
        title = "New improvement action" if a is None else f"Edit action {a.id}"
        owners = [(literal(f"{r.person_name} (employee)"), r.person_id),
                  (literal(f"{r.reviewer_name or r.reviewer_id} (reviewer)"), r.reviewer_id)]
        with VerticalScroll(id="form-box"):
            yield Static(literal(f"{title} · {r.person_name}"), id="form-title", markup=False)
            with Horizontal(classes="form-row"):
                yield Static("Action", classes="form-label", markup=False)
                # (text: the cursor at its end on focus, so typing adds to it)
                yield TextInput(a.text if a else "", id="a-text", compact=True,
                                placeholder="the improvement action", select_on_focus=False,
                                highlighter=VisibleControls())
            yield MessageLine(id="err-text", classes="form-error")
            with Horizontal(classes="form-row"):
                yield Static("Due (YYYY-MM-DD)", classes="form-label", markup=False)
                # (a date: selected on focus, so typing replaces it; see `set_focus`)
                yield TextInput(a.due.isoformat() if a and a.due else "", id="a-due",
                                placeholder="optional, e.g. 2027-03-31", max_length=20,
                                compact=True, select_on_focus=False)
            yield MessageLine(id="err-due", classes="form-error")
            with Horizontal(classes="form-row"):
                yield Static("Success measure", classes="form-label", markup=False)
                yield TextInput(a.success_measure if a else "", id="a-measure",
                                placeholder="how you will know it is done", compact=True,
                                select_on_focus=False, highlighter=VisibleControls())
            yield MessageLine(id="err-measure", classes="form-error")
            with Horizontal(classes="form-row"):
                yield Static("For", classes="form-label", markup=False)
                yield Select(link_options(r), id="a-link", allow_blank=False,
                             value=link_value(a) if a else self.default_link, compact=True)
            with Horizontal(classes="form-row"):
                yield Static("Owner", classes="form-label", markup=False)
                yield Select(owners, id="a-owner", allow_blank=False,
                             value=a.owner if a else r.person_id, compact=True)
            if a is not None:
                with Horizontal(classes="form-row"):
                    yield Static("Status", classes="form-label", markup=False)
                    yield Select([(Text(s.value.replace("_", " ")), s.value)
                                  for s in ActionStatus],
                                 id="a-status", allow_blank=False, value=a.status.value,
                                 compact=True)
            yield MessageLine(id="form-message")
            with Horizontal(id="form-buttons"):
                yield Button("Save (ctrl+s)", id="save", variant="primary", compact=True)
                yield Button("Cancel (esc)", id="cancel", compact=True)
        yield Footer()

    def on_mount(self) -> None:
        for widget in self.query(".form-error"):
            widget.display = False
        self.query_one("#a-text", Input).focus()
        self._loaded = self._values()

    def set_focus(self, widget: Any, scroll_visible: bool = True,
                  from_app_focus: bool = False) -> None:
        """Focus `widget`, ready to type into at once, as the scoring screen does:
        a short structured field (the due date) is selected, so typing replaces
        it; in a free-text field the cursor goes to the end, so typing adds to it.

        Done here, when the focus moves, rather than on the Focus event (what
        Input's select_on_focus waits for): the keys typed right behind a tab or
        an enter are handled before that event (see `KeysNow`).
        """
        moved = widget is not None and widget is not self.focused
        super().set_focus(widget, scroll_visible=scroll_visible, from_app_focus=from_app_focus)
        if not moved or from_app_focus or self.focused is not widget:
            return
        if isinstance(widget, Input):
            if widget.id in SHORT_FIELDS:
                widget.action_select_all()
            else:
                widget.cursor_position = len(widget.value)

    def unsaved_work(self) -> str | None:
        """For the app's quit guard: what was typed here and not saved yet."""
        if self._loaded is None or not self.is_mounted:
            return None
        try:
            values = self._values()
        except Exception:
            return None
        if all(_same(values.get(f), v) for f, v in self._loaded.items()):
            return None
        who = self.review.person_name
        if self.action is None:
            return f"a new improvement action for {who}"
        return f"changes to improvement action {self.action.id} of {who}"

    def _field_error(self, name: str, message: str) -> None:
        widget = self.query_one(f"#err-{name}", MessageLine)
        if message:
            widget.error(message)
        else:
            widget.clear()
        widget.display = bool(message)

    @on(Input.Changed)
    def _changed(self, event: Input.Changed) -> None:
        name = (event.input.id or "").removeprefix("a-")
        if name == "due":
            self._field_error("due", parse_due(event.value) or "")
        elif name in ("text", "measure"):
            self._field_error(name, "")

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.submit_now(event.input)

    def submit_now(self, field: Input) -> bool:
        """Enter (see `key_now`): on to the next field at once, or save from the last."""
        order = ["a-text", "a-due", "a-measure"]
        current = field.id or ""
        if current in order[:-1]:
            self.set_focus(self.query_one(f"#{order[order.index(current) + 1]}", Input))
        else:
            self.action_save()
        return True

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "save":
            self.action_save()
        else:
            self.action_cancel()

    def action_cancel(self) -> None:
        self.dismiss(None)

    def _values(self) -> dict[str, Any]:
        link = self.query_one("#a-link", Select).value
        link_s = link if isinstance(link, str) else NO_LINK
        kra_id = kpi_id = None
        if link_s.startswith("kpi:"):
            kpi_id = link_s[4:]
            kra_id = self.review.kra_of(kpi_id).id
        elif link_s.startswith("kra:"):
            kra_id = link_s[4:]
        owner = self.query_one("#a-owner", Select).value
        values: dict[str, Any] = {
            "text": self.query_one("#a-text", Input).value,
            "kra_id": kra_id,
            "kpi_id": kpi_id,
            "owner": owner if isinstance(owner, str) else self.review.person_id,
            "due": self.query_one("#a-due", Input).value.strip() or None,
            "success_measure": self.query_one("#a-measure", Input).value,
        }
        if self.action is not None:
            status = self.query_one("#a-status", Select).value
            values["status"] = status if isinstance(status, str) else self.action.status.value
        return values

    def action_save(self) -> None:
        if self._busy:
            return
        values = self._values()
        problem = False
        if not values["text"].strip():
            self._field_error("text", "an improvement action needs a text")
            problem = True
        due_problem = parse_due(values["due"] or "")
        if due_problem:
            self._field_error("due", due_problem)
            problem = True
        if problem:
            self.query_one("#form-message", MessageLine).error("not saved — see above")
            return
        if self.action is None:
            self._add(values)
        else:
            self._update(values)

    def _add(self, values: dict[str, Any]) -> None:
        try:
            action_id = self.session.add_action(
                self.review_id, values["text"], owner=values["owner"], kra_id=values["kra_id"],
                kpi_id=values["kpi_id"], due=values["due"],
                success_measure=values["success_measure"])
        except ERRORS as exc:
            self.query_one("#form-message", MessageLine).error(f"not saved: {exc}")
            return
        self.dismiss(action_id)

    def _update(self, values: dict[str, Any]) -> None:
        assert self.action is not None
        changes = {f: v for f, v in values.items() if not _same(v, self.expected.get(f))}
        if not changes:
            self.dismiss(self.action.id)
            return
        expected = {f: self.expected.get(f) for f in changes}
        try:
            self.session.update_action(self.review_id, self.action.id, changes, expected=expected)
        except Conflict as exc:
            self._conflict(exc, changes)
            return
        except ERRORS as exc:
            self.query_one("#form-message", MessageLine).error(f"not saved: {exc}")
            return
        self.dismiss(self.action.id)

    def _conflict(self, exc: Conflict, changes: dict[str, Any]) -> None:
        field = exc.field.rsplit(" ", 1)[-1]
        current = exc.current
        if isinstance(current, ActionStatus):
            current = current.value
        elif isinstance(current, date):
            current = current.isoformat()
        self._busy = True

        def chosen(choice: str | None) -> None:
            self._busy = False
            self.expected[field] = current
            if choice == "theirs":
                self._set_field(field, current)
                self.action_save()
            elif choice == "mine":
                self.action_save()
            else:
                self.query_one("#form-message", MessageLine).error(
                    f"not saved: {field.replace('_', ' ')} was changed by someone else; "
                    "ctrl+s saves yours over it")

        self.app.push_screen(ConflictModal(f"{field.replace('_', ' ')} of action "
                                           f"{self.action.id if self.action else ''}",
                                           current, changes.get(field)), chosen)

    def _set_field(self, field: str, value: Any) -> None:
        ids = {"text": "#a-text", "due": "#a-due", "success_measure": "#a-measure"}
        if field in ids:
            self.query_one(ids[field], Input).value = "" if value is None else str(value)
        elif field == "owner" and value:
            self.query_one("#a-owner", Select).value = value
        elif field == "status" and value:
            self.query_one("#a-status", Select).value = value
        elif field in ("kra_id", "kpi_id"):
            assert self.action is not None
            kra_id = self.expected.get("kra_id")
            kpi_id = self.expected.get("kpi_id")
            link = f"kpi:{kpi_id}" if kpi_id else (f"kra:{kra_id}" if kra_id else NO_LINK)
            self.query_one("#a-link", Select).value = link


def _same(a: Any, b: Any) -> bool:
    if a in (None, "") and b in (None, ""):
        return True
    return bool(a == b)


class ActionsScreen(Screen[None]):
    """The improvement actions of one review (keys in the module docstring)."""

    DEFAULT_CSS = """
    ActionsScreen #ac-title {
        height: 1;
        text-style: bold;
        padding: 0 1;
    }
    ActionsScreen #ac-note {
        height: auto;
        padding: 0 1;
    }
    ActionsScreen #ac-table {
        height: 1fr;
        min-height: 4;
    }
    ActionsScreen #ac-detail {
        height: auto;
        max-height: 7;
        padding: 0 1;
        border-top: solid $panel;
    }
    ActionsScreen #ac-message {
        height: auto;
        max-height: 3;
        padding: 0 1;
    }
    """
    BINDINGS = [
        Binding("n", "new", "New"),
        Binding("c", "cycle", "Cycle status"),
        Binding("escape", "back", "Back"),
    ]

    def __init__(self, session: Session, review_id: str, kpi_id: str | None = None) -> None:
        super().__init__()
        self.session = session
        self.review_id = review_id
        self.kpi_id = kpi_id
        self.view: ReviewView | None = None
        self.problem: BaseException | None = None  # why the review cannot be read now
        self._watch: Any = None
        self._widths: tuple[int, ...] = ()

    def compose(self) -> ComposeResult:
        yield Header()
        yield ReviewProblem(id="ac-problem")
        yield Static("", id="ac-title", markup=False)
        yield Static("", id="ac-note", markup=False)
        yield ActionTable(id="ac-table", cursor_type="row")
        yield Static("", id="ac-detail", markup=False)
        yield MessageLine(id="ac-message")
        yield Footer()

    def on_mount(self) -> None:
        self.reload()
        if self.problem is None:
            self.query_one("#ac-table", DataTable).focus()
        self._watch = watch_review(self, self.session, self.review_id, self.reload)

    def on_screen_resume(self) -> None:
        if self.is_mounted:
            self.reload()

    def on_resize(self) -> None:
        if self.view is not None and self._column_widths() != self._widths:
            self._fill(force=True)

    @property
    def editable(self) -> bool:
        return self.view is not None and "action" in self.view.editable

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if self.problem is not None and action != "back":
            return False  # the review cannot be read: only back
        if action in ("new", "cycle"):
            return self.editable
        return True

    def _show_problem(self, exc: BaseException | None) -> None:
        """Show why the review cannot be read in place of it (None: show it again)."""
        self.problem = exc
        table = self.query_one("#ac-table", DataTable)
        parts = [self.query_one(wid) for wid in ("#ac-title", "#ac-note", "#ac-table", "#ac-detail")]
        broken = self.query_one("#ac-problem", ReviewProblem).stand_in(exc, parts, [table])
        if broken:
            self.view = None
            self.query_one("#ac-message", MessageLine).clear()
        elif self.focused is None:
            table.focus()
        self.refresh_bindings()

    def reload(self) -> None:
        try:
            view = self.session.view(self.review_id)
        except ERRORS as exc:
            self._show_problem(exc)
            return
        self.view = view
        if self.problem is not None:
            self._show_problem(None)
        r = view.review
        open_count = sum(a.status in (ActionStatus.open, ActionStatus.in_progress)
                         for a in r.actions)
        self.query_one("#ac-title", Static).update(literal(
            f"Improvement actions · {r.person_name} · {r.cycle_id} · "
            f"{len(r.actions)} action(s), {open_count} open"))
        note = self.query_one("#ac-note", Static)
        if self.editable:
            note.update(literal("n new · enter edit · c cycle status "
                                "(open → in progress → done → dropped)"))
        elif r.state is State.signed_off:
            note.update(literal("Read-only: the review is signed off and locked; "
                                "an HR admin can reopen it."))
        else:
            note.update(literal(
                f"Read-only: actions are written in the joint review (now: {r.state.label}; "
                f"next step: {self.view.next_step})."))
        self._fill()
        self.refresh_bindings()

    def _column_widths(self) -> tuple[int, ...]:
        width = max(self.size.width or 80, 60)
        rest = max(width - 45 - 2, 16)
        text = max(10, rest * 3 // 5)
        return (7, text, 6, 10, 10, max(6, rest - text))

    def _fill(self, force: bool = False) -> None:
        assert self.view is not None
        r = self.view.review
        table = self.query_one("#ac-table", DataTable)
        selected = self.selected_id()
        widths = self._column_widths()
        if force or widths != self._widths or not table.columns:
            table.clear(columns=True)
            self._widths = widths
            for (label, key), w in zip((("Status", "status"), ("Action", "text"), ("For", "for"),
                                        ("Owner", "owner"), ("Due", "due"),
                                        ("Measure", "measure")), widths):
                table.add_column(label, key=key, width=w)
        else:
            table.clear()
        for a in r.actions:
            cells = [STATUS_TEXT[a.status], a.text, link_short(r, a), person(r, a.owner),
                     a.due.isoformat() if a.due else "—", a.success_measure or "—"]
            table.add_row(*[Text(short(c, w), no_wrap=True) for c, w in zip(cells, widths)],
                          key=a.id)
        if selected is not None:
            self.select(selected)
        self._detail()

    def select(self, action_id: str) -> None:
        table = self.query_one("#ac-table", DataTable)
        try:
            row = table.get_row_index(action_id)
        except Exception:
            return
        table.move_cursor(row=row, animate=False)

    def selected(self) -> Action | None:
        if self.view is None:
            return None
        action_id = self.selected_id()
        return next((a for a in self.view.review.actions if a.id == action_id), None)

    def selected_id(self) -> str | None:
        table = self.query_one("#ac-table", DataTable)
        if table.row_count == 0:
            return None
        try:
            key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key
        except Exception:
            return None
        return None if key.value is None else str(key.value)

    def _detail(self) -> None:
        detail = self.query_one("#ac-detail", Static)
        a = self.selected()
        if a is None or self.view is None:
            detail.update(literal("No improvement actions yet." +
                                  (" Press n to add one." if self.editable else "")))
            return
        r = self.view.review
        lines = [
            f"Action {a.id}: {clean(a.text)}",
            f"For: {clean(link_long(r, a))}",
            f"Owner: {clean(person(r, a.owner))} · due {a.due.isoformat() if a.due else '—'}"
            f" · status: {a.status.value.replace('_', ' ')}",
            f"Success measure: {clean(a.success_measure) or '—'}",
        ]
        detail.update(literal("\n".join(lines)))

    @on(DataTable.RowHighlighted, "#ac-table")
    def _highlighted(self, event: DataTable.RowHighlighted) -> None:
        self._detail()

    @on(DataTable.RowSelected, "#ac-table")
    def _selected_row(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_edit()

    def _refuse(self) -> None:
        assert self.view is not None
        self.query_one("#ac-message", MessageLine).error(
            f"actions are read-only now: {self.view.next_step}")

    def action_new(self) -> None:
        if self.view is not None:
            self._open_form("added", kpi_id=self.kpi_id)

    def action_edit(self) -> None:
        if self.view is not None and (action := self.selected()) is not None:
            self._open_form("saved", action=action)

    def _open_form(self, verb: str, **form: Any) -> None:
        """The action form for a new or the selected action; reselect it after saving."""
        assert self.view is not None
        if not self.editable:
            self._refuse()
            return

        before = self.view.review

        def done(action_id: str | None) -> None:
            self.reload()
            if action_id:
                self.select(action_id)
                self._detail()
                self.query_one("#ac-message", MessageLine).ok(
                    f"{verb} action {action_id}{resign_note(before)}")

        self.app.push_screen(ActionForm(self.session, self.review_id, self.view.review, **form),
                             done)

    def action_cycle(self, expected: str | None = None) -> None:
        if self.view is None:
            return
        action = self.selected()
        if action is None:
            return
        if not self.editable:
            self._refuse()
            return
        current = expected or action.status.value
        new = NEXT_STATUS[ActionStatus(current)].value
        message = self.query_one("#ac-message", MessageLine)
        try:
            self.session.update_action(self.review_id, action.id, {"status": new},
                                       expected={"status": current})
        except Conflict as exc:
            theirs = exc.current.value if isinstance(exc.current, ActionStatus) else exc.current

            def chosen(choice: str | None) -> None:
                if choice == "mine":
                    try:
                        self.session.update_action(self.review_id, action.id, {"status": new},
                                                   expected={"status": theirs})
                    except ERRORS as err:
                        message.error(f"not saved: {err}")
                self.reload()

            self.app.push_screen(ConflictModal(f"status of action {action.id}", theirs, new),
                                 chosen)
            return
        except DataFileError as exc:
            self.reload()  # the review file went bad: the panel says which, why, what to do
            if self.problem is None:
                message.error(f"not saved: {exc}")
            return
        except ERRORS as exc:
            message.error(f"not saved: {exc}")
            return
        before = self.view.review
        self.reload()
        message.ok(f"action {action.id}: {new.replace('_', ' ')}{resign_note(before)}")

    def action_back(self) -> None:
        self.app.pop_screen()
