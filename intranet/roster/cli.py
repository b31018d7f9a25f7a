from __future__ import annotations

import click


@click.group("roster", help="Import, publish and confirm rosters.")
def roster_cli() -> None:
    pass
