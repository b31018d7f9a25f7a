"""CLI conventions: exit 0 on success, 1 on refused input (message on stderr), 2 on usage errors."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date
from functools import wraps
from typing import Any, TypeVar

import click

from .errors import ServiceError

F = TypeVar("F", bound=Callable[..., Any])


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
            refuse(f"error: {exc.message}")

    return wrapper  # type: ignore[return-value]


def parse_date(_ctx: Any, _param: Any, value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise click.BadParameter(f"expected YYYY-MM-DD, got {value!r}") from exc


def print_json(data: Any) -> None:
    click.echo(json.dumps(data, ensure_ascii=False, indent=2, default=str))
