from __future__ import annotations

import click
from flask.cli import with_appcontext

from ..actors import cli_actor
from ..cli_support import print_json, service_errors
from ..clock import now
from ..countries import get_country
from . import service


def _names(codes: list[str]) -> str:
    """IR 伊朗伊斯兰共和国 (Iran), KP …: codes with their Chinese and English names."""
    parts = []
    for code in codes:
        country = get_country(code)
        parts.append(f"{code} {country.name_zh} ({country.name_en})" if country else code)
    return ", ".join(parts) or "(none)"


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
        if key in {"year", "name_zh", "name_en", "state", "excluded_countries"}:
            continue
        click.echo(f"  {key:<22} {value}")
    click.echo(f"  {'excluded_countries':<22} {_names(data['excluded_countries'])}")
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
    click.echo("excluded: " + _names(result))


@programme_cli.command("include")
@click.argument("year", type=int)
@click.argument("codes", nargs=-1, required=True)
@with_appcontext
@service_errors
def include(year: int, codes: tuple[str, ...]) -> None:
    result = service.include_countries(cli_actor(), service.get_programme(year), list(codes))
    click.echo("excluded: " + _names(result))
