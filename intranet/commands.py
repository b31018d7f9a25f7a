"""Registers every feature's CLI group on the app (explicitly, no import side effects)."""

from __future__ import annotations

from flask import Flask


def register_commands(app: Flask) -> None:
    from notifier.cli import notifier_cli

    from .api.cli import token_cli
    from .auth.cli import user_cli
    from .certificates.cli import certificate_cli
    from .demo.cli import demo_command
    from .losses.cli import loss_cli
    from .notices.cli import notice_cli
    from .policies.cli import policy_cli
    from .programmes.cli import programme_cli
    from .roster.cli import roster_cli

    for command in (
        demo_command,
        user_cli,
        token_cli,
        roster_cli,
        programme_cli,
        policy_cli,
        certificate_cli,
        loss_cli,
        notice_cli,
        notifier_cli,
    ):
        app.cli.add_command(command)
