"""Merge each language's catalogue fragments (`intranet/translations/<lang>/*.po`) into one
`intranet/translations/.compiled/<lang>/LC_MESSAGES/messages.mo`. Run by `make` (install step)
whenever a fragment changes; the app only reads the compiled directory.

A message id translated differently in two fragments is reported on stderr; the first fragment (in
name order) wins, so the result does not depend on which fragment was edited last."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT / "intranet" / "translations"
TARGET = SOURCE / ".compiled"


def merge(lang_dir: Path) -> tuple[Catalog, list[str]]:
    merged = Catalog(locale=lang_dir.name)
    origin: dict[tuple[str, str | None], str] = {}
    conflicts: list[str] = []
    for fragment in sorted(lang_dir.glob("*.po")):
        with fragment.open("rb") as fh:
            catalog = read_po(fh, locale=lang_dir.name)
        for message in catalog:
            if not message.id or not message.string:
                continue
            key = (message.id if isinstance(message.id, str) else message.id[0], message.context)
            earlier = merged.get(message.id, context=message.context)
            if earlier is not None and earlier.string != message.string:
                where = f"{key[0]!r}" + (f" (context {key[1]!r})" if key[1] else "")
                conflicts.append(f"{fragment.name}: {where} also in {origin[key]} with another translation")
                continue
            merged[message.id] = message
            origin.setdefault(key, fragment.name)
    return merged, conflicts


def compile_all(source: Path = SOURCE, target: Path = TARGET) -> int:
    problems: list[str] = []
    for lang_dir in sorted(p for p in source.iterdir() if p.is_dir() and not p.name.startswith(".")):
        catalog, conflicts = merge(lang_dir)
        problems += conflicts
        out = target / lang_dir.name / "LC_MESSAGES" / "messages.mo"
        out.parent.mkdir(parents=True, exist_ok=True)
        tmp = out.with_suffix(f".{os.getpid()}.tmp")
        with tmp.open("wb") as fh:
            write_mo(fh, catalog)
        os.replace(tmp, out)
        print(f"{out}: {len(catalog)} messages")
    for problem in problems:
        print(f"warning: {problem}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(compile_all())
