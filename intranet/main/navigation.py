"""The staff/enterprise navigation and the staff home's cards, in one list each.

A feature adds its entry here; entries whose endpoint is not registered are skipped."""

from __future__ import annotations

from typing import Any

from flask import current_app, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user

# (endpoint, label, roles)
NAV: list[tuple[str, Any, frozenset[str]]] = [
    ("portal.home", _l("我的保单"), frozenset({"enterprise"})),
    ("main.staff_home", _l("工作台"), frozenset({"bureau", "insurer"})),
    ("roster.index", _l("名单管理"), frozenset({"bureau"})),
    ("roster.objection_list", _l("名单异议"), frozenset({"insurer"})),
    ("losses.portal_list", _l("报损/索赔"), frozenset({"enterprise"})),
    ("credit_reports.portal", _l("资信报告"), frozenset({"enterprise"})),
    ("consultations.portal_index", _l("线上咨询"), frozenset({"enterprise"})),
    ("losses.staff_queue", _l("报损案件"), frozenset({"insurer"})),
    ("credit_reports.staff_queue", _l("资信报告"), frozenset({"insurer"})),
    ("consultations.staff_queue", _l("线上咨询"), frozenset({"insurer"})),
    ("consultations.counts_page", _l("咨询统计"), frozenset({"bureau"})),
    ("policies.queue", _l("签发队列"), frozenset({"insurer"})),
    ("policies.index", _l("保单"), frozenset({"bureau", "insurer"})),
    ("notices.portal_index", _l("风险信息"), frozenset({"enterprise"})),
    ("dashboards.bureau", _l("看板"), frozenset({"bureau"})),
    ("dashboards.insurer", _l("看板"), frozenset({"insurer"})),
    ("notices.staff_index", _l("风险通报"), frozenset({"insurer"})),
    ("outbox.index", _l("消息发送"), frozenset({"bureau", "insurer"})),
    ("preferences.edit", _l("通知设置"), frozenset({"enterprise"})),
    ("colleagues.index", _l("经办人"), frozenset({"enterprise"})),
    ("accounts.contact_page", _l("联系方式"), frozenset({"enterprise", "bureau", "insurer"})),
]

# (endpoint, title, text, roles)
CARDS: list[tuple[str, Any, Any, frozenset[str]]] = [
    ("roster.index", _l("名单管理"), _l("导入名单、公示、处理异议、确认名单"), frozenset({"bureau"})),
    ("roster_import.new", _l("导入名单"), _l("上传 Excel 或 CSV 名单，检查后导入"), frozenset({"bureau"})),
    ("roster.objection_list", _l("名单异议"), _l("答复公众对公示名单提出的异议"), frozenset({"insurer"})),
    ("audit.index", _l("审计日志"), _l("谁在何时做了什么"), frozenset({"bureau", "insurer"})),
    ("losses.staff_queue", _l("报损案件"), _l("受理、调查、赔付或拒赔企业报损"), frozenset({"insurer"})),
    ("credit_reports.staff_queue", _l("资信报告"), _l("出具海外买家资信报告"), frozenset({"insurer"})),
    (
        "consultations.staff_queue",
        _l("线上咨询"),
        _l("答复企业的线上咨询，超过答复时限的标出"),
        frozenset({"insurer"}),
    ),
    ("consultations.counts_page", _l("线上咨询统计"), _l("各区提问、答复、超时数量"), frozenset({"bureau", "insurer"})),
    ("workdays.index", _l("工作日历"), _l("节假日与调休日，答复时限按此计算"), frozenset({"bureau", "insurer"})),
    ("policies.queue", _l("签发队列"), _l("签发企业领取的保单，超过签发时限的标出"), frozenset({"insurer"})),
    ("policies.index", _l("保单"), _l("查询保单、撤销保单"), frozenset({"bureau", "insurer"})),
    (
        "dashboards.bureau",
        _l("商务局看板"),
        _l("名单规模、各区领取率、每周领取、异议"),
        frozenset({"bureau", "insurer"}),
    ),
    (
        "dashboards.insurer",
        _l("信保看板"),
        _l("签发等待、报损原因与国别、限额使用、资信报告"),
        frozenset({"bureau", "insurer"}),
    ),
    (
        "notices.staff_index",
        _l("风险信息通报"),
        _l("撰写、预览、发布每月国别风险信息"),
        frozenset({"bureau", "insurer"}),
    ),
    ("programmes.index", _l("统保项目"), _l("项目参数、下一年度项目、不予承保国别"), frozenset({"bureau", "insurer"})),
    (
        "districts.index",
        _l("区域与客户经理"),
        _l("客户经理名单、待领取企业、联系记录"),
        frozenset({"bureau", "insurer"}),
    ),
    (
        "api_tokens.index",
        _l("接口令牌"),
        _l("单一窗口等对接系统的访问令牌：生成、吊销"),
        frozenset({"bureau", "insurer"}),
    ),
    ("exports.index", _l("数据导出"), _l("名单、保单、报损导出为 Excel 或 CSV"), frozenset({"bureau", "insurer"})),
    ("outbox.index", _l("消息发送"), _l("邮件短信发送状态、失败重发、每日发送图"), frozenset({"bureau", "insurer"})),
]


def _visible(endpoint: str, roles: frozenset[str]) -> bool:
    return current_user.is_authenticated and current_user.role in roles and endpoint in current_app.view_functions


def nav_items() -> list[dict[str, Any]]:
    return [{"url": url_for(e), "label": label} for e, label, roles in NAV if _visible(e, roles)]


def staff_cards() -> list[dict[str, Any]]:
    return [{"url": url_for(e), "title": title, "text": text} for e, title, text, roles in CARDS if _visible(e, roles)]
