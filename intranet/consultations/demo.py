"""Demo step: online questions of the demo enterprise — one answered, one waiting for longer than
2 working days (on the insurer's desk with its alert), one asked an hour ago."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from ..actors import SystemActor
from . import service

if TYPE_CHECKING:
    from ..demo.context import DemoContext

INSURER = "insurer@demo.tongbao.cn"
ENTERPRISE = "contact1@exporter1.example.cn"
QUESTIONS = [
    (
        "claim",
        "我司 6 月 30 日之后才领取保单，保险期间从哪天开始？",
        8,
        "逾期领取的保单自签发之日起生效，至 2025 年 6 月 30 日止。",
    ),
    ("loss", "买方已逾期 60 天未付款，需要准备哪些材料报损？", 6, None),
    ("credit_report", "资信报告一般多久可以出具？", 0, None),
]


def demo_step(ctx: DemoContext) -> None:
    asker = ctx.users.get(ENTERPRISE)
    if asker is None:
        return
    answerer = ctx.users.get(INSURER) or SystemActor(name="demo")
    for topic, text, days_ago, reply in QUESTIONS:
        asked = ctx.now - timedelta(days=days_ago, hours=1)
        row = service.ask(asker, topic=topic, text=text, upload=None, now=asked)
        if reply:
            service.answer(answerer, row.id, text=reply, upload=None, now=asked + timedelta(hours=3))
