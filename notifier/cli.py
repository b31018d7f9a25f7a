"""`tongbao notifier run` and `tongbao notifier tick [--at DATETIME]` (CONTRACT.md)."""

from __future__ import annotations

import json
import logging
import sys
from datetime import datetime

import click
from flask import current_app
from flask.cli import with_appcontext

from intranet.clock import SHANGHAI


class DateTimeParam(click.ParamType):
    name = "DATETIME"

    def convert(self, value: object, param: click.Parameter | None, ctx: click.Context | None) -> datetime:
        if isinstance(value, datetime):
            return value
        try:
            moment = datetime.fromisoformat(str(value))
        except ValueError:
            self.fail(f"{value!r} is not an ISO 8601 date-time, e.g. 2024-06-30T09:30:00+08:00", param, ctx)
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=SHANGHAI)  # a wall-clock time means Shanghai time
        return moment


@click.group("notifier", help="The scheduler: reminders, notices and outbox delivery.")
def notifier_cli() -> None:
    pass


def _rates(email_per_minute: int | None, sms_per_minute: int | None) -> None:
    if email_per_minute:
        current_app.config["NOTIFIER_RATE_EMAIL"] = email_per_minute
    if sms_per_minute:
        current_app.config["NOTIFIER_RATE_SMS"] = sms_per_minute


rate_options = [
    click.option("--email-per-minute", type=click.IntRange(min=1), help="cap on emails sent per minute"),
    click.option("--sms-per-minute", type=click.IntRange(min=1), help="cap on SMS sent per minute"),
]


def _with_rates(func):  # type: ignore[no-untyped-def]
    for option in reversed(rate_options):
        func = option(func)
    return func


@notifier_cli.command("run", help="The long-running scheduler (one per deployment; a second one waits as standby).")
@_with_rates
@with_appcontext
def run_command(email_per_minute: int | None, sms_per_minute: int | None) -> None:
    from .runner import run

    logging.basicConfig(level=logging.INFO, format="%(asctime)s notifier[%(process)d] %(message)s", stream=sys.stderr)
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    _rates(email_per_minute, sms_per_minute)
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    sys.exit(run(app))


@notifier_cli.command("tick", help="Run every job due at that instant once, deliver the outbox, print a JSON summary.")
@click.option("--at", "at", type=DateTimeParam(), help="the instant (ISO 8601; without an offset: Shanghai time)")
@_with_rates
@with_appcontext
def tick_command(at: datetime | None, email_per_minute: int | None, sms_per_minute: int | None) -> None:
    from .runner import tick

    _rates(email_per_minute, sms_per_minute)
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    summary = tick(app, at)
    click.echo(json.dumps(summary, ensure_ascii=False))


@notifier_cli.command("status", help="JSON: the active notifier's host, its heartbeat's age and the queue depths.")
@with_appcontext
def status_command() -> None:
    from intranet import heartbeat
    from intranet.tasks import service as tasks

    click.echo(json.dumps(heartbeat.status(tasks_waiting=tasks.waiting()), ensure_ascii=False))
