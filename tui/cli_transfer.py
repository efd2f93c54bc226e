"""`kpireview export`, `import` and `actuals import`: moving reviews in and out as files."""

from __future__ import annotations

import sys
from pathlib import Path

import click


def register(main: click.Group) -> None:
    """Add the transfer commands to the main command group."""
    from .cli import CONTEXT, EXPECTED, Ctx, fail, pass_ctx, require_cycle, run

    @main.command("export", context_settings=CONTEXT)
    @click.option("--cycle", "cycle_id", required=True, help="Cycle id, e.g. 2026-h2.")
    @click.option("--person", "person_id", default=None,
                  help="Person id: export only their review (default: every review of the cycle).")
    @click.option("-o", "--output", default=None, metavar="FILE|DIR|-",
                  help="One review: a file, a directory or - for standard output (default -). "
                       "A whole cycle: a directory (required).")
    @click.option("--force", is_flag=True, help="Replace files that exist already.")
    @pass_ctx
    def export_cmd(c: Ctx, cycle_id: str, person_id: str | None, output: str | None,
                   force: bool) -> None:
        """Export reviews as TOML (format: docs/review-format.md).

        You get what you may see: an employee exports only their own review,
        and ratings still hidden from you in a blind phase stay out of the
        file. Files are written atomically, one per review for a whole cycle
        (named CYCLE--PERSON.toml); an existing file is kept unless --force.
        Each export is recorded in the review's history.

        \b
        Examples:
          kpireview export --cycle 2026-h2 --person alex             to standard output
          kpireview export --cycle 2026-h2 --person alex -o alex.toml
          kpireview export --cycle 2026-h2 -o exports/2026-h2/       every review you can see
        """
        from .export import UnreadableReviews, export_cycle, export_review, exported, file_name
        from .store import StoreError, review_id_for

        session = run(c.session)
        require_cycle(c.store, cycle_id)
        if person_id is None:
            if output in (None, "-"):
                fail("a whole cycle is written as one file per review: give -o DIR "
                     "(or --person ID to export one review to standard output)")
            directory = Path(output)  # type: ignore[arg-type]

            def progress(items, label):  # type: ignore[no-untyped-def]
                return click.progressbar(items, label=label, file=sys.stderr)

            try:
                paths = export_cycle(session, cycle_id, directory, force, progress)
            except UnreadableReviews as exc:
                fail(f"Exported {len(exc.exported)} review(s) of {cycle_id} to {directory}, "
                     f"but {exc}\nRepair or restore those files ('kpireview doctor' lists every "
                     "damaged one), then export them with --person ID (or the whole cycle "
                     "again with --force).")
            except StoreError as exc:
                done = getattr(exc, "exported", [])
                fail(f"{exc}\nThe export stopped there: "
                     + (f"{len(done)} review(s) were exported to {directory} before it"
                        if done else "no review was exported")
                     + ". Repair or restore that file ('kpireview doctor' lists every damaged "
                       "one), then export again with --force.")
            except EXPECTED as exc:
                fail(str(exc))
            click.echo(f"Exported {len(paths)} review(s) of {cycle_id} to {directory}.", err=True)
            return
        review_id = run(lambda: review_id_for(cycle_id, person_id))
        if output in (None, "-"):
            text, revision = run(lambda: exported(session, review_id))
            click.echo(text, nl=False)
            run(lambda: session.record(review_id, "export", note="standard output",
                                       revision=revision))
            return
        target = Path(output)
        if target.is_dir():
            target = target / run(lambda: file_name(cycle_id, person_id))
        path = run(lambda: export_review(session, review_id, target, force))
        click.echo(f"Exported {review_id} to {path}.", err=True)

    @main.command("import", context_settings=CONTEXT)
    @click.argument("files", nargs=-1, required=True,
                    type=click.Path(dir_okay=False, path_type=Path))
    @click.option("--replace", is_flag=True,
                  help="Replace reviews that exist already (their history is kept).")
    @click.option("--check", "check_only", is_flag=True,
                  help="Only validate and show the recomputed scores; write nothing.")
    @pass_ctx
    def import_cmd(c: Ctx, files: tuple[Path, ...], replace: bool, check_only: bool) -> None:
        """Import reviews from TOML files written by 'kpireview export'.

        Every file is validated first (structure, weights summing to 100,
        ratings on the scale, finite numbers) and every score is recomputed;
        the numbers in the file are never trusted. When any file is bad,
        each problem is listed with its file and place and nothing is written.

        Into an existing data directory only an HR admin may import. Into an
        empty one (no config.toml), you become its HR admin and the person,
        manager and cycle records are created from the files.

        With --replace, a file that lacks values its exporter could not see
        (a blind phase) is refused; each value the import changes is recorded
        in the review's history. An import is all or nothing: if a write fails
        part-way, every file written before it is put back.

        \b
        Examples:
          kpireview import --check 2026-h2--alex.toml
          kpireview --data /srv/kpireview import exports/2026-h2/*.toml
          kpireview --data ~/restored import --replace 2026-h2--alex.toml
        """
        from .access import AccessError, os_login
        from .export import (
            ImportFailed,
            ReviewFileError,
            import_reviews,
            read_review_file,
            recomputed,
        )

        store = c.store
        session = None
        if store.exists():
            try:
                session = c.session()
            except EXPECTED as exc:
                if not check_only:
                    fail(str(exc))
        elif c.as_login:
            fail(f"{c.data} is not a data directory yet, so --as does not apply; "
                 "leave it out (you become the HR admin of the new directory)")
        login = session.login if session else os_login()

        def show(result_files) -> None:  # type: ignore[no-untyped-def]
            for f in result_files:
                click.echo(f"{f.source}: {f.review_id} ({f.review.state.label})")
                for line in recomputed(f):
                    click.echo(f"  {line}")

        try:
            if check_only and (session is None or not session.is_hr) and store.exists():
                checked = []
                problems: list[str] = []
                for path in files:
                    try:
                        checked.append(read_review_file(path))
                    except ReviewFileError as exc:
                        problems += exc.problems
                if problems:
                    raise ReviewFileError(problems)
                show(checked)
                click.echo(f"{len(checked)} file(s) are valid (checked without the data "
                           f"directory: only an HR admin can check against {c.data}).")
                return

            def progress(items, label):  # type: ignore[no-untyped-def]
                return click.progressbar(items, label=label, file=sys.stderr)

            result = import_reviews(store, files, login, session=session, replace=replace,
                                    write=not check_only, progress=progress)
        except ReviewFileError as exc:
            for line in exc.problems:
                click.echo(line, err=True)
            fail(f"{len(exc.problems)} problem(s); nothing was imported. Fix the file(s) and "
                 "run again ('kpireview import --check FILE...' checks without writing).")
        except ImportFailed as exc:  # stopped while writing; says what was put back
            fail(str(exc))
        except (AccessError, *EXPECTED) as exc:
            fail(str(exc))
        for warning in result.warnings:
            click.echo(f"warning: {warning}", err=True)
        show(result.files)
        if check_only:
            click.echo(f"{len(result.files)} file(s) are valid; nothing was written (--check).")
            return
        made = []
        if result.new_directory:
            made.append(f"created the data directory {c.data} with HR admin {login}")
        if result.people:
            made.append(f"added {len(result.people)} person(s): "
                        + ", ".join(p.id for p in result.people))
        if result.cycles:
            made.append(f"added cycle(s) {', '.join(cy.id for cy in result.cycles)}")
        for line in made:
            click.echo(line[0].upper() + line[1:] + ".")
        replaced = f", {len(result.replaced)} replaced" if result.replaced else ""
        click.echo(f"Imported {len(result.files)} review(s){replaced}.")

    @main.group("actuals", context_settings=CONTEXT)
    def actuals() -> None:
        """Actual values from other systems (a CRM, a ticketing tool).

        \b
        Examples:
          kpireview actuals import --cycle 2026-h2 --check crm-export.csv
          kpireview actuals import --cycle 2026-h2 crm-export.csv
        """

    @actuals.command("import", context_settings=CONTEXT)
    @click.option("--cycle", "cycle_id", required=True, help="Cycle id, e.g. 2026-h2.")
    @click.argument("csv_file", type=click.Path(dir_okay=False, path_type=Path))
    @click.option("--decimal-comma", is_flag=True,
                  help="Read 12,5 as 12.5 (and 1.234,5 as 1234.5).")
    @click.option("--check", "check_only", is_flag=True,
                  help="Only check every line; apply nothing.")
    @pass_ctx
    def actuals_import(c: Ctx, cycle_id: str, csv_file: Path, decimal_comma: bool,
                       check_only: bool) -> None:
        """Set KPI actuals from a CSV file (HR admin).

        Columns: person,kpi,actual and optionally note (',' or ';' between
        fields; a UTF-8 BOM is fine). Every line is checked first: an unknown
        person or KPI, a value that is not a number, a rated or N/A KPI and a
        signed-off review are reported with their line, and then nothing is
        applied. Each change is recorded in the review's history as
        "imported from FILE".

        \b
        Example:
          kpireview actuals import --cycle 2026-h2 crm-export.csv
          kpireview actuals import --cycle 2026-h2 --decimal-comma umsatz.csv

        \b
        crm-export.csv:
          person,kpi,actual,note
          alex,ad-new-products-adopted,4,CRM closed-won report
        """
        from .actuals import ActualsError, import_actuals

        session = run(c.session)
        if session.is_hr:  # (anyone else is told that only an HR admin may)
            require_cycle(c.store, cycle_id)
        try:
            result = import_actuals(session, cycle_id, csv_file, decimal_comma,
                                    apply=not check_only)
        except ActualsError as exc:
            for line in exc.problems:
                click.echo(line, err=True)
            if exc.applied_to:
                fail(f"{len(exc.problems)} problem(s) found while applying; the actuals for "
                     f"{', '.join(exc.applied_to)} were applied, the rest were not. Fix the "
                     "problem and run again (lines already applied change nothing).")
            fail(f"{len(exc.problems)} problem(s); no actual was applied. Fix the file and "
                 "run again.")
        except EXPECTED as exc:
            fail(str(exc))
        verb = "would change" if check_only else "changed"
        click.echo(f"{csv_file}: {result.rows} line(s) for {len(result.reviews)} review(s) of "
                   f"{cycle_id}: {verb} {result.changed}, {result.unchanged} already up to date.")
