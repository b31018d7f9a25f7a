"""Tell the enterprise about each decision on its loss report (and each request for documents),
through the outbox, in the same transaction, on the channels it chose."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from datetime import datetime
from typing import Any

from flask import current_app, has_request_context
from flask_babel import LazyString, force_locale, lazy_pgettext

from ..enterprises import service as enterprises
from ..enterprises.models import Enterprise
from ..outbox import service as outbox
from . import rules
from .models import LossEvent, LossReport

DECISIONS: dict[str, LazyString] = {
    "accepted": lazy_pgettext("loss decision", "已受理"),
    "rejected": lazy_pgettext("loss decision", "不予受理"),
    "paid": lazy_pgettext("loss decision", "同意赔付"),
    "declined": lazy_pgettext("loss decision", "拒赔"),
}


def worded(text: LazyString, language: str) -> str:
    """A lazy text in a message's language (the recipient's, not the request's)."""
    with force_locale(language):
        return str(text)


def channels_for(enterprise: Enterprise) -> dict[str, str]:
    """The enterprise's chosen channels; service messages always go out on at least one."""
    chosen = {}
    if enterprise.notify_email and enterprise.email:
        chosen["email"] = enterprise.email
    if enterprise.notify_sms and enterprise.mobile:
        chosen["sms"] = enterprise.mobile
    if not chosen:
        if enterprise.email:
            chosen["email"] = enterprise.email
        elif enterprise.mobile:
            chosen["sms"] = enterprise.mobile
    return chosen


def language_for(enterprise: Enterprise) -> str:
    account = enterprises.account_for(enterprise)
    return "en" if account is not None and account.locale == "en" else "zh"


@contextmanager
def rendering() -> Iterator[None]:
    """Message templates render through Flask's context processors, some of which expect a request
    (e.g. the logout form); the CLI and the notifier have none, so lend them one."""
    ctx = nullcontext() if has_request_context() else current_app.test_request_context("/")
    with ctx:
        yield


def _send(report: LossReport, event: LossEvent, template: str, context: dict[str, Any], now: datetime) -> int:
    enterprise = report.enterprise
    language = language_for(enterprise)
    account = enterprises.account_for(enterprise)
    queued = 0
    for channel, recipient in channels_for(enterprise).items():
        with rendering():
            message = outbox.queue(
                channel=channel,
                recipient=recipient,
                job="loss",
                template=template,
                context=context,
                dedupe_key=f"loss:{report.id}:{event.id}:{channel}",
                now=now,
                enterprise_id=enterprise.id,
                user_id=account.id if account else None,
                language=language,
            )
        queued += message is not None
    return queued


def _base_context(report: LossReport) -> dict[str, Any]:
    programme = report.policy.programme
    return {
        "enterprise_name": report.enterprise.name,
        "report_id": report.id,
        "policy_no": report.policy.policy_no or "",
        "buyer_name": report.buyer_name,
        "buyer_country": report.buyer_country,
        "invoice_total": rules.fmt(report.invoice_total_usd),
        "report_url": f"{current_app.config['TONGBAO_BASE_URL']}/portal/losses/{report.id}",
        "hotline": programme.hotline_claims,
    }


def decision(report: LossReport, event: LossEvent, now: datetime) -> int:
    context = {
        **_base_context(report),
        "decision": report.status,
        "decision_zh": worded(DECISIONS[report.status], "zh"),
        "decision_en": worded(DECISIONS[report.status], "en"),
        "amount": rules.fmt(report.paid_usd) if report.paid_usd is not None else "",
        "reason": event.text or "",
    }
    return _send(report, event, "loss_decision", context, now)


def documents_requested(report: LossReport, event: LossEvent, now: datetime) -> int:
    context = {**_base_context(report), "request": event.text}
    return _send(report, event, "loss_documents", context, now)
