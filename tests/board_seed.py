"""The public notice board under notice: a 2024 main roster the public can search and object to."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from intranet.extensions import db

from .factories import add_entry, make_enterprise, make_roster, programme

OPEN = "2024-05-22T10:00:00+08:00"  # inside the 2024 notice period (20–26 May)
AMOUNTS = ["7654321.99", "6543210.87", "1234567.89"]
SECRET_MOBILE = "13912345678"
SECRET_EMAIL = "finance-secret@huawei.example.cn"


@dataclass
class Seeded:
    roster: object
    huawei: object
    bright: object
    removed: object
    ineligible: object
    listed: list[object] = field(default_factory=list)


def seed_board(start: date = date(2024, 5, 20), end: date = date(2024, 5, 26), extra: int = 26) -> Seeded:
    """The 2024 main roster under notice: Huawei, a Latin name, `extra` others, one removed, one ineligible."""
    prog = programme(2024)
    roster = make_roster(prog, status="notice", notice_start=start, notice_end=end)
    huawei = make_enterprise(1, name="深圳市华为技术有限公司", email=SECRET_EMAIL, mobile=SECRET_MOBILE)
    bright = make_enterprise(2, name="Shenzhen BRIGHT Lighting Co., Ltd.", district_name="宝安区")
    seeded = Seeded(
        roster=roster,
        huawei=huawei,
        bright=bright,
        removed=make_enterprise(3, name="深圳市已移除电子有限公司"),
        ineligible=make_enterprise(4, name="深圳市超额贸易有限公司"),
    )
    seeded.listed.append(add_entry(roster, huawei, AMOUNTS[0]))
    seeded.listed.append(add_entry(roster, bright, AMOUNTS[1]))
    add_entry(roster, seeded.removed, AMOUNTS[2], status="removed")
    add_entry(roster, seeded.ineligible, "8000000.01", eligible=False)
    for n in range(10, 10 + extra):
        seeded.listed.append(add_entry(roster, make_enterprise(n), AMOUNTS[n % 3]))
    db.session.commit()
    return seeded


def objection_data(uscc: str, contact: str = "whistle@example.org") -> dict[str, str]:
    return {"uscc": uscc, "reason": "该企业2023年出口额超过800万美元。", "contact_name": "王五", "contact": contact}
