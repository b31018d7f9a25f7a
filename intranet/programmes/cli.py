from __future__ import annotations

import click
from flask.cli import with_appcontext

from ..actors import cli_actor
from ..cli_support import print_json, service_errors
from ..clock import now
from . import service


@click.group("programme", help="Programme parameters and excluded countries.")
def programme_cli() -> None:
    pass


@programme_cli.command("show")
@click.argument("year", type=int)
@click.option("--json", "as_json", is_flag=True, help="machine-readable output")
@with_appcontext
@service_errors
def show(year: int, as_json: bool) -> None:
    data = service.show(service.get_programme(year), now())
    if as_json:
        print_json(data)
        return
    click.echo(f"{data['year']}  {data['name_zh']}")
    click.echo(f"      {data['name_en']}")
    for key, value in data.items():
        if key in {"year", "name_zh", "name_en", "state"}:
            continue
        click.echo(f"  {key:<22} {value}")
    state = data["state"]
    click.echo(f"  {'claim_phase':<22} {state['claim_phase']}")
    for roster in state["rosters"]:
        click.echo(
            f"  roster {roster['seq']} ({roster['kind']}): {roster['status']}"
            f" {roster['notice_start'] or ''}..{roster['notice_end'] or ''}"
        )
    click.echo(f"  {'policies':<22} {state['policies']}")


@programme_cli.command("exclude")
@click.argument("year", type=int)
@click.argument("codes", nargs=-1, required=True)
@with_appcontext
@service_errors
def exclude(year: int, codes: tuple[str, ...]) -> None:
    result = service.exclude_countries(cli_actor(), service.get_programme(year), list(codes))
    click.echo("excluded: " + (" ".join(result) or "(none)"))


@programme_cli.command("include")
@click.argument("year", type=int)
@click.argument("codes", nargs=-1, required=True)
@with_appcontext
@service_errors
def include(year: int, codes: tuple[str, ...]) -> None:
    result = service.include_countries(cli_actor(), service.get_programme(year), list(codes))
    click.echo("excluded: " + (" ".join(result) or "(none)"))
