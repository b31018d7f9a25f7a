from __future__ import annotations

import click


@click.group("token", help="API bearer tokens for integrating systems.")
def token_cli() -> None:
    pass
