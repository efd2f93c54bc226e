"""The "using the demo" notice appears only when a command uses the demo's data
(not for --help or a command that reads no data), and the list commands print
a header line over aligned columns (--no-header for scripts)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from tui import cli
from tui.templates import shipped_template_files

NOTICE = "using the demo"


@pytest.fixture()
def demo_default(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The demo in its default place, and no data of one's own."""
    real, demo = tmp_path / "kpireview", tmp_path / "kpireview-demo"
    monkeypatch.setattr(cli, "default_data_dir", lambda: real)
    monkeypatch.setattr(cli, "demo_data_dir", lambda: demo)
    monkeypatch.delenv("KPIREVIEW_DATA", raising=False)
    monkeypatch.setattr(cli, "os_login", lambda: "root")
    assert CliRunner().invoke(cli.main, ["demo"]).exit_code == 0
    return demo


NO_DATA = [
    ["--help"], ["review", "--help"], ["review", "list", "--help"], ["people", "list", "--help"],
    ["cycle", "open", "--help"], ["export", "--help"], ["import", "--help"],
    ["actuals", "import", "--help"], ["doctor", "--help"], ["templates", "--help"],
    ["templates", "check", str(shipped_template_files()[0])], ["review", "list", "--bogus"],
]


@pytest.mark.parametrize("args", NO_DATA, ids=" ".join)
def test_no_notice_where_no_data_is_used(demo_default: Path, args: list[str]) -> None:
    result = CliRunner().invoke(cli.main, args)
    assert NOTICE not in result.stderr, result.stderr
    assert NOTICE not in result.stdout


@pytest.mark.parametrize("args", [["review", "list"], ["people", "list"], ["cycle", "list"],
                                  ["doctor"], ["templates", "list"]], ids=" ".join)
def test_the_notice_once_where_the_demo_is_used(demo_default: Path, args: list[str]) -> None:
    result = CliRunner().invoke(cli.main, args)
    assert result.stderr.count(NOTICE) == 1, result.stderr
    assert str(demo_default) in result.stderr


def lines_of(root: Path, *args: str) -> list[str]:
    result = CliRunner().invoke(cli.main, ["--data", str(root), "--as", "harriet", *args])
    assert result.exit_code == 0, result.output
    return result.stdout.splitlines()


LISTS = {
    "review list": (["REVIEW", "STATE", "DONE", "SCORE", "PERSON (ROLE)"], {"DONE", "SCORE"}),
    "people list": (["ID", "LOGIN", "MANAGER", "ROLE", "NAME"], set()),
    "cycle list": (["ID", "STATE", "START", "END", "NAME"], set()),
}


@pytest.mark.parametrize("command", list(LISTS))
def test_lists_have_a_header_over_aligned_columns(demo_root: Path, command: str) -> None:
    headers, right = LISTS[command]
    lines = lines_of(demo_root, *command.split())
    head, rows = lines[0], lines[1:]
    assert re.split(r" {2,}", head) == headers
    assert rows
    for row in rows:
        cells = re.split(r" {2,}", row)
        assert len(cells) == len(headers), row
        at = 0
        for header, cell in zip(headers, cells):
            # a left-aligned value starts under its header, a right-aligned one ends under it
            found = row.index(cell, at)
            if header in right:
                assert found + len(cell) == head.index(header) + len(header), (row, head)
            else:
                assert found == head.index(header), (row, head)
            at = found + len(cell)
    assert lines_of(demo_root, *command.split(), "--no-header") == rows


def test_review_list_rows_keep_their_values(demo_root: Path) -> None:
    rows = lines_of(demo_root, "review", "list", "--no-header")
    chen = next(r for r in rows if r.startswith("2026-h2/chen "))
    assert chen.split()[:3] == ["2026-h2/chen", "signed_off", "19/19"]
    assert chen.endswith("Chen Wei (Customer Success Manager)")
