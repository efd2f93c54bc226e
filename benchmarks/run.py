"""kpireview benchmarks: the cost of using it must not grow with the organisation.

    python benchmarks/run.py            # 10, 1,000 and 10,000 people (a few minutes)
    python benchmarks/run.py --smoke    # 10 people, few repetitions (used by the tests)

Every figure is a ratio of two things measured side by side in this run, with
the absolute median beside it for reference. Organisations are built in a
temporary directory that is removed afterwards.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Callable

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

from orgs import CYCLE, build_org, no_fsync  # noqa: E402

from tui.access import open_session  # noqa: E402
from tui.models import Kind  # noqa: E402
from tui.store import Store  # noqa: E402

RESULTS: list[dict[str, Any]] = []


def report(figure: str, ratio: float | None, goal: str, ok: bool | None, detail: str) -> None:
    mark = "—" if ok is None else ("ok" if ok else "MISSED")
    ratio_text = "" if ratio is None else f"ratio {ratio:6.2f}  "
    print(f"{figure:58} {ratio_text}{detail:44} goal {goal:18} {mark}", flush=True)
    RESULTS.append({"figure": figure, "ratio": ratio, "goal": goal, "ok": ok, "detail": detail})


def median_ms(samples: list[float]) -> float:
    return statistics.median(samples) * 1000


def time_calls(fn: Callable[[int], None], n: int) -> list[float]:
    out = []
    for i in range(n):
        t = time.perf_counter()
        fn(i)
        out.append(time.perf_counter() - t)
    return out


# --- saving ---------------------------------------------------------------


def editable_kpi(store: Store, review_id: str) -> str:
    review = store.load_review(review_id)
    return next(k.id for k in review.all_kpis() if k.kind is Kind.numeric)


def save_samples(store: Store, n: int) -> list[float]:
    """Median cost of one KPI edit by the employee of one review."""
    review_id = f"{CYCLE.id}/p00001"
    session = open_session(store, login="u00001")
    kpi = editable_kpi(store, review_id)
    return time_calls(lambda i: session.set_kpi(review_id, kpi, "actual", str(1000 + i)), n)


def naive_save_samples(store: Store, n: int, workdir: Path) -> list[float]:
    """The naive design: every review in one TinyDB file, updated with TinyDB's JSONStorage."""
    from tinydb import Query, TinyDB

    path = workdir / "naive.json"
    with no_fsync():
        db = TinyDB(path)
        table = db.table("reviews")
        table.insert_multiple(
            json.loads(store.review_path(rid).read_text())["review"]["1"]
            for rid in store.review_ids(CYCLE.id)
        )
    q = Query()
    target = f"{CYCLE.id}/p00001"

    def save(i: int) -> None:
        doc = table.get(q.id == target)
        doc["kras"][0]["kpis"][0]["actual"] = str(1000 + i)
        table.update({"kras": doc["kras"]}, q.id == target)

    samples = time_calls(save, n)
    db.close()
    return samples


# --- the app ----------------------------------------------------------------


def app_start_seconds(store: Store | None, login: str) -> float:
    """Seconds from creating the app to its first screen being shown (headless 80×24)."""

    async def run() -> float:
        t = time.perf_counter()
        if store is None:
            from textual.app import App
            from textual.widgets import Footer, Header

            class Bare(App):
                def compose(self):  # type: ignore[no-untyped-def]
                    yield Header()
                    yield Footer()

            app: Any = Bare()
        else:
            from tui.app import create_app

            app = create_app(store=store, session=open_session(store, login=login))
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.pause()
            return time.perf_counter() - t

    return asyncio.run(run())


def open_review_seconds(store: Store, login: str, review_id: str, n: int) -> list[float]:
    async def run() -> list[float]:
        from screens.scoring import ScoringScreen
        from tui.app import create_app

        session = open_session(store, login=login)
        app = create_app(store=store, session=session)
        out = []
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.pause()
            for _ in range(n):
                t = time.perf_counter()
                await app.push_screen(ScoringScreen(session, review_id))
                await pilot.pause()
                out.append(time.perf_counter() - t)
                app.pop_screen()
                await pilot.pause()
        return out

    return asyncio.run(run())


def peak_rss_mb(data: Path | None, login: str) -> float:
    """Peak resident memory of a fresh process showing the first screen."""
    code = f"""
import asyncio, resource, sys
sys.path.insert(0, {str(HERE.parent)!r})
from pathlib import Path
async def main():
    data = {str(data) if data else None!r}
    if data is None:
        from textual.app import App
        from textual.widgets import Footer, Header
        class Bare(App):
            def compose(self):
                yield Header()
                yield Footer()
        app = Bare()
    else:
        from tui.access import open_session
        from tui.app import create_app
        from tui.store import Store
        store = Store(Path(data))
        app = create_app(store=store, session=open_session(store, login={login!r}))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
asyncio.run(main())
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return int(out.stdout.strip().splitlines()[-1]) / 1024


# --- export and doctor ------------------------------------------------------------


def export_samples(store: Store, workdir: Path, review_ids: list[str]) -> list[float]:
    from tui.export import export_review

    session = open_session(store, login="hr")
    out_dir = workdir / f"export-{len(review_ids)}"
    out_dir.mkdir()
    return time_calls(
        lambda i: export_review(session, review_ids[i], out_dir / f"{i}.toml"), len(review_ids)
    )


def doctor_seconds(store: Store) -> float:
    from tui.doctor import check_data_dir

    t = time.perf_counter()
    problems = check_data_dir(store)
    elapsed = time.perf_counter() - t
    if problems:
        print(f"  doctor found {len(problems)} problem(s), first: {problems[0]}")
    return elapsed


# --- main ----------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--smoke", action="store_true", help="10 people, few repetitions")
    parser.add_argument("--json", type=Path, help="also write the figures as JSON here")
    args = parser.parse_args()
    small, large = (10, 10) if args.smoke else (10, 10_000)
    saves = 20 if args.smoke else 200
    repeats = 2 if args.smoke else 10

    with tempfile.TemporaryDirectory(prefix="kpireview-bench-") as tmp:
        work = Path(tmp)
        print(f"building organisations of {small} and {large} people in {work} ...", flush=True)
        t = time.perf_counter()
        org_small = build_org(work / "small", small)
        org_large = org_small if large == small else build_org(work / "large", large)
        mid = None if args.smoke else build_org(work / "mid", 1_000)
        print(f"  built in {time.perf_counter() - t:.1f} s", flush=True)

        a = save_samples(org_small, saves)
        b = save_samples(org_large, saves)
        r = median_ms(b) / median_ms(a)
        report(f"save one KPI edit, {large:,} vs {small} people", r, "≤ 1.5, ≤ 5 ms",
               r <= 1.5 and median_ms(b) <= 5,
               f"median {median_ms(b):.2f} ms vs {median_ms(a):.2f} ms")
        naive_base = mid or org_small
        n = naive_base.review_ids(CYCLE.id)
        naive = naive_save_samples(naive_base, max(5, saves // 10), work)
        report(f"naive design (one TinyDB file, {len(n):,} reviews) vs ours", median_ms(naive) /
               median_ms(save_samples(naive_base, saves)), "(for reference)", None,
               f"median {median_ms(naive):.1f} ms per save")

        bare = statistics.median(app_start_seconds(None, "") for _ in range(repeats))
        ours = statistics.median(app_start_seconds(org_large, "boss") for _ in range(repeats))
        report(f"start to first screen, manager, {large:,} people vs bare app", ours / bare,
               "≤ 1.5×", ours / bare <= 1.5, f"{ours * 1000:.0f} ms vs {bare * 1000:.0f} ms")

        samples = open_review_seconds(org_large, "boss", f"{CYCLE.id}/p00001", repeats)
        report("open a review and render guided scoring", None, "≤ 150 ms",
               median_ms(samples) <= 150, f"median {median_ms(samples):.0f} ms")

        home_small_org = build_org(work / "home3", 60, boss_reports=3)
        home_large_org = build_org(work / "home50", 60, boss_reports=50)
        h3 = statistics.median(app_start_seconds(home_small_org, "boss") for _ in range(repeats))
        h50 = statistics.median(app_start_seconds(home_large_org, "boss") for _ in range(repeats))
        report("manager's Home, 50 direct reports vs 3", h50 / h3, "≤ 1.5×", h50 / h3 <= 1.5,
               f"{h50 * 1000:.0f} ms vs {h3 * 1000:.0f} ms")

        ids = org_large.review_ids(CYCLE.id)
        one = export_samples(org_large, work, ids[:repeats * 3])
        t = time.perf_counter()
        export_samples(org_large, work, ids)
        per = (time.perf_counter() - t) / len(ids)
        report("export one review", None, "≤ 20 ms", median_ms(one) <= 20,
               f"median {median_ms(one):.1f} ms")
        report(f"export a whole cycle ({len(ids):,} reviews), per review", None, "≤ 3 ms",
               per * 1000 <= 3, f"{per * 1000:.2f} ms per review")

        bare_mb = peak_rss_mb(None, "")
        ours_mb = peak_rss_mb(org_large.root, "boss")
        report(f"peak memory, app with {large:,} people vs bare app", ours_mb / bare_mb, "≤ 1.5×",
               ours_mb / bare_mb <= 1.5, f"{ours_mb:.0f} MB vs {bare_mb:.0f} MB")

        seconds = doctor_seconds(org_large)
        report(f"kpireview doctor on {len(ids):,} reviews", None, "≤ 30 s", seconds <= 30,
               f"{seconds:.1f} s")

    if args.json:
        args.json.write_text(json.dumps(RESULTS, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
