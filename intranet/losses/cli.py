from __future__ import annotations

import click
from flask.cli import with_appcontext

from ..actors import cli_actor
from ..cli_support import print_json, service_errors
from ..clock import now
from . import inputs, workflow


@click.group("loss", help="Decide loss reports.")
def loss_cli() -> None:
    pass


@loss_cli.command("decide")
@click.argument("report_id", type=int)
@click.option("--pay", is_flag=True, help="pay the indemnity computed now")
@click.option(
    "--assessed",
    default=None,
    metavar="USD",
    help="the assessed loss (核定损失金额) to pay 80 %% of: at most the covered loss less payments received",
)
@click.option("--decline", is_flag=True, help="decline (needs --reason)")
@click.option("--reason", default=None, help="the reason, told to the enterprise")
@click.option("--json", "as_json", is_flag=True, help="machine-readable output")
@with_appcontext
@service_errors
def decide(report_id: int, pay: bool, assessed: str | None, decline: bool, reason: str | None, as_json: bool) -> None:
    """Insurer decision on a loss report, as of the business clock."""
    if pay == decline:
        raise click.UsageError("choose exactly one of --pay or --decline")
    if decline and not (reason or "").strip():
        raise click.UsageError("--decline needs --reason TEXT")
    if assessed is not None and not pay:
        raise click.UsageError("--assessed goes with --pay")
    amount = inputs.parse_amount(assessed, "--assessed") if assessed is not None else None
    row = workflow.decide(cli_actor(), report_id, pay=pay, reason=reason, now=now(), assessed=amount)
    if as_json:
        print_json(
            {
                "report_id": row.id,
                "status": row.status,
                "assessed_loss_usd": str(row.assessed_usd) if row.assessed_usd is not None else None,
                "indemnity_paid_usd": str(row.paid_usd) if row.paid_usd is not None else None,
                "reason": row.decision_reason,
            }
        )
        return
    if row.status == "paid":
        click.echo(f"loss report {row.id}: paid USD {row.paid_usd:,.2f} (assessed loss USD {row.assessed_usd:,.2f})")
    else:
        click.echo(f"loss report {row.id}: declined ({row.decision_reason})")
