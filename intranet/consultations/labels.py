"""What a consultation's topic and status are called (one place for pages and messages)."""

from __future__ import annotations

from flask_babel import LazyString, force_locale
from flask_babel import lazy_gettext as _l

from .models import ConsultationStatus

TOPICS: dict[str, LazyString] = {
    "claim": _l("领取保单与承保"),
    "loss": _l("报损与理赔"),
    "credit_report": _l("资信报告"),
    "account": _l("账号与系统使用"),
    "other": _l("其他问题"),
}
STATUS_LABELS: dict[str, LazyString] = {
    ConsultationStatus.OPEN: _l("待答复"),
    ConsultationStatus.ANSWERED: _l("已答复"),
}


def topic_label(topic: str, language: str | None = None) -> str:
    """The topic's name in the request's language, or in `language` (a message's recipient's)."""
    text = TOPICS.get(topic)
    if text is None:
        return topic
    if language is None:
        return str(text)
    with force_locale(language):
        return str(text)


def status_label(status: str) -> str:
    return str(STATUS_LABELS.get(status, status))
