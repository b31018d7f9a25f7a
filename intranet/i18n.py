"""Chinese first, English on request. Message ids are the Chinese text; English catalogs are
per-feature fragments (`intranet/translations/en/*.po`), merged and compiled on start-up when stale."""

from __future__ import annotations

import os
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from flask import Flask, request, session
from flask_babel import get_locale
from flask_login import current_user

SOURCE_DIR = Path(__file__).resolve().parent / "translations"
COMPILED_DIR = SOURCE_DIR / ".compiled"
LANGUAGES = ("zh", "en")


def compile_catalogs(source: Path = SOURCE_DIR, target: Path = COMPILED_DIR) -> Path:
    """Merge every fragment of each language into one messages.mo, if any fragment is newer."""
    if not source.is_dir():
        target.mkdir(parents=True, exist_ok=True)
        return target
    for lang_dir in sorted(p for p in source.iterdir() if p.is_dir() and not p.name.startswith(".")):
        fragments = sorted(lang_dir.glob("*.po"))
        out = target / lang_dir.name / "LC_MESSAGES" / "messages.mo"
        newest = max((f.stat().st_mtime for f in fragments), default=0)
        if out.exists() and out.stat().st_mtime >= newest:
            continue
        merged = Catalog(locale=lang_dir.name)
        for fragment in fragments:
            with fragment.open("rb") as fh:
                catalog = read_po(fh, locale=lang_dir.name)
            for message in catalog:
                if message.id and message.string:
                    merged[message.id] = message
        out.parent.mkdir(parents=True, exist_ok=True)
        tmp = out.with_suffix(f".{os.getpid()}.tmp")
        with tmp.open("wb") as fh:
            write_mo(fh, merged)
        os.replace(tmp, out)
    return target


def select_locale() -> str:
    chosen = session.get("lang") if request else None
    if chosen in LANGUAGES:
        return str(chosen)
    if current_user and getattr(current_user, "is_authenticated", False) and current_user.locale in LANGUAGES:
        return str(current_user.locale)
    return "zh"


def current_language() -> str:
    locale = get_locale()
    return locale.language if locale else "zh"


def localized(obj: object, field: str) -> str:
    """obj.<field>_en in English when present, else obj.<field>_zh."""
    if current_language() == "en":
        value = getattr(obj, f"{field}_en", None)
        if value:
            return str(value)
    return str(getattr(obj, f"{field}_zh", ""))


def init_app(app: Flask) -> None:
    from .extensions import babel

    compiled = compile_catalogs()
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = str(compiled)
    babel.init_app(app, locale_selector=select_locale, timezone_selector=lambda: "Asia/Shanghai")
    app.jinja_env.globals["localized"] = localized
    app.jinja_env.globals["current_language"] = current_language
