"""The demo's shared state: the clock it loads at, and what the first steps made (programmes,
enterprises, logins) for the features' demo steps (`<feature>/demo.py`) to build on.

Lower than every demo step, which imports it; `demo/service.py` imports the steps and runs them."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..auth.models import User
    from ..enterprises.models import Enterprise
    from ..programmes.models import Programme


@dataclass
class DemoContext:
    now: datetime
    programmes: dict[int, Programme] = field(default_factory=dict)
    enterprises: list[Enterprise] = field(default_factory=list)
    users: dict[str, User] = field(default_factory=dict)
    logins: list[tuple[str, str, str]] = field(default_factory=list)
