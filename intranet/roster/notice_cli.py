from __future__ import annotations

import click


@click.command("publish")
def publish_command() -> None:
    """Open the public-notice period (not built yet)."""
    raise click.ClickException("not built yet")


@click.command("confirm")
def confirm_command() -> None:
    """Confirm the roster after the notice period (not built yet)."""
    raise click.ClickException("not built yet")
