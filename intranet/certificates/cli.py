from __future__ import annotations

import click


@click.group("certificate", help="Render policy certificates.")
def certificate_cli() -> None:
    pass
