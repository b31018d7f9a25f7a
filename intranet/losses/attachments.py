"""Uploaded documents: size- and type-checked (magic bytes, not just the extension), then kept in
the database by the storage module (`intranet.storage`), never on a host's disk nor under static/.
Also used for credit-report PDFs."""

from __future__ import annotations

import hashlib
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from typing import IO

from flask import current_app
from flask_babel import lazy_gettext as _l

from ..errors import Invalid
from ..storage import service as storage
from ..storage.models import StoredFile

MAX_FILES_DEFAULT = 10

# extension -> (canonical extension detected from the bytes, MIME type served back)
DOCUMENT_TYPES: dict[str, tuple[str, str]] = {
    "pdf": ("pdf", "application/pdf"),
    "jpg": ("jpg", "image/jpeg"),
    "jpeg": ("jpg", "image/jpeg"),
    "png": ("png", "image/png"),
    "xlsx": ("xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    "docx": ("docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
}
PDF_ONLY = {"pdf": DOCUMENT_TYPES["pdf"]}


@dataclass(frozen=True)
class Upload:
    """A checked file, not yet stored."""

    filename: str
    content_type: str
    data: bytes

    @property
    def size(self) -> int:
        return len(self.data)

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


def max_bytes() -> int:
    """The storage module's limit for an attachment (`TONGBAO_MAX_ATTACHMENT_BYTES`, default 10 MB)."""
    return storage.limit("loss_attachment")


def max_files() -> int:
    return int(current_app.config.get("TONGBAO_MAX_ATTACHMENTS", MAX_FILES_DEFAULT))


def clean_filename(name: str) -> str:
    """A display name: no directories, no control characters, at most 200 characters."""
    base = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    base = "".join(ch for ch in unicodedata.normalize("NFC", base) if unicodedata.category(ch)[0] != "C").strip()
    base = base.lstrip(".") or "file"
    if len(base) > 200:
        stem, dot, ext = base.rpartition(".")
        base = (stem[:190] + dot + ext[:9]) if dot else base[:200]
    return base


def check(filename: str, data: bytes, allowed: dict[str, tuple[str, str]] = DOCUMENT_TYPES) -> Upload:
    """Refuse empty, oversized or disguised files (the bytes must match the extension)."""
    name = clean_filename(filename)
    ext = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    kinds = ", ".join(sorted({k.upper() for k in allowed}))
    if ext not in allowed:
        raise Invalid(
            _l("文件 %(name)s 类型不支持，仅接受 %(kinds)s", name=name, kinds=kinds),
            code="file_type",
            field="attachments",
        )
    if not data:
        raise Invalid(_l("文件 %(name)s 为空", name=name), code="file_empty", field="attachments")
    limit = max_bytes()
    if len(data) > limit:
        mb = limit / (1024 * 1024)
        raise Invalid(
            _l("文件 %(name)s 超过 %(mb)s MB", name=name, mb=f"{mb:g}"), code="file_too_large", field="attachments"
        )
    expected, mime = allowed[ext]
    import filetype  # loaded with the first upload, not at app start-up

    kind = filetype.guess(data[:8192])
    if kind is None or kind.extension != expected:
        raise Invalid(
            _l("文件 %(name)s 的内容不是 %(kind)s 文件", name=name, kind=ext.upper()),
            code="file_content",
            field="attachments",
        )
    return Upload(filename=name, content_type=mime, data=data)


def read_stream(filename: str, stream: IO[bytes], allowed: dict[str, tuple[str, str]] = DOCUMENT_TYPES) -> Upload:
    """Read at most the limit + 1 byte (so a huge upload is refused without reading it all)."""
    data = stream.read(max_bytes() + 1)
    return check(filename, data, allowed)


def check_files(files: Iterable[object], allowed: dict[str, tuple[str, str]] = DOCUMENT_TYPES) -> list[Upload]:
    """Werkzeug FileStorage objects from a form; blank file inputs are skipped."""
    uploads = []
    for item in files:
        name = getattr(item, "filename", None)
        if not name:
            continue
        uploads.append(read_stream(str(name), item.stream, allowed))  # type: ignore[attr-defined]
    if len(uploads) > max_files():
        raise Invalid(
            _l("一次最多上传 %(n)s 个文件", n=max_files()),
            code="too_many_files",
            field="attachments",
        )
    return uploads


def store(upload: Upload, kind: str) -> StoredFile:
    """Keep a checked upload in the database, in the caller's transaction."""
    return storage.put(kind, upload.filename, upload.content_type, upload.data)
