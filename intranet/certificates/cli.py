"""`tongbao certificate render POLICY_ID -o FILE` (CONTRACT.md): write the policy's stored certificate."""

from __future__ import annotations

import os
from pathlib import Path

import click
from flask.cli import with_appcontext

from ..actors import cli_actor
from ..cli_support import refuse, service_errors
from ..clock import now
from . import service


@click.group("certificate", help="Render policy certificates.")
def certificate_cli() -> None:
    pass


@certificate_cli.command("render", help="Write the policy's PDF certificate (rendered and stored on first use).")
@click.argument("policy_id", type=int)
@click.option(
    "-o",
    "--output",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="the PDF file to write",
)
@with_appcontext
@service_errors
def render_command(policy_id: int, output: Path) -> None:
    stored = service.stored_certificate(cli_actor(), policy_id, now=now())
    target = output.expanduser()
    if not target.parent.is_dir():
        refuse(f"error: directory {target.parent} does not exist")
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        tmp.write_bytes(stored.pdf)
        os.replace(tmp, target)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        refuse(f"error: cannot write {target}: {exc.strerror or exc}")
    click.echo(
        f"wrote {target} ({stored.size} bytes): policy {stored.policy_no}, certificate v{stored.version}, "
        f"sha256 {stored.sha256}"
    )
