"""Staff downloads: rosters (with export amounts), policies and losses as .csv or .xlsx."""

from __future__ import annotations

import tempfile
from typing import Any

from flask import Blueprint, Response, render_template, send_file, stream_with_context
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from ..clock import now, shanghai
from ..errors import NotFound
from ..programmes import service as programmes
from ..programmes.requested import required_programme
from ..security import roles_required
from . import service

bp = Blueprint("exports", __name__, url_prefix="/staff/exports")

MIMETYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


@bp.get("/")
@roles_required(*service.EXPORTERS)
def index() -> Any:
    return render_template(
        "exports/index.html",
        programme=required_programme(),
        programmes=programmes.list_programmes(),
        kinds=service.KINDS,
    )


@bp.get("/<kind>.<fmt>")
@roles_required(*service.EXPORTERS)
def download(kind: str, fmt: str) -> Any:
    if fmt not in service.FORMATS:
        raise NotFound(_l("不支持的格式：%(fmt)s", fmt=fmt), code="export_not_found")
    data = service.dataset(kind, required_programme())
    service.record_export(current_user, data, fmt, now=now())
    stamp = shanghai(now()).strftime("%Y%m%d-%H%M")
    name = f"{data.filename}-{stamp}.{fmt}"
    if fmt == "csv":
        response = Response(stream_with_context(service.csv_chunks(data)), mimetype=MIMETYPES["csv"])
        response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
        return response
    spool = tempfile.TemporaryFile()  # noqa: SIM115 - closed by send_file when the download ends
    service.write_xlsx(data, spool)
    spool.seek(0)
    return send_file(spool, mimetype=MIMETYPES["xlsx"], as_attachment=True, download_name=name)
