"""The `tongbao` console script: the app's Flask CLI group (CONTRACT.md, Command line).

`tongbao roster import FILE …` starts reading FILE in a background thread first (see
intranet.roster.importing.readahead), so the file is parsed while Flask and the app load; this
module therefore imports Flask only inside `main`, after that thread has started."""

from __future__ import annotations

import sys


def _create():  # type: ignore[no-untyped-def]
    from . import create_app

    return create_app()


def main() -> None:
    from .roster.importing import readahead

    # only for `roster import FILE …` of an existing regular file; the import takes what was read
    # only if it is the same, unchanged file (otherwise it reads the file itself)
    readahead.start(sys.argv[1:])

    from flask.cli import FlaskGroup

    from notifier.cli import notifier_cli

    class TongbaoGroup(FlaskGroup):
        """The app's own commands only: no `flask.commands` entry points are scanned, so a command
        does not pay for importing every installed plugin (Flask-Migrate's `db` is added lazily
        by intranet.commands)."""

        def _load_plugin_commands(self) -> None:
            self._loaded_plugin_commands = True

    group = TongbaoGroup(
        name="tongbao",
        create_app=_create,
        help="Tongbao (统保) command line: database, demo data, rosters, policies, notifier.",
        load_dotenv=False,
    )
    group.add_command(notifier_cli)  # the scheduler process is not part of the web app's CLI
    group.main(args=sys.argv[1:], prog_name="tongbao")
