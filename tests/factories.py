"""Build rows directly (bypassing services) so each feature's tests can start from any state."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import select

from intranet.auth.models import User
from intranet.clock import now
from intranet.districts.models import District
from intranet.enterprises.models import Enterprise
from intranet.extensions import db
from intranet.policies.models import Policy
from intranet.programmes.models import Programme
from intranet.roster.models import Roster, RosterEntry
from intranet.roster.search import grams_for, normalize_for_search
from intranet.roster.uscc import ALPHABET, check_digit

PASSWORD = "correct horse battery"


def make_uscc(n: int, prefix: str = "91440300") -> str:
    """A valid USCC derived from n (deterministic)."""
    body = ""
    value = n
    for _ in range(17 - len(prefix)):
        body = ALPHABET[value % 31] + body
        value //= 31
    first17 = prefix + body
    return first17 + check_digit(first17)


def programme(year: int = 2024) -> Programme:
    found = db.session.scalar(select(Programme).where(Programme.year == year))
    assert found is not None
    return found


def district(name: str = "南山区") -> District:
    found = db.session.scalar(select(District).where(District.name_zh == name))
    assert found is not None
    return found


def make_enterprise(
    n: int,
    *,
    name: str | None = None,
    district_name: str = "南山区",
    email: str | None = None,
    mobile: str | None = "13800000000",
) -> Enterprise:
    stamp = now()
    enterprise = Enterprise(
        uscc=make_uscc(n),
        name=name or f"深圳市测试{n}号科技有限公司",
        district=district(district_name),
        contact_name="张三",
        mobile=mobile,
        email=email if email is not None else f"e{n}@example.com",
        created_at=stamp,
        updated_at=stamp,
    )
    db.session.add(enterprise)
    db.session.flush()
    return enterprise


def make_roster(
    prog: Programme,
    *,
    status: str = "draft",
    seq: int = 1,
    notice_start: date | None = None,
    notice_end: date | None = None,
    confirmed_at: datetime | None = None,
) -> Roster:
    roster = Roster(
        programme_id=prog.id,
        seq=seq,
        status=status,
        notice_start=notice_start,
        notice_end=notice_end,
        created_at=now(),
        confirmed_at=confirmed_at,
    )
    if status != "draft":
        roster.published_at = now()
    db.session.add(roster)
    db.session.flush()
    return roster


def add_entry(
    roster: Roster, enterprise: Enterprise, amount: str = "1000000.00", *, eligible: bool = True, status: str = "listed"
) -> RosterEntry:
    norm = normalize_for_search(enterprise.name)
    entry = RosterEntry(
        roster_id=roster.id,
        programme_id=roster.programme_id,
        enterprise_id=enterprise.id,
        name=enterprise.name,
        uscc=enterprise.uscc,
        district_id=enterprise.district_id,
        export_amount_usd=Decimal(amount),
        eligible=eligible,
        status=status,
        search_norm=norm,
        search_grams=grams_for(norm),
        created_at=now(),
        updated_at=now(),
    )
    db.session.add(entry)
    db.session.flush()
    return entry


def make_user(role: str, email: str, *, enterprise: Enterprise | None = None, password: str = PASSWORD) -> User:
    from werkzeug.security import generate_password_hash

    user = User(
        email=email,
        role=role,
        enterprise_id=enterprise.id if enterprise else None,
        password_hash=generate_password_hash(password, method="pbkdf2:sha256:1000"),
        active=True,
        created_at=now(),
        activated_at=now(),
        display_name=email,
    )
    db.session.add(user)
    db.session.flush()
    return user


def confirmed_enterprise(n: int, year: int = 2024, **kwargs: object) -> Enterprise:
    """An enterprise listed on a confirmed main roster of `year` (roster created on first use)."""
    prog = programme(year)
    roster = db.session.scalar(select(Roster).where(Roster.programme_id == prog.id, Roster.seq == 1))
    if roster is None:
        roster = make_roster(
            prog, status="confirmed", notice_start=date(year, 5, 20), notice_end=date(year, 5, 26), confirmed_at=now()
        )
    enterprise = make_enterprise(n, **kwargs)  # type: ignore[arg-type]
    add_entry(roster, enterprise)
    return enterprise


def make_policy(
    enterprise: Enterprise,
    prog: Programme,
    *,
    status: str = "claimed",
    claimed_at: datetime,
    on_time: bool = True,
    **fields: object,
) -> Policy:
    policy = Policy(
        programme_id=prog.id,
        enterprise_id=enterprise.id,
        status=status,
        claimed_at=claimed_at,
        claimed_on_time=on_time,
        **fields,
    )
    db.session.add(policy)
    db.session.flush()
    return policy
