"""Who is acting: a logged-in user, an API token, or an operator at the command line."""

from __future__ import annotations

import getpass
from dataclasses import dataclass
from typing import Protocol


class Actor(Protocol):
    @property
    def id(self) -> int | None: ...

    @property
    def role(self) -> str: ...

    def label(self) -> str: ...


@dataclass(frozen=True)
class SystemActor:
    """An operator (CLI), the notifier, an API client or the public; `role` names which."""

    name: str
    role: str = "system"
    id: int | None = None

    def label(self) -> str:
        return self.name


def current_actor() -> Actor:
    """The logged-in user acting in this request (the object itself, not Flask-Login's proxy, so a
    service may keep it past the request, e.g. in a background job or an audit row)."""
    from flask_login import current_user

    return current_user._get_current_object()  # type: ignore[no-any-return]


def cli_actor() -> SystemActor:
    try:
        who = getpass.getuser()
    except Exception:  # noqa: BLE001 - no passwd entry in some containers
        who = "operator"
    return SystemActor(name=f"cli:{who}")


PUBLIC = SystemActor(name="public", role="public")
NOTIFIER = SystemActor(name="notifier")
