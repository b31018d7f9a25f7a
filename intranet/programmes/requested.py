"""The programme a staff page was asked for: one reading of the request for every page.

`?programme=YEAR` is the name (dashboards, exports, worklists); `?year=YEAR` is accepted too, being
what the roster and policy pages' year selectors send (and what links to them carry)."""

from __future__ import annotations

from flask import request
from flask_babel import lazy_gettext as _l

from ..clock import now
from ..errors import NotFound
from .models import Programme
from .service import current_programme, get_programme

PARAMS = ("programme", "year")


def requested_year() -> int | None:
    """The year asked for (query string or form), None when absent or not a plausible year."""
    for name in PARAMS:
        raw = (request.values.get(name) or "").strip()
        if raw.isdigit() and 1900 <= int(raw) <= 9999:
            return int(raw)
    return None


def requested_programme(*, current_by_default: bool = True) -> Programme | None:
    """The programme of the year asked for (404 when there is none); without a year, the current
    programme, or None when `current_by_default` is off or no programme exists yet."""
    year = requested_year()
    if year is not None:
        return get_programme(year)
    return current_programme(now(), drafts=True) if current_by_default else None


def required_programme() -> Programme:
    """`requested_programme()` for a page that has nothing to show without one: 404 instead of None."""
    programme = requested_programme()
    if programme is None:
        raise NotFound(_l("尚未设置统保项目"), code="programme_not_found")
    return programme
