"""Turn dashboard figures into labelled charts and tables (in the reader's language)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from flask_babel import LazyString, lazy_pgettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from ..countries import get_country
from ..i18n import current_language, localized
from ..losses.rules import cause_label
from ..programmes.models import Programme
from ..templating import fmt_datetime, money
from .charts import Chart, bar_chart, donut_chart, line_chart
from .service import BureauStats, InsurerStats


def _n(value: int) -> str:
    return f"{value:,}"


def _pct(value: Decimal) -> str:
    return f"{value * 100:.1f}%"


ROSTER_STATUS: dict[str, LazyString] = {"draft": _l("草稿"), "notice": _l("公示中"), "confirmed": _l("已确认")}
POLICY_STATUS: dict[str, LazyString] = {
    "claimed": _l("已领取待签发"),
    "issued": _l("已签发"),
    "revoked": _l("已撤销"),
    "lapsed": _l("已失效"),
}
OBJECTION_STATUS: dict[str, LazyString] = {"open": _l("待处理"), "upheld": _l("异议成立"), "dismissed": _l("已驳回")}
LOSS_STATUS: dict[str, LazyString] = {  # short labels: they sit on chart axes
    "reported": _l("已报案"),
    "accepted": _l("已受理"),
    "investigating": _l("调查中"),
    "rejected": lazy_pgettext("loss status", "不予受理"),
    "paid": _l("已赔付"),
    "declined": _l("拒赔"),
}


def _label(labels: dict[str, LazyString], code: str) -> str:
    return str(labels.get(code, code))


def roster_status_label(status: str) -> str:
    return _label(ROSTER_STATUS, status)


def policy_status_label(status: str) -> str:
    return _label(POLICY_STATUS, status)


def objection_status_label(status: str) -> str:
    return _label(OBJECTION_STATUS, status)


def loss_status_label(status: str) -> str:
    return _label(LOSS_STATUS, status)


def country_name(code: str) -> str:
    country = get_country(code)
    if country is None:
        return code
    return country.name_en if current_language() == "en" else country.name_zh


def bureau_panels(programme: Programme, stats: BureauStats) -> dict[str, Any]:
    kpis = [
        ("roster_size", _("名单企业（符合条件）"), _n(stats.roster_size)),
        ("ineligible", _("不符合条件"), _n(stats.ineligible)),
        ("confirmed", _("已确认名单企业"), _n(stats.confirmed_listed)),
        ("claimed", _("已领取保单"), _n(stats.claimed)),
        ("claimed_share", _("领取率"), _pct(stats.claimed_share)),
    ]
    shares = [
        (
            localized(d, "district"),
            d.share * 100,
            f"{d.claimed:,} / {d.listed:,} ({_pct(d.share)})",
        )
        for d in stats.by_district
    ]
    district_chart = Chart(
        key="district-share",
        title=_("各区领取率"),
        desc=_("已确认名单上符合条件的企业中已领取保单的比例，按区"),
        svg=bar_chart(
            "district-share", _("各区领取率"), _("各区已领取保单企业占名单企业的比例"), shares, max_value=100
        ),
        columns=[_("所属区"), _("名单企业"), _("已领取"), _("领取率")],
        rows=[
            [localized(d, "district"), _n(d.listed), _n(d.claimed), _pct(d.share)]
            for d in stats.by_district
        ],
    )
    weeks = [(w.isoformat(), n) for w, n in stats.weekly_claims]
    weekly_chart = Chart(
        key="weekly-claims",
        title=_("每周领取保单数"),
        desc=_("按周（周一起，上海时间）统计的保单领取数量"),
        svg=line_chart("weekly-claims", _("每周领取保单数"), _("按周统计的保单领取数量"), weeks),
        columns=[_("周（周一）"), _("领取数")],
        rows=[[w, _n(n)] for w, n in weeks],
    )
    objections = [(objection_status_label(s), n) for s, n in sorted(stats.objections.items())]
    objection_chart = Chart(
        key="objections",
        title=_("异议处理情况"),
        desc=_("公示期收到的异议，按处理状态"),
        svg=donut_chart("objections", _("异议处理情况"), _("异议按处理状态分布"), objections),
        columns=[_("状态"), _("异议数")],
        rows=[[label, _n(n)] for label, n in objections],
    )
    roster_rows = [
        [
            str(r["seq"]),
            _("主名单") if r["seq"] == 1 else _("补充名单"),
            roster_status_label(r["status"]),
            _n(r["eligible"]),
            _n(r["ineligible"]),
        ]
        for r in stats.by_roster
    ]
    return {
        "kpis": kpis,
        "charts": [district_chart, weekly_chart, objection_chart],
        "roster_rows": roster_rows,
    }


def queue_label(key: str, lag: int) -> str:
    return {
        "day": _("1 天内"),
        "within_lag": _("1–%(lag)s 天", lag=lag),
        "overdue": _("超过 %(lag)s 天", lag=lag),
        "long_overdue": _("超过 %(lag)s 天", lag=2 * lag),
    }[key]


def utilisation_label(key: str) -> str:
    return {
        "lt25": _("不足 25%"),
        "lt50": _("25%–50%"),
        "lt75": _("50%–75%"),
        "lt100": _("75%–100%"),
        "full": _("已达限额"),
    }[key]


def insurer_panels(programme: Programme, stats: InsurerStats) -> dict[str, Any]:
    lag = programme.issuance_lag_days
    waiting = sum(n for _key, n in stats.queue)
    losses = sum(n for _c, n, _i, _p in stats.causes)
    kpis = [
        ("waiting", _("待签发保单"), _n(waiting)),
        ("oldest", _("最早领取时间"), fmt_datetime(stats.oldest_claim_at)),
        ("losses", _("报损案件"), _n(losses)),
        ("paid", _("已赔付金额"), money(stats.paid_total)),
        ("credit", _("资信报告（已用/免费额度）"), f"{stats.credit_used:,} / {stats.credit_quota:,}"),
    ]
    queue = [(queue_label(k, lag), n, _n(n)) for k, n in stats.queue]
    policies = [(policy_status_label(s), n) for s, n in sorted(stats.policies.items())]
    causes = [(cause_label(c), n, _n(n)) for c, n, _i, _p in stats.causes]
    top = stats.countries[:10]
    countries = [(f"{country_name(c)} ({c})", n, _n(n)) for c, n, _i in top]
    utilisation = [(utilisation_label(k), n, _n(n)) for k, n, _p in stats.utilisation]
    credit = [(_("已用 %(n)s 份", n=used), n, _n(n)) for used, n in stats.credit_by_use]
    limit = money(programme.per_buyer_limit_usd)
    charts = [
        Chart(
            "queue-age",
            _("待签发保单等待时间"),
            _("已领取未签发的保单，按等待天数；出单时限为 %(lag)s 天", lag=lag),
            bar_chart("queue-age", _("待签发保单等待时间"), _("按等待天数分组"), queue),
            [_("等待时间"), _("保单数")],
            [[label, text] for label, _v, text in queue],
        ),
        Chart(
            "policy-status",
            _("保单状态"),
            _("本项目保单按状态分布"),
            donut_chart("policy-status", _("保单状态"), _("保单按状态分布"), policies),
            [_("状态"), _("保单数")],
            [[label, _n(n)] for label, n in policies],
        ),
        Chart(
            "loss-causes",
            _("报损原因"),
            _("报损案件按原因（商业风险、政治风险）"),
            bar_chart("loss-causes", _("报损原因"), _("报损案件数，按原因"), causes),
            [_("原因"), _("案件数"), _("发票金额"), _("已赔付")],
            [[cause_label(c), _n(n), money(i), money(p)] for c, n, i, p in stats.causes],
        ),
        Chart(
            "loss-countries",
            _("报损买方国别"),
            _("报损案件按买方所在国家（前 10 位）"),
            bar_chart("loss-countries", _("报损买方国别"), _("报损案件数，按买方国家"), countries),
            [_("国家"), _("案件数"), _("发票金额")],
            [[f"{country_name(c)} ({c})", _n(n), money(i)] for c, n, i in stats.countries],
        ),
        Chart(
            "limit-use",
            _("单一买方限额使用情况"),
            _("已赔付买方按累计赔款占单一买方限额（%(limit)s）的比例", limit=limit),
            bar_chart("limit-use", _("单一买方限额使用情况"), _("买方数，按限额使用比例"), utilisation),
            [_("限额使用比例"), _("买方数"), _("已赔付")],
            [[utilisation_label(k), _n(n), money(p)] for k, n, p in stats.utilisation],
        ),
        Chart(
            "credit-use",
            _("免费资信报告使用"),
            _("企业按已使用的免费资信报告份数（每家 %(n)s 份）", n=programme.free_credit_reports),
            bar_chart("credit-use", _("免费资信报告使用"), _("企业数，按已用份数"), credit),
            [_("已用份数"), _("企业数")],
            [[label, text] for label, _v, text in credit],
        ),
    ]
    loss_rows = [[loss_status_label(s), _n(n)] for s, n in sorted(stats.loss_status.items())]
    return {"kpis": kpis, "charts": charts, "loss_rows": loss_rows}
