"""Demo step: monthly risk notices (two published months and a draft) through the real services."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..actors import SystemActor
from ..clock import shanghai
from . import service

if TYPE_CHECKING:
    from ..demo.context import DemoContext

OPERATOR = SystemActor(name="demo")

NOTICES = [
    (
        -1,
        "country_risk",
        ["RU", "UA"],
        "国别风险信息：俄罗斯、乌克兰",
        "## 俄罗斯\n\n- 金融制裁持续，**跨境付款周期延长**，建议采用信用证或预付款方式。\n"
        "- 部分买方出现拖欠，报损请在知悉后及时报案。\n\n## 乌克兰\n\n战争风险仍高，新签合同请先咨询客户经理。\n",
    ),
    (
        0,
        "market_info",
        ["US", "DE"],
        "海外市场信息：美国、德国",
        "| 国家 | 关注点 |\n|---|---|\n| 美国 | 关税调整，注意原产地规则 |\n| 德国 | 零售商库存偏高，付款期拉长 |\n\n"
        "详见 [中国信保官网](https://www.sinosure.com.cn/)。\n",
    ),
]


def _month(ctx: DemoContext, delta: int) -> str:
    local = shanghai(ctx.now)
    index = local.year * 12 + (local.month - 1) + delta
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def demo_step(ctx: DemoContext) -> None:
    for delta, category, countries, title, body in NOTICES:
        data = service.NoticeInput(
            title=title, body_md=body, category=category, month=_month(ctx, delta), countries=countries
        )
        notice = service.create_draft(OPERATOR, data, now=ctx.now)
        service.publish(OPERATOR, notice, now=ctx.now)
    draft = service.NoticeInput(
        title="风险提示：警惕冒用买方名义的诈骗",
        body_md="近期出现冒用海外买方邮箱要求变更收款账户的情况，**请电话核实**后再发货。\n",
        category="risk_alert",
        month=_month(ctx, 0),
        countries=[],
    )
    service.create_draft(OPERATOR, draft, now=ctx.now)
