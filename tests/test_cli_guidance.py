"""The command line says what is wrong and what to do next: an unknown cycle,
a demo or data directory that cannot be used, and an example in every --help."""

from __future__ import annotations

import shutil
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from tui import cli


def snapshot(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file()}


@pytest.fixture()
def dirs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path]:
    real, demo_dir = tmp_path / "kpireview", tmp_path / "kpireview-demo"
    monkeypatch.setattr(cli, "default_data_dir", lambda: real)
    monkeypatch.setattr(cli, "demo_data_dir", lambda: demo_dir)
    monkeypatch.delenv("KPIREVIEW_DATA", raising=False)
    monkeypatch.setattr(cli, "os_login", lambda: "root")
    return real, demo_dir


# --- an unknown cycle --------------------------------------------------------

CYCLE_COMMANDS = {
    "review list": ["review", "list", "--cycle", "nope"],
    "review start --person": ["review", "start", "--cycle", "nope", "--person", "alex"],
    "review start --all": ["review", "start", "--cycle", "nope", "--all"],
    "export --person": ["export", "--cycle", "nope", "--person", "alex"],
    "export a cycle": ["export", "--cycle", "nope", "-o", "{tmp}/out"],
    "cycle close": ["cycle", "close", "nope"],
    "actuals import": ["actuals", "import", "--cycle", "nope", "{tmp}/a.csv"],
}


@pytest.mark.parametrize("case", list(CYCLE_COMMANDS))
def test_an_unknown_cycle_is_refused_naming_the_known_ones(case: str, demo_root: Path,
                                                           tmp_path: Path) -> None:
    (tmp_path / "a.csv").write_text("person,kpi,actual\nalex,ad-csat,4\n", encoding="utf-8")
    args = [a.replace("{tmp}", str(tmp_path)) for a in CYCLE_COMMANDS[case]]
    before = snapshot(demo_root)
    result = CliRunner().invoke(cli.main, ["--data", str(demo_root), "--as", "harriet", *args])
    assert result.exit_code != 0, result.output
    assert "no cycle 'nope' (known cycles: 2026-h2" in result.stderr, result.output
    assert snapshot(demo_root) == before
    assert not (tmp_path / "out").exists()


def test_an_unknown_cycle_with_no_cycles_at_all_says_how_to_open_one(tmp_path: Path,
                                                                      monkeypatch) -> None:
    monkeypatch.setattr(cli, "os_login", lambda: "root")
    runner = CliRunner()
    assert runner.invoke(cli.main, ["--data", str(tmp_path / "d"), "init"]).exit_code == 0
    result = runner.invoke(cli.main, ["--data", str(tmp_path / "d"), "review", "list",
                                      "--cycle", "nope"])
    assert result.exit_code != 0
    assert "no cycle 'nope': there are no cycles yet" in result.stderr
    assert "kpireview cycle open" in result.stderr


def test_a_known_cycle_still_lists(demo_root: Path) -> None:
    result = CliRunner().invoke(cli.main, ["--data", str(demo_root), "--as", "harriet", "review",
                                           "list", "--cycle", "2026-h2"])
    assert result.exit_code == 0, result.output
    assert "2026-h2/alex" in result.stdout


# --- a demo or data directory that cannot be used -----------------------------


def _truncate(path: Path) -> None:
    path.write_bytes(path.read_bytes()[:100])


@pytest.mark.parametrize("damaged", ["people.json", "config.toml", "cycles.json"])
def test_a_damaged_demo_is_reported_not_offered_to_open(damaged: str, dirs: tuple[Path, Path],
                                                        pristine_demo: Path) -> None:
    _real, demo_dir = dirs
    shutil.copytree(pristine_demo, demo_dir)
    path = demo_dir / damaged
    if damaged == "config.toml":
        path.write_text("organisation = \n", encoding="utf-8")
    else:
        _truncate(path)
    before = snapshot(demo_dir)
    result = CliRunner().invoke(cli.main, ["demo"])
    assert result.exit_code != 0, result.output
    assert "already exists" not in result.output
    assert "fails to open" in result.stderr
    assert str(path) in result.stderr, result.stderr  # which file
    assert f"kpireview --data {demo_dir} doctor" in result.stderr
    assert f"remove (or move away) the folder {demo_dir}" in result.stderr
    assert snapshot(demo_dir) == before, "nothing may be deleted or overwritten"


def test_a_demo_that_opens_is_still_offered(dirs: tuple[Path, Path]) -> None:
    runner = CliRunner()
    assert runner.invoke(cli.main, ["demo"]).exit_code == 0
    again = runner.invoke(cli.main, ["demo"])
    assert again.exit_code == 0 and "already exists" in again.output


@pytest.mark.parametrize("command", ["init", "demo"])
def test_a_directory_that_is_not_empty_says_what_to_do(command: str, tmp_path: Path,
                                                       pristine_demo: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cli, "os_login", lambda: "root")
    runner = CliRunner()
    other = tmp_path / "other"
    other.mkdir()
    (other / "notes.txt").write_text("mine", encoding="utf-8")
    result = runner.invoke(cli.main, ["--data", str(other), command])
    assert result.exit_code != 0
    assert f"{other} is not empty" in result.stderr
    assert "Pick an empty directory with --data DIR" in result.stderr
    assert f"kpireview --data {other} doctor" in result.stderr
    assert snapshot(other) == {"notes.txt": b"mine"}

    damaged = tmp_path / "damaged"
    shutil.copytree(pristine_demo, damaged)
    _truncate(damaged / "people.json")
    before = snapshot(damaged)
    result = runner.invoke(cli.main, ["--data", str(damaged), command])
    assert result.exit_code != 0
    assert "is a kpireview data directory that fails to open" in result.stderr
    assert str(damaged / "people.json") in result.stderr
    assert f"kpireview --data {damaged} doctor" in result.stderr
    assert "pick an empty directory with --data DIR" in result.stderr
    assert snapshot(damaged) == before

    good = tmp_path / "good"
    shutil.copytree(pristine_demo, good)
    result = runner.invoke(cli.main, ["--data", str(good), command])
    assert result.exit_code != 0
    assert f"{good} is already a kpireview data directory" in result.stderr
    assert f"kpireview --data {good}" in result.stderr


def test_a_damaged_demo_is_never_rebuilt_over(demo_root: Path) -> None:
    root = demo_root
    _truncate(root / "people.json")
    before = snapshot(root)
    result = CliRunner().invoke(cli.main, ["--data", str(root), "demo"])
    assert result.exit_code != 0
    assert snapshot(root) == before


# --- an example in every --help ---------------------------------------------------


def _commands(group: click.Command, path: tuple[str, ...] = ()):
    yield path, group
    if isinstance(group, click.Group):
        for name, sub in group.commands.items():
            yield from _commands(sub, path + (name,))


def test_every_command_and_group_has_an_example_in_its_help(dirs: tuple[Path, Path]) -> None:
    runner = CliRunner()
    walked = list(_commands(cli.main))
    groups = [path for path, cmd in walked if isinstance(cmd, click.Group) and path]
    assert {("review",), ("people",), ("cycle",), ("templates",), ("actuals",)} <= set(groups)
    missing = []
    for path, _cmd in walked:
        result = runner.invoke(cli.main, [*path, "--help"])
        assert result.exit_code == 0, (path, result.output)
        if "Example" not in result.stdout:
            missing.append(" ".join(("kpireview", *path)))
        # the examples keep their lines (click's \b marker), one command a line
        lines = result.stdout.splitlines()
        at = next((i for i, line in enumerate(lines) if "Example" in line), None)
        if at is not None:
            assert lines[at + 1].strip().startswith("kpireview"), (path, result.stdout)
    assert not missing, f"--help without an example: {missing}"
