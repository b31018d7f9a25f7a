"""`tongbao roster import|publish|confirm`."""

from __future__ import annotations

import click

from .import_cli import import_command
from .notice_cli import confirm_command, publish_command


@click.group("roster", help="Import, publish and confirm rosters.")
def roster_cli() -> None:
    pass


roster_cli.add_command(import_command)
roster_cli.add_command(publish_command)
roster_cli.add_command(confirm_command)
