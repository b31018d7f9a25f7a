from __future__ import annotations

import click


@click.group("notice", help="Publish monthly risk notices.")
def notice_cli() -> None:
    pass
