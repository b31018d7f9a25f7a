"""Demo data a newcomer can explore: the 2024 edition as the notice describes it, and the
current year's edition with the same rules, its roster confirmed and in the claim window,
plus a supplementary roster under public notice today."""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal

import click
from sqlalchemy import select

from ..actors import SystemActor
from ..auth.models import User
from ..clock import now as clock_now
from ..clock import shanghai_date
from ..consultations.demo import demo_step as consultations_step
from ..districts.demo import demo_step as manager_contacts_step
from ..districts.models import District
from ..enterprises.models import Enterprise
from ..extensions import db
from ..losses.demo import demo_step as losses_step
from ..notices.demo import demo_step as notices_step
from ..outbox.demo import demo_step as outbox_step
from ..policies.demo import demo_step as policies_step
from ..programmes import publication
from ..programmes import service as programmes
from ..programmes.models import Programme
from ..roster.models import Roster, RosterEntry
from ..roster.notice_demo import demo_step as roster_objections_step
from ..roster.search import grams_for, normalize_for_search
from ..uscc import ALPHABET, check_digit
from ..workdays.demo import demo_step as calendar_step
from .context import DemoContext

DEMO_PASSWORD = "tongbao-demo-2024"  # noqa: S105 - the published demo password
DEMO_ACTOR = SystemActor(name="demo")
WORDS = [
    "华信",
    "宏达",
    "海纳",
    "鹏程",
    "天成",
    "创新",
    "博远",
    "恒通",
    "金桥",
    "盛世",
    "远航",
    "中科",
    "联创",
    "汇丰",
    "利民",
    "新世纪",
    "东方",
    "南粤",
    "前程",
    "安达",
]
TRADES = [
    "电子",
    "科技",
    "实业",
    "贸易",
    "进出口",
    "五金",
    "照明",
    "新能源",
    "电池",
    "纺织",
    "家具",
    "精密",
    "光电",
    "医疗器械",
    "玩具",
]


DEMO_STEPS: list[Callable[[DemoContext], None]] = [
    policies_step,
    losses_step,
    notices_step,
    manager_contacts_step,
    calendar_step,
    consultations_step,
    roster_objections_step,
    outbox_step,
]


def is_empty() -> bool:
    return db.session.scalar(select(User.id).limit(1)) is None and db.session.scalar(select(Roster.id).limit(1)) is None


def demo_uscc(n: int) -> str:
    body = ""
    value = 7919 * n + 104729
    for _ in range(9):
        body = ALPHABET[value % 31] + body
        value //= 31
    first17 = "91440300" + body
    return first17 + check_digit(first17)


def _enterprises(ctx: DemoContext, count: int) -> None:
    rng = random.Random(2024)  # noqa: S311 - deterministic demo names, not security
    districts = list(db.session.scalars(select(District).order_by(District.sort)))
    used: set[str] = set()
    for n in range(1, count + 1):
        while True:
            name = f"深圳市{rng.choice(WORDS)}{rng.choice(TRADES)}有限公司"
            if name not in used:
                used.add(name)
                break
        e = Enterprise(
            uscc=demo_uscc(n),
            name=name,
            district=districts[n % len(districts)],
            contact_name=f"联系人{n}",
            mobile=f"1380013{n:04d}",
            email=f"contact{n}@exporter{n}.example.cn",
            created_at=ctx.now,
            updated_at=ctx.now,
        )
        db.session.add(e)
        ctx.enterprises.append(e)
    db.session.flush()


def _roster(
    programme: Programme,
    seq: int,
    status: str,
    start: date,
    end: date,
    members: list[Enterprise],
    ctx: DemoContext,
    amounts: random.Random,
) -> Roster:
    roster = Roster(
        programme_id=programme.id,
        seq=seq,
        status=status,
        notice_start=start,
        notice_end=end,
        created_at=ctx.now,
        published_at=ctx.now,
        confirmed_at=ctx.now if status == "confirmed" else None,
    )
    db.session.add(roster)
    db.session.flush()
    for e in members:
        amount = Decimal(amounts.randrange(50_000_00, 8_000_000_00)) / 100
        norm = normalize_for_search(e.name)
        db.session.add(
            RosterEntry(
                roster_id=roster.id,
                programme_id=programme.id,
                enterprise_id=e.id,
                name=e.name,
                uscc=e.uscc,
                district_id=e.district_id,
                export_amount_usd=amount,
                eligible=True,
                status="listed",
                search_norm=norm,
                search_grams=grams_for(norm),
                created_at=ctx.now,
                updated_at=ctx.now,
            )
        )
    db.session.flush()
    return roster


def _user(ctx: DemoContext, role: str, email: str, enterprise: Enterprise | None = None) -> User:
    from ..auth.service import hash_password

    user = User(
        email=email,
        role=role,
        enterprise_id=enterprise.id if enterprise else None,
        display_name=enterprise.name if enterprise else email.split("@")[0],
        password_hash=hash_password(DEMO_PASSWORD),
        active=True,
        created_at=ctx.now,
        activated_at=ctx.now,
    )
    db.session.add(user)
    db.session.flush()
    ctx.users[email] = user
    ctx.logins.append((role, enterprise.uscc if enterprise else email, DEMO_PASSWORD))
    return user


def build(ctx: DemoContext) -> None:
    amounts = random.Random(8)  # noqa: S311
    p2024 = programmes.get_programme(2024)
    ctx.programmes[2024] = p2024
    year = shanghai_date(ctx.now).year
    current = p2024
    if year != 2024:
        current = db.session.scalar(select(Programme).where(Programme.year == year)) or programmes.copy_programme(
            DEMO_ACTOR, p2024, year, now=ctx.now
        )
    if not current.is_published:  # the demo's year is a live one: its programme is published
        publication.publish(DEMO_ACTOR, current, now=ctx.now)
    ctx.programmes[year] = current
    _enterprises(ctx, 60)
    _roster(p2024, 1, "confirmed", date(2024, 5, 20), date(2024, 5, 26), ctx.enterprises[:40], ctx, amounts)
    if current is not p2024:
        start = date(year, 5, 20)
        _roster(current, 1, "confirmed", start, start + timedelta(days=6), ctx.enterprises[:50], ctx, amounts)
    today = shanghai_date(ctx.now)
    latest = db.session.scalar(select(Roster.seq).where(Roster.programme_id == current.id).order_by(Roster.seq.desc()))
    _roster(
        current,
        (latest or 0) + 1,
        "notice",
        today - timedelta(days=2),
        today + timedelta(days=4),
        ctx.enterprises[50:60],
        ctx,
        amounts,
    )
    _user(ctx, "bureau", "bureau@demo.tongbao.cn")
    _user(ctx, "insurer", "insurer@demo.tongbao.cn")
    _user(ctx, "enterprise", "contact1@exporter1.example.cn", ctx.enterprises[0])
    for step in DEMO_STEPS:
        step(ctx)


def print_logins() -> None:
    click.echo(f"Demo logins (password for all: {DEMO_PASSWORD}):")
    click.echo("  bureau (Commerce Bureau)   bureau@demo.tongbao.cn")
    click.echo("  insurer (Sinosure)         insurer@demo.tongbao.cn")
    click.echo(f"  enterprise                 {demo_uscc(1)}  or  contact1@exporter1.example.cn")


def load_demo(*, if_empty: bool = False) -> bool:
    if not is_empty():
        if if_empty:
            print_logins()
            return False
        raise click.ClickException("the database is not empty; demo data loads only into an empty database")
    ctx = DemoContext(now=clock_now())
    build(ctx)
    db.session.commit()
    click.echo("Demo data loaded.")
    print_logins()
    return True
