from __future__ import annotations

import click


@click.group("notifier", help="The scheduler: reminders, notices and outbox delivery.")
def notifier_cli() -> None:
    pass
