"""`tongbao roster publish` and `tongbao roster confirm` (CONTRACT.md): exit 0 done, 1 refused
(the reason on stderr, naming the programme and roster), 2 usage errors."""

from __future__ import annotations

from datetime import date

import click
from flask.cli import with_appcontext

from ..actors import cli_actor
from ..cli_support import parse_date, service_errors
from ..clock import now
from ..errors import Refused
from ..programmes import service as programmes
from . import invitations, notice_service
from .service import rosters_of


def _kind(seq: int) -> str:
    return f"supplementary roster {seq - 1}" if seq > 1 else "main roster"


@click.command("publish")
@click.option("--programme", "year", type=int, required=True, help="the programme year, e.g. 2024")
@click.option("--start", type=str, required=True, callback=parse_date, help="first day of the notice, YYYY-MM-DD")
@click.option(
    "--end",
    type=str,
    default=None,
    callback=parse_date,
    help="last day (inclusive); default: the programme's notice days",
)
@with_appcontext
@service_errors
def publish_command(year: int, start: date, end: date | None) -> None:
    """Open the public-notice period of the programme's draft roster (Shanghai dates, inclusive)."""
    programme = programmes.get_programme(year)
    roster = notice_service.publish(cli_actor(), programme, start=start, end=end, now=now())
    click.echo(
        f"published {year} {_kind(roster.seq)}: notice {roster.notice_start} to {roster.notice_end} "
        "(inclusive, Asia/Shanghai)"
    )


@click.command("confirm")
@click.option("--programme", "year", type=int, required=True, help="the programme year, e.g. 2024")
@with_appcontext
@service_errors
def confirm_command(year: int) -> None:
    """Confirm the roster under notice once its period has ended and no objection is open, then
    invite its enterprises (run it again to finish invitations that were interrupted)."""
    programme = programmes.get_programme(year)
    actor, moment = cli_actor(), now()
    try:
        done = notice_service.confirm(actor, programme, now=moment)
        roster, listed = done.roster, done.listed
        click.echo(f"confirmed {year} {_kind(roster.seq)}: {listed} enterprises listed")
    except Refused as exc:
        pending = [r for r in rosters_of(programme) if invitations.unfinished(r)]
        if exc.code != "no_roster_under_notice" or not pending:
            raise
        roster = pending[-1]
        listed = len(invitations.members(roster))
        click.echo(f"{year} {_kind(roster.seq)} is confirmed; finishing its invitations")

    def progress(n: int, total: int) -> None:
        click.echo(f"  invitations {n}/{total}", err=True)

    sent = invitations.invite_members(actor, roster.id, now=moment, progress=progress if listed > 1000 else None)
    click.echo(f"{sent.invited} invited ({sent.messages} messages queued)")
