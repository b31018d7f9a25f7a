"""Read-ahead for `tongbao roster import FILE`: check and parse the file while the app starts.

Building the app is ~0.7 s of Python that holds the GIL; checking the zip (zlib) and parsing the
sheet (python-calamine, in two halves for a big file: xlsx_parts) take about as long but release
it. When the `tongbao` entry point calls `start(sys.argv[1:])` before it builds the app, they all
run at once on the machine's cores (the app does not wait for the zip check first: that left a
core idle for 0.1 s).
The import takes the result only for the same, unchanged file checked with the same limits;
otherwise (or when nothing was started) it reads the file itself, exactly as before."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from pathlib import Path

from .reader import FileRefused, Limits, Table, examine, open_sniffed


@dataclass
class _ReadAhead:
    path: Path
    identity: tuple[int, int, int]
    limits: Limits
    done: threading.Event = field(default_factory=threading.Event)
    table: Table | None = None
    refused: FileRefused | None = None

    def run(self) -> None:
        try:
            self.table = open_sniffed(self.path, examine(self.path, self.path.name, self.limits))
        except FileRefused as exc:
            self.refused = exc
        except Exception:  # noqa: BLE001, S110 - the import reads the file again and reports what is wrong
            pass
        finally:
            self.done.set()


_lock = threading.Lock()
_pending: _ReadAhead | None = None


def _identity(path: Path) -> tuple[int, int, int] | None:
    """(inode, size, mtime) of a regular file, None otherwise."""
    try:
        stat = path.stat()
    except OSError:
        return None
    if not path.is_file():
        return None
    return stat.st_ino, stat.st_size, stat.st_mtime_ns


def start(argv: list[str], limits: Limits | None = None) -> None:
    """Begin reading FILE in a background thread when `argv` reads `roster import FILE ...`."""
    global _pending
    if argv[:2] != ["roster", "import"] or len(argv) < 3 or argv[2].startswith("-"):
        return
    path = Path(argv[2]).resolve()
    identity = _identity(path)
    if identity is None:
        return
    ahead = _ReadAhead(path, identity, limits or Limits())
    with _lock:
        _pending = ahead
    # a daemon: a command that fails before the import (an unknown programme) need not wait for it
    threading.Thread(target=ahead.run, name="roster-read-ahead", daemon=True).start()


def take(path: Path, filename: str, limits: Limits) -> Table | None:
    """What was read ahead for this very file (waiting for it to finish), or None. Raises
    FileRefused when the read-ahead refused the file."""
    global _pending
    with _lock:
        ahead, _pending = _pending, None
    if ahead is None or ahead.path != path.resolve() or filename != path.name or ahead.limits != limits:
        return None
    ahead.done.wait()
    if _identity(ahead.path) != ahead.identity:  # changed meanwhile: read it again
        return None
    if ahead.refused is not None:
        raise ahead.refused
    return ahead.table
