"""Programme parameters and reference data. Rules read the programme, never a literal."""

from __future__ import annotations

import re
from datetime import datetime
from decimal import Decimal
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from ..actors import Actor
from ..audit import service as audit
from ..clock import now as clock_now
from ..clock import shanghai_date
from ..coltypes import to_money
from ..countries import get_country, normalize_code
from ..db_tx import transactional
from ..districts.models import District
from ..errors import Invalid, NotFound
from ..extensions import db
from ..security import ensure_role
from .models import ExcludedCountry, Programme

# the addresses of the services around the policy (the services page, the app prompt after a claim)
SERVICE_FIELDS = (
    "single_window_url",
    "wechat_account_zh",
    "wechat_account_en",
    "app_name_zh",
    "app_name_en",
    "app_url",
)
PARAMETER_FIELDS = (
    "export_year",
    "threshold_usd",
    "claim_deadline",
    "cover_start",
    "cover_end",
    "issuance_lag_days",
    "indemnity_ratio",
    "per_buyer_limit_usd",
    "free_credit_reports",
    "hotline_consult",
    "hotline_claims",
    "notice_days",
    "consultation_reply_days",
    "reminder_email_days",
    "reminder_sms_days",
    "reminder_time",
    *SERVICE_FIELDS,
)


def get_programme(year: int) -> Programme:
    programme = db.session.scalar(select(Programme).where(Programme.year == year))
    if programme is None:
        raise NotFound(_l("没有 %(year)s 年度的统保项目", year=year), code="programme_not_found")
    return programme


def list_programmes() -> list[Programme]:
    return list(db.session.scalars(select(Programme).order_by(Programme.year.desc())))


def current_programme(now: datetime | None = None, *, drafts: bool = False) -> Programme | None:
    """The newest published programme whose year has begun (in Shanghai), else the oldest published
    one. Drafts (a copied next year the bureau has not published) count only for staff pages that
    ask for them (`drafts=True`); the public, the enterprises and the notifier never see one."""
    today = shanghai_date(now or clock_now())
    base = select(Programme)
    if not drafts:
        base = base.where(Programme.published_at.is_not(None))
    programme = db.session.scalar(base.where(Programme.year <= today.year).order_by(Programme.year.desc()).limit(1))
    if programme is None:
        programme = db.session.scalar(base.order_by(Programme.year).limit(1))
    return programme


def districts() -> list[District]:
    return list(db.session.scalars(select(District).order_by(District.sort, District.id)))


def public_overview(programme: Programme | None) -> dict[str, Any] | None:
    if programme is None:
        return None
    return {"programme": programme, "districts": districts()}


def claim_phase(programme: Programme, now: datetime) -> str:
    """'before_deadline' (full cover), 'late' (cover from issue date) or 'closed'."""
    today = shanghai_date(now)
    if today <= programme.claim_deadline:
        return "before_deadline"
    if today <= programme.cover_end:
        return "late"
    return "closed"


def parameters(programme: Programme) -> dict[str, Any]:
    return {field: getattr(programme, field) for field in PARAMETER_FIELDS}


def _valid_codes(codes: list[str]) -> list[str]:
    cleaned = []
    for raw in codes:
        code = normalize_code(raw)
        if get_country(code) is None:
            raise Invalid(_l("未知国家代码 %(code)s", code=raw), field="country")
        cleaned.append(code)
    return cleaned


@transactional
def exclude_countries(actor: Actor, programme: Programme, codes: list[str]) -> list[str]:
    ensure_role(actor, "insurer")
    added = [c for c in _valid_codes(codes) if c not in programme.excluded_codes]
    for code in dict.fromkeys(added):
        programme.excluded.append(ExcludedCountry(country_code=code))
    audit.record(actor, "programme.exclude", obj=programme, summary=",".join(added), changes={"added": added})
    return programme.excluded_codes


@transactional
def include_countries(actor: Actor, programme: Programme, codes: list[str]) -> list[str]:
    ensure_role(actor, "insurer")
    removing = set(_valid_codes(codes))
    removed = [row.country_code for row in programme.excluded if row.country_code in removing]
    programme.excluded = [row for row in programme.excluded if row.country_code not in removing]
    audit.record(actor, "programme.include", obj=programme, summary=",".join(removed), changes={"removed": removed})
    return [row.country_code for row in programme.excluded]


def _shift_year(day: Any, delta: int) -> Any:
    try:
        return day.replace(year=day.year + delta)
    except ValueError:  # 29 February
        return day.replace(year=day.year + delta, day=28)


@transactional
def copy_programme(actor: Actor, source: Programme, year: int, *, now: datetime) -> Programme:
    """Next year's programme: the same parameters with every date shifted by whole years."""
    ensure_role(actor, "insurer", "bureau")
    if db.session.scalar(select(Programme.id).where(Programme.year == year)) is not None:
        raise Invalid(_l("%(year)s 年度项目已存在", year=year), field="year")
    delta = year - source.year
    values = parameters(source)
    for field in ("claim_deadline", "cover_start", "cover_end"):
        values[field] = _shift_year(values[field], delta)
    values["export_year"] = source.export_year + delta
    values["reminder_email_days"] = list(source.reminder_email_days)
    values["reminder_sms_days"] = list(source.reminder_sms_days)
    programme = Programme(
        year=year,
        name_zh=source.name_zh.replace(str(source.year), str(year)),
        name_en=source.name_en.replace(str(source.year), str(year)),
        created_at=now,
        published_at=None,  # a draft until the bureau publishes it (publication.publish)
        **values,
    )
    programme.excluded = [ExcludedCountry(country_code=code) for code in source.excluded_codes]
    db.session.add(programme)
    db.session.flush()
    audit.record(actor, "programme.create", obj=programme, summary=f"copied from {source.year}")
    return programme


# --- editing parameters ------------------------------------------------------------------------
# Who edits: the Commerce Bureau owns the programme (it is its published policy), so bureau staff
# create next year's programme and edit its parameters; insurer staff maintain the excluded
# countries. Both kinds of change are audited with what changed.

PARAMETER_EDITORS = ("bureau",)
EXCLUSION_EDITORS = ("insurer",)
EDITABLE_FIELDS = ("name_zh", "name_en", *PARAMETER_FIELDS)
_HHMM = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")
_PHONE = re.compile(r"^[0-9+\-() ]{3,32}$")
_URL = re.compile(r"^https?://[^\s<>\"']{3,190}$")


def _bad(field: str, message: Any) -> Invalid:
    return Invalid(message, field=field)


def _day_ladder(field: str, value: Any) -> list[int]:
    try:
        days = [int(v) for v in value]
    except (TypeError, ValueError):
        raise _bad(field, _l("提醒天数应为整数")) from None
    if any(d < 0 or d > 366 for d in days):
        raise _bad(field, _l("提醒天数应在 0–366 之间"))
    return sorted(set(days), reverse=True)


def validate_parameters(programme: Programme, values: dict[str, Any]) -> dict[str, Any]:
    """The proposed parameters merged over the current ones, checked as a whole."""
    merged = {field: getattr(programme, field) for field in EDITABLE_FIELDS}
    merged.update({k: v for k, v in values.items() if k in EDITABLE_FIELDS})
    for name in ("name_zh", "name_en", "hotline_consult", "hotline_claims", "reminder_time", *SERVICE_FIELDS):
        merged[name] = str(merged[name] or "").strip()
    for name in ("single_window_url", "app_url"):
        if merged[name] and not _URL.match(merged[name]):
            raise _bad(name, _l("网址应以 http:// 或 https:// 开头"))
    for name in SERVICE_FIELDS:
        merged[name] = merged[name] or None
    if not merged["name_zh"] or not merged["name_en"]:
        raise _bad("name_zh", _l("项目名称不能为空"))
    for name in ("threshold_usd", "per_buyer_limit_usd"):
        merged[name] = to_money(merged[name])
        if merged[name] <= 0:
            raise _bad(name, _l("金额必须大于 0"))
    merged["indemnity_ratio"] = Decimal(str(merged["indemnity_ratio"]))
    if not Decimal(0) < merged["indemnity_ratio"] <= Decimal(1):
        raise _bad("indemnity_ratio", _l("赔偿比例应在 0 到 1 之间（如 0.80）"))
    for name, low in (
        ("issuance_lag_days", 0),
        ("free_credit_reports", 0),
        ("notice_days", 1),
        ("consultation_reply_days", 1),
    ):
        if int(merged[name]) < low:
            raise _bad(name, _l("不能小于 %(low)s", low=low))
        merged[name] = int(merged[name])
    if merged["export_year"] > programme.year:
        raise _bad("export_year", _l("统计出口年度不能晚于项目年度"))
    if merged["cover_start"] > merged["cover_end"]:
        raise _bad("cover_end", _l("保险期限结束日早于开始日"))
    if merged["claim_deadline"] > merged["cover_end"]:
        raise _bad("claim_deadline", _l("领取截止日晚于保险期限结束日"))
    for name in ("hotline_consult", "hotline_claims"):
        if not _PHONE.match(merged[name]):
            raise _bad(name, _l("电话号码格式不正确"))
    if not _HHMM.match(merged["reminder_time"]):
        raise _bad("reminder_time", _l("提醒时间格式应为 HH:MM"))
    for name in ("reminder_email_days", "reminder_sms_days"):
        merged[name] = _day_ladder(name, merged[name])
    return merged


@transactional
def update_parameters(actor: Actor, programme: Programme, values: dict[str, Any], *, now: datetime) -> dict[str, Any]:
    """Change a programme's parameters; returns {field: [old, new]} of what changed (audited)."""
    ensure_role(actor, *PARAMETER_EDITORS)
    merged = validate_parameters(programme, values)
    before = {field: getattr(programme, field) for field in EDITABLE_FIELDS}
    changes = audit.diff(before, merged)
    if not changes:
        return {}
    for field, (_old, new) in changes.items():
        setattr(programme, field, new)
    audit.record(
        actor, "programme.edit", obj=programme, summary=f"{programme.year}: {', '.join(changes)}", changes=changes
    )
    return changes


def copy_to_next_year(actor: Actor, source: Programme, *, now: datetime) -> Programme:
    ensure_role(actor, *PARAMETER_EDITORS)
    return copy_programme(actor, source, source.year + 1, now=now)
