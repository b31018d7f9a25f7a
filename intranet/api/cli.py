"""`tongbao token create --name N [--scope S …] [--expires DATE]` (prints the bearer token),
`token list`, `token revoke ID`."""

from __future__ import annotations

from datetime import date

import click
from flask.cli import with_appcontext
from sqlalchemy import select

from ..actors import cli_actor
from ..api_auth.models import SCOPES, ApiToken
from ..api_auth.tokens import create_token, revoke_token
from ..cli_support import parse_date, refuse, service_errors
from ..clock import now
from ..extensions import db


@click.group("token", help="API bearer tokens for integrating systems.")
def token_cli() -> None:
    pass


@token_cli.command("create", help="Create a token and print it once on stdout (only its hash is stored).")
@click.option("--name", required=True, help="who uses it, e.g. the single window (单一窗口)")
@click.option(
    "--scope",
    "scopes",
    multiple=True,
    type=click.Choice(SCOPES),
    help="what it may do; repeat for several (default: all)",
)
@click.option("--expires", callback=parse_date, metavar="YYYY-MM-DD", help="last day it works (default: a year)")
@with_appcontext
@service_errors
def create(name: str, scopes: tuple[str, ...], expires: date | None) -> None:
    token, raw = create_token(cli_actor(), name, now=now(), scopes=scopes or None, expires=expires)
    until = token.expires_at.isoformat() if token.expires_at else "never expires"
    click.echo(
        f"token {token.id} ({token.name}) created with scopes {token.scopes}, valid until {until}; "
        "it is shown only once",
        err=True,
    )
    click.echo(raw)


@token_cli.command("revoke", help="Revoke a token by its id; it stops working at once.")
@click.argument("token_id", type=int)
@with_appcontext
@service_errors
def revoke(token_id: int) -> None:
    token = revoke_token(cli_actor(), token_id, now=now())
    if token is None:
        refuse(f"error: no API token with id {token_id}")
        return
    click.echo(f"token {token.id} ({token.name}) revoked")


@token_cli.command("list", help="Tokens with their last use and whether they are revoked.")
@with_appcontext
def list_tokens() -> None:
    for token in db.session.scalars(select(ApiToken).order_by(ApiToken.id)):
        state = f"revoked {token.revoked_at.isoformat()}" if token.revoked_at else "active"
        if token.revoked_at is None and token.expired(now()):
            state = "expired"
        used = token.last_used_at.isoformat() if token.last_used_at else "never used"
        until = f"until {token.expires_at.isoformat()}" if token.expires_at else "no expiry"
        click.echo(f"{token.id}\t{token.name}\t{state}\t{used}\t{until}\t{token.scopes}")
