"""WeasyPrint fetches nothing but the app's own static files.

`StaticOnlyFetcher` replaces WeasyPrint's default URL fetcher (which would open any file:// path and
any http(s)/ftp URL a template or a user-supplied value pointed at). It serves a `file://` URL only
when the path, fully resolved (symlinks and `..` included), lies inside the repository's `static/`
directory and is a regular file; everything else — other files, other schemes, hosts — is refused.
"""

from __future__ import annotations

import logging
import mimetypes
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit
from urllib.request import url2pathname

from weasyprint.urls import URLFetcher, URLFetcherResponse

from ..config import REPO_ROOT

STATIC_ROOT = (REPO_ROOT / "static").resolve()
MAX_BYTES = 2 * 1024 * 1024  # no static asset of a certificate is anywhere near this
log = logging.getLogger(__name__)


class RefusedURL(ValueError):
    """A URL the certificate renderer will not fetch."""


def static_path(url: str, root: Path = STATIC_ROOT) -> Path:
    """The file under `root` that `url` names, or RefusedURL."""
    parts = urlsplit(url)
    if parts.scheme.lower() != "file":
        raise RefusedURL(f"only file:// URLs under static/ are fetched, not {parts.scheme or 'relative'}: {url[:200]}")
    if parts.netloc not in ("", "localhost"):
        raise RefusedURL(f"file:// URLs on another host are refused: {url[:200]}")
    raw = url2pathname(unquote(parts.path))
    if "\x00" in raw:
        raise RefusedURL("NUL in a file URL")
    path = Path(raw).resolve()
    if not path.is_relative_to(root):
        raise RefusedURL(f"outside static/: {url[:200]}")
    if not path.is_file():
        raise RefusedURL(f"no such static file: {url[:200]}")
    return path


class StaticOnlyFetcher(URLFetcher):  # type: ignore[misc]
    """A WeasyPrint URL fetcher that serves files under static/ and refuses everything else.

    `refused` lists the URLs it turned down (the tests and the logs use it)."""

    def __init__(self, root: Path = STATIC_ROOT, **kwargs: Any) -> None:
        # `fetch` and `open` are overridden: the parent's urllib handlers are never reached
        super().__init__(allowed_protocols=("file",), allow_redirects=False, **kwargs)
        self.root = root
        self.refused: list[str] = []

    def fetch(self, url: str, headers: dict[str, str] | None = None) -> URLFetcherResponse:
        try:
            path = static_path(url, self.root)
            size = path.stat().st_size
            if size > MAX_BYTES:
                raise RefusedURL(f"static file too large ({size} bytes): {url[:200]}")
        except RefusedURL:
            self.refused.append(url)
            log.warning("certificate renderer refused to fetch %s", url[:200])
            raise
        content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        return URLFetcherResponse(path.as_uri(), body=path.read_bytes(), headers={"Content-Type": content_type})

    def open(self, url: Any, data: Any = None, timeout: Any = None) -> URLFetcherResponse:
        full = url if isinstance(url, str) else getattr(url, "full_url", str(url))
        return self.fetch(full)
