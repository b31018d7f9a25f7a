"""Demo step: the working calendar of 2024 (the demo's year), as the State Council published it."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..actors import SystemActor
from . import service

if TYPE_CHECKING:
    from ..demo.context import DemoContext

OPERATOR = SystemActor(name="demo")
HOLIDAYS_2024 = """
2024-01-01,休,元旦,New Year's Day
2024-02-04,班,春节调休,Spring Festival (make-up working day)
2024-02-10,休,春节,Spring Festival
2024-02-11,休,春节,Spring Festival
2024-02-12,休,春节,Spring Festival
2024-02-13,休,春节,Spring Festival
2024-02-14,休,春节,Spring Festival
2024-02-15,休,春节,Spring Festival
2024-02-16,休,春节,Spring Festival
2024-02-17,休,春节,Spring Festival
2024-02-18,班,春节调休,Spring Festival (make-up working day)
2024-04-04,休,清明节,Qingming Festival
2024-04-05,休,清明节,Qingming Festival
2024-04-06,休,清明节,Qingming Festival
2024-04-07,班,清明节调休,Qingming Festival (make-up working day)
2024-04-28,班,劳动节调休,Labour Day (make-up working day)
2024-05-01,休,劳动节,Labour Day
2024-05-02,休,劳动节,Labour Day
2024-05-03,休,劳动节,Labour Day
2024-05-04,休,劳动节,Labour Day
2024-05-05,休,劳动节,Labour Day
2024-05-11,班,劳动节调休,Labour Day (make-up working day)
2024-06-10,休,端午节,Dragon Boat Festival
2024-09-14,班,中秋节调休,Mid-Autumn Festival (make-up working day)
2024-09-15,休,中秋节,Mid-Autumn Festival
2024-09-16,休,中秋节,Mid-Autumn Festival
2024-09-17,休,中秋节,Mid-Autumn Festival
2024-09-29,班,国庆节调休,National Day (make-up working day)
2024-10-01,休,国庆节,National Day
2024-10-02,休,国庆节,National Day
2024-10-03,休,国庆节,National Day
2024-10-04,休,国庆节,National Day
2024-10-05,休,国庆节,National Day
2024-10-06,休,国庆节,National Day
2024-10-07,休,国庆节,National Day
2024-10-12,班,国庆节调休,National Day (make-up working day)
"""


def demo_step(ctx: DemoContext) -> None:
    service.import_days(OPERATOR, service.parse_lines(HOLIDAYS_2024), now=ctx.now)
