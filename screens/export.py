"""Export one review to a TOML file, from inside the app."""

from __future__ import annotations

from pathlib import Path

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Footer, Input, Label, Static

from tui.access import AccessError, NotFound, Session, StoreError, WorkflowError

from .keys_now import TextInput
from .widgets import (
    ConfirmModal, Literal, MessageLine, ReviewProblem, VisibleControls, literal,
)

ERRORS = (AccessError, WorkflowError, NotFound, StoreError)
CLOSE = "escape: close (nothing was exported)"


def default_path(review_id: str) -> str:
    cycle, _, person = review_id.partition("/")
    return f"./{cycle}--{person or 'review'}.toml"


def resolve(text: str) -> Path:
    return (Path.cwd() / Path(text.strip()).expanduser()).resolve()


class ExportModal(ModalScreen[Path | None]):
    """Ask for a path, confirm overwriting, export in a worker thread.

    A review that cannot be read (a damaged file, no access) is not offered
    for export: the box says why and what to do instead of the form
    (`problem`); so does enter, when the file went bad meanwhile.
    """

    BINDINGS = [Binding("escape", "close", "Close")]

    def __init__(self, session: Session, review_id: str) -> None:
        super().__init__()
        self.session = session
        self.review_id = review_id
        self.exported: Path | None = None
        self.busy = False
        self.problem: BaseException | None = None  # why the review cannot be exported

    def _readable(self) -> bool:
        """Whether the review can be read now; if not, show why in place of the form."""
        try:
            self.session.view(self.review_id)
        except ERRORS as exc:
            self._show_problem(exc)
            return False
        return True

    def compose(self) -> ComposeResult:
        with Vertical(classes="modal-box", id="export-box"):
            yield Literal(f"Export review {self.review_id} to TOML", classes="modal-title")
            yield ReviewProblem(id="export-problem")
            yield Static("File (relative to the current directory):", markup=False,
                         id="export-label")
            yield TextInput(default_path(self.review_id), id="export-path", highlighter=VisibleControls())
            yield MessageLine(id="export-message", classes="message")
            yield Label("enter: export   escape: close", classes="modal-hint", id="export-hint")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        if self._readable():
            self.query_one("#export-path", Input).focus()

    def _show_problem(self, exc: BaseException) -> None:
        self.problem = exc
        self.query_one("#export-problem", ReviewProblem).show_problem(exc, back=CLOSE)
        self.set_focus(None)
        for wid in ("#export-label", "#export-path", "#export-message", "#export-hint"):
            self.query_one(wid).display = False
        self.query_one("#export-path", Input).disabled = True

    def action_close(self) -> None:
        if not self.busy:
            self.dismiss(self.exported)

    @on(Input.Changed, "#export-path")
    def _changed(self, event: Input.Changed) -> None:
        if not self.busy:
            self.query_one("#export-message", MessageLine).clear()

    @on(Input.Submitted, "#export-path")
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if self.busy or self.problem is not None or not self._readable():
            return
        message = self.query_one("#export-message", MessageLine)
        text = event.value.strip()
        if not text:
            message.error("type a file name")
            return
        try:
            path = resolve(text)
        except (OSError, RuntimeError, ValueError) as exc:
            message.error(f"not a usable path: {exc}")
            return
        if path.is_dir():
            message.error(f"{path} is a directory; add a file name")
            return
        folder = next((p for p in path.parents if p.exists()), None)
        if folder is not None and not folder.is_dir():
            message.error(f"{folder} is a file, not a folder; pick another path")
            return
        if not path.parent.exists():
            # A mistyped folder name is not made without a word.
            def create(yes: bool | None) -> None:
                if yes:
                    self._start(path, force=False)

            self.app.push_screen(ConfirmModal(
                f"The folder {path.parent} does not exist. Create it and export there?",
                yes="Create", no="Back"), create)
            return
        if path.exists():
            def done(yes: bool | None) -> None:
                if yes:
                    self._start(path, force=True)

            self.app.push_screen(
                ConfirmModal(f"{path} exists. Overwrite it?", yes="Overwrite", no="Keep"), done)
            return
        self._start(path, force=False)

    def _start(self, path: Path, force: bool) -> None:
        self.busy = True
        self.query_one("#export-path", Input).disabled = True
        self.query_one("#export-message", MessageLine).update(literal(f"Exporting to {path}…"))
        self._export(path, force)

    @work(thread=True, exclusive=True, group="export")
    def _export(self, path: Path, force: bool) -> None:
        try:
            from tui.export import export_review
        except ImportError:
            self.app.call_from_thread(
                self._finished, None, "export is not available in this build (tui.export is missing)")
            return
        try:
            written = export_review(self.session, self.review_id, path, force=force)
        except Exception as exc:  # every failure is shown in place
            self.app.call_from_thread(self._finished, None, str(exc) or type(exc).__name__)
            return
        self.app.call_from_thread(self._finished, Path(written or path), None)

    def _finished(self, path: Path | None, error: str | None) -> None:
        self.busy = False
        field = self.query_one("#export-path", Input)
        field.disabled = False
        message = self.query_one("#export-message", MessageLine)
        if error is not None or path is None:
            message.error(error or "export failed")
            field.focus()
            return
        self.exported = path.resolve()
        message.ok(f"Exported to {self.exported}")
        field.focus()
        self.app.notify(f"Exported to {self.exported}", title="Export", markup=False)
