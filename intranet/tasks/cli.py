"""`tongbao worker [--workers N]` (CONTRACT.md)."""

from __future__ import annotations

import logging
import sys

import click
from flask import current_app
from flask.cli import with_appcontext

from ..cli_support import refuse


@click.command("worker", help="Run background-task consumers (imports, invitations, bulk issuance, exports).")
@click.option("--workers", type=click.IntRange(min=1, max=64), default=1, show_default=True, help="worker processes")
@with_appcontext
def worker_command(workers: int) -> None:
    from .worker import run

    logging.basicConfig(level=logging.INFO, format="%(asctime)s worker[%(process)d] %(message)s", stream=sys.stderr)
    for noisy in ("huey", "weasyprint", "fontTools"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    run(app, workers)


def wait_for_workers(batch: str, timeout: int) -> None:
    """`--wait`: block until the batch's tasks have finished; exit 1 if they take longer than `timeout`."""
    from .service import wait_for_batch

    try:
        wait_for_batch(batch, timeout=timeout)
    except TimeoutError as exc:
        refuse(f"error: {exc} (is a `tongbao worker` running?)")
