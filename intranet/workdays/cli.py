"""`tongbao calendar`: the working calendar from the command line (import a year's holidays)."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import with_appcontext

from ..actors import cli_actor
from ..cli_support import print_json, service_errors
from ..clock import now, shanghai_date
from . import service

MAX_FILE_BYTES = 64 * 1024


@click.group("calendar", help="The working calendar: public holidays and make-up working days.")
def calendar_cli() -> None:
    pass


@calendar_cli.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@with_appcontext
@service_errors
def import_file(path: Path) -> None:
    """Import lines of `date,休|班,name_zh[,name_en]` (UTF-8 CSV): every day, or none."""
    if path.stat().st_size > MAX_FILE_BYTES:
        raise click.BadParameter(f"{path} is over {MAX_FILE_BYTES // 1024} KB", param_hint="PATH")
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise click.BadParameter(f"{path} is not UTF-8 text", param_hint="PATH") from exc
    count = service.import_days(cli_actor(), service.parse_lines(text), now=now())
    click.echo(f"imported {count} days")


@calendar_cli.command("list")
@click.option("--year", type=int, default=None, help="default: this year (Shanghai)")
@click.option("--json", "as_json", is_flag=True, help="machine-readable output")
@with_appcontext
def list_days(year: int | None, as_json: bool) -> None:
    """The year's holidays and make-up working days."""
    days = service.days_of(year or shanghai_date(now()).year)
    rows = [{"day": d.day.isoformat(), "working": d.working, "name_zh": d.name_zh, "name_en": d.name_en} for d in days]
    if as_json:
        print_json(rows)
        return
    for row in rows:
        kind = "workday" if row["working"] else "holiday"
        click.echo(f"{row['day']}  {kind:<8} {row['name_zh']}  {row['name_en']}")
