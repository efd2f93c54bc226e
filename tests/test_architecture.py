"""DESIGN.md §9: the core (models to export) imports no Textual, and screens
never open data files. Checked twice: import-linter's contracts from
pyproject.toml, and a fresh interpreter that imports the core and looks at
sys.modules."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
import tomllib
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CORE = [
    "tui.models", "tui.scoring", "tui.templates", "tui.store", "tui.workflow",
    "tui.access", "tui.live", "tui.export", "tui.demo",
]
UI_ONLY = ("textual", "rich", "screens", "tui.app", "tui.cli")


def lint_imports() -> Path:
    exe = Path(sys.executable).parent / "lint-imports"
    assert exe.exists(), f"import-linter is not installed beside {sys.executable}"
    return exe


def test_pyproject_declares_the_core_contract() -> None:
    config = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    contracts = config["tool"]["importlinter"]["contracts"]
    core = next(c for c in contracts if "textual" in c.get("forbidden_modules", []))
    assert {"tui.models", "tui.scoring", "tui.templates", "tui.store",
            "tui.workflow", "tui.access"} <= set(core["source_modules"])
    screens = next(c for c in contracts if c.get("source_modules") == ["screens"])
    assert "tui.store" in screens["forbidden_modules"]


def test_import_linter_contracts_pass() -> None:
    result = subprocess.run(
        [str(lint_imports()), "--no-cache", "--no-logo"], cwd=REPO, capture_output=True, text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def test_importing_the_core_does_not_load_textual() -> None:
    present = [m for m in CORE if importlib.util.find_spec(m) is not None]
    assert {"tui.models", "tui.scoring", "tui.templates", "tui.workflow"} <= set(present)
    code = (
        "import importlib, json, sys\n"
        f"for name in {present!r}:\n"
        "    importlib.import_module(name)\n"
        f"print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in "
        f"{UI_ONLY[:3]!r} or m in {UI_ONLY[3:]!r})))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=60,
    )
    assert result.returncode == 0, result.stderr
    loaded = json.loads(result.stdout.strip().splitlines()[-1])
    assert loaded == [], f"the core pulled in UI modules: {loaded}"


def test_the_first_screen_is_shown_without_pydantic(store) -> None:  # type: ignore[no-untyped-def]
    """pydantic is most of kpireview's start-up time and memory: the session and
    Home read config.toml, people.json and the team indexes without it, and it
    is imported when a review is first opened (benchmarks/run.py measures this)."""
    code = (
        "import asyncio, sys\n"
        "from pathlib import Path\n"
        "import tui.cli\n"
        "from tui.access import open_session\n"
        "from tui.app import create_app\n"
        "async def main():\n"
        f"    store = tui.cli.Ctx(Path({str(store.root)!r}), None).store\n"
        "    app = create_app(store=store, session=open_session(store, login='root'))\n"
        "    async with app.run_test(size=(80, 24)) as pilot:\n"
        "        await pilot.pause()\n"
        "        print(type(app.screen).__name__, 'pydantic' in sys.modules)\n"
        "asyncio.run(main())\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[-2:] == ["HomeScreen", "False"], result.stdout
