from __future__ import annotations

from pathlib import Path

import click
from flask.cli import with_appcontext
from flask_babel import force_locale

from ..actors import cli_actor
from ..cli_support import refuse, service_errors
from ..clock import now
from ..errors import Invalid
from . import service


@click.group("notice", help="Publish monthly risk notices.")
def notice_cli() -> None:
    pass


@notice_cli.command("publish")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--month", required=True, help="the notice's month, YYYY-MM")
@click.option("--countries", default="", help="ISO 3166 alpha-2 codes, comma-separated (e.g. RU,UA)")
@click.option(
    "--category",
    type=click.Choice(service.CATEGORIES),
    default="country_risk",
    show_default=True,
    help="country_risk | market_info | risk_alert",
)
@with_appcontext
@service_errors
def publish(file: Path, month: str, countries: str, category: str) -> None:
    """Publish FILE (Markdown; its first line is the title) as the notice of --month."""
    try:
        text = file.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        refuse(f"error: {file}: not UTF-8 text")
        return
    codes = [c for c in countries.split(",") if c.strip()]
    try:
        notice = service.publish_text(cli_actor(), text, month=month, countries=codes, category=category, now=now())
    except Invalid as exc:
        with force_locale("en"):  # the command line speaks English
            message = str(exc.message)
        refuse(f"error: {file}: {message}" if exc.field == "file" else f"error: {message}")
        return
    suffix = f" [{','.join(notice.countries)}]" if notice.countries else ""
    click.echo(f"published notice {notice.id}: {notice.month} {notice.title}{suffix}")
