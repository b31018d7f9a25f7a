"""ISO 3166-1 countries with Chinese and English names, from pycountry (not a hand-typed list)."""

from __future__ import annotations

import gettext
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from wtforms.fields.choices import SelectChoice


@dataclass(frozen=True)
class Country:
    code: str
    name_en: str
    name_zh: str


@cache
def _zh() -> gettext.NullTranslations:
    import pycountry  # only when a country is shown or checked: it costs app start-up 5 ms

    try:
        return gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=["zh_CN"])
    except OSError:
        return gettext.NullTranslations()


@cache
def all_countries() -> tuple[Country, ...]:
    import pycountry

    rows = []
    for c in pycountry.countries:
        english = getattr(c, "common_name", None) or c.name
        rows.append(Country(code=c.alpha_2, name_en=english, name_zh=_zh().gettext(c.name)))
    return tuple(sorted(rows, key=lambda r: r.code))


@cache
def _by_code() -> dict[str, Country]:
    return {c.code: c for c in all_countries()}


def normalize_code(raw: str) -> str:
    return (raw or "").strip().upper()


def get_country(code: str) -> Country | None:
    return _by_code().get(normalize_code(code))


def country_label(code: str, language: str = "zh") -> str:
    country = get_country(code)
    if country is None:
        return code
    return country.name_en if language == "en" else f"{country.name_zh} ({country.code})"


def country_choices(*, blank: bool = False) -> list[SelectChoice]:
    """Every country for a form's select, in the page's language: "德国 (DE)" in Chinese, "Germany (DE)"
    in English; `blank` puts "choose a country" first (a single select that must be chosen)."""
    from flask_babel import gettext as _
    from wtforms.fields.choices import SelectChoice

    from .i18n import current_language

    english = current_language() == "en"
    rows = [SelectChoice("", _("请选择国家/地区"))] if blank else []
    rows += [SelectChoice(c.code, f"{c.name_en if english else c.name_zh} ({c.code})") for c in all_countries()]
    return rows
