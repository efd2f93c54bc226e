"""The benchmark script still runs: `python benchmarks/run.py --smoke` (10 people).

The figures themselves are not checked here (a test run is no place to time
things); only that every figure is still measured and printed, and that the
organisation builder writes exactly what the store writes (the smoke run
compares the two and exits non-zero otherwise).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

FIGURES = [
    "save one KPI edit, 10 vs 10 people",
    "naive design (one TinyDB file), save, 10 vs 10 people",
    "naive design vs ours, save, 10 people",
    "start to first screen, top manager, 10 people vs bare",
    "start to first screen, manager of 12, 10 people vs bare",
    "start to first screen, manager of 12, 10 vs 10 people",
    "open a review and render guided scoring, 10 vs 10 people",
    "manager's Home, 50 direct reports vs 3",
    "export one review, 10 vs 10 people",
    "export a whole cycle, per review, 9 vs 9 reviews",
    "peak memory, top manager, 10 people vs bare",
    "peak memory, manager of 12, 10 people vs bare",
    "kpireview doctor, per review, 9 vs 9 reviews",
]


def test_benchmark_smoke_run_prints_every_figure(tmp_path: Path) -> None:
    env = {**os.environ, "TMPDIR": str(tmp_path)}
    out = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "run.py"), "--smoke"],
        capture_output=True, text=True, timeout=240, cwd=ROOT, env=env,
    )
    assert out.returncode == 0, out.stdout + out.stderr
    lines = out.stdout.splitlines()
    for figure in FIGURES:
        matching = [line for line in lines if line.startswith(figure)]
        assert len(matching) == 1, f"no line for {figure!r} in:\n{out.stdout}\n{out.stderr}"
        assert matching[0].rstrip().endswith(("ok", "MISSED", "—")), matching[0]
        assert re.search(r"ratio +\d+\.\d\d ", matching[0]), f"no ratio: {matching[0]}"
