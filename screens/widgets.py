"""Small shared widgets and helpers for every screen.

Stable names (other screens import them): `literal`, `clean`, `Literal`,
`MessageLine`, `text_bar`, `score_bar`, `ConfirmModal`, `PromptModal`,
`StableFooter`.

Everything a person typed (names, comments, actions, reasons) is data, never
markup: show it with `literal(text)` (a `rich.text.Text`) or the `Literal`
widget.  Control characters are shown as visible symbols so an escape
sequence typed into a comment cannot restyle the terminal.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from rich.cells import cell_len
from rich.console import Console, ConsoleOptions, RenderResult
from rich.highlighter import Highlighter
from rich.measure import Measurement
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen, Screen
from textual.validation import ValidationResult, Validator
from textual.widgets import Button, Footer, Input, Label, Static
from textual.widgets._footer import FooterKey  # not exported by textual.widgets (8.2)

from tui.access import DataFileError

from .keys_now import TextInput

__all__ = [
    "ConfirmModal", "Hanging", "HangingText", "Literal", "MessageLine", "PromptModal",
    "ReviewProblem", "StableFooter", "clean", "hanging_lines", "literal", "score_bar", "text_bar",
    "unreadable_text", "watch_review",
]

# C0 controls (except newline and tab) and DEL -> Unicode "control pictures".
_CONTROL_MAP = {c: 0x2400 + c for c in range(0x20) if c not in (0x0A, 0x09)}
_CONTROL_MAP[0x7F] = 0x2421
# C1 controls (0x80-0x9F) can act as escape sequences on some terminals.
_CONTROL_MAP.update({c: 0xFFFD for c in range(0x80, 0xA0)})


def clean(text: Any) -> str:
    """`text` as a plain string with control characters made visible."""
    if text is None:
        return ""
    return str(text).translate(_CONTROL_MAP).replace("\t", "    ")


def literal(text: Any, style: str = "") -> Text:
    """User-typed or stored text as a renderable that is shown exactly as typed."""
    return Text(clean(text), style=style, no_wrap=False, end="")


def _wrap_one(line: Text, width: int, indent: int) -> list[Text]:
    """One line (no newline in it) word-wrapped to `width` cells; the lines after
    the first start `indent` cells in."""
    plain = line.plain
    if cell_len(plain) <= width:
        return [line]
    if width - indent < 10:
        indent = 0  # too narrow for an indent to help
    out: list[Text] = []
    pos, avail, n = 0, width, len(plain)
    while pos < n:
        # The characters that fit in `avail` cells from pos.
        end, used = pos, 0
        while end < n and used + cell_len(plain[end]) <= avail:
            used += cell_len(plain[end])
            end += 1
        if end >= n:
            cut = n
        else:
            # Never break inside the first line's lead-in (a bullet and its space).
            low = pos + (indent if not out else 0)
            space = plain.rfind(" ", low, end + 1) if low <= end else -1
            cut = space if space > pos else max(end, pos + 1)  # else fold a long word
        piece = line[pos:cut]
        piece.rstrip()
        out.append(piece if not out else Text(" " * indent, end="") + piece)
        pos = cut
        while pos < n and plain[pos] == " ":
            pos += 1
        avail = width - indent
    return out


def hanging_lines(text: Text, width: int, indent: int) -> list[Text]:
    """`text` wrapped to `width` cells with a hanging indent of `indent` cells."""
    width = max(1, width)
    out: list[Text] = []
    for line in text.split("\n", allow_blank=True):
        out.extend(_wrap_one(line, width, indent))
    return out


class Hanging:
    """A Rich renderable: `text` word-wrapped with a hanging indent.

    Wrapped continuation lines start `indent` cells in, so a bullet's text
    lines up under its first word (``  • `` is 4 cells).
    """

    def __init__(self, text: Text, indent: int = 4) -> None:
        self.text = text
        self.indent = indent

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        lines = hanging_lines(self.text, options.max_width, self.indent)
        joined = Text("\n").join(lines)
        joined.end = "\n"
        joined.no_wrap = True
        joined.overflow = "crop"
        yield joined

    def __rich_measure__(self, console: Console, options: ConsoleOptions) -> Measurement:
        widest = max((cell_len(line) for line in self.text.plain.split("\n")), default=0)
        return Measurement(min(widest, self.indent + 10), widest)


class HangingText(Text):
    """A `Text` that a Static shows with a hanging indent (see `Hanging`).

    It is still a `Text` (`.plain` and the rest work as usual); only the way a
    widget renders it differs.
    """

    def __init__(self, *args: Any, indent: int = 4, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.indent = indent

    @classmethod
    def of(cls, text: Text, indent: int = 4) -> HangingText:
        out = cls(text.plain, style=text.style, end=text.end, indent=indent)
        out.spans = list(text.spans)
        return out

    def visualize(self) -> Hanging:
        # Called by Textual's visualize(): render through Rich, with the indent.
        return Hanging(self, self.indent)


_PICTURES = {c: 0x2400 + c for c in range(0x20)}
_PICTURES[0x7F] = 0x2421
_PICTURES.update({c: 0xFFFD for c in range(0x80, 0xA0)})


class VisibleControls(Highlighter):
    """For `Input(highlighter=...)`: an escape sequence in a value is shown, never sent.

    An Input renders its value as-is, so a stored comment holding ``\x1b[31m``
    would restyle the terminal; this shows ``␛[31m`` instead (the value itself
    is not changed).
    """

    def highlight(self, text: Text) -> None:
        plain = text.plain
        visible = plain.translate(_PICTURES)
        if visible != plain:
            text.plain = visible


class Literal(Static):
    """A Static that shows its content literally (no markup, no escapes)."""

    def __init__(self, text: Any = "", **kwargs: Any) -> None:
        super().__init__(literal(text), markup=False, **kwargs)

    def set_text(self, text: Any) -> None:
        self.update(literal(text))


class MessageLine(Static):
    """One line for errors and confirmations shown in place ("! ..." / "✓ ...")."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__("", markup=False, **kwargs)

    def error(self, message: Any) -> None:
        self.set_class(True, "-error")
        self.set_class(False, "-ok")
        self.update(literal(f"! {clean(message)}"))

    def ok(self, message: Any) -> None:
        self.set_class(False, "-error")
        self.set_class(True, "-ok")
        self.update(literal(f"✓ {clean(message)}"))

    def clear(self) -> None:
        self.set_class(False, "-error", "-ok")
        self.update("")

    def clear_error(self, prefix: str) -> None:
        """Clear the line if it shows an error starting with `prefix`."""
        text = getattr(self.content, "plain", str(self.content))
        if self.has_class("-error") and text.startswith(f"! {prefix}"):
            self.clear()


def resign_note(before: Any) -> str:
    """" — Alex Morgan signed before this change and signs again" when the review
    as it was before a change (`before`) had signatures on its revision: any
    change makes them out of date (see `Review.valid_signoffs`)."""
    signed = before.valid_signoffs() if before is not None else []
    if not signed:
        return ""
    names = []
    for s in signed:
        if s.person_id == before.person_id:
            names.append(before.person_name)
        elif s.person_id == before.reviewer_id:
            names.append(before.reviewer_name or s.person_id)
        else:
            names.append(s.person_id)
    return f" — {' and '.join(names)} signed before this change and must sign again"


def text_bar(done: int | float | Decimal, total: int | float | Decimal, width: int = 10,
             label: bool = True) -> str:
    """A progress bar in text, readable without colour: `███░░░░░░░ 12/40`."""
    try:
        done_f = float(done or 0)
        total_f = float(total or 0)
    except (TypeError, ValueError):
        done_f, total_f = 0.0, 0.0
    filled = 0 if total_f <= 0 else round(width * max(0.0, min(done_f, total_f)) / total_f)
    bar = "█" * filled + "░" * (width - filled)
    if not label:
        return bar
    fmt = lambda v: str(int(v)) if float(v).is_integer() else f"{v:g}"  # noqa: E731
    return f"{bar} {fmt(done_f)}/{fmt(total_f)}"


def score_bar(value: Decimal | float | None, maximum: Decimal | float, width: int = 20) -> str:
    """A score as blocks scaled to the scale maximum; `·` cells for the rest, `—` if none."""
    if value is None:
        return "·" * width
    try:
        frac = float(value) / float(maximum) if float(maximum) > 0 else 0.0
    except (TypeError, ValueError):
        frac = 0.0
    frac = max(0.0, min(1.0, frac))
    eighths = round(frac * width * 8)
    full, part = divmod(eighths, 8)
    partials = " ▏▎▍▌▋▊▉"
    bar = "█" * full
    if part and full < width:
        bar += partials[part]
    return bar + "·" * (width - len(bar))


class ConfirmModal(ModalScreen[bool]):
    """Ask a yes/no question; dismisses with True (y/enter on Yes) or False (n/escape)."""

    BINDINGS = [
        Binding("y", "answer(True)", "Yes"),
        Binding("n", "answer(False)", "No"),
        Binding("escape", "answer(False)", "Cancel"),
    ]

    def __init__(self, title: Any, message: Any = "", yes: str = "Yes", no: str = "No",
                 **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._title = title
        self._message = message
        self._yes = yes
        self._no = no

    def compose(self) -> ComposeResult:
        with Vertical(classes="modal-box"):
            yield Static(literal(self._title), classes="modal-title", markup=False)
            if self._message:
                yield Static(literal(self._message), classes="modal-text", markup=False)
            with Horizontal(classes="modal-buttons"):
                yield Button(f"{self._yes} (y)", id="yes", variant="primary", compact=True)
                yield Button(f"{self._no} (n)", id="no", compact=True)
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.query_one("#no", Button).focus()

    def action_answer(self, value: bool) -> None:
        self.dismiss(value)

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(event.button.id == "yes")


class _CallableValidator(Validator):
    def __init__(self, check: Callable[[str], str | None]) -> None:
        super().__init__()
        self._check = check

    def validate(self, value: str) -> ValidationResult:
        try:
            problem = self._check(value)
        except Exception as exc:  # a validator that raises means "not valid"
            problem = str(exc) or "not valid"
        return self.failure(problem) if problem else self.success()


class PromptModal(ModalScreen[str | None]):
    """Ask for one line of text.

    `validator` is either a textual `Validator` or a callable returning an error
    message (or None/"" when the value is fine).  Enter submits a valid value;
    escape dismisses with None.
    """

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, title: Any, placeholder: str = "",
                 validator: Validator | Callable[[str], str | None] | None = None,
                 initial: str = "", message: Any = "", **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._title = title
        self._placeholder = placeholder
        if validator is not None and not isinstance(validator, Validator):
            validator = _CallableValidator(validator)
        self._validator = validator
        self._initial = initial
        self._message = message

    def compose(self) -> ComposeResult:
        with Vertical(classes="modal-box"):
            yield Static(literal(self._title), classes="modal-title", markup=False)
            if self._message:
                yield Static(literal(self._message), classes="modal-text", markup=False)
            yield TextInput(
                highlighter=VisibleControls(),
                value=self._initial, placeholder=self._placeholder, id="prompt-input",
                validators=[self._validator] if self._validator else None,
                validate_on=["changed", "submitted"],
            )
            yield MessageLine(id="prompt-error", classes="message")
            yield Label("enter: OK   escape: cancel", classes="modal-hint")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.query_one("#prompt-input", Input).focus()

    def unsaved_work(self) -> str | None:
        """For the app's quit guard: text typed here and not submitted yet."""
        if not self.is_mounted:
            return None
        value = self.query_one("#prompt-input", Input).value
        if value.strip() == self._initial.strip():
            return None
        return f"the text typed for {clean(self._title)!r}"

    @on(Input.Changed, "#prompt-input")
    def _changed(self, event: Input.Changed) -> None:
        self.query_one("#prompt-error", MessageLine).clear()

    @on(Input.Submitted, "#prompt-input")
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        result = event.validation_result
        if result is not None and not result.is_valid:
            self.query_one("#prompt-error", MessageLine).error(
                "; ".join(result.failure_descriptions) or "not valid"
            )
            return
        self.dismiss(event.value)

    def action_cancel(self) -> None:
        self.dismiss(None)


# --- a review that cannot be read -----------------------------------------------


BACK = "escape: back (this screen shows the review again once it can be read)"


def unreadable_text(exc: BaseException, note: str = "", back: str = BACK) -> str:
    """What a screen shows when its review cannot be read: which file, what is
    wrong with it and what to do (from the store's error), `note` (e.g. what
    typed here is not saved) and the way back (`back`)."""
    if isinstance(exc, DataFileError):  # a damaged or missing file
        text = str(exc)
        head = f"{exc.path}: {exc.problem}. "
        rest = text[len(head):] if text.startswith(head) else text
        left, _, todo = rest.partition("; ")
        if not todo:
            left, todo = "", rest
        todo = todo.rstrip(".")
        lines = [
            "This review cannot be opened: its file cannot be read.",
            "",
            f"File:    {exc.path}",
            f"Problem: it {exc.problem}.",
            f"To do:   {todo[:1].upper()}{todo[1:]}.",
        ]
        if left:
            lines.append(f"         {left}; nothing can be changed here until it is readable.")
    else:
        lines = [
            "This review cannot be opened.",
            "",
            f"Problem: {exc}.",
            "To do:   go back; if it should be there, ask an HR admin to run "
            "'kpireview doctor'.",
        ]
    if note:
        lines += ["", f"Note:    {note}"]
    lines += ["", back]
    return "\n".join(lines)


class ReviewProblem(Static):
    """In place of a review that cannot be read: one clear message (hidden otherwise)."""

    DEFAULT_CSS = """
    ReviewProblem {
        display: none;
        height: auto;
        margin: 1 1;
        padding: 0 1;
        border: round $error;
        color: $text;
    }
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__("", markup=False, **kwargs)

    def show_problem(self, exc: BaseException, note: str = "", back: str = BACK) -> None:
        self.update(HangingText.of(literal(unreadable_text(exc, note, back)), 9))
        self.display = True

    def hide(self) -> None:
        self.display = False

    def stand_in(self, exc: BaseException | None, parts: list[Any], fields: list[Any],
                 note: str = "") -> bool:
        """Show `exc` in place of the screen's `parts` (None: the parts again) and say
        whether the review is unreadable. The `fields` (among the parts) are disabled
        while hidden, as a hidden widget can still be given the focus and typed into."""
        broken = exc is not None
        if broken:
            self.show_problem(exc, note)
            self.screen.set_focus(None)
        else:
            self.hide()
        for part in parts:
            part.display = not broken
        for field in fields:
            field.disabled = broken
        return broken


class PresenceKeeper:
    """A screen's share of this person's presence on a review.

    Joined when created (on mount), a heartbeat every 5 s, left with `leave()`
    (on unmount). Screens of one session on the same review share one file
    (the Session counts them). Presence is a courtesy: a failure here never
    stops a screen.
    """

    def __init__(self, screen: Any, session: Any, review_id: str,
                 on_beat: Callable[[], None] | None = None) -> None:
        self.session = session
        self.review_id = review_id
        self.on_beat = on_beat
        try:
            self.file: Any = session.open_presence(review_id)
        except Exception:
            self.file = None
        screen.set_interval(5.0, self.beat, name="presence")

    def beat(self) -> None:
        if self.file is not None:
            try:
                self.file.beat()
            except Exception:
                pass
        if self.on_beat is not None:
            self.on_beat()

    def others(self) -> list[str]:
        """Names of the other people who have the review open now."""
        try:
            return self.session.others_present(self.review_id, self.file)
        except Exception:
            return []

    def leave(self) -> None:
        if self.file is not None:
            try:
                self.file.leave()
            except Exception:
                pass
            self.file = None


def watch_review(screen: Any, session: Any, review_id: str, on_change: Callable[[], None],
                 interval: float = 0.5) -> Any:
    """Poll `session.change_token(review_id)` every `interval` s; call `on_change` on a change.

    Returns the Timer (it stops with the screen).  The token is a stat(), so
    polling costs nothing when nothing changed.
    """
    state = {"token": _token(session, review_id)}

    def poll() -> None:
        # A screen covered by another skips the work; its first poll once it is
        # shown again still sees the new token and reloads.
        if not getattr(screen, "is_current", True):
            return
        token = _token(session, review_id)
        if token != state["token"]:
            state["token"] = token
            on_change()

    def reset() -> None:
        state["token"] = _token(session, review_id)

    timer = screen.set_interval(interval, poll, name=f"watch {review_id}")
    timer.reset_token = reset  # call after saving yourself to skip the echo
    return timer


def _token(session: Any, review_id: str) -> Any:
    try:
        return session.change_token(review_id)
    except Exception:
        return None


class StableFooter(Footer):
    """A Footer that is rebuilt only when the keys it shows change.

    Textual's Footer recomposes on every focus move; on a form where enter
    moves the focus that is most of the cost of a keystroke.  It also shows
    its keys from the start instead of after the screen's first refresh.
    """

    _signature: tuple[Any, ...] | None = None

    @staticmethod
    def _signature_of(screen: Screen[Any]) -> tuple[Any, ...]:
        """What the Footer shows: each action in order, as its first key shows it.

        (Not the keys themselves: their order changes with the focus, e.g. a
        scrolling container binds pageup too, and so does which of two keys of
        one action comes first, without changing what the Footer shows.)
        """
        shown: dict[str, tuple[Any, ...]] = {}
        for (_, binding, enabled, tooltip) in screen.active_bindings.values():
            if binding.show and binding.action not in shown:
                shown[binding.action] = (screen.app.get_key_display(binding),
                                         binding.description, binding.group, enabled, tooltip)
        return tuple(shown.items())

    def compose(self) -> ComposeResult:
        if not self._bindings_ready and self.is_attached:
            # The keys at once: Footer waits for the screen's first refresh and
            # then recomposes, which lays the whole screen out a second time.
            self._signature = self._signature_of(self.screen)
            self.set_reactive(Footer._bindings_ready, True)
        for widget in super().compose():
            if isinstance(widget, FooterKey) and not widget.has_class("-command-palette"):
                # Footer binds these keys' `compact` to its own: set it now, or the
                # key's default (True) and then ours each restyle it when it mounts.
                widget.set_reactive(FooterKey.compact, self.compact)
            yield widget

    def bindings_changed(self, screen: Screen[Any]) -> None:
        if self.is_attached and screen is self.screen and screen.app.app_focus:
            signature = self._signature_of(screen)
            if signature == self._signature and self._bindings_ready:
                return
            self._signature = signature
        super().bindings_changed(screen)
