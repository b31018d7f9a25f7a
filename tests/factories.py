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
from intranet.programmes.service import SERVICE_FIELDS
from intranet.roster.models import Roster, RosterEntry
from intranet.roster.search import grams_for, normalize_for_search
from intranet.uscc import ALPHABET, check_digit

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


# --- desk: risk notices, loss reports for dashboards/exports (bulk-friendly helpers) ---------


def make_notice(
    title: str,
    *,
    month: str = "2024-07",
    status: str = "published",
    category: str = "country_risk",
    countries: list[str] | None = None,
    body_md: str = "正文",
    published_at: datetime | None = None,
) -> object:
    from intranet.notices.models import RiskNotice

    stamp = now()
    notice = RiskNotice(
        month=month,
        category=category,
        title=title,
        body_md=body_md,
        countries=countries or [],
        status=status,
        created_at=stamp,
        published_at=(published_at or stamp) if status != "draft" else None,
    )
    db.session.add(notice)
    db.session.flush()
    return notice


def make_loss(
    policy: Policy,
    *,
    buyer: str = "ACME Trading LLC",
    country: str = "US",
    cause: str = "buyer_default",
    amount: str = "10000.00",
    status: str = "reported",
    paid: str | None = None,
    estimate: str | None = None,
    reported_at: datetime | None = None,
) -> object:
    from intranet.losses import parties
    from intranet.losses.models import LossReport

    party = parties.ensure(policy.id, parties.PartyInput("buyer", buyer, country), now())
    report = LossReport(
        policy_id=policy.id,
        enterprise_id=policy.enterprise_id,
        buyer_name=buyer,
        buyer_key=" ".join(buyer.lower().split()),
        buyer_country=country,
        buyer_party_id=party.id,
        limit_party_id=party.id,
        cause=cause,
        status=status,
        invoice_total_usd=Decimal(amount),
        covered=True,
        reasons=[],
        estimate_usd=Decimal(estimate if estimate is not None else amount),
        paid_usd=Decimal(paid) if paid is not None else None,
        reported_at=reported_at or now(),
        reported_via="web",
    )
    db.session.add(report)
    db.session.flush()
    return report


def loss_policy_holder(n: int, year: int = 2024, **fields: object) -> tuple[Enterprise, User, Policy]:
    """An enterprise on the confirmed roster with a login and an issued policy for the whole cover
    period (losses and credit-report tests)."""
    prog = programme(year)
    enterprise = confirmed_enterprise(n, year)
    user = make_user("enterprise", f"owner{n}@exporter.test", enterprise=enterprise)
    values: dict[str, object] = {
        "policy_no": f"TB{year}L{n:05d}",
        "issued_at": now(),
        "issue_date": prog.cover_start,
        "cover_start": prog.cover_start,
        "cover_end": prog.cover_end,
        "verify_code": f"LV{year}{n:06d}",
        **fields,
    }
    policy = make_policy(enterprise, prog, status="issued", claimed_at=now(), **values)
    return enterprise, user, policy


def certificate_holder(
    n: int, year: int = 2024, *, name: str | None = None, district_name: str = "南山区", **fields: object
) -> tuple[Enterprise, User, Policy]:
    """An enterprise with a login and a policy issued as the policies service would issue it (number,
    unguessable verify code, issue date, cover) — the certificates tests start from here."""
    from datetime import UTC

    from intranet.policies import rules

    prog = programme(year)
    enterprise = confirmed_enterprise(n, year, name=name, district_name=district_name)
    user = make_user("enterprise", f"cert{n}@exporter.test", enterprise=enterprise)
    values: dict[str, object] = {
        "policy_no": rules.policy_number(prog, n),
        "verify_code": rules.new_verify_code(),
        "issued_at": datetime(year, 7, 5, 2, 0, tzinfo=UTC),
        "issue_date": date(year, 7, 5),
        "cover_start": prog.cover_start,
        "cover_end": prog.cover_end,
        **fields,
    }
    policy = make_policy(
        enterprise, prog, status="issued", claimed_at=datetime(year, 6, 20, 2, 0, tzinfo=UTC), **values
    )
    return enterprise, user, policy


# --- notifier: another programme year, policy holders, buyers named in a country ---------------


def make_programme(year: int, *, like: int = 2024) -> Programme:
    """A programme for `year` with the parameters of `like`, every date moved by the difference."""
    base = programme(like)
    shift = year - like

    def moved(day: date) -> date:
        return day.replace(year=day.year + shift)

    prog = Programme(
        year=year,
        name_zh=base.name_zh.replace(str(like), str(year)),
        name_en=base.name_en.replace(str(like), str(year)),
        export_year=base.export_year + shift,
        threshold_usd=base.threshold_usd,
        claim_deadline=moved(base.claim_deadline),
        cover_start=moved(base.cover_start),
        cover_end=moved(base.cover_end),
        issuance_lag_days=base.issuance_lag_days,
        indemnity_ratio=base.indemnity_ratio,
        per_buyer_limit_usd=base.per_buyer_limit_usd,
        free_credit_reports=base.free_credit_reports,
        hotline_consult=base.hotline_consult,
        hotline_claims=base.hotline_claims,
        notice_days=base.notice_days,
        consultation_reply_days=base.consultation_reply_days,
        reminder_email_days=list(base.reminder_email_days),
        reminder_sms_days=list(base.reminder_sms_days),
        reminder_time=base.reminder_time,
        **{name: getattr(base, name) for name in SERVICE_FIELDS},
        created_at=now(),
        published_at=now(),
    )
    db.session.add(prog)
    db.session.flush()
    return prog


def policy_holder(n: int, year: int = 2024, **enterprise_fields: object) -> tuple[Enterprise, Policy]:
    """An enterprise on the confirmed roster of `year` holding an issued policy for the whole cover."""
    prog = programme(year)
    enterprise = confirmed_enterprise(n, year, **enterprise_fields)
    policy = make_policy(
        enterprise,
        prog,
        status="issued",
        claimed_at=now(),
        policy_no=f"TB{year}N{n:05d}",
        issued_at=now(),
        issue_date=prog.cover_start,
        cover_start=prog.cover_start,
        cover_end=prog.cover_end,
        verify_code=f"NV{year}{n:06d}",
    )
    return enterprise, policy


def make_credit_request(enterprise: Enterprise, country: str, *, year: int = 2024, buyer: str = "Buyer Ltd") -> object:
    from intranet.credit_reports.models import CreditReportRequest

    row = CreditReportRequest(
        programme_id=programme(year).id,
        enterprise_id=enterprise.id,
        buyer_name=buyer,
        buyer_country=country,
        free=True,
        status="requested",
        requested_at=now(),
    )
    db.session.add(row)
    db.session.flush()
    return row
