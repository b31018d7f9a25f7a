from __future__ import annotations

import click


@click.group("loss", help="Decide loss reports.")
def loss_cli() -> None:
    pass
