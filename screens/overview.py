"""Review overview: who, where in the workflow, the KRAs; history and planning editor."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Input, RichLog, Static

from tui.access import (
    AccessError, Conflict, NotFound, ReviewView, Session, StoreError, WorkflowError,
)
from tui.models import STATE_ORDER, HistoryEntry, Kind, Review, State
from tui.scoring import TargetWarning, fmt, kra_score, target_warning
from tui.workflow import parse_number, parse_weight

from .keys_now import TextInput
from .widgets import (
    ConfirmModal, Hanging, Literal, MessageLine, PresenceKeeper, PromptModal, ReviewProblem, clean,
    literal, text_bar, watch_review,
)
from .widgets import unreadable_text as unreadable_text  # (re-exported: it used to live here)

ERRORS = (AccessError, WorkflowError, NotFound, StoreError)
HUNDRED = Decimal(100)
TWO = Decimal("0.01")


def plain(value: Decimal | None) -> str:
    """A Decimal as typed, without exponent or trailing zeros ('' for None)."""
    if value is None:
        return ""
    text = format(value.normalize(), "f")
    return text


def sides_text(sides: frozenset[str]) -> str:
    names = {"employee": "the employee", "manager": "the reviewer", "line": "a manager higher up",
             "hr": "HR admin"}
    return ", ".join(names.get(s, s) for s in sorted(sides)) or "—"


def next_state(state: State) -> State | None:
    i = STATE_ORDER.index(state)
    return STATE_ORDER[i + 1] if i + 1 < len(STATE_ORDER) else None


def move_on_text(review: Review) -> str:
    """What moving `review` on from its state does now, and what comes after it
    (not the step being left: that one is done)."""
    person = review.person_name
    reviewer = review.reviewer_name or review.reviewer_id
    state = review.state
    if state is State.planning:
        return (f"The weights and targets are then fixed. Now {person} enters actuals and "
                f"self ratings (hidden from {reviewer} until the manager assessment). "
                f"Then {person} or {reviewer} moves it on to the manager assessment.")
    if state is State.self_assessment:
        return (f"{person}'s actuals and self ratings are then final. Now {reviewer} sees "
                f"them and enters actuals and manager ratings (hidden from {person} until "
                f"the joint review). Then {reviewer} moves it on to the joint review.")
    if state is State.manager_assessment:
        return (f"Now {person} and {reviewer} both see every rating, agree the ratings and "
                f"the improvement actions, and each signs. With both signatures the review "
                f"is signed off and locked.")
    return ""


def scoring_place(scoring: Any) -> tuple[str | None, int]:
    """(KRA id, KRA index) the guided scoring screen was last on; the id is None
    when it never could read the review."""
    index = getattr(scoring, "kra_index", 0)
    view = getattr(scoring, "view", None)
    kras = view.review.kras if view is not None else []
    return (kras[index].id if 0 <= index < len(kras) else None), index


def who_name(review: Review, who: str) -> str:
    if who == review.person_id:
        return review.person_name
    if who == review.reviewer_id:
        return review.reviewer_name or who
    return who.removeprefix("login:")


class KraTable(DataTable[Text]):
    """The KRAs of a review; enter opens the guided scoring at the KRA.

    The key is labelled "Score" when the person can change something in the
    review, and "Open" when it is read-only for them.
    """

    BINDINGS = [
        Binding("enter", "open_kra", "Score"),
        Binding("enter", "open_kra_read_only", "Open"),
    ]

    def _read_only(self) -> bool:
        view = getattr(self.screen, "view", None)
        return view is not None and not view.editable

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if getattr(self.screen, "problem", None) is not None:
            return False  # the review cannot be read: nothing to open
        if action == "open_kra":
            return not self._read_only()
        if action == "open_kra_read_only":
            return self._read_only()
        return True

    def action_open_kra(self) -> None:
        self.action_select_cursor()

    def action_open_kra_read_only(self) -> None:
        self.action_select_cursor()


class OverviewScreen(Screen[None]):
    """One review: header facts, next step, presence, and the KRAs."""

    BINDINGS = [
        Binding("enter", "score", "Score", show=False),
        Binding("a,ctrl+t", "actions", "Actions"),
        Binding("s", "summary", "Summary"),
        Binding("x", "export", "Export", show=False),
        Binding("h", "history", "History"),
        Binding("w", "planning", "Weights"),
        Binding("m", "advance", "Move on"),
        Binding("r", "reopen", "Reopen"),
        Binding("escape", "back", "Back", show=False),
        # The only key shown while the review cannot be read.
        Binding("escape", "leave", "Back"),
    ]

    def __init__(self, session: Session, review_id: str) -> None:
        super().__init__()
        self.session = session
        self.review_id = review_id
        self.view: ReviewView | None = None
        self.problem: BaseException | None = None  # why the review cannot be read now
        self._presence: PresenceKeeper | None = None
        self._busy = False
        self._scoring: Any = None  # the guided scoring pushed from here, until back

    # --- layout ------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield Header()
        yield ReviewProblem(id="ov-problem")
        with Vertical(id="overview-info", classes="info"):
            yield Literal("", id="ov-person", classes="heading")
            yield Literal("", id="ov-reviewer")
            yield Literal("", id="ov-state")
            yield Literal("", id="ov-next")
            yield Literal("", id="ov-hidden", classes="note")
            yield Literal("", id="ov-presence", classes="presence")
        table = KraTable(id="kra-table", cursor_type="row")
        table.add_column("#", width=2, key="no")
        table.add_column("KRA", width=36, key="kra")
        table.add_column("Weight", width=6, key="weight")
        table.add_column("Done", width=5, key="done")
        table.add_column("Agreed", width=6, key="agreed")
        table.add_column("Self", width=6, key="self")
        yield table
        yield MessageLine(id="message", classes="message")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.reload()
        if self.problem is None:
            self.query_one("#kra-table", DataTable).focus()
        self._presence = PresenceKeeper(self, self.session, self.review_id,
                                        on_beat=self._update_presence)
        self._update_presence()
        watch_review(self, self.session, self.review_id, self.reload)

    @property
    def presence(self) -> Any:
        return self._presence.file if self._presence is not None else None

    def on_unmount(self) -> None:
        if self._presence is not None:
            self._presence.leave()

    def on_screen_resume(self) -> None:
        scoring, self._scoring = self._scoring, None
        if self.is_mounted:
            self.reload()
            if scoring is not None:
                self._select_kra(*scoring_place(scoring))

    def _select_kra(self, kra_id: str | None, index: int) -> None:
        """Put the KRA cursor on the KRA `kra_id` (else on row `index`)."""
        if self.view is None or not self.view.review.kras:
            return
        kras = self.view.review.kras
        row = next((i for i, kra in enumerate(kras) if kra.id == kra_id), index)
        self.query_one("#kra-table", DataTable).move_cursor(
            row=min(max(row, 0), len(kras) - 1))

    def _update_presence(self) -> None:
        others = self._presence.others() if self._presence is not None else []
        widget = self.query_one("#ov-presence", Literal)
        widget.display = bool(others)
        widget.set_text(f"Also here: {', '.join(others)}" if others else "")

    # --- data --------------------------------------------------------------

    def _show_problem(self, exc: BaseException | None) -> None:
        """Show why the review cannot be read in place of it (None: show it again)."""
        self.problem = exc
        table = self.query_one("#kra-table", DataTable)
        broken = self.query_one("#ov-problem", ReviewProblem).stand_in(
            exc, [self.query_one("#overview-info"), table], [table])
        if broken:
            self.view = None
            self.query_one("#message", MessageLine).clear()
        elif self.focused is None:
            table.focus()
        self.refresh_bindings()

    def reload(self) -> None:
        try:
            view = self.session.view(self.review_id)
        except ERRORS as exc:
            self._show_problem(exc)
            return
        if self.problem is not None:
            self._show_problem(None)
        self.view = view
        r = view.review
        self.query_one("#ov-person", Literal).set_text(
            f"{r.person_name} · {r.role_title} · cycle {r.cycle_id}")
        self.query_one("#ov-reviewer", Literal).set_text(
            f"Reviewer: {r.reviewer_name or r.reviewer_id} · you see it as {sides_text(view.sides)}")
        done, total = view.done, view.total
        step = STATE_ORDER.index(r.state) + 1
        lock = " · locked (read-only)" if r.state is State.signed_off else (
            " · read-only for you" if view.read_only else "")
        self.query_one("#ov-state", Literal).set_text(
            f"State: {r.state.label} ({step}/{len(STATE_ORDER)}) · {text_bar(done, total, 10)}"
            f" · rev {r.revision}{lock}")
        self.query_one("#ov-next", Literal).set_text(f"Next step: {view.next_step}")
        hidden = self.query_one("#ov-hidden", Literal)
        hidden.display = bool(view.hidden)
        hidden.set_text("Hidden from you: " + "; ".join(view.hidden) if view.hidden else "")
        self._fill_table(view)
        self.refresh_bindings()

    def _fill_table(self, view: ReviewView) -> None:
        r = view.review
        table = self.query_one("#kra-table", DataTable)
        cursor = table.cursor_row
        table.clear()
        self_hidden = any("self ratings" in h for h in view.hidden)
        agreed_hidden = any("manager ratings" in h for h in view.hidden)
        for i, kra in enumerate(r.kras, 1):
            done = view.kra_done.get(kra.id, 0)
            agreed = kra_score(kra, "agreed")
            own = kra_score(kra, "self")
            title = literal(kra.title)
            title.truncate(36, overflow="ellipsis")
            table.add_row(
                Text(str(i)), title, Text(fmt(kra.weight), justify="right"),
                Text(f"{done}/{len(kra.kpis)}"),
                Text("hidden" if agreed_hidden else fmt(agreed.score), justify="right"),
                Text("hidden" if self_hidden else fmt(own.score), justify="right"),
                key=kra.id,
            )
        if r.kras:
            table.move_cursor(row=min(max(cursor, 0), len(r.kras) - 1))

    # --- actions -----------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("back", "leave"):
            return (self.problem is None) == (action == "back")
        if self.problem is not None:
            return False  # the review cannot be read: only back
        view = self.view
        if view is None:
            return True
        if action == "planning":
            return "weights" in view.editable
        if action == "advance":
            return True if view.can_advance else False
        if action == "reopen":
            return view.can_reopen
        return True

    def _error(self, exc: Any) -> None:
        self.query_one("#message", MessageLine).error(exc)

    def _kra_index(self) -> int:
        table = self.query_one("#kra-table", DataTable)
        return max(0, table.cursor_row)

    @on(DataTable.RowSelected, "#kra-table")
    def _row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_score()

    def action_score(self) -> None:
        try:
            from screens.scoring import ScoringScreen
        except ImportError:
            self._error("the guided scoring screen is not available in this build")
            return
        try:
            scoring = ScoringScreen(self.session, self.review_id, self._kra_index())
            self.app.push_screen(scoring)
            self._scoring = scoring  # back from it, the cursor goes to its last KRA
        except Exception as exc:  # a screen that fails to start must not end the app
            self._error(f"cannot open the guided scoring: {exc}")

    def action_actions(self) -> None:
        try:
            from screens.actions import ActionsScreen
        except ImportError:
            self._error("the improvement actions screen is not available in this build")
            return
        try:
            self.app.push_screen(ActionsScreen(self.session, self.review_id))
        except Exception as exc:
            self._error(f"cannot open the actions: {exc}")

    def action_summary(self) -> None:
        app: Any = self.app
        app.open_summary(self.review_id)

    def action_export(self) -> None:
        app: Any = self.app
        app.open_export(self.review_id)

    def action_history(self) -> None:
        self.app.push_screen(HistoryScreen(self.session, self.review_id))

    def action_planning(self) -> None:
        if self.view is None or "weights" not in self.view.editable:
            self._error("weights and targets are set by the manager in planning")
            return
        self.app.push_screen(PlanningScreen(self.session, self.review_id))

    def action_back(self) -> None:
        self.app.pop_screen()

    def action_leave(self) -> None:
        self.app.pop_screen()

    def action_advance(self) -> None:
        view = self.view
        if view is None:
            return
        if not view.can_advance:
            self._error(f"you cannot move this review on now; next step: {view.next_step}")
            return
        review = view.review
        nxt = next_state(review.state)
        target = nxt.label if nxt else "the next step"
        try:
            gaps = self.session.step_gaps(self.review_id)
        except ERRORS as exc:
            self._error(exc)
            return
        if gaps:
            question = f"{gaps}. Move {review.person_name}'s review to {target} anyway?"
        else:
            question = (f"Move {review.person_name}'s review from {review.state.label} "
                        f"to {target}?")

        def done(yes: bool | None) -> None:
            if not yes:
                return
            try:
                state = self.session.advance(self.review_id)
            except ERRORS as exc:
                self._error(exc)
                return
            self.reload()
            self.query_one("#message", MessageLine).ok(f"moved on to {state.label}")

        self.app.push_screen(ConfirmModal(question, move_on_text(review)), done)

    def action_reopen(self) -> None:
        view = self.view
        if view is None or not view.can_reopen:
            self._error("only an HR admin can reopen a signed-off review")
            return

        def done(reason: str | None) -> None:
            if reason is None:
                return
            try:
                self.session.reopen(self.review_id, reason)
            except ERRORS as exc:
                self._error(exc)
                return
            self.reload()
            self.query_one("#message", MessageLine).ok("reopened: back in joint review")

        self.app.push_screen(
            PromptModal("Reopen this signed-off review", "why it is reopened",
                        lambda s: None if s.strip() else "reopening needs a reason",
                        message="Both sign-offs are removed; the reason is recorded."),
            done,
        )


# --- history -----------------------------------------------------------------


STATE_LABELS = {state.value: state.label for state in State}


def history_line(review: Review, e: HistoryEntry) -> Text:
    """One entry, e.g. `... Morgan  set revenue.actual: 900 → 950` or, for a step of
    the workflow, `... Morgan  state: planning → self assessment`."""
    when = e.at.strftime("%Y-%m-%d %H:%M")
    who = who_name(review, e.who)
    parts = [f"{when}  {who}  {e.action}"]
    if e.field and e.field != e.action:
        parts.append(f" {e.field}")
    if e.old is not None or e.new is not None:
        old = "—" if e.old is None else e.old
        new = "—" if e.new is None else e.new
        if e.field == "state":
            old, new = STATE_LABELS.get(old, old), STATE_LABELS.get(new, new)
        parts.append(f": {old} → {new}")
    if e.note:
        parts.append(f"  ({e.note})")
    return literal("".join(parts))


class HistoryLog(RichLog):
    """The history entries, word-wrapped to the width there is (never clipped).

    A RichLog renders each line once, at the width of that moment, and by
    default at least 78 cells wide (wider than the log at 80 columns, so line
    ends were cut off).  This one wraps at its own width, keeps room for the
    scrollbar so that width does not change when the scrollbar appears, and
    renders everything again when its width changes.  Wrapped lines of an
    entry are indented, so each entry stands out.
    """

    DEFAULT_CSS = """
    HistoryLog {
        scrollbar-gutter: stable;
        overflow-x: hidden;
    }
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(wrap=True, markup=False, highlight=False, auto_scroll=True,
                         min_width=1, **kwargs)
        self.entries: list[Text] = []
        self._rendered_width = 0

    def set_entries(self, entries: list[Text]) -> None:
        self.entries = list(entries)
        self._render_entries()

    def _render_entries(self) -> None:
        self.clear()
        self._rendered_width = self.scrollable_content_region.width
        for entry in self.entries:
            self.write(Hanging(entry, 2))

    def on_resize(self) -> None:
        width = self.scrollable_content_region.width
        if self.entries and width and width != self._rendered_width:
            self.call_after_refresh(self._render_entries)


class HistoryScreen(Screen[None]):
    """Every recorded change of the review, newest last, as literal text."""

    BINDINGS = [
        Binding("escape,q", "back", "Back"),
        Binding("home", "top", "Top", show=False),
        Binding("end", "bottom", "End", show=False),
    ]

    def __init__(self, session: Session, review_id: str) -> None:
        super().__init__()
        self.session = session
        self.review_id = review_id
        self.problem: BaseException | None = None  # why the review cannot be read now

    def compose(self) -> ComposeResult:
        yield Header()
        yield ReviewProblem(id="history-problem")
        yield Literal("", id="history-title", classes="heading")
        yield HistoryLog(id="history-log")
        yield MessageLine(id="message", classes="message")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.load()
        if self.problem is None:
            self.query_one("#history-log", RichLog).focus()
        watch_review(self, self.session, self.review_id, self.load)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if self.problem is not None and action in ("top", "bottom"):
            return False
        return True

    def load(self) -> None:
        log = self.query_one("#history-log", HistoryLog)
        panel = self.query_one("#history-problem", ReviewProblem)
        try:
            view = self.session.view(self.review_id)
            entries = self.session.history(self.review_id)
        except ERRORS as exc:
            self.problem = exc
            panel.show_problem(exc)
            self.set_focus(None)
            self.query_one("#history-title").display = False
            log.display = False
            log.disabled = True  # (a hidden widget can still be given the focus)
            self.refresh_bindings()
            return
        if self.problem is not None:
            self.problem = None
            panel.hide()
            self.query_one("#history-title").display = True
            log.display = True
            log.disabled = False
            log.focus()
            self.refresh_bindings()
        self.query_one("#history-title", Literal).set_text(
            f"History of {view.review.person_name}'s review ({view.review.cycle_id}) · "
            f"{len(entries)} entries")
        log.set_entries([history_line(view.review, e) for e in entries])

    def action_back(self) -> None:
        self.app.pop_screen()

    def action_top(self) -> None:
        self.query_one("#history-log", RichLog).scroll_home()

    def action_bottom(self) -> None:
        self.query_one("#history-log", RichLog).scroll_end()


# --- planning editor -----------------------------------------------------------


MAX_CHARS = 32  # longer is reported as too long (never cut short while typing)


def check_typed(text: str, what: str, kpi: Any = None) -> tuple[Decimal | None, str]:
    """(value, '') for a weight (`kpi` None) or a target as typed, else (None, why not).

    The core's own parsing decides (`tui.workflow.parse_weight` / `parse_number`,
    as the guided scoring and the save use): 12,5 is not a number, 1e3 is 1000,
    a weight is 0 to 100 with at most 2 decimals. An empty weight counts as 0,
    an empty target as no target.
    """
    stripped = text.strip()
    if len(stripped) > MAX_CHARS:
        return None, f"{what} is too long ({len(stripped)} characters; at most {MAX_CHARS})"
    try:
        if kpi is None:
            return (parse_weight(stripped, what) if stripped else Decimal(0)), ""
        return parse_number(stripped, kpi, what), ""
    except WorkflowError as exc:
        return None, str(exc)


class NoteLine(MessageLine):
    """A MessageLine that can also warn ("⚠ ..."): what is saved but makes no sense,
    styled apart from the errors that block the save ("! ...")."""

    def warn(self, message: Any) -> None:
        self.set_class(False, "-error", "-ok")
        self.set_class(True, "-warning")
        self.update(literal(f"⚠ {clean(message)}"))

    def error(self, message: Any) -> None:
        self.set_class(False, "-warning")
        super().error(message)

    def ok(self, message: Any) -> None:
        self.set_class(False, "-warning")
        super().ok(message)

    def clear(self) -> None:
        self.set_class(False, "-warning")
        super().clear()


def sum_text(label: str, total: Decimal | None, bad: int = 0) -> str:
    if bad or total is None:
        what = "weight is" if bad == 1 else "weights are"
        return f"{label}: ✗ {bad or 'a'} {what} not valid (see below)"
    if total == HUNDRED:
        return f"{label}: {fmt(total)} / 100 ✓"
    diff = HUNDRED - total
    if diff > 0:
        return f"{label}: {fmt(total)} / 100 ✗ {fmt(diff)} missing"
    return f"{label}: {fmt(total)} / 100 ✗ {fmt(-diff)} too much"


class PlanningScreen(Screen[None]):
    """Planning: every KRA weight, and per KRA its KPI weights and targets.

    The sums are shown live; ctrl+s saves the values this person changed at
    once through `session.set_planning`, which validates the whole again and
    refuses a value someone else changed since it was shown here (a second
    ctrl+s keeps this person's). Values not touched here follow the stored
    review as it changes (another terminal planning at the same time).
    """

    # A KRA title or KPI name longer than its cell ends in "…" and keeps a blank
    # cell before the next one (it used to wrap, cut at a word, and touch it:
    # "…revenue fromw 35").
    DEFAULT_CSS = """
    PlanningScreen .plan-kra-title, PlanningScreen .plan-kpi-name {
        text-wrap: nowrap;
        text-overflow: ellipsis;
        padding-right: 1;
    }
    PlanningScreen .plan-error {
        height: auto;
        padding-left: 7;
    }
    PlanningScreen .plan-error.-error {
        color: $error;
    }
    PlanningScreen .plan-error.-warning, PlanningScreen #message.-warning {
        color: $warning;
    }
    """

    BINDINGS = [
        Binding("ctrl+s", "save", "Save", priority=True),
        Binding("escape", "back", "Back"),
        Binding("down", "app.focus_next", "Next field", show=False),
        Binding("up", "app.focus_previous", "Previous field", show=False),
    ]

    def __init__(self, session: Session, review_id: str) -> None:
        super().__init__()
        self.session = session
        self.review_id = review_id
        self.view: ReviewView | None = None
        self.saved_values: dict[str, str] = {}
        self._errors: dict[str, NoteLine] = {}  # made on a field's first error or warning
        self.problem: BaseException | None = None  # why the review cannot be read now

    def compose(self) -> ComposeResult:
        error = None
        try:
            self.view = self.session.view(self.review_id)
        except ERRORS as exc:
            error = exc
        self.problem = error
        yield Header()
        problem = ReviewProblem(id="plan-problem")
        if error is not None:
            problem.show_problem(error)
        yield problem
        yield Literal("", id="plan-title", classes="heading")
        yield Literal("", id="plan-kra-sum", classes="sum")
        with VerticalScroll(id="plan-body", can_focus=False):
            if self.view is not None:
                yield from self._rows(self.view)
        yield NoteLine(id="message", classes="message")
        yield Footer(compact=True)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "save":
            return self.problem is None  # nothing can be saved into an unreadable file
        return True

    def _show_problem(self, exc: BaseException | None) -> None:
        """Show why the review cannot be read in place of the editor (None: the
        editor again). What was typed stays, hidden, until the file is readable."""
        self.problem = exc
        body = self.query_one("#plan-body")
        broken = self.query_one("#plan-problem", ReviewProblem).stand_in(
            exc, [self.query_one("#plan-title"), self.query_one("#plan-kra-sum"), body], [body])
        message = self.query_one("#message", MessageLine)
        if broken and self.unsaved_work():
            message.error("not saved: what you typed is kept on this screen and shown "
                          "again when the file can be read; then ctrl+s saves it")
        else:
            message.clear()
        if not broken:
            first = next((i for i in self.query(Input).results(Input) if not i.disabled), None)
            if first is not None:
                first.focus()
        self.refresh_bindings()

    def on_mount(self) -> None:
        if self.view is None:
            for wid in ("#plan-title", "#plan-kra-sum", "#plan-body"):
                self.query_one(wid).display = False
            self.query_one("#plan-body").disabled = True
            self.refresh_bindings()
            return
        self.saved_values = self._values()
        for wid, text in self.saved_values.items():
            if wid.startswith("kpi-t-"):
                self._show_check(wid, text)
        self._update_sums()
        first = self.query(Input).first(Input) if self.query(Input) else None
        if first is not None:
            first.focus()
        self._watch = watch_review(self, self.session, self.review_id, self._on_change)

    @staticmethod
    def _field(input_id: str) -> tuple[str, str]:
        """("kra_weights" | "kpi_weights" | "targets", KRA or KPI id) of an input."""
        prefix, item = input_id[:6], input_id[6:]
        return {"kra-w-": "kra_weights", "kpi-w-": "kpi_weights", "kpi-t-": "targets"}[prefix], item

    def _stored(self, view: ReviewView) -> dict[str, str]:
        """The stored values, as the inputs show them, by input id."""
        out: dict[str, str] = {}
        for kra in view.review.kras:
            out[f"kra-w-{kra.id}"] = plain(kra.weight)
            for kpi in kra.kpis:
                out[f"kpi-w-{kpi.id}"] = plain(kpi.weight)
                if kpi.kind is Kind.numeric:
                    out[f"kpi-t-{kpi.id}"] = plain(kpi.target)
        return out

    def _follow(self) -> tuple[list[str], list[str]]:
        """Read the review again; show its values in every input not changed here.

        Returns (input ids updated, input ids changed here *and* meanwhile).
        """
        self.view = self.session.view(self.review_id)
        stored = self._stored(self.view)
        updated, clashes = [], []
        for inp in self.query(Input).results(Input):
            wid = inp.id or ""
            if wid not in stored or stored[wid] == self.saved_values.get(wid):
                continue
            if inp.value == self.saved_values.get(wid):
                with inp.prevent(Input.Changed):
                    inp.value = stored[wid]
                self._show_check(wid, stored[wid])
                self.saved_values[wid] = stored[wid]
                updated.append(wid)
            elif inp.value != stored[wid]:
                clashes.append(wid)
            else:  # the same value typed here and saved there
                self.saved_values[wid] = stored[wid]
        weights_ok = "weights" in self.view.editable
        for inp in self.query(Input).results(Input):
            allowed = weights_ok and ("target" in self.view.editable
                                      or not (inp.id or "").startswith("kpi-t-"))
            inp.disabled = not allowed
        self._update_sums()
        return updated, clashes

    def _label(self, input_id: str) -> str:
        """"KRA 2 weight", "KPI 1.3 target", ... for an input id."""
        assert self.view is not None
        kind, item = self._field(input_id)
        for i, kra in enumerate(self.view.review.kras, 1):
            if kind == "kra_weights" and kra.id == item:
                return f"KRA {i} weight"
            for j, kpi in enumerate(kra.kpis, 1):
                if kpi.id == item:
                    return f"KPI {i}.{j} {'target' if kind == 'targets' else 'weight'}"
        return input_id

    def _on_change(self) -> None:
        """Someone else saved this review: follow what was not changed here."""
        try:
            updated, clashes = self._follow()
        except ERRORS as exc:
            self._show_problem(exc)
            return
        if self.problem is not None:
            self._show_problem(None)
        message = self.query_one("#message", MessageLine)
        if clashes:
            message.error("changed in another session while you were editing: "
                          + ", ".join(self._label(c) for c in clashes)
                          + " — ctrl+s shows what is stored and asks again")
        elif updated:
            message.ok("updated from another session: "
                       + ", ".join(self._label(u) for u in updated))

    def _rows(self, view: ReviewView) -> ComposeResult:
        r = view.review
        target_ok = "target" in view.editable
        weights_ok = "weights" in view.editable
        rows: list[Any] = []
        # No `restrict` or `max_length`: an Input drops a refused key without a
        # word (12,5 became 125). Everything typed stays; `_check` says what is wrong.
        for i, kra in enumerate(r.kras, 1):
            rows.append(Horizontal(
                Literal(f"{i:>2} {clean(kra.title)}", classes="plan-kra-title"),
                Static("weight", classes="plan-label", markup=False),
                TextInput(plain(kra.weight), id=f"kra-w-{kra.id}", classes="plan-weight",
                          compact=True, disabled=not weights_ok,
                          tooltip=f"weight of KRA {i} (% of the review)"),
                classes="plan-kra-row", id=f"row-kra-w-{kra.id}",
            ))
            rows.append(Literal("", id=f"kpi-sum-{kra.id}", classes="plan-kpi-sum"))
            for j, kpi in enumerate(kra.kpis, 1):
                unit = kpi.unit or "rating"
                arrow = {"higher": "↑", "lower": "↓"}.get(
                    kpi.direction.value if kpi.direction else "", "")
                cells: list[Any] = [
                    Literal(f"   {i}.{j} {clean(kpi.name)}", classes="plan-kpi-name"),
                    Static("w", classes="plan-label-short", markup=False),
                    TextInput(plain(kpi.weight), id=f"kpi-w-{kpi.id}", classes="plan-weight",
                              compact=True, disabled=not weights_ok,
                              tooltip=f"weight of KPI {i}.{j} (% of its KRA)"),
                ]
                if kpi.kind is Kind.numeric:
                    cells.append(TextInput(plain(kpi.target), id=f"kpi-t-{kpi.id}",
                                           classes="plan-target", compact=True,
                                           placeholder="target", disabled=not target_ok,
                                           tooltip=f"target of KPI {i}.{j} ({unit})"))
                    cells.append(Static(f"{arrow}{unit}", classes="plan-unit", markup=False))
                else:
                    cells.append(Static("rated 1–5" if (r.scale.min, r.scale.max) == (1, 5)
                                        else f"rated {r.scale.min}–{r.scale.max}",
                                        classes="plan-target-none", markup=False))
                rows.append(Horizontal(*cells, classes="plan-kpi-row", id=f"row-kpi-{kpi.id}"))
        yield from rows

    def _values(self) -> dict[str, str]:
        return {w.id or "": w.value for w in self.query(Input).results(Input)}

    def _check(self, input_id: str, text: str) -> tuple[Decimal | None, str]:
        """(value, '') or (None, why not) for what is typed in one input."""
        assert self.view is not None
        kind, item = self._field(input_id)
        what = self._label(input_id)
        if kind == "targets":
            return check_typed(text, what, self.view.review.kpi(item))
        return check_typed(text, what)

    def _target_warning(self, input_id: str, text: str) -> TargetWarning | None:
        """The core's warning for a valid target typed here that makes the
        suggested rating meaningless (`tui.scoring.target_warning`), else None."""
        assert self.view is not None
        kind, item = self._field(input_id)
        if kind != "targets":
            return None
        value, problem = self._check(input_id, text)
        if problem or value is None:
            return None
        kpi = self.view.review.kpi(item)
        return target_warning(kpi.direction, value, self.view.review.scale)

    def _warning_text(self, input_id: str, warning: TargetWarning) -> str:
        """"KPI 1.1 target 0 with higher is better: ... no rating is ever suggested"."""
        kpi = self._label(input_id).removesuffix(" target")
        return f"{kpi} {warning.summary}: {warning.effect}"

    def _target_warnings(self) -> list[str]:
        """Each target now typed that makes the suggested rating meaningless, named."""
        found = []
        for inp in self.query(Input).results(Input):
            wid = inp.id or ""
            if wid.startswith("kpi-t-") and (w := self._target_warning(wid, inp.value)):
                found.append(f"{self._label(wid).removesuffix(' target')} {w.summary}")
        return found

    def _show_check(self, input_id: str, text: str) -> None:
        """Under the input: why `text` is not valid (blocks the save), else the
        warning that it gives no meaningful suggested rating (does not), else nothing."""
        problem = self._check(input_id, text)[1]
        warning = None if problem else self._target_warning(input_id, text)
        self._show_error(input_id, problem,
                         self._warning_text(input_id, warning) if warning else "")

    def _show_error(self, input_id: str, problem: str, warning: str = "") -> None:
        """Show `problem` (an error) or else `warning` on its own line under the
        input's row (both '' hides it)."""
        inp = self.query_one(f"#{input_id}", Input)
        inp.set_class(bool(problem), "-invalid")
        line = self._errors.get(input_id)
        if line is None:
            if not (problem or warning):
                return
            line = self._errors[input_id] = NoteLine(id=f"err-{input_id}",
                                                     classes="plan-error")
            row = inp.parent
            assert row is not None and row.parent is not None
            row.parent.mount(line, after=row)
        if problem:
            line.error(problem)
            line.display = True
        elif warning:
            line.warn(warning)
            line.display = True
        elif line.display:
            line.clear()
            line.display = False

    @on(Input.Changed)
    def _changed(self, event: Input.Changed) -> None:
        if self.view is None or not (event.input.id or "").startswith(("kra-", "kpi-")):
            return
        self._show_check(event.input.id or "", event.value)
        self._update_sums()
        self.query_one("#message", MessageLine).clear()

    def _sums(self) -> tuple[list[str], dict[str, str]]:
        """(problems, {widget id: status text}) for the values now typed.

        The fields that are not valid come first (by name), then the sums; a
        field that is not valid is left out of its sum, which says so.
        """
        assert self.view is not None
        invalid: list[str] = []
        problems: list[str] = []
        status: dict[str, str] = {}
        kra_total = Decimal(0)
        kra_bad = 0
        for i, kra in enumerate(self.view.review.kras, 1):
            wid = f"kra-w-{kra.id}"
            w, problem = self._check(wid, self.query_one(f"#{wid}", Input).value)
            if w is None:
                kra_bad += 1
                invalid.append(problem)
            else:
                kra_total += w
            sub = Decimal(0)
            bad = 0
            for kpi in kra.kpis:
                wid = f"kpi-w-{kpi.id}"
                kw, problem = self._check(wid, self.query_one(f"#{wid}", Input).value)
                if kw is None:
                    bad += 1
                    invalid.append(problem)
                else:
                    sub += kw
                if kpi.kind is Kind.numeric:
                    tid = f"kpi-t-{kpi.id}"
                    target = self.query_one(f"#{tid}", Input)
                    if not target.disabled:
                        _t, problem = self._check(tid, target.value)
                        if problem:
                            invalid.append(problem)
            status[f"kpi-sum-{kra.id}"] = "      " + sum_text(f"KPI weights of KRA {i}", sub, bad)
            if not bad and sub != HUNDRED:
                problems.append(sum_text(f"KRA {i}: KPI weights", sub))
        status["plan-kra-sum"] = sum_text("KRA weights", kra_total, kra_bad)
        if not kra_bad and kra_total != HUNDRED:
            problems.insert(0, sum_text("KRA weights", kra_total))
        return invalid + problems, status

    def _first_invalid(self) -> Input | None:
        for inp in self.query(Input).results(Input):
            if inp.disabled or not (inp.id or "").startswith(("kra-", "kpi-")):
                continue
            if self._check(inp.id or "", inp.value)[1]:
                return inp
        return None

    def _update_sums(self) -> None:
        if self.view is None:
            return
        r = self.view.review
        self.query_one("#plan-title", Literal).set_text(
            f"Planning: weights and targets for {r.person_name} ({r.cycle_id})")
        _problems, status = self._sums()
        for wid, text in status.items():
            widget = self.query_one(f"#{wid}", Literal)
            widget.set_text(text)
            widget.set_class("✗" in text, "-wrong")

    def action_save(self) -> None:
        message = self.query_one("#message", NoteLine)
        if self.view is None or self.problem is not None:
            return
        problems, _ = self._sums()
        if problems:
            more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
            message.error(f"not saved — {problems[0]}{more}")
            first = self._first_invalid()
            if first is not None:
                first.focus()
            return
        # Only what was changed here is sent, with what was shown as `expected`:
        # another session's changes to the rest are kept, and a value changed
        # there and here is a conflict rather than silently overwritten.
        send: dict[str, dict[str, str]] = {"kra_weights": {}, "kpi_weights": {}, "targets": {}}
        expected: dict[str, dict[str, str]] = {key: {} for key in send}
        for wid, value in self._values().items():
            if value == self.saved_values.get(wid) or not wid.startswith(("kra-", "kpi-")):
                continue
            kind, item = self._field(wid)
            if kind == "targets" and "target" not in self.view.editable:
                continue
            blank = "" if kind == "targets" else "0"
            send[kind][item] = value.strip() or blank
            expected[kind][item] = self.saved_values.get(wid, "").strip() or blank
        if not any(send.values()):
            message.ok("nothing changed")
            return
        try:
            self.session.set_planning(self.review_id, expected=expected, **send)
        except Conflict:
            try:
                _updated, clashes = self._follow()
            except ERRORS as exc:
                message.error(f"not saved — {exc}")
                return
            assert self.view is not None
            stored = self._stored(self.view)
            for wid in clashes:
                self.saved_values[wid] = stored[wid]  # so that ctrl+s again keeps yours
            if not clashes:
                message.error("not saved — the review changed meanwhile; your values are "
                              "still here: ctrl+s again")
                return
            message.error(
                "not saved — changed in another session while you were editing: "
                + "; ".join(f"{self._label(c)} is now {stored[c] or '(empty)'}, you typed "
                            f"{self.query_one(f'#{c}', Input).value or '(empty)'}"
                            for c in clashes)
                + ". ctrl+s again keeps yours; escape and Discard keeps what is stored.")
            return
        except ERRORS as exc:
            message.error(f"not saved — {exc}")
            return
        self._watch.reset_token()  # (not the echo of this save)
        try:
            self._follow()
            # What was saved, as it is stored (1e3 typed is 1000).
            stored = self._stored(self.view)
            for kind, items in send.items():
                prefix = {"kra_weights": "kra-w-", "kpi_weights": "kpi-w-",
                          "targets": "kpi-t-"}[kind]
                for item in items:
                    inp = self.query_one(f"#{prefix}{item}", Input)
                    if inp.value != stored.get(inp.id or "", inp.value):
                        with inp.prevent(Input.Changed):
                            inp.value = stored[inp.id or ""]
        except ERRORS:
            pass
        self.saved_values = self._values()
        warnings = self._target_warnings()
        if not warnings:
            message.ok("saved weights and targets")
            return
        many = len(warnings) != 1
        message.warn(
            f"saved weights and targets; {len(warnings)} target{'s' if many else ''} "
            f"give{'' if many else 's'} no meaningful suggested rating: "
            + "; ".join(warnings) + (" (see under each)" if many else " (see under it)"))

    def unsaved_work(self) -> str | None:
        """For the app's quit guard: the weights and targets changed and not saved."""
        if self.view is None or not self.is_mounted or self._values() == self.saved_values:
            return None
        return f"changes to the weights and targets of {self.view.review.person_name}'s review"

    def action_back(self) -> None:
        if self._values() == self.saved_values:
            self.app.pop_screen()
            return

        def done(yes: bool | None) -> None:
            if yes:
                self.app.pop_screen()

        self.app.push_screen(
            ConfirmModal("Leave without saving?", "Your changes to weights and targets are "
                         "not saved yet (ctrl+s saves).", yes="Discard", no="Stay"),
            done,
        )
