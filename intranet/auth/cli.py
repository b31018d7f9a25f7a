from __future__ import annotations

import click
from flask.cli import with_appcontext

from ..actors import cli_actor
from ..cli_support import refuse, service_errors
from ..clock import now
from ..enterprises import service as enterprises
from ..uscc import normalize_uscc
from . import service


@click.group("user", help="Manage logins.")
def user_cli() -> None:
    pass


@user_cli.command("create")
@click.option("--role", type=click.Choice(["bureau", "insurer", "enterprise"]), required=True)
@click.option("--email", required=True)
@click.option("--uscc", default=None, help="the enterprise's USCC (role enterprise)")
@click.option("--password", default=None, help="set now; otherwise an activation link is printed")
@with_appcontext
@service_errors
def create(role: str, email: str, uscc: str | None, password: str | None) -> None:
    enterprise_id = None
    if role == "enterprise":
        if not uscc:
            refuse("error: --uscc is required for an enterprise login")
        enterprise = enterprises.find_by_uscc(normalize_uscc(uscc))
        if enterprise is None:
            refuse(f"error: no enterprise with USCC {uscc} (import it on a roster first)")
            return
        enterprise_id = enterprise.id
    user = service.create_user(
        cli_actor(), role=role, email=email, password=password, now=now(), enterprise_id=enterprise_id
    )
    click.echo(f"created {role} login {user.email} (id {user.id})")
    if password is None:
        link = enterprises.activation_link_for(user, now=now())
        click.echo(f"activation link: {link}")


@user_cli.command("deactivate")
@click.option("--email", default=None, help="one login")
@click.option("--uscc", default=None, help="every login of this enterprise")
@with_appcontext
@service_errors
def deactivate(email: str | None, uscc: str | None) -> None:
    """Refuse a login (or every login of an enterprise) from now on and end its open sessions."""
    if bool(email) == bool(uscc):
        raise click.UsageError("give exactly one of --email or --uscc")
    if email:
        user = service.find_user(email)
        if user is None:
            refuse(f"error: no login with email {email}")
            return
        service.deactivate_user(cli_actor(), user, now=now())
        click.echo(f"deactivated {user.email}; its sessions have ended")
        return
    enterprise = enterprises.find_by_uscc(normalize_uscc(uscc))
    if enterprise is None:
        refuse(f"error: no enterprise with USCC {uscc}")
        return
    users = service.deactivate_enterprise_logins(cli_actor(), enterprise.id, now=now())
    click.echo(f"deactivated {len(users)} login(s) of {enterprise.uscc}; their sessions have ended")
