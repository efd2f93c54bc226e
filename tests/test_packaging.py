"""The wheel built from the repository carries the role templates and styles."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def test_wheel_contains_role_templates_and_screens(tmp_path: Path) -> None:
    pytest.importorskip("setuptools")
    src = tmp_path / "src"
    src.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(REPO / name, src / name)
    for pkg in ("tui", "screens", "role_templates"):
        shutil.copytree(REPO / pkg, src / pkg, ignore=shutil.ignore_patterns("__pycache__"))
    out = subprocess.run(
        [sys.executable, "-c",
         "from setuptools import build_meta; print(build_meta.build_wheel('dist'))"],
        cwd=src, capture_output=True, text=True, timeout=120,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    wheel = src / "dist" / out.stdout.strip().splitlines()[-1]
    names = set(zipfile.ZipFile(wheel).namelist())
    shipped = {p.name for p in (REPO / "role_templates").glob("*.toml")}
    assert shipped and {f"role_templates/{n}" for n in shipped} <= names
    assert "tui/app.tcss" in names
    assert "screens/scoring.py" in names
    entry = next(n for n in names if n.endswith("entry_points.txt"))
    assert "kpireview = tui.cli:main" in zipfile.ZipFile(wheel).read(entry).decode()
