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
from ..tasks.cli import wait_for_workers
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
@click.option("--wait", is_flag=True, help="wait for the workers to send the invitations, then say how many")
@click.option("--timeout", type=click.IntRange(min=1), default=3600, help="with --wait: give up after N seconds")
@with_appcontext
@service_errors
def confirm_command(year: int, wait: bool, timeout: int) -> None:
    """Confirm the roster under notice once its period has ended and no objection is open; its
    invitations go to the task queue (run it again to queue invitations whose tasks gave up)."""
    programme = programmes.get_programme(year)
    actor, moment = cli_actor(), now()
    try:
        done, queued = invitations.confirm_and_invite(actor, programme, now=moment)
        click.echo(f"confirmed {year} {_kind(done.roster.seq)}: {done.listed} enterprises listed")
    except Refused as exc:
        pending = [r for r in rosters_of(programme) if invitations.unfinished(r)]
        if exc.code != "no_roster_under_notice" or not pending:
            raise
        roster = pending[-1]
        click.echo(f"{year} {_kind(roster.seq)} is confirmed; queueing its unfinished invitations again")
        queued = invitations.queue_invitations(actor, roster.id, now=moment)
    click.echo(f"{queued.listed} enterprises to invite, in {queued.tasks} tasks for `tongbao worker`")
    if not wait:
        return
    wait_for_workers(queued.batch, timeout)
    sent = invitations.batch_summary(queued.batch)
    click.echo(f"{sent.invited} invited ({sent.messages} messages queued)")
