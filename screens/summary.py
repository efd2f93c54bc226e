"""Summary and sign-off: KRA scores as bars, overall, self vs agreed, what is missing."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Header, Static

from tui.access import AccessError, NotFound, ReviewView, Session, StoreError, WorkflowError
from tui.models import ActionStatus, Review, State
from tui.scoring import fmt, kra_score, missing_for_signoff, overall

from .widgets import (
    ConfirmModal, HangingText, Literal, MessageLine, ReviewProblem, clean, literal, score_bar,
    watch_review,
)

ERRORS = (AccessError, WorkflowError, NotFound, StoreError)
BAR = 16
TITLE = 22


def person_name(review: Review, person_id: str) -> str:
    if person_id == review.person_id:
        return review.person_name
    if person_id == review.reviewer_id:
        return review.reviewer_name or person_id
    return person_id


def kra_lines(review: Review, show_self: bool) -> Text:
    out = Text(end="")
    top = review.scale.max
    header = f"{'':2} {'KRA':<{TITLE}} {'agreed':<{BAR}} {'score':>5} {'weight':>8}"
    if show_self:
        header += f" {'self':>5}"
    out.append(header + "\n", style="bold")
    for i, kra in enumerate(review.kras, 1):
        agreed = kra_score(kra, "agreed")
        title = clean(kra.title)
        if len(title) > TITLE:
            title = title[: TITLE - 1] + "…"
        out.append(f"{i:>2} ")
        out.append(f"{title:<{TITLE}} ")
        out.append(score_bar(agreed.score, top, BAR), style="bold")
        out.append(f" {fmt(agreed.score):>5}")
        out.append(f" {fmt(kra.weight):>7}%")
        if show_self:
            own = kra_score(kra, "self")
            out.append(f" {fmt(own.score):>5}")
        if agreed.reweighted:
            out.append(" *")
        out.append("\n")
    out.rstrip()
    return out


class SummaryScreen(Screen[None]):
    """Scores, overall and band, self vs agreed, open actions, missing items, sign-offs."""

    BINDINGS = [
        Binding("g", "sign", "Sign"),
        Binding("x", "export", "Export"),
        Binding("escape", "back", "Back"),
    ]

    def __init__(self, session: Session, review_id: str) -> None:
        super().__init__()
        self.session = session
        self.review_id = review_id
        self.view: ReviewView | None = None
        self.problem: BaseException | None = None  # why the review cannot be read now

    def compose(self) -> ComposeResult:
        yield Header()
        yield ReviewProblem(id="sum-problem")
        yield Literal("", id="sum-title", classes="heading")
        yield Literal("", id="sum-status", classes="status")
        with VerticalScroll(id="summary-body"):
            yield Static("", id="sum-kras", markup=False)
            yield Static("", id="sum-overall", markup=False, classes="overall")
            yield Static("Open improvement actions", classes="section-title", markup=False)
            yield Static("", id="sum-actions", markup=False)
            yield Static("Missing before sign-off", classes="section-title", markup=False)
            yield Static("", id="sum-missing", markup=False)
            yield Static("Sign-offs", classes="section-title", markup=False)
            yield Static("", id="sum-signoffs", markup=False)
        yield MessageLine(id="message", classes="message")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.reload()
        if self.problem is None:
            self.query_one("#summary-body", VerticalScroll).focus()
        watch_review(self, self.session, self.review_id, self.reload)

    def on_screen_resume(self) -> None:
        if self.is_mounted:
            self.reload()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if self.problem is not None and action in ("sign", "export"):
            return False  # the review cannot be read: only back
        if action == "sign":
            return self.view is not None and self.view.sign_as is not None
        return True

    def _show_problem(self, exc: BaseException | None) -> None:
        """Show why the review cannot be read in place of it (None: show it again)."""
        self.problem = exc
        body = self.query_one("#summary-body")
        if self.query_one("#sum-problem", ReviewProblem).stand_in(
                exc, [self.query_one("#sum-title"), self.query_one("#sum-status"), body], [body]):
            self.view = None
            self.query_one("#message", MessageLine).clear()
        self.refresh_bindings()

    def reload(self) -> None:
        try:
            view = self.session.view(self.review_id)
        except ERRORS as exc:
            self._show_problem(exc)
            return
        if self.problem is not None:
            self._show_problem(None)
            self.query_one("#summary-body", VerticalScroll).focus()
        self.view = view
        r = view.review
        self.query_one("#sum-title", Literal).set_text(
            f"Summary: {r.person_name} · {r.role_title} · {r.cycle_id}")
        status = self.query_one("#sum-status", Literal)
        if r.state is State.signed_off:
            status.set_text("Signed off — locked (read-only)")
        else:
            signed = sorted(s.role.value for s in r.valid_signoffs())
            extra = f" · signed by {' and '.join(signed)}" if signed else ""
            if view.sign_as and view.sign_as.value not in signed:
                extra += f" · you sign as {view.sign_as.value} (g)"
            missing = len(missing_for_signoff(r))
            if missing:
                extra += f" · {missing} missing"
            status.set_text(f"State: {r.state.label} · revision {r.revision}{extra}")
        status.set_class(r.state is State.signed_off, "-locked")

        show_self = not any("self ratings" in h for h in view.hidden)
        self.query_one("#sum-kras", Static).update(kra_lines(r, show_self))
        self.query_one("#sum-overall", Static).update(self._overall(r, view, show_self))
        # Bullets that wrap keep their text lined up under the first word.
        self.query_one("#sum-actions", Static).update(HangingText.of(self._actions(r), 4))
        self.query_one("#sum-missing", Static).update(HangingText.of(self._missing(r, view), 4))
        self.query_one("#sum-signoffs", Static).update(self._signoffs(r))
        self.refresh_bindings()

    def _overall(self, r: Review, view: ReviewView, show_self: bool) -> Text:
        out = Text(end="")
        if any("manager ratings" in h for h in view.hidden):
            out.append("Overall (agreed): hidden until the joint review\n")
        else:
            o = overall(r, "agreed")
            if o.score is None:
                out.append(f"Overall (agreed): — ({o.reason})\n")
            else:
                out.append("Overall (agreed): ", style="bold")
                out.append(f"{fmt(o.score)} / {r.scale.max}", style="bold")
                out.append(f" · {fmt(o.percent_of_max)} % of max · ")
                out.append(literal(o.label))
                if not o.complete:
                    out.append(" (not all KPIs rated yet)")
                out.append("\n")
        if show_self:
            s = overall(r, "self")
            if s.score is None:
                out.append(f"Self-assessment:  — ({s.reason})\n")
            else:
                out.append(f"Self-assessment:  {fmt(s.score)} / {r.scale.max}"
                           f" · {fmt(s.percent_of_max)} % of max · ")
                out.append(literal(s.label))
                out.append("\n")
        if any(kra_score(k).reweighted for k in r.kras):
            out.append("* some KPIs are N/A; the others carry their weight\n")
        out.rstrip()
        return out

    def _actions(self, r: Review) -> Text:
        open_ = [a for a in r.actions if a.status in (ActionStatus.open, ActionStatus.in_progress)]
        if not open_:
            return Text("  none", end="")
        out = Text(end="")
        for a in open_:
            bits = [person_name(r, a.owner)]
            if a.due:
                bits.append(f"due {a.due.isoformat()}")
            if a.status is ActionStatus.in_progress:
                bits.append("in progress")
            out.append("  • ")
            out.append(literal(a.text))
            out.append(literal(f"  [{', '.join(bits)}]"))
            out.append("\n")
        out.rstrip()
        return out

    def _missing(self, r: Review, view: ReviewView) -> Text:
        if r.state is State.signed_off:
            return Text("  nothing (signed off)", end="")
        missing = missing_for_signoff(r)
        if view.hidden:
            note = Text("  (some ratings are hidden from you in this state)\n", end="")
        else:
            note = Text(end="")
        if not missing:
            return note + Text("  ✓ nothing — ready to sign in the joint review", end="")
        out = note
        out.append(f"  {len(missing)} item(s):\n")
        for line in missing:
            out.append("  • ")
            out.append(literal(line))
            out.append("\n")
        out.rstrip()
        return out

    def _signoffs(self, r: Review) -> Text:
        if not r.signoffs:
            return Text("  none yet", end="")
        out = Text(end="")
        for s in r.signoffs:
            valid = s.revision == r.revision
            # (a stale signature gets no tick: it no longer counts, it must be given again)
            out.append(f"  {'✓' if valid else '✗'} {s.role.value}: ")
            out.append(literal(person_name(r, s.person_id)))
            out.append(f" on revision {s.revision}")
            out.append("\n" if valid else "  (stale: the review changed since; sign again)\n")
        out.rstrip()
        return out

    # --- actions -------------------------------------------------------------

    def action_back(self) -> None:
        self.app.pop_screen()

    def action_export(self) -> None:
        if self.problem is not None:
            return
        app: Any = self.app
        app.open_export(self.review_id)

    def action_sign(self) -> None:
        view = self.view
        message = self.query_one("#message", MessageLine)
        if self.problem is not None:
            return
        if view is None or view.sign_as is None:
            message.error("you cannot sign this review now (reviews are signed in the joint review)")
            return
        revision = view.review.revision
        role = view.sign_as.value
        missing = missing_for_signoff(view.review)
        if missing:
            message.error(f"not ready to sign: {len(missing)} item(s) missing, first: {missing[0]}")
            return

        def done(yes: bool | None) -> None:
            if not yes:
                return
            try:
                state = self.session.sign(self.review_id, seen_revision=revision)
            except ERRORS as exc:
                message.error(exc)
                self.reload()
                return
            self.reload()
            if state is State.signed_off:
                message.ok("signed — both have signed; the review is locked")
            else:
                message.ok(f"signed revision {revision} as {role}")

        self.app.push_screen(
            ConfirmModal(f"Sign revision {revision} as {role}?",
                         "Your signature is on this exact version; any later change "
                         "makes it stale."),
            done,
        )
