"""The `tongbao` console script: the app's Flask CLI group (CONTRACT.md, Command line)."""

from __future__ import annotations

import sys

from flask.cli import FlaskGroup


def _create():  # type: ignore[no-untyped-def]
    from . import create_app

    return create_app()


class TongbaoGroup(FlaskGroup):
    """The app's own commands only: no `flask.commands` entry points are scanned, so a command
    does not pay for importing every installed plugin (Flask-Migrate's `db` is added lazily
    by intranet.commands)."""

    def _load_plugin_commands(self) -> None:
        self._loaded_plugin_commands = True


def main() -> None:
    from notifier.cli import notifier_cli

    group = TongbaoGroup(
        name="tongbao",
        create_app=_create,
        help="Tongbao (统保) command line: database, demo data, rosters, policies, notifier.",
        load_dotenv=False,
    )
    group.add_command(notifier_cli)  # the scheduler process is not part of the web app's CLI
    group.main(args=sys.argv[1:], prog_name="tongbao")
