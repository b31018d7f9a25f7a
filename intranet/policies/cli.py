"""`tongbao policy issue (POLICY_ID | --all-claimed)` as of the business clock (CONTRACT.md)."""

from __future__ import annotations

import json

import click
from flask.cli import with_appcontext

from ..actors import cli_actor
from ..cli_support import service_errors
from ..clock import now
from ..programmes import service as programmes
from ..tasks import service as tasks
from ..tasks.cli import wait_for_workers
from . import bulk, service
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
@click.option("--wait", is_flag=True, help="with --all-claimed: wait for the workers, then print a JSON summary")
@click.option("--timeout", type=click.IntRange(min=1), default=24 * 3600, help="with --wait: give up after N seconds")
@with_appcontext
@service_errors
def issue_command(policy_id: int | None, all_claimed: bool, year: int | None, wait: bool, timeout: int) -> None:
    if (policy_id is None) == (not all_claimed):
        raise click.UsageError("give either POLICY_ID or --all-claimed (not both)")
    if policy_id is not None:
        if year is not None:
            raise click.UsageError("--programme goes with --all-claimed")
        if wait:
            raise click.UsageError("--wait goes with --all-claimed")
        policy = service.issue(cli_actor(), policy_id, now=now())
        click.echo(_line(policy))
        return
    programme = programmes.get_programme(year) if year is not None else None
    submitted = bulk.queue_issue_all(cli_actor(), now=now(), programme=programme)
    if not wait:
        click.echo(
            f"queued {submitted.queued} claimed policies for issuance (batch {submitted.batch}); "
            f"{submitted.already_queued} were queued already. `tongbao worker` issues them."
        )
        return
    wait_for_workers(submitted.batch, timeout)
    results = tasks.batch_results(submitted.batch)
    issued = sum(1 for r in results if r.get("issued"))
    progress = tasks.batch_progress(submitted.batch)
    for result in results:
        if not result.get("issued"):
            click.echo(f"skipped policy {result.get('policy_id')}: {result.get('reason')}", err=True)
    click.echo(json.dumps({"issued": issued, "skipped": progress.total - issued + submitted.already_queued}))
