"""CLI conventions: exit 0 on success, 1 on refused input (message on stderr), 2 on usage errors.

The command line speaks English (operators; Click's own usage messages are English too): a
service's lazy message is shown with `cli_text`, never joined with its Chinese original."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date
from functools import wraps
from typing import Any, TypeVar

import click
from flask_babel import force_locale

from .errors import ServiceError

F = TypeVar("F", bound=Callable[..., Any])
CLI_LANGUAGE = "en"


def cli_text(message: Any) -> str:
    """A (lazy) message in the command line's language."""
    with force_locale(CLI_LANGUAGE):
        return str(message)


def refuse(message: str) -> None:
    click.echo(message, err=True)
    raise click.exceptions.Exit(1)


def service_errors(func: F) -> F:
    """Turn a refused service call into exit status 1 with its message on stderr."""

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except ServiceError as exc:
            refuse(f"error: {cli_text(exc.message)}")

    return wrapper  # type: ignore[return-value]


def parse_date(_ctx: Any, _param: Any, value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise click.BadParameter(f"expected YYYY-MM-DD, got {value!r}") from exc


def print_json(data: Any) -> None:
    with force_locale(CLI_LANGUAGE):  # lazy messages inside `data` are rendered by default=str
        click.echo(json.dumps(data, ensure_ascii=False, indent=2, default=str))
