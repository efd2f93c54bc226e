"""`kpireview export`, `import` and `actuals import`: moving reviews in and out as files."""

from __future__ import annotations

import click


def register(main: click.Group) -> None:
    """Add the transfer commands to the main command group."""
