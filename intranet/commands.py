"""Registers every feature's CLI group on the app (explicitly, no import side effects)."""

from __future__ import annotations

import click
from flask import Flask, current_app, g
from flask.cli import with_appcontext


class LazyDbGroup(click.Group):
    """Flask-Migrate's subcommands, imported only when `tongbao db …` is used."""

    def _real(self) -> click.Group:
        from flask_migrate.cli import db

        return db

    def list_commands(self, ctx: click.Context) -> list[str]:
        return self._real().list_commands(ctx)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        return self._real().get_command(ctx, cmd_name)


@click.group("db", cls=LazyDbGroup, help="Create or migrate the database (Alembic).")
@click.option("-d", "--directory", default=None, help="Migration script directory (default: the repo's migrations/)")
@click.option("-x", "--x-arg", multiple=True, help="Additional arguments consumed by custom env.py scripts")
@with_appcontext
def db_group(directory: str | None, x_arg: tuple[str, ...]) -> None:
    from .extensions import ensure_migrate

    ensure_migrate(current_app)
    g.directory = directory
    g.x_arg = x_arg


def register_commands(app: Flask) -> None:
    app.cli.add_command(db_group)

    from .api.cli import token_cli
    from .auth.cli import user_cli
    from .certificates.cli import certificate_cli
    from .demo.cli import demo_command
    from .losses.cli import loss_cli
    from .notices.cli import notice_cli
    from .policies.cli import policy_cli
    from .programmes.cli import programme_cli
    from .roster.cli import roster_cli
    from .tasks.cli import worker_command
    from .workdays.cli import calendar_cli

    for command in (
        demo_command,
        user_cli,
        token_cli,
        roster_cli,
        programme_cli,
        policy_cli,
        certificate_cli,
        loss_cli,
        notice_cli,
        calendar_cli,
        worker_command,
    ):
        app.cli.add_command(command)
