from __future__ import annotations

from datetime import datetime
from typing import Any

import click
from flask.cli import with_appcontext
from sqlalchemy import func, select

from ..actors import cli_actor
from ..cli_support import print_json, service_errors
from ..clock import now
from ..countries import get_country
from ..extensions import db
from ..policies.models import Policy
from ..roster.models import Roster
from . import publication, service
from .models import Programme


def _names(codes: list[str]) -> str:
    """IR 伊朗伊斯兰共和国 (Iran), KP …: codes with their Chinese and English names."""
    parts = []
    for code in codes:
        country = get_country(code)
        parts.append(f"{code} {country.name_zh} ({country.name_en})" if country else code)
    return ", ".join(parts) or "(none)"


def programme_summary(programme: Programme, now: datetime) -> dict[str, Any]:
    """What `tongbao programme show` prints: parameters, excluded countries and state."""
    rosters = list(db.session.scalars(select(Roster).where(Roster.programme_id == programme.id).order_by(Roster.seq)))
    policies = dict(
        db.session.execute(
            select(Policy.status, func.count(Policy.id))
            .where(Policy.programme_id == programme.id)
            .group_by(Policy.status)
        ).all()
    )
    data: dict[str, Any] = {
        "year": programme.year,
        "name_zh": programme.name_zh,
        "name_en": programme.name_en,
    }
    for field, value in service.parameters(programme).items():
        data[field] = value.isoformat() if hasattr(value, "isoformat") else value
    data["threshold_usd"] = str(programme.threshold_usd)
    data["per_buyer_limit_usd"] = str(programme.per_buyer_limit_usd)
    data["indemnity_ratio"] = str(programme.indemnity_ratio.normalize())
    data["excluded_countries"] = programme.excluded_codes
    data["state"] = {
        "published": programme.is_published,
        "published_at": programme.published_at.isoformat() if programme.published_at else None,
        "claim_phase": service.claim_phase(programme, now),
        "rosters": [
            {
                "seq": r.seq,
                "kind": "supplementary" if r.is_supplementary else "main",
                "status": r.status,
                "notice_start": r.notice_start.isoformat() if r.notice_start else None,
                "notice_end": r.notice_end.isoformat() if r.notice_end else None,
            }
            for r in rosters
        ],
        "policies": {str(k): int(v) for k, v in policies.items()},
    }
    return data


@click.group("programme", help="Programme parameters and excluded countries.")
def programme_cli() -> None:
    pass


@programme_cli.command("show")
@click.argument("year", type=int)
@click.option("--json", "as_json", is_flag=True, help="machine-readable output")
@with_appcontext
@service_errors
def show(year: int, as_json: bool) -> None:
    data = programme_summary(service.get_programme(year), now())
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
    click.echo(f"  {'published':<22} {state['published_at'] or 'no (draft)'}")
    click.echo(f"  {'claim_phase':<22} {state['claim_phase']}")
    for roster in state["rosters"]:
        click.echo(
            f"  roster {roster['seq']} ({roster['kind']}): {roster['status']}"
            f" {roster['notice_start'] or ''}..{roster['notice_end'] or ''}"
        )
    click.echo(f"  {'policies':<22} {state['policies']}")


@programme_cli.command("copy")
@click.argument("year", type=int)
@click.option("--to", "to_year", type=int, default=None, help="the new programme's year (default: YEAR + 1)")
@with_appcontext
@service_errors
def copy(year: int, to_year: int | None) -> None:
    """Copy a programme to another year (dates moved by whole years); the copy is a draft."""
    source = service.get_programme(year)
    created = service.copy_programme(cli_actor(), source, to_year or year + 1, now=now())
    click.echo(f"copied {source.year} to {created.year} (draft: not shown to the public until published)")


@programme_cli.command("publish")
@click.argument("year", type=int)
@with_appcontext
@service_errors
def publish(year: int) -> None:
    """Publish a draft programme: the public pages show it from its year on."""
    programme = publication.publish(cli_actor(), service.get_programme(year), now=now())
    click.echo(f"published {programme.year}")


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
