"""What staff read instead of the outbox's codes: the kind of message (`job`), its template and
language. The codes stay in the page's markup (a `title` and `data-code`) for searching."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l

from .dispatch import CHANNEL_LABELS, STATUS_LABELS

JOB_LABELS: dict[str, Any] = {
    "invitation": _l("激活邀请"),
    "reminder": _l("领取提醒"),
    "policy": _l("保单进度通知"),
    "notice": _l("月度风险通报"),
    "alert": _l("工作人员提醒"),
    "account": _l("账号验证码"),
    "credit_report": _l("资信报告"),
    "loss": _l("报损案件通知"),
    "objection_reply": _l("异议答复"),
    "consultation": _l("线上咨询"),
    "lapse": _l("领取失效通知"),
}

TEMPLATE_LABELS: dict[str, Any] = {
    "invitation": _l("激活邀请"),
    "colleague_invitation": _l("经办人邀请"),
    "reminder": _l("领取提醒"),
    "policy_claimed": _l("领取受理通知"),
    "policy_issued": _l("保单签发通知"),
    "notice": _l("月度风险通报"),
    "alert_claims_overdue": _l("超期未出单提醒"),
    "alert_failed_messages": _l("消息发送失败提醒"),
    "alert_notice_ended": _l("公示期结束提醒"),
    "password_reset": _l("重置密码"),
    "contact_code": _l("联系方式验证码"),
    "credit_report": _l("资信报告"),
    "loss_decision": _l("报损处理结果"),
    "loss_documents": _l("补充材料通知"),
    "objection_reply": _l("异议答复"),
    "policy_lapsed": _l("领取失效通知"),
    "alert_claim_cover_ending": _l("保障期将结束未出单提醒"),
    "consultation_question": _l("新咨询通知（客户经理）"),
    "consultation_answered": _l("咨询已答复"),
    "alert_consultation_overdue": _l("咨询超时未答复提醒"),
}

LANGUAGE_LABELS: dict[str, Any] = {"zh": _l("中文"), "en": _l("英文")}

OTHER = _l("其他")


def label(table: dict[str, Any], code: str | None) -> str:
    """The label of a code, or "other" for a code without one (the code itself stays in a title)."""
    if not code:
        return ""
    found = table.get(code)
    return str(found) if found is not None else str(OTHER)


def page_labels() -> dict[str, dict[str, str]]:
    """Every table, translated for the current request (templates look codes up in them)."""
    return {
        "status_labels": {k: str(v) for k, v in STATUS_LABELS.items()},
        "channel_labels": {k: str(v) for k, v in CHANNEL_LABELS.items()},
        "job_labels": {k: str(v) for k, v in JOB_LABELS.items()},
        "template_labels": {k: str(v) for k, v in TEMPLATE_LABELS.items()},
        "language_labels": {k: str(v) for k, v in LANGUAGE_LABELS.items()},
    }
