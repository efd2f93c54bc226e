"""The `kpireview` command: parses, then calls the core or starts the app."""

from __future__ import annotations

import gc
import sys
from pathlib import Path
from typing import Any, NoReturn

import click

from .access import AccessError, Session, open_session, os_login
from .errors import WorkflowError
from .kinds import CycleState
from .people import PeopleError, check_people, read_people_csv
from .store import NotFound, Store, StoreError

# kpireview starts by building many objects that live as long as it runs (the
# modules, Textual's styles and widgets, the people index), and CPython's
# default thresholds collect over them again and again: a sixth of the time to
# the first screen (benchmarks/run.py). What is loaded so far is left out of
# the collections, and they run less often.
gc.freeze()
gc.set_threshold(10_000, 20, 20)


def app_process() -> None:
    """The process settings of the app: no collections at all until its first screen
    is painted (`KpiReviewApp` then freezes what start-up built and turns them back
    on). Start-up makes few objects that die young, so there is nothing to collect."""
    gc.disable()

CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}
EXPECTED = (AccessError, StoreError, WorkflowError, PeopleError, ValueError)


def default_data_dir() -> Path:
    from platformdirs import user_data_dir

    return Path(user_data_dir("kpireview", appauthor=False))


def demo_data_dir() -> Path:
    return default_data_dir().with_name("kpireview-demo")


def resolve_default(command: str | None) -> tuple[Path, str | None]:
    """The default data directory; the demo's while there is no data of your own.

    So that after the first run (which offers the demo) every command finds the
    demo without --data, until `kpireview init` creates real data. Returned with
    the notice that says so (None when it is not the demo, or for the app, which
    shows it itself); the notice is printed when a command first uses the data
    (`Ctx.store`), not for --help or a command that reads no data.
    """
    real = default_data_dir()
    demo_dir = demo_data_dir()
    # (data without config.toml is your own data that lost it: said so, not passed over)
    if command in ("init", "demo") or (real / Store.CONFIG).is_file() or Store(real).holds_data():
        return real, None
    if (demo_dir / Store.CONFIG).is_file():
        notice = None
        if command is not None:
            notice = (f"kpireview: no data of your own in {real} yet; using the demo in "
                      f"{demo_dir}")
        return demo_dir, notice
    return real, None


class Ctx:
    def __init__(self, data: Path, as_login: str | None, notice: str | None = None):
        self.data = data
        self.as_login = as_login
        self.chosen = False  # the directory was named (--data or KPIREVIEW_DATA)
        self.notice = notice  # printed (to stderr) when the data is first used
        self._store: Store | None = None

    @property
    def store(self) -> Store:
        if self._store is None:
            if self.notice:
                click.echo(self.notice, err=True)
                self.notice = None
            self._store = Store(self.data)
        return self._store

    def session(self) -> Session:
        return open_session(self.store, as_login=self.as_login)


def fail(message: str, code: int = 1) -> NoReturn:
    click.echo(f"kpireview: {message}", err=True)
    sys.exit(code)


def run(fn: Any) -> Any:
    """Call `fn`, turning the errors a user can fix into a message and exit 1."""
    try:
        return fn()
    except EXPECTED as exc:
        fail(str(exc))


def require_cycle(store: Store, cycle_id: str) -> Any:
    """The cycle `cycle_id`; else fail, naming it and the cycles there are."""
    try:
        return store.cycle(cycle_id)
    except NotFound:
        known = ", ".join(cy.id for cy in run(store.cycles))
        if known:
            fail(f"no cycle {cycle_id!r} (known cycles: {known}; see 'kpireview cycle list')")
        fail(f"no cycle {cycle_id!r}: there are no cycles yet; an HR admin opens one with "
             "'kpireview cycle open ID --start YYYY-MM-DD --end YYYY-MM-DD'")
    except EXPECTED as exc:
        fail(str(exc))


def open_problem(store: Store) -> str | None:
    """Why the data directory cannot be opened (its config, people and cycles
    are read, nothing is written), or None when it opens."""
    try:
        store.config()
        store.people()
        store.cycles()
    except EXPECTED as exc:
        return str(exc)
    return None


def not_empty(directory: Path, what: str) -> str:
    """The message for a directory `what` ("init", "the demo") cannot be created in,
    with what to do next."""
    store = Store(directory)
    if (directory / Store.CONFIG).is_file():
        problem = open_problem(store)
        if problem is None:
            return (f"{directory} is already a kpireview data directory; {what} only creates a "
                    f"new one. Open it with 'kpireview --data {directory}', or pick an empty "
                    "directory with --data DIR.")
        return (f"{directory} is a kpireview data directory that fails to open: {problem}\n"
                f"Check every file of it with 'kpireview --data {directory} doctor' "
                f"(nothing is changed), or pick an empty directory with --data DIR.")
    return (f"{directory} is not empty; {what} only creates a new data directory in an empty "
            "one. Pick an empty directory with --data DIR (or, if it is a kpireview data "
            f"directory that fails to open, run 'kpireview --data {directory} doctor').")


def echo_table(headers: list[str], rows: list[list[str]], header: bool = True,
               right: frozenset[int] = frozenset()) -> None:
    """Rows in columns two spaces apart, each as wide as its longest value, under a
    header line (unless `header` is False). The last column is free text, so a
    script can split each line on runs of spaces up to it."""
    if not rows:
        return
    widths = [max(len(headers[i]), *(len(row[i]) for row in rows))
              for i in range(len(headers) - 1)]

    def line(cells: list[str]) -> str:
        parts = [cell.rjust(widths[i]) if i in right else cell.ljust(widths[i])
                 for i, cell in enumerate(cells[:-1])]
        return "  ".join([*parts, cells[-1]]).rstrip()

    if header:
        click.echo(line(headers))
    for row in rows:
        click.echo(line(row))


NO_HEADER = click.option("--no-header", "no_header", is_flag=True,
                         help="Leave out the header line (for scripts).")


pass_ctx = click.make_pass_decorator(Ctx)


@click.group(invoke_without_command=True, context_settings=CONTEXT)
@click.option("--data", "data", type=click.Path(file_okay=False, path_type=Path),
              envvar="KPIREVIEW_DATA", show_envvar=True,
              help="Data directory (default: the platform's user data directory).")
@click.option("--as", "as_login", metavar="LOGIN",
              help="Act as another login; only where the data allows it (the demo).")
@click.version_option(package_name="kpireview")
@click.pass_context
def main(ctx: click.Context, data: Path | None, as_login: str | None) -> None:
    """A terminal appraisal workbench: guided KRA/KPI reviews for a manager and their reports.

    Without a command, opens the review app on the data directory.

    \b
    Examples:
      kpireview                      open the app (offers a demo when there is no data)
      kpireview --data ~/demo demo   create the demo organisation in ~/demo
      kpireview --data ~/demo --as alex   try the demo as the employee alex
      kpireview templates check my-role.toml
    """
    notice = None
    if data is None:
        data, notice = resolve_default(ctx.invoked_subcommand)
        chosen = False
    else:
        chosen = True
    ctx.obj = Ctx(data, as_login, notice)
    ctx.obj.chosen = chosen
    if ctx.invoked_subcommand is None:
        start_app(ctx.obj)


def start_app(c: Ctx) -> None:
    app_process()
    from .app import create_app

    store = c.store
    session = None
    if store.exists():
        session = run(c.session)
    elif store.holds_data():
        fail(str(store.missing_config()))
    elif not store.is_empty():
        fail(f"{c.data} is not empty but has no config.toml, so it is not a kpireview data "
             "directory. Pick another with --data DIR.")
    # A directory named with --data is where the welcome screen builds the demo too.
    app = create_app(store=store if store.exists() else None, session=session,
                     data_dir=c.data, demo_dir=None if c.chosen else demo_data_dir(),
                     as_login=c.as_login)
    app.run()


# --- data directory --------------------------------------------------------


@main.command(context_settings=CONTEXT)
@click.option("--organisation", default="My organisation", help="Name shown in the app.")
@pass_ctx
def init(c: Ctx, organisation: str) -> None:
    """Create an empty data directory; you become its HR admin.

    \b
    Example:
      kpireview --data /srv/kpireview init --organisation "Northwind"
    """
    from .models import Config

    if not c.store.exists() and c.store.holds_data():
        fail(str(c.store.missing_config()))
    if not c.store.is_empty():
        fail(not_empty(c.data, "'kpireview init'"))
    c.store.write_config(Config(organisation=organisation, hr_admins=[os_login()]))
    click.echo(f"Created {c.data}; HR admin: {os_login()}.")
    click.echo("Next: kpireview people add ..., kpireview cycle open ..., kpireview review start ...")


@main.command(context_settings=CONTEXT)
@click.pass_context
def demo(ctx: click.Context) -> None:
    """Create the demo organisation (you are the manager of a five-person team).

    Written to --data DIR if given, else to its own folder beside the default
    data directory. The demo allows --as LOGIN so one person can try every role.

    \b
    Example:
      kpireview --data /tmp/kpi-demo demo
      kpireview --data /tmp/kpi-demo --as alex
    """
    from .demo import build_demo, display_name

    explicit = ctx.find_root().params.get("data") is not None
    target = ctx.obj.data if explicit else demo_data_dir()
    if not (target / Store.CONFIG).is_file() and Store(target).holds_data():
        fail(str(Store(target).missing_config()))
    if (target / Store.CONFIG).is_file() and not explicit:
        problem = open_problem(Store(target))
        if problem is not None:
            fail(f"the demo organisation in {target} exists but fails to open: {problem}\n"
                 f"Check every file of it with 'kpireview --data {target} doctor' (nothing is "
                 f"changed), or remove (or move away) the folder {target} and run "
                 "'kpireview demo' again to build the demo afresh.")
        click.echo(f"The demo organisation already exists in {target}.")
        click.echo(f"Open it: kpireview (while you have no data of your own) or "
                   f"kpireview --data {target}. To start it afresh, delete that folder.")
        return
    if not Store(target).is_empty():
        fail(not_empty(target, "'kpireview demo'"))
    store = run(lambda: build_demo(target, os_login(), lambda m: click.echo(f"  {m}", err=True),
                                   name=display_name(os_login())))
    people = ", ".join(f"{p.login} ({p.name})" for p in store.people())
    click.echo(f"Demo organisation created in {target}.")
    click.echo(f"People: {people}")
    click.echo(f"Open it: kpireview --data {target}    as another person: add --as LOGIN")


@main.command(context_settings=CONTEXT)
@click.option("--repair-indexes", is_flag=True,
              help="First rebuild the indexes (the review lists, the people index) from the "
                   "review files and people.json.")
@pass_ctx
def doctor(c: Ctx, repair_indexes: bool) -> None:
    """Check every file of the data directory and report each problem.

    Nothing is changed (except the indexes with --repair-indexes; they only
    repeat what the review files and people.json say). Exit status 1 when a problem was found.

    \b
    Examples:
      kpireview --data /srv/kpireview doctor
      kpireview --data /srv/kpireview doctor --repair-indexes
    """
    from .doctor import check_data_dir, repair_indexes as rebuild

    if repair_indexes:
        count = run(lambda: rebuild(c.store))
        click.echo(f"Rebuilt the people index and the team indexes of {count} review(s).")
    problems = check_data_dir(c.store, progress=click.progressbar)
    for p in problems:
        click.echo(p)
    if problems:
        fail(f"{len(problems)} problem(s) found in {c.data}")
    click.echo(f"{c.data}: no problems found.")


@main.command(context_settings=CONTEXT)
@click.argument("target", type=click.Path(file_okay=False, path_type=Path))
@pass_ctx
def backup(c: Ctx, target: Path) -> None:
    """Write a consistent copy of the data directory to TARGET (must be new or empty).

    Each file is copied while holding its lock, so no half-saved file is copied.

    \b
    Example:
      kpireview --data /srv/kpireview backup /backups/kpireview-2026-12-03
    """
    from .doctor import backup_data_dir

    count = run(lambda: backup_data_dir(c.store, target, progress=click.progressbar))
    click.echo(f"Copied {count} files to {target}.")


# --- templates -------------------------------------------------------------


@main.group(context_settings=CONTEXT)
def templates() -> None:
    """Role templates: list, show and check them.

    \b
    Examples:
      kpireview templates list
      kpireview templates show major-account-manager
      kpireview templates check my-role.toml
    """


@templates.command("list", context_settings=CONTEXT)
@NO_HEADER
@pass_ctx
def templates_list(c: Ctx, no_header: bool) -> None:
    """List the role templates (shipped, and the data directory's own).

    \b
    Examples:
      kpireview templates list
      kpireview templates list --no-header   rows only, for scripts
    """
    from .templates import load_all

    extra = c.store.templates_dir if c.data.exists() else None
    rows = [[t.id, f"v{t.version}", str(len(t.kras)), str(sum(len(k.kpis) for k in t.kras)),
             t.title] for t in run(lambda: load_all(extra)).values()]
    echo_table(["ID", "VERSION", "KRAS", "KPIS", "TITLE"], rows, header=not no_header,
               right=frozenset({2, 3}))


@templates.command("show", context_settings=CONTEXT)
@click.argument("template_id")
@pass_ctx
def templates_show(c: Ctx, template_id: str) -> None:
    """Show one template: its scale, bands, KRAs and KPIs.

    \b
    Example:
      kpireview templates show major-account-manager
    """
    from .templates import load_all

    extra = c.store.templates_dir if c.data.exists() else None
    found = run(lambda: load_all(extra))
    if template_id not in found:
        fail(f"no template {template_id!r}; see 'kpireview templates list'")
    t = found[template_id]
    click.echo(f"{t.title} ({t.id} v{t.version})\n{t.description}\n")
    labels = ", ".join(f"{i} {t.scale.label(i)}" for i in range(t.scale.min, t.scale.max + 1))
    click.echo(f"Scale: {labels}")
    bands = ", ".join(
        f"<{b.below}% → {b.rating}" if b.below is not None else f"else → {b.rating}" for b in t.bands
    )
    click.echo(f"Bands: {bands}; achievement capped at {t.achievement_cap}%\n")
    for n, kra in enumerate(t.kras, 1):
        click.echo(f"KRA {n}. {kra.title}  [{kra.id}]  weight {kra.weight}%")
        if kra.statement:
            click.echo(f"    {kra.statement}")
        for kpi in kra.kpis:
            if kpi.kind.value == "numeric":
                arrow = "↑" if kpi.direction and kpi.direction.value == "higher" else "↓"
                what = f"target {kpi.target} {kpi.unit} {arrow}"
            else:
                what = "rated on the scale"
            click.echo(f"    - {kpi.name}  [{kpi.id}]  {kpi.weight}%  {what}")


@templates.command("check", context_settings=CONTEXT)
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
def templates_check(files: tuple[Path, ...]) -> None:
    """Check template files: errors (exit 1) and SMART warnings (exit 0).

    \b
    Example:
      kpireview templates check role_templates/*.toml
    """
    from .templates import check_file

    failed = False
    for path in files:
        result = check_file(path)
        for err in result.errors:
            click.echo(f"{path}: error: {err}")
        for warning in result.warnings:
            click.echo(f"{path}: warning: {warning}")
        if result.errors:
            failed = True
        else:
            t = result.template
            assert t is not None
            click.echo(f"{path}: ok ({t.id} v{t.version}, {len(t.kras)} KRAs, "
                       f"{len(result.warnings)} warning(s))")
    if failed:
        sys.exit(1)


# --- people ----------------------------------------------------------------


@main.group(context_settings=CONTEXT)
def people() -> None:
    """People: list, add and import from CSV (HR admin).

    \b
    Examples:
      kpireview people list
      kpireview people add --id alex --name "Alex Morgan" --login alex \\
          --manager sofia --role major-account-manager
      kpireview people import staff.csv
    """


@people.command("list", context_settings=CONTEXT)
@NO_HEADER
@pass_ctx
def people_list(c: Ctx, no_header: bool) -> None:
    """List people: id, login, manager, role and name, under a header line.

    \b
    Examples:
      kpireview people list
      kpireview people list --no-header      rows only, for scripts
    """
    session = run(c.session)
    rows = [[p.id, p.login, p.manager or "-", p.role,
             p.name + ("" if p.active else " (inactive)")]
            for p in run(session.store.people)]
    echo_table(["ID", "LOGIN", "MANAGER", "ROLE", "NAME"], rows, header=not no_header)


@people.command("add", context_settings=CONTEXT)
@click.option("--id", "person_id", required=True, help="Stable id, e.g. alex.")
@click.option("--name", required=True)
@click.option("--login", required=True, help="The OS / SSH login of the person.")
@click.option("--email", default="")
@click.option("--manager", default=None, help="Id of their manager.")
@click.option("--role", required=True, help="Role template id (kpireview templates list).")
@pass_ctx
def people_add(c: Ctx, person_id: str, name: str, login: str, email: str,
               manager: str | None, role: str) -> None:
    """Add (or update) one person.

    \b
    Example:
      kpireview people add --id alex --name "Alex Morgan" --login alex \\
          --manager sofia --role major-account-manager
    """
    from pydantic import ValidationError

    from .models import Person

    try:
        person = Person(id=person_id, name=name, login=login, email=email, manager=manager,
                        role=role)
    except ValidationError as exc:
        fail("; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()))
    session = run(c.session)
    run(lambda: session.save_people([person]))
    click.echo(f"Saved {person.id} ({person.name}).")


@people.command("import", context_settings=CONTEXT)
@click.argument("csv_file", type=click.Path(dir_okay=False, path_type=Path))
@pass_ctx
def people_import(c: Ctx, csv_file: Path) -> None:
    """Import people from CSV (columns: id,name,login,email,manager,role).

    All or nothing: a bad row is reported with its line and nothing is saved.

    \b
    Example:
      kpireview people import staff.csv
    """
    session = run(c.session)
    row_problems: list[str] = []
    try:
        people_rows, where = read_people_csv(csv_file)
    except PeopleError as exc:
        if not exc.people and not exc.where:
            fail(str(exc))
        row_problems, people_rows, where = exc.problems, exc.people, exc.where
    templates = set(run(session.store.templates))
    existing = {p.id: p for p in run(session.store.people)}
    merged = {**existing, **{p.id: p for p in people_rows}}
    # Check the organisation chart of the good rows too, so every problem in the
    # file is reported in one run, not one batch at a time.
    try:
        check_people(list(merged.values()), templates, where)
        chart_problems: list[str] = []
    except PeopleError as exc:
        chart_problems = exc.problems
    if row_problems or chart_problems:
        fail("nothing imported:\n" + "\n".join(row_problems + chart_problems))
    run(lambda: session.save_people(people_rows))
    click.echo(f"Imported {len(people_rows)} people from {csv_file}.")


# --- cycles ----------------------------------------------------------------


@main.group(context_settings=CONTEXT)
def cycle() -> None:
    """Review cycles: open, close, list (HR admin).

    \b
    Examples:
      kpireview cycle list
      kpireview cycle open 2027-h1 --name "First half 2027" --start 2027-01-01 --end 2027-06-30
      kpireview cycle close 2026-h2
    """


@cycle.command("list", context_settings=CONTEXT)
@NO_HEADER
@pass_ctx
def cycle_list(c: Ctx, no_header: bool) -> None:
    """List cycles: id, state, first and last day, name, under a header line.

    \b
    Examples:
      kpireview cycle list
      kpireview cycle list --no-header       rows only, for scripts
    """
    run(c.session)
    rows = [[cy.id, cy.state.value, str(cy.start), str(cy.end), cy.name]
            for cy in run(c.store.cycles)]
    echo_table(["ID", "STATE", "START", "END", "NAME"], rows, header=not no_header)


@cycle.command("open", context_settings=CONTEXT)
@click.argument("cycle_id")
@click.option("--name", help="Display name (default for a new cycle: the id).")
@click.option("--start", type=click.DateTime(["%Y-%m-%d"]), help="First day, YYYY-MM-DD.")
@click.option("--end", type=click.DateTime(["%Y-%m-%d"]), help="Last day, YYYY-MM-DD.")
@pass_ctx
def cycle_open(c: Ctx, cycle_id: str, name: str | None, start: Any, end: Any) -> None:
    """Open a cycle: create it (--start and --end needed), or reopen or change one.

    On a cycle that exists, --name, --start and --end change it, checked as
    for a new one (the end not before the start), and each change is printed;
    what you leave out stays as it is. Its dates cannot change once a review
    in it is signed off (that review was signed for the period as it was):
    then nothing is changed.

    \b
    Examples:
      kpireview cycle open 2027-h1 --name "First half 2027" --start 2027-01-01 --end 2027-06-30
      kpireview cycle open 2027-h1 --end 2027-07-15      move the last day of an existing cycle
    """
    from pydantic import ValidationError

    from .models import Cycle

    session = run(c.session)
    run(lambda: session.require_hr("open, close or change cycles"))
    try:
        existing = c.store.cycle(cycle_id)
    except NotFound:
        existing = None
    except StoreError as exc:
        fail(str(exc))
    if existing is None:
        if not (start and end):
            missing = " and ".join(o for o, v in (("--start", start), ("--end", end)) if not v)
            fail(f"cycle {cycle_id!r} is new: give {missing} (YYYY-MM-DD) as well, e.g. "
                 f"'kpireview cycle open {cycle_id} --start 2027-01-01 --end 2027-06-30'")
        fields = {"id": cycle_id, "name": cycle_id if name is None else name,
                  "start": start.date(), "end": end.date(), "state": CycleState.open}
    else:
        fields = {**existing.model_dump(), "state": CycleState.open}
        if name is not None:
            fields["name"] = name
        if start:
            fields["start"] = start.date()
        if end:
            fields["end"] = end.date()
    try:
        new = Cycle(**fields)
    except ValidationError as exc:
        now_runs = (f" (it runs {existing.start} → {existing.end} now; nothing was changed)"
                    if existing is not None else "")
        fail(f"cycle {cycle_id!r}: " + "; ".join(cycle_problem(e) for e in exc.errors())
             + now_runs)
    changes: list[str] = []
    if existing is not None:
        if (existing.start, existing.end) != (new.start, new.end):
            signed = run(lambda: signed_off_reviews(c.store, cycle_id))
            if signed:
                shown = ", ".join(signed[:5]) + (f" and {len(signed) - 5} more"
                                                 if len(signed) > 5 else "")
                fail(f"cycle {cycle_id!r} runs {existing.start} → {existing.end}, and "
                     f"{len(signed)} review(s) in it are signed off ({shown}): they were signed "
                     f"for that period, so its dates cannot change now; nothing was changed. "
                     "Leave out --start and --end to keep the dates, or have those reviews "
                     "reopened first (HR admin, in the app, with a reason).")
            changes.append(f"dates changed from {existing.start} → {existing.end} to "
                           f"{new.start} → {new.end}")
        if existing.name != new.name:
            changes.append(f"name changed from {existing.name!r} to {new.name!r}")
        if existing.state is not CycleState.open:
            changes.append(f"state changed from {existing.state.value} to open")
    run(lambda: session.save_cycle(new))
    for change in changes:
        click.echo(f"Cycle {new.id}: {change}.")
    click.echo(f"Cycle {new.id} is open ({new.start} → {new.end}).")


def cycle_problem(error: Any) -> str:
    """One pydantic error about a cycle, as the option it came from."""
    option = {"name": "--name", "start": "--start", "end": "--end", "id": "the id"}
    where = option.get(str(error["loc"][0]), "") if error["loc"] else ""
    msg = error["msg"].removeprefix("Value error, ")
    if where == "--name" and error["type"] == "string_too_short":
        msg = "must not be empty"
    if "before it starts" in msg:
        msg += "; give an --end on or after the --start"
    return f"{where}: {msg}" if where else msg


def signed_off_reviews(store: Store, cycle_id: str) -> list[str]:
    """The ids of the cycle's signed-off reviews, read from the review files themselves
    (a file that cannot be read stops this with its error)."""
    from .kinds import State

    return [rid for rid in store.review_ids(cycle_id)
            if store.load_review(rid).state is State.signed_off]


@cycle.command("close", context_settings=CONTEXT)
@click.argument("cycle_id")
@pass_ctx
def cycle_close(c: Ctx, cycle_id: str) -> None:
    """Close a cycle: no new reviews start in it.

    \b
    Example:
      kpireview cycle close 2026-h2
    """
    session = run(c.session)
    existing = require_cycle(c.store, cycle_id)
    run(lambda: session.save_cycle(existing.model_copy(update={"state": CycleState.closed})))
    click.echo(f"Cycle {cycle_id} is closed.")


# --- reviews ---------------------------------------------------------------


@main.group(context_settings=CONTEXT)
def review() -> None:
    """Reviews: start them and list them.

    \b
    Examples:
      kpireview review list --cycle 2026-h2
      kpireview review start --cycle 2026-h2 --person alex
      kpireview review start --cycle 2026-h2 --all
    """


@review.command("start", context_settings=CONTEXT)
@click.option("--cycle", "cycle_id", required=True)
@click.option("--person", "person_id", help="Person id.")
@click.option("--all", "all_people", is_flag=True, help="Everyone with a manager and no review yet.")
@pass_ctx
def review_start(c: Ctx, cycle_id: str, person_id: str | None, all_people: bool) -> None:
    """Start a review from the person's role template (a frozen copy).

    \b
    Examples:
      kpireview review start --cycle 2026-h2 --person alex
      kpireview review start --cycle 2026-h2 --all
    """
    session = run(c.session)
    if bool(person_id) == all_people:
        fail("give either --person ID or --all")
    require_cycle(c.store, cycle_id)
    if person_id:
        rid = run(lambda: session.start_review(cycle_id, person_id))
        click.echo(f"Started {rid}.")
        return
    from .store import review_id_for

    candidates = [
        p for p in run(c.store.people)
        if p.active and p.manager and not c.store.review_exists(review_id_for(cycle_id, p.id))
    ]
    started, skipped = 0, []
    with click.progressbar(candidates, label="Starting reviews", file=sys.stderr) as bar:
        for p in bar:
            try:
                session.start_review(cycle_id, p.id)
                started += 1
            except EXPECTED as exc:
                skipped.append(f"{p.id}: {exc}")
    for line in skipped:
        click.echo(f"skipped {line}", err=True)
    click.echo(f"Started {started} review(s) in {cycle_id}; {len(skipped)} skipped.")


@review.command("list", context_settings=CONTEXT)
@click.option("--cycle", "cycle_id", default=None)
@NO_HEADER
@pass_ctx
def review_list(c: Ctx, cycle_id: str | None, no_header: bool) -> None:
    """List the reviews you can see, under a header line: review id, state, KPIs done
    for the current step of all KPIs, overall score (— until one is rated) and the
    person with their role.

    \b
    Examples:
      kpireview review list --cycle 2026-h2
      kpireview review list --no-header      rows only, for scripts
    """
    session = run(c.session)
    if cycle_id is not None:
        require_cycle(c.store, cycle_id)
    groups = run(session.summaries)
    seen: set[str] = set()
    rows = []
    for group in ("mine", "team", "line", "all"):
        for s in groups[group]:
            if s["review_id"] in seen or (cycle_id and s["cycle_id"] != cycle_id):
                continue
            seen.add(s["review_id"])
            rows.append([s["review_id"], s["state"], f"{s['done']}/{s['total']}",
                         s["overall"] or "—", f"{s['person_name']} ({s['role_title']})"])
    echo_table(["REVIEW", "STATE", "DONE", "SCORE", "PERSON (ROLE)"], rows,
               header=not no_header, right=frozenset({2, 3}))
    for problem in session.summary_problems:
        click.echo(f"warning: {problem}", err=True)
    if session.summary_problems:
        sys.exit(1)


from .cli_transfer import register as _register_transfer  # noqa: E402

_register_transfer(main)

if __name__ == "__main__":  # pragma: no cover
    main()
