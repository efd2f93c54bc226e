"""Shared fixtures: the demo organisation, built once per run and copied per test."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tui.demo import build_demo
from tui.store import Store


@pytest.fixture(scope="session")
def pristine_demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo organisation (manager login `root`); never written to."""
    root = tmp_path_factory.mktemp("pristine") / "d"
    build_demo(root, "root")
    return root


@pytest.fixture
def demo_root(pristine_demo: Path, tmp_path: Path) -> Path:
    """A fresh copy of the demo for one test to change: its directory (`tmp_path / "d"`)."""
    root = tmp_path / "d"
    shutil.copytree(pristine_demo, root)
    return root


@pytest.fixture
def store(demo_root: Path) -> Store:
    """A fresh copy of the demo for one test to change."""
    return Store(demo_root)
