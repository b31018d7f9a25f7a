from __future__ import annotations

import click
from flask.cli import with_appcontext

from ..actors import cli_actor
from ..cli_support import print_json, service_errors
from ..clock import now
from . import workflow


@click.group("loss", help="Decide loss reports.")
def loss_cli() -> None:
    pass


@loss_cli.command("decide")
@click.argument("report_id", type=int)
@click.option("--pay", is_flag=True, help="pay the indemnity computed now")
@click.option("--decline", is_flag=True, help="decline (needs --reason)")
@click.option("--reason", default=None, help="the reason, told to the enterprise")
@click.option("--json", "as_json", is_flag=True, help="machine-readable output")
@with_appcontext
@service_errors
def decide(report_id: int, pay: bool, decline: bool, reason: str | None, as_json: bool) -> None:
    """Insurer decision on a loss report, as of the business clock."""
    if pay == decline:
        raise click.UsageError("choose exactly one of --pay or --decline")
    if decline and not (reason or "").strip():
        raise click.UsageError("--decline needs --reason TEXT")
    row = workflow.decide(cli_actor(), report_id, pay=pay, reason=reason, now=now())
    if as_json:
        print_json(
            {
                "report_id": row.id,
                "status": row.status,
                "indemnity_paid_usd": str(row.paid_usd) if row.paid_usd is not None else None,
                "reason": row.decision_reason,
            }
        )
        return
    if row.status == "paid":
        click.echo(f"loss report {row.id}: paid USD {row.paid_usd:,.2f}")
    else:
        click.echo(f"loss report {row.id}: declined ({row.decision_reason})")
