"""Service errors carry a stable code, an HTTP status and a message a clerk understands.

The message is lazy (`lazy_gettext as _l`, Chinese message id): whoever shows it calls
`str(err.message)` in the language of the request (flash, form errors, JSON, CLI)."""

from __future__ import annotations

from typing import Any


class ServiceError(Exception):
    status = 422
    code = "invalid"

    def __init__(self, message: Any, *, code: str | None = None, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message  # a LazyString (or plain str): translated when shown
        if code:
            self.code = code
        self.field = field

    def __str__(self) -> str:
        return str(self.message)


class Invalid(ServiceError):
    status = 422
    code = "invalid"


class Refused(ServiceError):
    """The request is well-formed but the rules refuse it now (state conflict)."""

    status = 409
    code = "refused"


class NotFound(ServiceError):
    status = 404
    code = "not_found"


class Forbidden(ServiceError):
    status = 403
    code = "forbidden"


class RateLimited(ServiceError):
    status = 429
    code = "rate_limited"
