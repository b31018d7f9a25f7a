"""Certificate download (owner and staff) and the public verification page GET /verify/<code>."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from flask import Blueprint, Response, redirect, render_template, request, url_for
from flask_login import current_user

from ..clock import now
from ..security import roles_required
from . import service
from .qr import normalize_code

bp = Blueprint("certificates", __name__)


def pdf_response(stored: service.Stored) -> Response:
    """The stored PDF with ETag (its sha256) and Last-Modified; 304 when the client already has it."""
    response = Response(stored.pdf, mimetype="application/pdf")
    ascii_name = stored.filename.encode("ascii", "replace").decode().replace("?", "_").replace('"', "")
    response.headers["Content-Disposition"] = (
        f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(stored.filename)}"
    )
    response.set_etag(stored.sha256)
    response.last_modified = stored.created_at
    # private: it is someone's document; no-cache: revalidate (cheaply, by ETag) on every use
    response.cache_control.private = True
    response.cache_control.no_cache = True
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.make_conditional(request)  # turns it into a 304 in place when the client's copy is current
    return response


@bp.get("/policies/<int:policy_id>/certificate.pdf")
@roles_required("enterprise", "bureau", "insurer")
def download(policy_id: int) -> Any:
    return pdf_response(service.stored_certificate(current_user, policy_id, now=now()))


@bp.get("/verify")
def verify_form() -> Any:
    """The code typed off the paper (any case, with or without dashes), or the link a phone read from
    the QR code (…/verify/<code>) → its verification page."""
    raw = request.args.get("code", "")[:300]
    if "/verify/" in raw:
        raw = raw.rsplit("/verify/", 1)[1].split("?", 1)[0].split("#", 1)[0]
    code = normalize_code(raw)[: service.MAX_CODE]
    if code:
        return redirect(url_for("certificates.verify", code=code))
    return _no_store(render_template("certificates/verify.html", result=None, asked=False))


@bp.get("/verify/<code>")
def verify(code: str) -> Any:
    result = service.verify(code, now=now())
    status = 200 if result is not None else 404
    return _no_store(render_template("certificates/verify.html", result=result, asked=True), status)


def _no_store(body: str, status: int = 200) -> Response:
    response = Response(body, status=status, mimetype="text/html")
    # a revocation must show at once, and verification pages are nobody's search results
    response.cache_control.no_store = True
    response.headers["X-Robots-Tag"] = "noindex"
    return response
