"""What the audit log page shows instead of codes: each action, object type, changed field and
status value has a label (Chinese message id, English in the catalogue). The codes stay in the
markup (`title`, `data-code`) and in the filters' values, for staff who search by them."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from flask_babel import lazy_gettext as _l

from ..credit_reports.service import STATUS_LABELS as CREDIT_REPORT_STATUS
from ..losses.service import STATUS_LABELS as LOSS_STATUS
from ..outbox.dispatch import CHANNEL_LABELS
from ..outbox.dispatch import STATUS_LABELS as OUTBOX_STATUS
from ..policies.service import STATUS_LABELS as POLICY_STATUS
from ..security import PERMISSION_LABELS
from .actions import ACTION_GROUPS, ACTION_LABELS

OBJECT_LABELS: dict[str, Any] = {
    "rosters": _l("名单"),
    "roster_entries": _l("名单条目"),
    "objections": _l("异议"),
    "import_jobs": _l("名单导入"),
    "programmes": _l("统保项目"),
    "policies": _l("保单"),
    "certificates": _l("保单凭证"),
    "enterprises": _l("企业"),
    "users": _l("账号"),
    "loss_reports": _l("报损案件"),
    "loss_parties": _l("买方或开证行"),
    "credit_report_requests": _l("资信报告申请"),
    "risk_notices": _l("风险通报"),
    "account_managers": _l("客户经理"),
    "manager_contacts": _l("联系记录"),
    "api_token": _l("接口令牌"),
    "api_tokens": _l("接口令牌"),
    "outbox_messages": _l("消息"),
    "districts": _l("区域"),
}

FIELD_LABELS: dict[str, Any] = {
    "status": _l("状态"),
    "topic": _l("咨询主题"),
    "message_id": _l("消息编号"),
    "entry_status": _l("名单条目状态"),
    "decision": _l("决定"),
    "attempts": _l("尝试次数"),
    "error": _l("错误"),
    "reason": _l("理由"),
    "reply": _l("答复"),
    "name": _l("名称"),
    "name_zh": _l("中文名称"),
    "name_en": _l("英文名称"),
    "working": _l("调休上班"),
    "days": _l("天数"),
    "phone": _l("电话"),
    "email": _l("邮箱"),
    "mobile": _l("手机"),
    "active": _l("在职"),
    "districts": _l("负责区域"),
    "uscc": _l("统一社会信用代码"),
    "export_amount_usd": _l("出口额（美元）"),
    "permissions": _l("权限"),
    "enterprise_contact": _l("同时更新企业联系方式"),
    "notify_email": _l("邮件通知"),
    "notify_sms": _l("短信通知"),
    "monthly_notices": _l("月度风险通报"),
    "title": _l("标题"),
    "body_md": _l("正文"),
    "category": _l("类别"),
    "month": _l("月份"),
    "countries": _l("国别"),
    "export_year": _l("统计出口年度"),
    "threshold_usd": _l("出口额上限（美元）"),
    "claim_deadline": _l("领取截止"),
    "cover_start": _l("保险期限开始"),
    "cover_end": _l("保险期限结束"),
    "issuance_lag_days": _l("出单时限（天）"),
    "indemnity_ratio": _l("赔偿比例"),
    "per_buyer_limit_usd": _l("单一买方责任限额（美元）"),
    "free_credit_reports": _l("免费资信报告（份）"),
    "hotline_consult": _l("咨询电话"),
    "hotline_claims": _l("理赔服务电话"),
    "notice_days": _l("公示天数"),
    "consultation_reply_days": _l("咨询答复时限（工作日）"),
    "reminder_email_days": _l("邮件提醒（提前天数）"),
    "reminder_sms_days": _l("短信提醒（提前天数）"),
    "reminder_time": _l("提醒时间"),
    "policy_no": _l("保单号"),
    "claimed_on_time": _l("截止前领取"),
    "covered": _l("属于承保范围"),
    "assessed_usd": _l("核定损失（美元）"),
    "estimate_usd": _l("估算赔款（美元）"),
    "paid_usd": _l("赔款（美元）"),
    "received_usd": _l("已收回（美元）"),
    "limit_party": _l("限额对象"),
    "merged": _l("合并"),
    "into": _l("并入"),
    "notice_start": _l("公示开始"),
    "notice_end": _l("公示结束"),
    "roster_id": _l("名单"),
    "roster_seq": _l("名单批次"),
    "seq": _l("批次"),
    "programme": _l("项目年度"),
    "file": _l("文件"),
    "files": _l("文件"),
    "bytes": _l("字节"),
    "sha256": _l("文件指纹"),
    "rows": _l("行数"),
    "row": _l("行号"),
    "source_row": _l("原始行号"),
    "skipped_rows": _l("跳过的行"),
    "accept_good_rows": _l("只导入正确的行"),
    "listed": _l("列入名单"),
    "removed": _l("移除"),
    "added": _l("新增"),
    "enterprises": _l("企业数"),
    "enterprises_created": _l("新建企业"),
    "enterprises_updated": _l("更新企业"),
    "enterprise_id": _l("企业"),
    "queued": _l("已排队"),
    "already_queued": _l("此前已排队"),
    "tasks": _l("任务数"),
    "batch": _l("批次"),
    "channel": _l("渠道"),
    "kind": _l("种类"),
    "format": _l("格式"),
    "version": _l("版本"),
    "via": _l("方式"),
    "at": _l("时间"),
    "purged": _l("删除条数"),
    "retention_days": _l("保存天数"),
    "first_id": _l("起始编号"),
    "last_id": _l("结束编号"),
    "claim": PERMISSION_LABELS["claim"],
    "report_losses": PERMISSION_LABELS["report_losses"],
    "request_credit_reports": PERMISSION_LABELS["request_credit_reports"],
}

_ROSTER_STATUS = {"draft": _l("草稿"), "notice": _l("公示中"), "confirmed": _l("已确认")}
_ENTRY_STATUS = {"listed": _l("在名单上"), "removed": _l("已移出名单")}
_OBJECTION_STATUS = {"open": _l("待处理"), "upheld": _l("成立"), "dismissed": _l("不成立")}
_NOTICE_STATUS = {"draft": _l("草稿"), "published": _l("已发布"), "archived": _l("已归档")}
_IMPORT_STATUS = {
    "queued": _l("排队中"),
    "running": _l("进行中"),
    "checked": _l("已检查，待导入"),
    "refused": _l("文件被拒绝"),
    "failed": _l("失败"),
    "done": _l("已完成"),
}

# the status values of each kind of object (the audit row's object type)
STATUS_BY_OBJECT: dict[str, dict[str, Any]] = {
    "policies": {**POLICY_STATUS, "lapsed": _l("已失效")},
    "loss_reports": dict(LOSS_STATUS),
    "credit_report_requests": dict(CREDIT_REPORT_STATUS),
    "outbox_messages": dict(OUTBOX_STATUS),
    "rosters": _ROSTER_STATUS,
    "roster_entries": _ENTRY_STATUS,
    "objections": _OBJECTION_STATUS,
    "risk_notices": _NOTICE_STATUS,
    "import_jobs": _IMPORT_STATUS,
}
# fields whose value is a list of items, never an [old, new] pair
LIST_FIELDS = {"permissions", "countries", "districts", "added", "removed", "files", "skipped_rows", "merged", "into"}
# the coded values of other fields
VALUE_LABELS: dict[str, dict[str, Any]] = {
    "kind": {
        "buyer": _l("买方"),
        "bank": _l("开证行"),
        "roster": _l("名单"),
        "policies": _l("保单"),
        "losses": _l("报损案件"),
    },
    "channel": dict(CHANNEL_LABELS),
    "via": {"web": _l("网页"), "api": _l("接口")},
}
# a value its object type has no label for: the first label any kind of object gives it
ANY_STATUS: dict[str, Any] = {}
for _labels in STATUS_BY_OBJECT.values():
    for _code, _label in _labels.items():
        ANY_STATUS.setdefault(_code, _label)
STATUS_FIELDS = {"status": None, "decision": "objections", "entry_status": "roster_entries"}


def object_label(object_type: str | None) -> str:
    if not object_type:
        return ""
    found = OBJECT_LABELS.get(object_type)
    return str(found) if found is not None else str(_l("其他对象"))


def field_label(key: str) -> str:
    found = FIELD_LABELS.get(key)
    return str(found) if found is not None else str(_l("其他字段"))


def _value(value: Any, statuses: dict[str, Any] | None) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return str(_l("是") if value else _l("否"))
    if statuses is not None and isinstance(value, str) and value in statuses:
        return str(statuses[value])
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, list):
        return "、".join(_value(v, statuses) for v in value)
    if isinstance(value, dict):
        return "；".join(f"{field_label(str(k))}: {_value(v, statuses)}" for k, v in value.items())
    return str(value)


def change_lines(object_type: str | None, changes: dict[str, Any] | None) -> list[tuple[str, str, str]]:
    """(code, label, value shown) per changed field; an [old, new] pair reads "old → new"."""
    lines = []
    for key, value in (changes or {}).items():
        statuses = None
        if key in STATUS_FIELDS:
            statuses = {**ANY_STATUS, **STATUS_BY_OBJECT.get(STATUS_FIELDS[key] or object_type or "", {})}
        elif key == "permissions":
            statuses = dict(PERMISSION_LABELS)
        else:
            statuses = VALUE_LABELS.get(key)
        if isinstance(value, list) and len(value) == 2 and key not in LIST_FIELDS:
            shown = f"{_value(value[0], statuses)} → {_value(value[1], statuses)}"
        else:
            shown = _value(value, statuses)
        lines.append((key, field_label(key), shown))
    return lines


def action_choices() -> list[tuple[str, str, list[tuple[str, str]]]]:
    """The action filter: (prefix, group label, [(code, label)]) per group."""
    groups = []
    for prefix, group in ACTION_GROUPS.items():
        members = [(code, str(label)) for code, label in ACTION_LABELS.items() if code.startswith(prefix)]
        groups.append((prefix, str(group), members))
    return groups


def object_choices() -> list[tuple[str, str]]:
    return [(code, str(label)) for code, label in OBJECT_LABELS.items() if code != "api_tokens"]
