"""The services around the policy, named as the notice names them (线上承保、线上报损核赔、线上资信、
线上咨询): what each is and where it lives. Addresses come from the programme's parameters; a
service links to its portal page only when that page exists in this deployment."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import current_app, url_for
from flask_babel import lazy_gettext as _l

from ..programmes.models import Programme


@dataclass
class Service:
    key: str
    name: Any
    text: Any
    url: str | None
    link: Any


def _url(endpoint: str) -> str | None:
    return url_for(endpoint) if endpoint in current_app.view_functions else None


def _consultation_url() -> str | None:
    """The portal's consultation page, when the consultations feature is installed: the first GET
    page without parameters under /portal of the `consultations` blueprint."""
    for rule in sorted(current_app.url_map.iter_rules(), key=lambda r: r.rule):
        if (
            rule.endpoint.startswith("consultations.")
            and rule.rule.startswith("/portal")
            and "GET" in (rule.methods or set())
            and not rule.arguments
        ):
            return url_for(rule.endpoint)
    return None


def online_services(programme: Programme) -> list[Service]:
    """The four online services, in the notice's order."""
    consult = _consultation_url()
    return [
        Service(
            "underwriting",
            _l("线上承保"),
            _l("在单一窗口或本平台在线领取统保保单，领取后可下载保单凭证。"),
            _url("portal.home"),
            _l("领取保单"),
        ),
        Service(
            "claims",
            _l("线上报损核赔"),
            _l("海外应收账款逾期未收，或发现买方或买方所在国存在风险异动时，第一时间在线报损并申请索赔。"),
            _url("losses.portal_list"),
            _l("报损/索赔"),
        ),
        Service(
            "credit",
            _l("线上资信"),
            _l("每家企业在保单有效期内可免费获得 %(n)s 个海外买家资信报告。", n=programme.free_credit_reports),
            _url("credit_reports.portal"),
            _l("申请资信报告"),
        ),
        Service(
            "consultation",
            _l("线上咨询"),
            _l("在线向所属区的客户经理提问，客户经理在线答复。")
            if consult
            else _l("向所属区的客户经理咨询，或拨打投保咨询电话 %(phone)s。", phone=programme.hotline_consult),
            consult,
            _l("在线咨询"),
        ),
    ]
