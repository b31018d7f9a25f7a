"""One language mechanism: Flask-Babel with Chinese message ids.

- UI text is `lazy_gettext as _l` (module level, services, errors) or `gettext as _` (in a request);
  the English catalogue is merged from per-feature fragments (`intranet/translations/en/*.po`) and
  compiled by `make` (`scripts/compile_catalogs.py`) into `translations/.compiled`, which the app
  only reads. Without it the app still starts and shows the message ids (Chinese).
- Columns named `*_zh`/`*_en` are data in two languages: `localized(obj, field)` picks one.
- A message kept for a later page (a background job's result) is stored with `freeze` and
  translated when shown with `thaw`, so it follows the language of the page that shows it.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask import Flask, g, has_app_context, has_request_context, request, session
from flask_babel import get_locale, get_translations, gettext
from flask_babel.speaklater import LazyString
from flask_login import current_user

SOURCE_DIR = Path(__file__).resolve().parent / "translations"
COMPILED_DIR = SOURCE_DIR / ".compiled"
LANGUAGES = ("zh", "en")
log = logging.getLogger(__name__)


def select_locale() -> str:
    """Pages: the session's choice, then the user's; the API: Accept-Language; else Chinese."""
    if not has_request_context():
        return "zh"
    if request.path.startswith("/api/"):
        return request.accept_languages.best_match(LANGUAGES) or "zh"
    chosen = session.get("lang")
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


class Listing(list[Any]):
    """A list parameter of a message, shown joined the language's way: the separator is a message
    id ("、" or "；" in Chinese, ", " or "; " in English)."""

    def __init__(self, items: Iterable[Any] = (), separator: str = "、") -> None:
        super().__init__(items)
        self.separator = separator

    def __str__(self) -> str:
        return gettext(self.separator).join(str(item) for item in self)


def listing(items: Iterable[Any], separator: str = "、") -> Listing:
    return Listing(items, separator)


@dataclass(frozen=True)
class DataPair:
    """A data value kept in both languages (a district's name) as a message parameter."""

    zh: str
    en: str

    def __str__(self) -> str:
        return self.en if self.en and current_language() == "en" else self.zh


def _freeze_value(value: Any) -> Any:
    if isinstance(value, LazyString):
        return {"msg": freeze(value)}
    if isinstance(value, Listing):
        return {"list": [_freeze_value(item) for item in value], "sep": value.separator}
    if isinstance(value, DataPair):
        return {"pair": [value.zh, value.en]}
    if value is None or isinstance(value, int | float | str):
        return value
    return str(value)


def _thaw_value(value: Any) -> Any:
    if isinstance(value, dict) and "msg" in value:
        return thaw(value["msg"])
    if isinstance(value, dict) and "list" in value:
        return Listing((_thaw_value(item) for item in value["list"]), value.get("sep", "、"))
    if isinstance(value, dict) and "pair" in value:
        return DataPair(*value["pair"])
    return value


def freeze(message: Any) -> dict[str, Any]:
    """A (lazy) message as JSON data: its message id and parameters."""
    if isinstance(message, LazyString) and message._func is gettext and message._args:
        params = {k: _freeze_value(v) for k, v in message._kwargs.items()}
        return {"id": message._args[0], "params": params}
    return {"id": str(message), "params": {}}


def thaw(data: Mapping[str, Any] | str | None) -> str:
    """`freeze`'s data translated into the current language (plain text is shown as it is)."""
    if not data:
        return ""
    if isinstance(data, str):
        return data
    params = {k: _thaw_value(v) for k, v in (data.get("params") or {}).items()}
    return gettext(data["id"], **params) if params else gettext(data["id"])


def freeze_text(message: Any) -> str:
    """`freeze` for a text column."""
    return json.dumps(freeze(message), ensure_ascii=False)


def thaw_text(text: str | None) -> str:
    """A text column written by `freeze_text` (or older plain text) in the current language."""
    if not text:
        return ""
    if text.startswith('{"id"'):
        try:
            return thaw(json.loads(text))
        except (ValueError, KeyError, TypeError):
            return text
    return text


def stored_error(row: int | None, column: Any, reason: Any, code: str, value: str = "") -> dict[str, Any]:
    """A row error for a JSON column: the Chinese text (older readers) and the frozen messages."""
    data: dict[str, Any] = {"row": row, "column": str(column) if column else column, "reason": str(reason)}
    data.update(code=code, value=value, reason_msg=freeze(reason))
    if isinstance(column, LazyString):
        data["column_msg"] = freeze(column)
    return data


def stored_text(data: Mapping[str, Any], key: str) -> str:
    """`data[key]` of a `stored_error`, in the current language."""
    frozen = data.get(f"{key}_msg")
    return thaw(frozen) if frozen else str(data.get(key) or "")


def init_app(app: Flask) -> None:
    from .extensions import babel

    if not any(COMPILED_DIR.glob("*/LC_MESSAGES/messages.mo")):
        log.warning("no compiled catalogues in %s (run `make`): pages show the Chinese message ids", COMPILED_DIR)
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = str(COMPILED_DIR)
    babel.init_app(app, locale_selector=select_locale, timezone_selector=lambda: "Asia/Shanghai")
    app.jinja_env.globals.update(
        localized=localized, current_language=current_language, thaw_text=thaw_text, stored_text=stored_text
    )
    # the templates' `_()`: Flask-Babel's own callables look the catalogue up again on every call
    # (about 50 calls a page); these look it up once per request and locale
    app.jinja_env.install_gettext_callables(  # type: ignore[attr-defined]  # jinja2.ext.i18n adds it
        gettext=lambda s: page_translations().ugettext(s),
        ngettext=lambda s, p, n: page_translations().ungettext(s, p, n),
        pgettext=lambda c, s: page_translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: page_translations().unpgettext(c, s, p, n),
        newstyle=True,
    )


def page_translations() -> Any:
    """The current locale's catalogue, kept on `g` for the rest of the request: the same object
    Flask-Babel would find, found again only when the locale changes (`force_locale`)."""
    if not has_app_context():
        return get_translations()
    locale = get_locale()
    kept = g.get("_tongbao_translations")
    if kept is not None and kept[0] is locale:
        return kept[1]
    translations = get_translations()
    g._tongbao_translations = (locale, translations)
    return translations
