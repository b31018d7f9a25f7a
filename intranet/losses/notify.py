"""Tell the enterprise about each decision on its loss report (and each request for documents),
through the outbox, in the same transaction, on the channels it chose."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import current_app
from flask_babel import LazyString, force_locale, lazy_pgettext

from ..enterprises import service as enterprises
from ..enterprises.messages import channels_for, language_for, rendering
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
