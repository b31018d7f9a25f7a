from __future__ import annotations

import click
from flask.cli import with_appcontext


@click.command("demo", help="Load demo data (programmes, rosters, users, policies) into an empty database.")
@click.option("--if-empty", is_flag=True, help="do nothing (but print the logins) when data exists")
@with_appcontext
def demo_command(if_empty: bool) -> None:
    from ..cli_support import refuse
    from .service import is_empty, load_demo

    if not if_empty and not is_empty():
        refuse("error: the database is not empty; `tongbao demo` loads only into an empty database")
    load_demo(if_empty=if_empty)
