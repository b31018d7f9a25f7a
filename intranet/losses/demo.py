"""Demo step: loss reports and credit reports through the real services, at moments relative to
each policy's cover start (never after the demo's clock) — the notice's case 1 paid at
USD 150,000.00, an open case waiting for the enterprise's documents, a shipment before the cover
start, a declined case, a political-risk case, a loss under a letter of credit charged to its issuing
bank, and credit reports (one quota used up)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from ..actors import SystemActor
from ..clock import SHANGHAI, shanghai_date
from ..extensions import db
from ..policies.models import Policy
from . import attachments as files
from . import inputs, rules, service, workflow

if TYPE_CHECKING:
    from ..demo.context import DemoContext

SINGLE_WINDOW = SystemActor(name="api:单一窗口 (demo)", role="api")
OPERATOR = SystemActor(name="demo")
DEMO_PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]/Contents 4 0 R/Resources<</Font<</F1 5 0 R>>>>>>endobj\n"
    b"4 0 obj<</Length 58>>stream\nBT /F1 18 Tf 72 760 Td (Demo buyer credit report) Tj ET\nendstream endobj\n"
    b"5 0 obj<</Type/Font/Subtype/Type1/BaseFont/Helvetica>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
)


@dataclass
class Case:
    buyer: str
    country: str
    cause: str
    invoices: list[tuple[str, str, int]]  # (number, amount, days after cover start)
    due_after: int
    reported_after: int
    steps: tuple[str, ...] = ()
    reason: str = ""
    bank: tuple[str, str, str] | None = None  # a letter of credit's issuing bank: name, SWIFT BIC, country


def _at(day: date, hour: int = 10) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=SHANGHAI)


def _input(policy: Policy, case: Case) -> inputs.LossInput:
    start = policy.cover_start or policy.programme.cover_start
    return inputs.LossInput(
        buyer_name=case.buyer,
        buyer_country=case.country,
        due_date=start + timedelta(days=case.due_after),
        cause=case.cause,
        invoices=[rules.Invoice(no, Decimal(amount), start + timedelta(days=d)) for no, amount, d in case.invoices],
        payment_terms=rules.LETTER_OF_CREDIT if case.bank else rules.OPEN_ACCOUNT,
        bank=inputs.BankInput(name=case.bank[0], swift_bic=case.bank[1], country=case.bank[2]) if case.bank else None,
    )


def _run(ctx: DemoContext, policy: Policy, actor: Any, case: Case) -> None:
    start = policy.cover_start or policy.programme.cover_start
    reported = _at(start + timedelta(days=case.reported_after))
    last = reported + timedelta(days=2 * len(case.steps) + 1)
    if last >= ctx.now:
        return  # the demo clock has not reached this story yet
    insurer = ctx.users.get("insurer@demo.tongbao.cn") or OPERATOR
    via = "api" if actor.role == "api" else "web"
    report = service.report(actor, policy.id, _input(policy, case), now=reported, via=via)
    moment = reported
    for step in case.steps:
        moment += timedelta(days=2)
        if step == "accept":
            workflow.accept(insurer, report.id, now=moment)
        elif step == "note":
            workflow.add_note(insurer, report.id, "已电话联系买方，买方承认欠款但称资金困难。", now=moment)
        elif step == "docs":
            workflow.request_documents(insurer, report.id, "请上传提单、报关单及催收往来邮件。", now=moment)
        elif step == "pay":
            workflow.decide(insurer, report.id, pay=True, reason=None, now=moment)
        elif step == "decline":
            workflow.decide(insurer, report.id, pay=False, reason=case.reason, now=moment)
        elif step == "reject":
            workflow.reject(insurer, report.id, case.reason, now=moment)


def _issued(enterprise_id: int, programme_id: int) -> Policy | None:
    return db.session.scalar(
        select(Policy).where(
            Policy.enterprise_id == enterprise_id, Policy.programme_id == programme_id, Policy.status == "issued"
        )
    )


def _scaled(case: Case, scale: float) -> Case:
    """The same story with its days after the cover start scaled down (for a programme whose cover
    began recently); shipments before the cover start stay before it."""

    def days(n: int) -> int:
        return round(n * scale) if n >= 0 else n

    invoices = [(no, amount, days(d)) for no, amount, d in case.invoices]
    return Case(
        case.buyer, case.country, case.cause, invoices, days(case.due_after), days(case.reported_after),
        case.steps, case.reason, case.bank,
    )  # fmt: skip


STORY_DAYS = 230  # the longest story below ends about this many days after the cover start


def demo_step(ctx: DemoContext) -> None:
    today = shanghai_date(ctx.now)
    for year, programme in sorted(ctx.programmes.items()):
        elapsed = (today - programme.cover_start).days
        scale = 1.0 if year == 2024 else min(1.0, (elapsed - 10) / STORY_DAYS)
        if scale > 0.2:
            _stories(ctx, programme.id, scale)


def _stories(ctx: DemoContext, programme_id: int, scale: float) -> None:
    candidates = [(e, _issued(e.id, programme_id)) for e in ctx.enterprises[:40]]
    holders = [(e, p) for e, p in candidates if p is not None]
    if not holders:
        return
    login = ctx.users.get("contact1@exporter1.example.cn")
    first_enterprise, first_policy = holders[0]
    first_actor = login if login is not None and login.enterprise_id == first_enterprise.id else SINGLE_WINDOW
    # the notice's case 1: USD 230,000 of invoices, buyer default, no earlier payment → 150,000.00
    _run(ctx, first_policy, first_actor, _scaled(Case(
        "Acme Trading Co., Ltd.", "US", "buyer_default",
        [("INV-0815", "150000.00", 45), ("INV-0902", "80000.00", 63)], 150, 160,
        ("accept", "note", "pay"),
    ), scale))  # fmt: skip
    _run(ctx, first_policy, first_actor, _scaled(Case(
        "Globex GmbH", "DE", "buyer_insolvency", [("GX-1107", "45000.00", 120)], 200, 215, ("accept", "docs"),
    ), scale))  # fmt: skip
    # under a letter of credit: the issuing bank refused to honour; charged to the bank's limit
    _run(ctx, first_policy, first_actor, _scaled(Case(
        "Anatolia Tekstil A.Ş.", "TR", "bank_refusal", [("LC-0311", "52000.00", 90)], 150, 170, ("accept",),
        bank=("Bosphorus Merchant Bank", "BOSMTRIS", "TR"),
    ), scale))  # fmt: skip
    others = [
        Case("Initech S.A.", "BR", "buyer_refusal", [("BR-77", "12000.00", -10)], 60, 70),
        Case("Umbrella Imports Ltd", "GB", "buyer_default", [("UM-5", "38000.00", 80)], 140, 150,
             ("accept", "decline"), "买方已于报案后全额付款"),
        Case("Pampas Comercial SRL", "AR", "exchange_control", [("AR-9", "64000.00", 100)], 190, 200, ("accept",)),
        Case("Stark Retail Pty", "AU", "buyer_bankruptcy", [("ST-3", "9000.00", 30), ("ST-4", "7500.50", 50)],
             120, 130),
        Case("Soylent Foods LLC", "US", "buyer_default", [("SF-12", "26000.00", 40)], 110, 125, ("accept", "pay")),
        Case("Vandelay Industries", "CA", "buyer_refusal", [("VI-8", "18500.00", 70)], 130, 140, ("accept", "note")),
    ]  # fmt: skip
    for (_enterprise, policy), case in zip(holders[1:], others, strict=False):
        _run(ctx, policy, SINGLE_WINDOW, _scaled(case, scale))
    _credit_reports(ctx, holders)


def _credit_reports(ctx: DemoContext, holders: list[tuple[Any, Policy]]) -> None:
    from ..credit_reports import service as credit

    insurer = ctx.users.get("insurer@demo.tongbao.cn") or OPERATOR
    start = holders[0][1].cover_start or holders[0][1].programme.cover_start
    moment = _at(start + timedelta(days=20))
    if moment + timedelta(days=3) >= ctx.now:
        return
    login = ctx.users.get("contact1@exporter1.example.cn")
    actor = login if login is not None and login.enterprise_id == holders[0][0].id else SINGLE_WINDOW
    first = credit.request_report(actor, holders[0][1].id, "Globex GmbH", "DE", now=moment).row
    credit.request_report(actor, holders[0][1].id, "Hooli Inc.", "US", now=moment + timedelta(days=1))
    upload = files.Upload(filename="Globex GmbH 资信报告.pdf", content_type="application/pdf", data=DEMO_PDF)
    credit.deliver(insurer, first.id, upload, now=moment + timedelta(days=2))
    if len(holders) > 1:
        for n, buyer in enumerate(["Wayne Enterprises", "Cyberdyne Systems", "Tyrell Corp"]):
            credit.request_report(SINGLE_WINDOW, holders[1][1].id, buyer, "US", now=moment + timedelta(hours=n))
