"""The default data directory, and lists that survive one damaged index file."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from tui import cli
from tui.access import open_session
from tui.store import Store


@pytest.fixture()
def dirs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path]:
    real, demo = tmp_path / "kpireview", tmp_path / "kpireview-demo"
    monkeypatch.setattr(cli, "default_data_dir", lambda: real)
    monkeypatch.setattr(cli, "demo_data_dir", lambda: demo)
    monkeypatch.delenv("KPIREVIEW_DATA", raising=False)
    monkeypatch.setattr(cli, "os_login", lambda: "root")
    return real, demo


def test_commands_find_the_demo_while_there_is_no_data_of_ones_own(dirs: tuple[Path, Path]) -> None:
    real, demo = dirs
    runner = CliRunner()
    made = runner.invoke(cli.main, ["demo"])
    assert made.exit_code == 0, made.output
    assert (demo / "config.toml").is_file() and not real.exists()
    listed = runner.invoke(cli.main, ["review", "list"])
    assert listed.exit_code == 0, listed.output
    assert "2026-h2/alex" in listed.output
    assert "using the demo" in listed.output
    again = runner.invoke(cli.main, ["demo"])
    assert again.exit_code == 0 and "already exists" in again.output


def test_init_still_creates_the_real_data_directory(dirs: tuple[Path, Path]) -> None:
    real, demo = dirs
    runner = CliRunner()
    assert runner.invoke(cli.main, ["demo"]).exit_code == 0
    made = runner.invoke(cli.main, ["init"])
    assert made.exit_code == 0, made.output
    assert (real / "config.toml").is_file()
    # From now on the real directory is the default, not the demo.
    listed = runner.invoke(cli.main, ["review", "list"])
    assert "2026-h2/alex" not in listed.output


def test_a_damaged_team_index_hides_only_its_own_reviews(store: Store) -> None:
    index = store.team_index_path("2026-h2", "dana")  # lists root's own review
    index.write_bytes(index.read_bytes()[:40])
    before = index.read_bytes()
    session = open_session(store, login="root")
    lists = session.summaries()
    assert {s["person_id"] for s in lists["team"]} == {"alex", "maya", "sam", "chen", "lee"}
    assert lists["mine"] == []
    assert len(session.summary_problems) == 1
    assert "--repair-indexes" in session.summary_problems[0]
    assert str(index) in session.summary_problems[0]
    result = CliRunner().invoke(cli.main, ["--data", str(store.root), "review", "list"])
    assert result.exit_code == 1
    assert "2026-h2/alex" in result.output and "--repair-indexes" in result.output
    assert index.read_bytes() == before


@pytest.mark.parametrize("named", [True, False])
def test_the_welcome_screen_builds_the_demo_where_data_says(
        dirs: tuple[Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        named: bool) -> None:
    """`kpireview --data DIR` on an empty DIR offers the demo in DIR, not elsewhere."""
    real, demo = dirs
    chosen = tmp_path / "chosen"
    seen: dict[str, object] = {}

    class NoRun:
        def run(self) -> None:
            pass

    def fake_create_app(**kwargs: object) -> NoRun:
        seen.update(kwargs)
        return NoRun()

    import tui.app

    monkeypatch.setattr(tui.app, "create_app", fake_create_app)
    result = CliRunner().invoke(cli.main, ["--data", str(chosen)] if named else [])
    assert result.exit_code == 0, result.output
    assert seen["data_dir"] == (chosen if named else real)
    assert seen["demo_dir"] == (None if named else demo)
