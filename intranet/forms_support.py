"""Showing a service's refusal on the form that asked for it."""

from __future__ import annotations

from flask_wtf import FlaskForm

from .errors import ServiceError


def attach_error(form: FlaskForm, exc: ServiceError, default: str | None = None) -> None:
    """Add `exc.message` to the field the service named (`exc.field`), else to the `default`
    field, else above the form (`form.form_errors`), so the page shows it where it belongs."""
    field = form._fields.get(exc.field or "") or (form._fields.get(default) if default else None)
    if field is not None:
        field.errors = [*field.errors, str(exc.message)]
    else:
        form.form_errors.append(str(exc.message))
