from __future__ import annotations

import click


@click.command("import")
def import_command() -> None:
    """Import a roster from .xlsx or .csv (not built yet)."""
    raise click.ClickException("not built yet")
