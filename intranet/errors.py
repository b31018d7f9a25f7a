"""Service errors carry a stable code, an HTTP status and a message a clerk understands."""

from __future__ import annotations


class ServiceError(Exception):
    status = 422
    code = "invalid"

    def __init__(self, message: str, *, code: str | None = None, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code:
            self.code = code
        self.field = field


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
