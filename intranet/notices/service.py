"""Monthly risk notices (国别风险信息): drafts, preview, publish, archive; Markdown rendered safely.

Insurer staff write them; the notifier (another package) sends each published notice to the
enterprises holding a policy in force. Enterprises read them in their portal, newest first.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from typing import TYPE_CHECKING, Any

from flask_babel import lazy_gettext as _l
from markupsafe import Markup
from sqlalchemy import Select, Text, cast, func, select

from ..actors import Actor
from ..audit import service as audit
from ..clock import shanghai_date, start_of_day
from ..confirmations import Plan
from ..countries import get_country, normalize_code
from ..db_tx import transactional
from ..enterprises.models import Enterprise
from ..errors import Invalid, NotFound, Refused
from ..extensions import db
from ..policies.models import Policy, PolicyStatus
from ..programmes.service import current_programme
from ..security import ensure_role
from .models import RiskNotice

if TYPE_CHECKING:
    from markdown_it import MarkdownIt

CATEGORIES = ("country_risk", "market_info", "risk_alert")
DRAFT, PUBLISHED, ARCHIVED = "draft", "published", "archived"
STATUSES = (DRAFT, PUBLISHED, ARCHIVED)
MONTH_RE = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
TITLE_MAX = 300
FEED_EPOCH = date(2000, 1, 1)  # no notice is older; an earlier `since` means all of them

# What rendered Markdown may contain: text structure, links and tables. No raw HTML gets through
# markdown-it (html disabled) and nh3 then removes anything else (scripts, handlers, styles).
SAFE_TAGS = {
    "a",
    "blockquote",
    "br",
    "code",
    "del",
    "em",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "hr",
    "li",
    "ol",
    "p",
    "pre",
    "s",
    "strong",
    "table",
    "tbody",
    "td",
    "th",
    "thead",
    "tr",
    "ul",
}
SAFE_ATTRIBUTES = {"a": {"href", "title"}, "ol": {"start"}, "td": {"align"}, "th": {"align"}}
SAFE_SCHEMES = {"http", "https", "mailto"}


@cache
def _markdown() -> MarkdownIt:
    from markdown_it import MarkdownIt  # loaded with the first notice shown, not at app start-up (25 ms)

    return MarkdownIt("commonmark", {"html": False, "linkify": False}).enable(["table", "strikethrough"])


def render_markdown(text: str) -> Markup:
    """Markdown → HTML that is safe to show: raw HTML is escaped, then the result is sanitised."""
    import nh3

    html = _markdown().render(text or "")
    cleaned = nh3.clean(
        html,
        tags=SAFE_TAGS,
        attributes=SAFE_ATTRIBUTES,
        url_schemes=SAFE_SCHEMES,
        link_rel="noopener noreferrer nofollow",
        strip_comments=True,
    )
    return Markup(cleaned)  # noqa: S704 - sanitised by nh3 just above


# ---------------------------------------------------------------------------------------------
# validation


def validate_month(value: str) -> str:
    month = (value or "").strip()
    if not MONTH_RE.match(month):
        raise Invalid(_l("月份格式应为 YYYY-MM，收到 %(value)s", value=repr(value)), field="month")
    return month


def validate_countries(codes: list[str] | tuple[str, ...]) -> list[str]:
    cleaned: list[str] = []
    for raw in codes:
        if not (raw or "").strip():
            continue
        code = normalize_code(raw)
        if get_country(code) is None:
            raise Invalid(
                _l("未知国家代码 %(code)s（应为 ISO 3166 两位字母代码）", code=raw),
                field="countries",
            )
        if code not in cleaned:
            cleaned.append(code)
    return cleaned


def validate_category(value: str) -> str:
    if value not in CATEGORIES:
        raise Invalid(_l("未知类别 %(value)s", value=value), field="category")
    return value


def _title(value: str) -> str:
    title = (value or "").strip()
    if not title:
        raise Invalid(_l("标题不能为空"), field="title")
    if len(title) > TITLE_MAX:
        raise Invalid(_l("标题超过 %(n)s 字", n=TITLE_MAX), field="title")
    return title


def split_markdown_file(text: str) -> tuple[str, str]:
    """A notice file: the first non-blank line is the title (a leading '# ' removed), the rest the body."""
    lines = (text or "").lstrip("\ufeff").splitlines()
    while lines and not lines[0].strip():
        lines.pop(0)
    if not lines:
        raise Invalid(_l("文件为空"), field="file")
    title = lines[0].strip()
    title = re.sub(r"^#+\s*", "", title).strip()
    body = "\n".join(lines[1:]).strip("\n")
    if not title:
        raise Invalid(_l("第一行（标题）为空"), field="file")
    if not body.strip():
        raise Invalid(_l("标题行之后没有正文"), field="file")
    return title, body


@dataclass
class NoticeInput:
    title: str
    body_md: str
    category: str
    month: str
    countries: list[str]

    def cleaned(self) -> NoticeInput:
        body = (self.body_md or "").strip("\n")
        if not body.strip():
            raise Invalid(_l("正文不能为空"), field="body_md")
        return NoticeInput(
            title=_title(self.title),
            body_md=body,
            category=validate_category(self.category),
            month=validate_month(self.month),
            countries=validate_countries(self.countries),
        )


def _values(notice: RiskNotice) -> dict[str, Any]:
    return {
        "title": notice.title,
        "body_md": notice.body_md,
        "category": notice.category,
        "month": notice.month,
        "countries": list(notice.countries or []),
    }


# ---------------------------------------------------------------------------------------------
# writing


@transactional
def create_draft(actor: Actor, data: NoticeInput, *, now: datetime) -> RiskNotice:
    ensure_role(actor, "insurer")
    clean = data.cleaned()
    programme = current_programme(now)
    notice = RiskNotice(
        programme_id=programme.id if programme else None,
        title=clean.title,
        body_md=clean.body_md,
        category=clean.category,
        month=clean.month,
        countries=clean.countries,
        status=DRAFT,
        created_at=now,
        created_by=actor.id,
    )
    db.session.add(notice)
    db.session.flush()
    audit.record(actor, "notice.create", obj=notice, summary=clean.title, changes=_values(notice))
    return notice


@transactional
def update_draft(actor: Actor, notice: RiskNotice, data: NoticeInput, *, now: datetime) -> RiskNotice:
    ensure_role(actor, "insurer")
    if notice.status != DRAFT:
        raise Refused(
            _l("只有草稿可以修改；已发布的通报请归档后重新撰写"),
            code="notice_not_draft",
        )
    clean = data.cleaned()
    before = _values(notice)
    for key, value in _values_of(clean).items():
        setattr(notice, key, value)
    changes = audit.diff(before, _values(notice))
    audit.record(actor, "notice.edit", obj=notice, summary=notice.title, changes=changes)
    return notice


def _values_of(data: NoticeInput) -> dict[str, Any]:
    return {
        "title": data.title,
        "body_md": data.body_md,
        "category": data.category,
        "month": data.month,
        "countries": data.countries,
    }


def publish_plan(notice: RiskNotice, *, now: datetime) -> Plan:
    """What publishing does: enterprises holding a policy in force read it in their portal, and the
    monthly push sends it to those that take monthly notices; the single window's feed carries it."""
    if notice.status != DRAFT:
        raise Refused(_l("该通报不是草稿，不能发布"), code="notice_not_draft")
    today = shanghai_date(now)
    in_force = select(Policy.enterprise_id).where(
        Policy.status == PolicyStatus.ISSUED,
        Policy.revoked_at.is_(None),
        Policy.cover_start <= today,
        Policy.cover_end >= today,
    )
    reached = select(Enterprise.id, Enterprise.name).where(
        Enterprise.id.in_(in_force), Enterprise.monthly_notices.is_(True)
    )
    total = db.session.scalar(select(func.count()).select_from(reached.subquery())) or 0
    names = db.session.scalars(select(reached.subquery().c.name).limit(10))
    return Plan(
        action="notice.publish",
        object_id=notice.id,
        title=_l("发布通报：%(title)s", title=notice.title),
        counts={"enterprises": total},
        who=list(names),
        who_total=total,
        details=(_l("通报将按每月推送计划发给有效保单企业，并通过接口提供给单一窗口。"),),
        warning=_l("发布后企业和单一窗口即可看到，不能撤回，只能归档。"),
    )


@transactional
def publish(actor: Actor, notice: RiskNotice, *, now: datetime) -> RiskNotice:
    ensure_role(actor, "insurer")
    if notice.status != DRAFT:
        raise Refused(_l("该通报不是草稿，不能发布"), code="notice_not_draft")
    notice.status = PUBLISHED
    notice.published_at = now
    audit.record(actor, "notice.publish", obj=notice, summary=f"{notice.month} {notice.title}")
    return notice


@transactional
def archive(actor: Actor, notice: RiskNotice, *, now: datetime) -> RiskNotice:
    ensure_role(actor, "insurer")
    if notice.status == ARCHIVED:
        raise Refused(_l("该通报已归档"), code="notice_archived")
    before = notice.status
    notice.status = ARCHIVED
    notice.archived_at = now
    audit.record(actor, "notice.archive", obj=notice, summary=notice.title, changes={"status": [before, ARCHIVED]})
    return notice


@transactional
def publish_text(
    actor: Actor, text: str, *, month: str, countries: list[str], category: str = "country_risk", now: datetime
) -> RiskNotice:
    """`tongbao notice publish FILE`: a Markdown file whose first line is the title, published at once."""
    ensure_role(actor, "insurer")
    month = validate_month(month)
    codes = validate_countries(countries)
    title, body = split_markdown_file(text)
    notice = create_draft(
        actor, NoticeInput(title=title, body_md=body, category=category, month=month, countries=codes), now=now
    )
    return publish(actor, notice, now=now)


# ---------------------------------------------------------------------------------------------
# reading


def get_notice(notice_id: int) -> RiskNotice:
    notice = db.session.get(RiskNotice, notice_id)
    if notice is None:
        raise NotFound(_l("没有这条通报"), code="notice_not_found")
    return notice


def get_published(notice_id: int) -> RiskNotice:
    """What an enterprise may open: published notices only (drafts and archived ones are 404)."""
    notice = db.session.get(RiskNotice, notice_id)
    if notice is None or notice.status != PUBLISHED:
        raise NotFound(_l("没有这条通报"), code="notice_not_found")
    return notice


def staff_query(status: str | None = None) -> Select[Any]:
    stmt = select(RiskNotice).order_by(RiskNotice.month.desc(), RiskNotice.created_at.desc(), RiskNotice.id.desc())
    if status in STATUSES:
        stmt = stmt.where(RiskNotice.status == status)
    return stmt


def _country_clause(code: str) -> Any:
    # countries is a JSON list of validated two-letter codes: '["US", "DE"]' on both databases
    return cast(RiskNotice.countries, Text).like(f'%"{code}"%')


def portal_query(country: str | None = None) -> Select[Any]:
    """Published notices, newest first; with a country, those that name it."""
    stmt = select(RiskNotice).where(RiskNotice.status == PUBLISHED)
    code = normalize_code(country or "")
    if code and get_country(code) is not None:
        stmt = stmt.where(_country_clause(code))
    return stmt.order_by(RiskNotice.month.desc(), RiskNotice.published_at.desc(), RiskNotice.id.desc())


def feed(since: date | None) -> list[RiskNotice]:
    """The single window's feed: published notices, newest first; with `since`, those published on
    or after that day (Shanghai)."""
    stmt = portal_query()
    if since is not None:
        stmt = stmt.where(RiskNotice.published_at >= start_of_day(max(since, FEED_EPOCH)))
    return list(db.session.scalars(stmt))


def published_countries() -> list[str]:
    """Every country named by a published notice (for the portal's filter)."""
    rows = db.session.scalars(select(RiskNotice.countries).where(RiskNotice.status == PUBLISHED))
    found: set[str] = set()
    for codes in rows:
        found.update(codes or [])
    return sorted(found)
