"""`tongbao policy issue (POLICY_ID | --all-claimed)` as of the business clock (CONTRACT.md)."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from ..actors import cli_actor
from ..cli_support import refuse, service_errors
from ..clock import now
from ..programmes import service as programmes
from . import service
from .models import Policy


@click.group("policy", help="Issue claimed policies.")
def policy_cli() -> None:
    pass


def _line(policy: Policy) -> str:
    return (
        f"issued {policy.policy_no} (policy {policy.id}, {policy.enterprise.uscc}): "
        f"cover {policy.cover_start.isoformat() if policy.cover_start else '?'} to "
        f"{policy.cover_end.isoformat() if policy.cover_end else '?'}, issue date {policy.issue_date}"
    )


@policy_cli.command("issue", help="Issue one claimed policy, or every claimed policy, as of the business clock.")
@click.argument("policy_id", type=int, required=False)
@click.option("--all-claimed", is_flag=True, help="issue every claimed policy, oldest claim first")
@click.option("--programme", "year", type=int, default=None, help="with --all-claimed: only this programme year")
@with_appcontext
@service_errors
def issue_command(policy_id: int | None, all_claimed: bool, year: int | None) -> None:
    if (policy_id is None) == (not all_claimed):
        raise click.UsageError("give either POLICY_ID or --all-claimed (not both)")
    if policy_id is not None:
        if year is not None:
            raise click.UsageError("--programme goes with --all-claimed")
        policy = service.issue(cli_actor(), policy_id, now=now())
        click.echo(_line(policy))
        return
    programme = programmes.get_programme(year) if year is not None else None
    batch = service.issue_claimed(cli_actor(), now=now(), programme=programme)
    for policy in batch.issued:
        click.echo(_line(policy))
    for policy, reason in batch.skipped:
        click.echo(f"skipped policy {policy.id} ({policy.enterprise.uscc}): {reason}", err=True)
    click.echo(f"{len(batch.issued)} issued, {len(batch.skipped)} skipped")
    if batch.skipped and not batch.issued:
        refuse("error: no claimed policy could be issued")
