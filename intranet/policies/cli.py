from __future__ import annotations

import click


@click.group("policy", help="Issue claimed policies.")
def policy_cli() -> None:
    pass
