"""Keys handled in the order they were typed.

Textual hands a key to the widget focused *when the app reads it*, and an
`Input` types a printable character at once but leaves every other key
(backspace, delete, the arrows, tab, enter) to the bindings, which run only
after the key has bubbled up to the app.  Keys that arrive together (typed
fast, pasted by tmux, a lagging SSH link) are then handled out of order:
"xy", backspace, "z" gives "xy" (the backspace runs after the "z" and deletes
it), and characters typed after a tab land in the field being left.

A widget with `KeysNow` handles each key the moment the app reads it: its
screen's `_key_now(widget, event)` if the screen has one (guided scoring
does), else `key_now`: type the character, or run the key's binding now.
"""

from __future__ import annotations

import inspect
from typing import Any

from textual import events
from textual.actions import SkipAction, parse as parse_action
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Input

__all__ = ["KeysNow", "TextInput", "binding_now", "key_now", "type_now"]


class KeysNow:
    """Mixin for a focusable widget: its keys are handled when the app reads them."""

    def _forward_event(self, event: events.Event) -> None:
        if isinstance(event, (events.Key, events.Paste)):
            try:
                screen = self.screen  # type: ignore[attr-defined]
            except Exception:
                screen = None
            if screen is not None:
                handle = getattr(screen, "_key_now", None)
                handled = handle(self, event) if handle is not None else \
                    key_now(screen, self, event)  # type: ignore[arg-type]
                if handled:
                    return
        super()._forward_event(event)  # type: ignore[misc]


class TextInput(KeysNow, Input):
    """An `Input` whose keys are handled in the order typed (see the module)."""


def type_now(widget: Input, event: events.Key | events.Paste) -> bool:
    """Type a printable key or a paste into `widget` now; False if it is neither."""
    if isinstance(event, events.Paste):
        if not event.text:
            return False
        widget._on_paste(event)
        return True
    if not event.is_printable or event.character is None:
        return False
    selection = widget.selection
    if selection.is_empty:
        widget.insert_text_at_cursor(event.character)
    else:
        widget.replace(event.character, *selection)
    return True


def key_now(screen: Screen[Any], widget: Widget, event: events.Event) -> bool:
    """Handle `event` for `widget` now, if it is still the focused widget of the
    active screen; False leaves it to Textual.

    Enter in an `Input` goes to the screen's `submit_now(input)` when it has
    one (so a form moves the focus before the next key is read); without it,
    the Input's own (asynchronous) submit runs as usual.
    """
    try:
        if screen.app.screen is not screen or widget is not screen.focused:
            return False
    except Exception:
        return False
    if isinstance(event, events.Paste):
        return isinstance(widget, Input) and type_now(widget, event)
    if not isinstance(event, events.Key):
        return False
    if isinstance(widget, Input):
        if event.key == "enter":
            submit = getattr(screen, "submit_now", None)
            return bool(submit is not None and submit(widget))
        if type_now(widget, event):
            return True
    return binding_now(screen, event.key)


def binding_now(screen: Screen[Any], key: str) -> bool:
    """Run the binding of `key` as Textual would (focused widget first, then its
    ancestors, the screen, the app); False (Textual runs it later) when there is
    none, or it is asynchronous."""
    try:
        chain = screen._modal_binding_chain
    except Exception:
        return False
    for namespace, bindings in chain:
        for binding in bindings.key_to_bindings.get(key, ()):
            if binding.priority:
                continue  # (the app ran priority bindings before handing the key over)
            try:
                destination, name, params = parse_action(binding.action)
            except Exception:
                return False
            target: Any = {"": namespace, "app": screen.app, "screen": screen}.get(destination)
            if target is None:
                return False
            if not target.check_action(name, params):
                continue
            method = getattr(target, f"_action_{name}", None) or \
                getattr(target, f"action_{name}", None)
            if method is None:
                continue
            if inspect.iscoroutinefunction(method):
                return False
            try:
                method(*params)
            except SkipAction:
                continue
            return True
    return False
