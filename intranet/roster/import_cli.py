"""`tongbao roster import FILE --programme YEAR [--accept-good-rows] [--json]` (CONTRACT.md)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click
from flask.cli import with_appcontext

from ..actors import cli_actor
from ..cli_support import cli_text, print_json
from ..clock import now
from ..errors import ServiceError
from ..programmes.service import get_programme
from .importing.reader import FileRefused
from .importing.service import ImportRefused, import_file

BIG_FILE = 256 * 1024  # bytes: show progress above this size


class StderrProgress:
    """Progress on stderr: a live percentage on a terminal, a line every 10 % otherwise."""

    def __init__(self) -> None:
        self.shown = -1
        self.tty = sys.stderr.isatty()

    def __call__(self, fraction: float) -> None:
        percent = int(fraction * 100)
        step = percent if self.tty else percent - percent % 10
        if step <= self.shown:
            return
        self.shown = step
        end = "" if self.tty else "\n"
        click.echo(f"\rprogress: {step:3d}%", err=True, nl=False)
        if end:
            click.echo("", err=True)

    def close(self) -> None:
        if self.tty and self.shown >= 0:
            click.echo("", err=True)


@click.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--programme", "year", type=int, required=True, help="the programme year, e.g. 2024")
@click.option("--accept-good-rows", is_flag=True, help="import the good rows even when other rows have errors")
@click.option("--json", "as_json", is_flag=True, help="print {imported, ineligible, errors} as JSON")
@with_appcontext
def import_command(file: Path, year: int, accept_good_rows: bool, as_json: bool) -> None:
    """Import a roster from .xlsx or .csv into the programme's draft roster.

    All or nothing unless --accept-good-rows. Exit status 1 when the file is refused (then
    nothing was imported)."""
    _import(file, year, accept_good_rows, as_json)


def _import(file: Path, year: int, accept_good_rows: bool, as_json: bool) -> None:
    progress = StderrProgress() if file.stat().st_size > BIG_FILE else None
    try:
        programme = get_programme(year)
        outcome = import_file(
            cli_actor(), file, programme, now=now(), accept_good_rows=accept_good_rows, progress=progress
        )
    except (FileRefused, ImportRefused) as exc:
        if progress:
            progress.close()
        errors: list[dict[str, Any]]
        if isinstance(exc, FileRefused):
            errors = [{"row": exc.row, "column": cli_text(exc.column or "") or None, "reason": cli_text(exc.message)}]
        else:
            errors = [_english(e.public()) for e in exc.errors]
        if as_json:
            print_json({"imported": 0, "ineligible": 0, "errors": errors})
        else:
            _print_errors(errors)
        click.echo(f"refused: {cli_text(exc.message)}", err=True)
        raise click.exceptions.Exit(1) from exc
    except ServiceError as exc:
        click.echo(f"error: {cli_text(exc.message)}", err=True)
        raise click.exceptions.Exit(1) from exc
    if progress:
        progress.close()
    if as_json:
        print_json(outcome.public())  # its reasons are rendered in the CLI's language
        return
    click.echo(
        f"imported {outcome.imported} eligible entries into roster #{outcome.roster_id}"
        f" ({outcome.created} new enterprises, {outcome.updated} updated);"
        f" {outcome.ineligible} above the threshold kept off the roster"
    )
    if outcome.errors:
        click.echo(f"skipped {len({e.row for e in outcome.errors})} rows with errors:")
        _print_errors([_english(e.public()) for e in outcome.errors])


def _english(error: dict[str, Any]) -> dict[str, Any]:
    column = cli_text(error["column"]) if error["column"] else error["column"]
    return {**error, "column": column, "reason": cli_text(error["reason"])}


def _print_errors(errors: list[dict[str, Any]]) -> None:
    for error in errors:
        where = f"row {error['row']}" if error["row"] is not None else "file"
        column = f", {error['column']}" if error["column"] else ""
        click.echo(f"  {where}{column}: {error['reason']}")
