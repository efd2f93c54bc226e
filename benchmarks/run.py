"""kpireview benchmarks: the cost of using it must not grow with the organisation.

    python benchmarks/run.py            # 10, 1,000 and 10,000 people (a few minutes)
    python benchmarks/run.py --smoke    # 10 people, few repetitions (used by the tests)

Every figure is a ratio of two things measured side by side in this run,
with both medians beside it: the large organisation against the small one
(what must not grow with the organisation), or kpireview against a bare
Textual app. Where the goal is absolute (ms, s) it is checked on the large
organisation's median and the ratio shows how that figure grows. Organisations
are built in a temporary directory that is removed afterwards (see orgs.py).
Other work on the machine shows up in the milliseconds, so run it on an
otherwise idle machine; the ratios, measured in turns, vary much less.

Start-up and memory are measured in fresh processes (interpreter, imports,
opening the data, the first screen at 80×24, headless), because that is what
a person waits for; the other figures in this process.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Callable

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(ROOT))

from orgs import CYCLE, build_org, data_files_differ, no_fsync  # noqa: E402

import tui.cli  # noqa: E402,F401  (the kpireview command's process settings: its gc thresholds)
from tui.access import open_session  # noqa: E402
from tui.models import Kind  # noqa: E402
from tui.store import Store  # noqa: E402

RESULTS: list[dict[str, Any]] = []


def report(figure: str, ratio: float | None, goal: str, ok: bool | None, detail: str) -> None:
    mark = "—" if ok is None else ("ok" if ok else "MISSED")
    ratio_text = f"ratio {ratio:7.2f}  " if ratio is not None else " " * 15
    print(f"{figure:64} {ratio_text}{detail:42} goal {goal:15} {mark}", flush=True)
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


def saver(store: Store) -> Callable[[int], None]:
    """One KPI edit by the employee of one review, through the session (as the app saves)."""
    review_id = f"{CYCLE.id}/p00001"
    session = open_session(store, login="u00001")
    kpi = editable_kpi(store, review_id)
    return lambda i: session.set_kpi(review_id, kpi, "actual", str(1000 + i))


def save_pair(a: Store, b: Store, n: int, rounds: int = 10) -> tuple[list[float], list[float]]:
    """`n` saves in each store, in alternating rounds (see `alternate`)."""
    save_a, save_b = saver(a), saver(b)
    count_a, count_b = itertools.count(), itertools.count()
    per = max(1, n // rounds)
    return alternate(lambda: time_calls(lambda _: save_a(next(count_a)), per),
                     lambda: time_calls(lambda _: save_b(next(count_b)), per), rounds)


def naive_save_samples(store: Store, n: int, workdir: Path) -> list[float]:
    """The naive design: every review in one TinyDB file, updated with TinyDB's JSONStorage
    (read the file, change one KPI, write the whole file back)."""
    from tinydb import Query, TinyDB

    path = workdir / f"naive-{len(store.review_ids(CYCLE.id))}.json"
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
    path.unlink()
    return samples


# --- the app in a fresh process: start-up and peak memory ---------------------

CHILD = """
import asyncio, resource, sys, time
sys.path.insert(0, {root!r})
data, login = {data!r}, {login!r}

async def main():
    if data is None:
        from textual.app import App
        from textual.widgets import Footer, Header

        class Bare(App):
            def compose(self):
                yield Header()
                yield Footer()

        app = Bare()
    else:
        from pathlib import Path
        import tui.cli  # the module the kpireview command runs, with all it imports
        tui.cli.app_process()  # and the settings it starts the app with
        from tui.access import open_session
        from tui.app import create_app
        store = tui.cli.Ctx(Path(data), None).store
        app = create_app(store=store, session=open_session(store, login=login),
                         data_dir=store.root)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot._wait_for_screen()  # every message sent so far handled
        await app.screen.wait_for_refresh()  # and the screen painted after them
        if data is not None:
            assert type(app.screen).__name__ == "HomeScreen", app.screen
        print("ready", flush=True)
        # Memory once every list of Home is read (the long ones come in the background).
        await app.workers.wait_for_complete()
        await pilot._wait_for_screen()
        await app.screen.wait_for_refresh()
        rss = peak_rss_kb()
    print("rss", rss, flush=True)

def peak_rss_kb():
    # VmHWM: the peak of this program's memory. (ru_maxrss would do elsewhere, but on
    # Linux it keeps the parent's size from before exec, i.e. the benchmark's own.)
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss

asyncio.run(main())
"""


CHILD_ENV: dict[str, str] = {}


def child_env(work: Path) -> None:
    """Fresh processes use compiled bytecode, as an installed kpireview does (pip compiles
    it), even where PYTHONDONTWRITEBYTECODE is set; the cache goes to the work directory."""
    CHILD_ENV.clear()
    CHILD_ENV.update({k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"})
    CHILD_ENV["PYTHONPYCACHEPREFIX"] = str(work / "pycache")


def fresh_app(data: Path | None, login: str) -> tuple[float, float]:
    """(seconds from starting a process to its first screen, peak RSS in MB by then)."""
    code = CHILD.format(root=str(ROOT), data=str(data) if data else None, login=login)
    t = time.perf_counter()
    with subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True, env=CHILD_ENV or None) as proc:
        assert proc.stdout is not None
        before = []
        for line in proc.stdout:
            if line.strip() == "ready":
                break
            before.append(line)
        elapsed = time.perf_counter() - t
        rest = proc.stdout.read()  # (not communicate(): it would miss what was buffered)
    rss = re.search(r"^rss (\d+)$", rest, re.MULTILINE)
    if proc.returncode != 0 or rss is None:
        raise RuntimeError(f"the app did not start or end as expected (exit status "
                           f"{proc.returncode}): {''.join(before)[-3000:]}{rest[-3000:]}")
    return elapsed, int(rss.group(1)) / 1024


# --- the app in this process: a screen's own cost --------------------------------------


async def rendered(app: Any, pilot: Any) -> None:
    """Until every message sent so far is handled and the screen painted after them.

    (`pilot.pause()` also waits for the process to look idle by its CPU time,
    20 ms at a time and up to a second: not a measure of the screen.)
    """
    await pilot._wait_for_screen()
    await app.screen.wait_for_refresh()


def screen_seconds(store: Store, login: str, make: Callable[[Any], Any], n: int) -> list[float]:
    """Seconds to push a screen and have it rendered, `n` times, in one running app."""

    async def run() -> list[float]:
        from tui.app import create_app

        session = open_session(store, login=login)
        app = create_app(store=store, session=session)
        out = []
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.pause()
            for _ in range(n):
                t = time.perf_counter()
                await app.push_screen(make(session))
                await rendered(app, pilot)
                out.append(time.perf_counter() - t)
                app.pop_screen()
                await pilot.pause()
        return out

    return asyncio.run(run())


def scoring_screen(review_id: str) -> Callable[[Any], Any]:
    def make(session: Any) -> Any:
        from screens.scoring import ScoringScreen

        return ScoringScreen(session, review_id)

    return make


def home_screen(session: Any) -> Any:
    from screens.home import HomeScreen

    return HomeScreen(session)


# --- export and doctor ------------------------------------------------------------


def export_one_samples(store: Store, out_dir: Path, n: int) -> list[float]:
    """`n` exports of single reviews (the first reviews of the cycle, in turn), as HR."""
    from tui.export import export_review

    session = open_session(store, login="hr")
    ids = store.review_ids(CYCLE.id)[:n]
    out_dir.mkdir()
    return time_calls(
        lambda i: export_review(session, ids[i % len(ids)], out_dir / f"{i}.toml"), n)


def export_cycle_per_review(store: Store, out_dir: Path) -> tuple[float, int]:
    """(seconds per review, reviews) of `kpireview export --cycle` over the whole cycle."""
    from tui.export import export_cycle

    session = open_session(store, login="hr")
    t = time.perf_counter()
    written = export_cycle(session, CYCLE.id, out_dir)
    return (time.perf_counter() - t) / len(written), len(written)


def doctor_seconds(store: Store) -> tuple[float, str]:
    """`kpireview doctor` as a user runs it: a fresh process, exit status 0 = no problems.
    (seconds, the first line it printed about a problem, or "")."""
    code = f"import sys; sys.path.insert(0, {str(ROOT)!r}); from tui.cli import main; main()"
    t = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", code, "--data", str(store.root), "doctor"],
                         capture_output=True, text=True, env=CHILD_ENV or None)
    elapsed = time.perf_counter() - t
    if out.returncode != 0:
        return elapsed, (out.stdout + out.stderr).strip().splitlines()[0]
    return elapsed, ""


def alternate(a: Callable[[], list[float]], b: Callable[[], list[float]],
              rounds: int) -> tuple[list[float], list[float]]:
    """Samples of `a` and of `b` taken in turns, so that both see the same machine load."""
    out_a: list[float] = []
    out_b: list[float] = []
    for _ in range(rounds):
        out_a += a()
        out_b += b()
    return out_a, out_b


# --- main ----------------------------------------------------------------------


def team_manager(store: Store) -> str:
    """The login of a manager with a full team and nobody further down."""
    index = store.people_index()
    for pid, reports in index.children.items():
        if pid != "boss" and len(reports) >= 12 and not any(r in index.children for r in reports):
            return index.by_id[pid].login
    return "boss"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--smoke", action="store_true", help="10 people, few repetitions")
    parser.add_argument("--json", type=Path, help="also write the figures as JSON here")
    args = parser.parse_args()
    small, mid_size, large = (10, 10, 10) if args.smoke else (10, 1_000, 10_000)
    saves = 20 if args.smoke else 200
    naive_saves = 3  # one save of the naive design at 10,000 people takes seconds
    repeats = 2 if args.smoke else 10
    starts = 2 if args.smoke else 15  # start-up varies most from run to run
    failures: list[str] = []

    with tempfile.TemporaryDirectory(prefix="kpireview-bench-") as tmp:
        work = Path(tmp)
        print(f"building organisations of {small:,}, {mid_size:,} and {large:,} people "
              f"in {work} ...", flush=True)
        t = time.perf_counter()
        org_small = build_org(work / "small", small)
        org_mid = org_small if mid_size == small else build_org(work / "mid", mid_size)
        org_large = org_small if large == small else build_org(work / "large", large)
        home3 = build_org(work / "home3", 60, boss_reports=3)
        home50 = build_org(work / "home50", 60, boss_reports=50)
        print(f"  built in {time.perf_counter() - t:.1f} s", flush=True)
        if args.smoke:
            # the fast builder writes exactly the files the store writes
            via_store = build_org(work / "via-store", 60, boss_reports=3)
            differ = data_files_differ(home3.root, via_store.root)
            if differ:
                failures.append(f"builder: files differ from the store's: {differ[:5]}")

        # -- saving: ours at both sizes, then the naive single-file design
        a, b = save_pair(org_small, org_large, saves)
        ours_large = median_ms(b)
        r = ours_large / median_ms(a)
        report(f"save one KPI edit, {large:,} vs {small} people", r, "≤ 1.5, ≤ 5 ms",
               r <= 1.5 and ours_large <= 5,
               f"median {ours_large:.2f} ms vs {median_ms(a):.2f} ms")
        naive_small = median_ms(naive_save_samples(org_small, saves, work))
        naive_large = median_ms(naive_save_samples(org_large, naive_saves, work))
        report(f"naive design (one TinyDB file), save, {large:,} vs {small} people",
               naive_large / naive_small, "(for reference)", None,
               f"median {naive_large:,.1f} ms vs {naive_small:.2f} ms")
        report(f"naive design vs ours, save, {large:,} people", naive_large / ours_large,
               "(for reference)", None, f"median {naive_large:,.1f} ms vs {ours_large:.2f} ms")

        # -- start-up and memory, in fresh processes
        manager = team_manager(org_large)
        child_env(work)
        fresh_app(None, "")  # warm-up: bytecode compiled and cached, files in the page cache
        fresh_app(org_large.root, manager)
        fresh_app(org_small.root, "boss")
        runs: dict[str, list[tuple[float, float]]] = {"bare": [], "top": [], "team": [],
                                                      "small": []}
        for _ in range(starts):  # interleaved, so all of them see the same machine load
            runs["bare"].append(fresh_app(None, ""))
            runs["top"].append(fresh_app(org_large.root, "boss"))
            runs["team"].append(fresh_app(org_large.root, manager))
            runs["small"].append(fresh_app(org_small.root, "boss"))
        start = {k: statistics.median(s for s, _ in v) for k, v in runs.items()}
        memory = {k: statistics.median(m for _, m in v) for k, v in runs.items()}
        for key, who in (("top", "top manager"), ("team", "manager of 12")):
            ratio = start[key] / start["bare"]
            report(f"start to first screen, {who}, {large:,} people vs bare", ratio, "≤ 1.5×",
                   ratio <= 1.5, f"{start[key] * 1000:.0f} ms vs {start['bare'] * 1000:.0f} ms")
        ratio = start["team"] / start["small"]
        report(f"start to first screen, manager of 12, {large:,} vs {small} people", ratio,
               "≤ 1.5×", ratio <= 1.5,
               f"{start['team'] * 1000:.0f} ms vs {start['small'] * 1000:.0f} ms")

        # -- screens, in one running app each
        rid = f"{CYCLE.id}/p00001"
        s_small, s_large = alternate(
            lambda: screen_seconds(org_small, "boss", scoring_screen(rid), repeats // 2),
            lambda: screen_seconds(org_large, "boss", scoring_screen(rid), repeats // 2), 2)
        report(f"open a review and render guided scoring, {large:,} vs {small} people",
               median_ms(s_large) / median_ms(s_small), "≤ 150 ms", median_ms(s_large) <= 150,
               f"median {median_ms(s_large):.0f} ms vs {median_ms(s_small):.0f} ms")
        h3, h50 = alternate(lambda: screen_seconds(home3, "boss", home_screen, repeats // 2),
                            lambda: screen_seconds(home50, "boss", home_screen, repeats // 2), 2)
        ratio = median_ms(h50) / median_ms(h3)
        report("manager's Home, 50 direct reports vs 3", ratio, "≤ 1.5×", ratio <= 1.5,
               f"{median_ms(h50):.0f} ms vs {median_ms(h3):.0f} ms")

        # -- export
        rounds = iter(range(1_000))
        one_small, one_large = alternate(
            lambda: export_one_samples(org_small, work / f"one-{next(rounds)}", repeats),
            lambda: export_one_samples(org_large, work / f"one-{next(rounds)}", repeats), 3)
        ratio = median_ms(one_large) / median_ms(one_small)
        report(f"export one review, {large:,} vs {small} people", ratio, "≤ 20 ms",
               median_ms(one_large) <= 20,
               f"median {median_ms(one_large):.1f} ms vs {median_ms(one_small):.1f} ms")
        per_mid, n_mid = export_cycle_per_review(org_mid, work / "cycle-mid")
        per_large, n_large = export_cycle_per_review(org_large, work / "cycle-large")
        report(f"export a whole cycle, per review, {n_large:,} vs {n_mid:,} reviews",
               per_large / per_mid, "≤ 3 ms", per_large * 1000 <= 3,
               f"{per_large * 1000:.2f} ms vs {per_mid * 1000:.2f} ms, {per_large * n_large:.1f} s")

        for key, who in (("top", "top manager"), ("team", "manager of 12")):
            ratio = memory[key] / memory["bare"]
            report(f"peak memory, {who}, {large:,} people vs bare", ratio, "≤ 1.5×",
                   ratio <= 1.5, f"{memory[key]:.0f} MB vs {memory['bare']:.0f} MB")

        # -- doctor
        seconds_mid, problem_mid = doctor_seconds(org_mid)
        seconds, problem = doctor_seconds(org_large)
        ratio = (seconds / n_large) / (seconds_mid / n_mid)
        report(f"kpireview doctor, per review, {n_large:,} vs {n_mid:,} reviews", ratio,
               "≤ 30 s", seconds <= 30,
               f"{seconds:.1f} s vs {seconds_mid:.1f} s" + (", no problems" if not (
                   problem or problem_mid) else f", found: {(problem or problem_mid)[:50]}"))
        for found in {problem, problem_mid} - {""}:
            failures.append(f"doctor found a problem in a built organisation: {found}")

    if args.json:
        args.json.write_text(json.dumps(RESULTS, indent=2))
    for failure in failures:
        print(f"FAILED: {failure}", file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
