"""The audited actions' labels (Chinese message ids, English in the catalogue), in the foundation
so that any page listing audit rows (the staff audit log, an enterprise's own activity) shows them
instead of the codes."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l

OTHER = _l("其他操作")

# by prefix: the groups of the action filter
ACTION_GROUPS: dict[str, Any] = {
    "roster.": _l("名单"),
    "objection.": _l("异议"),
    "programme.": _l("统保项目"),
    "policy.": _l("保单"),
    "certificate.": _l("保单凭证"),
    "loss.": _l("报损理赔"),
    "credit_report.": _l("资信报告"),
    "notice.": _l("风险通报"),
    "manager.": _l("客户经理"),
    "enterprise.": _l("企业"),
    "user.": _l("账号"),
    "api_token.": _l("接口令牌"),
    "api.": _l("接口调用"),
    "export.": _l("导出"),
    "outbox.": _l("消息发送"),
    "consultation.": _l("线上咨询"),
    "calendar.": _l("工作日历"),
}

ACTION_LABELS: dict[str, Any] = {
    "roster.import": _l("导入名单"),
    "roster.import.upload": _l("上传名单文件"),
    "roster.import.accept_check_digit": _l("接受校验位不符的信用代码"),
    "roster.publish": _l("发布名单公示"),
    "roster.confirm": _l("确认名单"),
    "roster.invite": _l("发送激活邀请"),
    "roster.discard": _l("删除名单草稿"),
    "roster.entry_remove": _l("从草稿中移除企业"),
    "objection.file": _l("提出异议"),
    "objection.upheld": _l("异议成立"),
    "objection.dismissed": _l("异议不成立"),
    "programme.create": _l("新建统保项目"),
    "programme.edit": _l("修改项目参数"),
    "programme.exclude": _l("增加不予承保国别"),
    "programme.include": _l("移除不予承保国别"),
    "programme.publish": _l("发布统保项目"),
    "policy.claim": _l("领取保单"),
    "policy.issue": _l("签发保单"),
    "policy.issue_all": _l("批量签发保单"),
    "policy.lapse": _l("领取失效（保障期已结束仍未签发）"),
    "policy.revoke": _l("撤销保单"),
    "policy.verify_code": _l("更换核验码"),
    "certificate.render": _l("生成保单凭证"),
    "loss.report": _l("报损"),
    "loss.accept": _l("受理报损"),
    "loss.reject": _l("不予受理报损"),
    "loss.request_documents": _l("要求补充材料"),
    "loss.answer": _l("企业补充材料"),
    "loss.note": _l("添加案件备注"),
    "loss.payment_received": _l("登记已收回款项"),
    "loss.merge_party": _l("合并买方或开证行"),
    "loss.paid": _l("赔付"),
    "loss.declined": _l("拒赔"),
    "credit_report.request": _l("申请资信报告"),
    "credit_report.deliver": _l("出具资信报告"),
    "credit_report.decline": _l("不能出具资信报告"),
    "credit_report.merge_buyer": _l("合并同一买方"),
    "consultation.ask": _l("提出咨询"),
    "consultation.follow_up": _l("追问咨询"),
    "consultation.answer": _l("答复咨询"),
    "notice.create": _l("撰写风险通报"),
    "notice.edit": _l("修改风险通报"),
    "notice.publish": _l("发布风险通报"),
    "notice.archive": _l("归档风险通报"),
    "notice.send_now": _l("立即发送风险预警"),
    "calendar.day": _l("录入节假日或调休日"),
    "calendar.remove": _l("删除节假日或调休日"),
    "calendar.import": _l("导入节假日安排"),
    "manager.create": _l("新增客户经理"),
    "manager.edit": _l("修改客户经理"),
    "manager.contact": _l("记录联系企业"),
    "enterprise.preferences": _l("修改通知设置"),
    "enterprise.monthly_notices.opt_out": _l("退订月度风险通报"),
    "enterprise.colleague_invite": _l("邀请经办人"),
    "enterprise.colleague_permissions": _l("修改经办人权限"),
    "enterprise.colleague_remove": _l("移除经办人"),
    "user.create": _l("创建账号"),
    "user.activate": _l("激活账号"),
    "user.deactivate": _l("停用账号"),
    "user.password_change": _l("修改密码"),
    "user.password_reset": _l("重置密码"),
    "user.password_reset_request": _l("申请重置密码"),
    "user.email_change_request": _l("申请更换邮箱"),
    "user.mobile_change_request": _l("申请更换手机"),
    "user.email_change": _l("更新邮箱"),
    "user.mobile_change": _l("更新手机"),
    "api_token.create": _l("创建接口令牌"),
    "api_token.revoke": _l("吊销接口令牌"),
    "api.call": _l("接口调用"),
    "export.roster": _l("导出名单"),
    "export.policies": _l("导出保单"),
    "export.losses": _l("导出报损案件"),
    "outbox.retry": _l("重发消息"),
    "outbox.purge": _l("按保存期限删除消息内容"),
}


def action_label(code: str) -> str:
    found = ACTION_LABELS.get(code)
    if found is not None:
        return str(found)
    for prefix, group in ACTION_GROUPS.items():
        if code.startswith(prefix):
            return str(_l("%(group)s：其他操作", group=group))
    return str(OTHER)
