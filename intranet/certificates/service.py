"""Certificates: rendered once per issued policy version, stored, then served as cheap reads.

- `stored_certificate(actor, policy_id, now=...)` is the one entry point for downloads (web, API,
  CLI): one query reads the policy and its stored certificate for the current version; only when
  there is none is the PDF rendered (outside any write transaction) and inserted. Two hosts racing
  on the first render both render, one insert wins the unique (policy_id, version) constraint, the
  other reads the winner's row — every caller gets the same bytes.
- A revoked policy (its version was bumped on revoking) still has a certificate for its owner and
  staff: it is re-rendered once for the new version, stamped REVOKED (已撤销), so no one downloads a
  clean-looking certificate of a revoked policy from us. The verification page says "revoked" for
  the code printed on every version.
- `verify(code, now=...)` answers the public: genuine and current, expired, revoked, or unknown.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from ..actors import Actor
from ..audit import service as audit
from ..clock import shanghai_date
from ..db_tx import transactional
from ..districts.models import District
from ..enterprises.models import Enterprise
from ..errors import NotFound, ServiceError
from ..extensions import db
from ..policies import rules as policy_rules
from ..policies.models import Policy, PolicyStatus
from ..programmes.models import Programme
from ..security import ensure_role
from .models import Certificate
from .qr import normalize_code

READERS = ("enterprise", "bureau", "insurer", "api")
HAS_CERTIFICATE = (PolicyStatus.ISSUED, PolicyStatus.REVOKED)
MAX_CODE = 32  # the column's width
CODE_ATTEMPTS = 5


@dataclass(frozen=True)
class Stored:
    """A stored certificate, as a download needs it (no ORM object, nothing lazy)."""

    policy_id: int
    policy_no: str
    version: int
    sha256: str
    size: int
    created_at: datetime
    pdf: bytes

    @property
    def filename(self) -> str:
        return f"{self.policy_no}.pdf"


@dataclass(frozen=True)
class Verification:
    """What the public may know about a code: status, the insured's name and the cover period."""

    status: str  # valid | expired | revoked
    insured: str
    cover_start: date | None
    cover_end: date | None

    @property
    def valid(self) -> bool:
        return self.status == "valid"

    def as_json(self) -> dict[str, Any]:
        return {
            "valid": self.valid,
            "status": self.status,
            "insured": self.insured,
            "cover_start": self.cover_start.isoformat() if self.cover_start else None,
            "cover_end": self.cover_end.isoformat() if self.cover_end else None,
        }


def _not_found(policy_id: int) -> NotFound:
    return NotFound(_l("保单 %(id)s 不存在", id=policy_id), code="policy_not_found")


def _may_read(actor: Actor, enterprise_id: int) -> bool:
    """Staff, API clients (the single window acts for enterprises) and operators read any; an enterprise its own."""
    if actor.role == "enterprise":
        return getattr(actor, "enterprise_id", None) == enterprise_id
    return True


def _policy_id_in_range(policy_id: int) -> bool:
    return 0 < policy_id < 2**31


# --- downloads -----------------------------------------------------------------------------------


def stored_certificate(actor: Actor, policy_id: int, *, now: datetime) -> Stored:
    """The certificate of the policy's current version, rendered and stored on first use.

    404 (NotFound) for a policy the actor may not see — exactly as for one that does not exist —
    and for a policy that is not issued yet."""
    ensure_role(actor, *READERS)
    if not _policy_id_in_range(policy_id):
        raise _not_found(policy_id)
    row = db.session.execute(
        select(
            Policy.enterprise_id,
            Policy.status,
            Policy.version,
            Policy.policy_no,
            Certificate.sha256,
            Certificate.size,
            Certificate.created_at,
            Certificate.pdf,
        )
        .outerjoin(Certificate, and_(Certificate.policy_id == Policy.id, Certificate.version == Policy.version))
        .where(Policy.id == policy_id)
    ).one_or_none()
    if row is None or not _may_read(actor, row.enterprise_id):
        raise _not_found(policy_id)
    if row.status not in HAS_CERTIFICATE:
        raise NotFound(
            _l("保单 %(id)s 尚未签发（状态：%(status)s），暂无凭证", id=policy_id, status=row.status),
            code="not_issued",
        )
    if row.sha256 is not None:
        number = row.policy_no or str(policy_id)
        return Stored(policy_id, number, row.version, row.sha256, row.size, row.created_at, row.pdf)
    certificate = render_and_store(actor, policy_id, now=now)
    return _stored(certificate)


def _stored(certificate: Certificate) -> Stored:
    policy_no = db.session.scalar(select(Policy.policy_no).where(Policy.id == certificate.policy_id))
    return Stored(
        certificate.policy_id,
        policy_no or str(certificate.policy_id),
        certificate.version,
        certificate.sha256,
        certificate.size,
        certificate.created_at,
        certificate.pdf,
    )


def _policy_for_render(policy_id: int) -> Policy | None:
    return db.session.scalar(
        select(Policy)
        .where(Policy.id == policy_id)
        .options(
            joinedload(Policy.programme).selectinload(Programme.excluded),
            joinedload(Policy.enterprise).joinedload(Enterprise.district).selectinload(District.managers),
        )
        .execution_options(populate_existing=True)
    )


def render_and_store(actor: Actor, policy_id: int, *, now: datetime) -> Certificate:
    """Render the current version's certificate (no write transaction held) and store it once."""
    ensure_role(actor, *READERS)
    policy = _policy_for_render(policy_id)
    if policy is None or policy.status not in HAS_CERTIFICATE:
        raise _not_found(policy_id)
    if not policy.verify_code:
        assign_verify_code(actor, policy_id, now=now)
        policy = _policy_for_render(policy_id)
        assert policy is not None
    version = policy.version
    from . import render  # WeasyPrint loads in ~1 s: only when a certificate is really rendered

    built = render.build(policy, base_url=current_app.config["TONGBAO_BASE_URL"], now=now)
    pdf = render.render_pdf(built)
    return _store(actor, policy_id, version, pdf, now=now)


@transactional
def _store(actor: Actor, policy_id: int, version: int, pdf: bytes, *, now: datetime) -> Certificate:
    digest = hashlib.sha256(pdf).hexdigest()
    try:
        with db.session.begin_nested():
            certificate = Certificate(
                policy_id=policy_id, version=version, sha256=digest, size=len(pdf), pdf=pdf, created_at=now
            )
            db.session.add(certificate)
            db.session.flush()
    except IntegrityError:
        # another request (maybe on another host) stored this version first: theirs is the certificate
        winner = db.session.scalar(
            select(Certificate).where(Certificate.policy_id == policy_id, Certificate.version == version)
        )
        if winner is None:  # the conflict was something else (e.g. the policy was deleted)
            raise
        return winner
    audit.record(
        actor,
        "certificate.render",
        object_type="policies",
        object_id=policy_id,
        summary=f"certificate v{version} ({len(pdf)} bytes, sha256 {digest[:12]}…)",
        changes={"version": version, "sha256": digest},
    )
    return certificate


@transactional
def assign_verify_code(actor: Actor, policy_id: int, *, now: datetime) -> str:
    """Give an issued policy without one a verification code (the same generator issuing uses).

    A conditional UPDATE: when two requests race, the second finds the code already set and keeps it."""
    ensure_role(actor, *READERS)
    for _attempt in range(CODE_ATTEMPTS):
        code = policy_rules.new_verify_code()
        try:
            with db.session.begin_nested():
                result = db.session.execute(
                    update(Policy)
                    .where(Policy.id == policy_id, Policy.verify_code.is_(None))
                    .values(verify_code=code)
                    .execution_options(synchronize_session=False)
                )
                changed = int(getattr(result, "rowcount", 0) or 0)
        except IntegrityError:
            continue  # the same code twice: astronomically unlikely, draw again
        if changed:
            audit.record(actor, "policy.verify_code", object_type="policies", object_id=policy_id, summary=code)
        current = db.session.scalar(select(Policy.verify_code).where(Policy.id == policy_id))
        if current:
            return str(current)
    raise ServiceError(_l("无法生成核验码，请重试"), code="code_busy")


# --- public verification -------------------------------------------------------------------------


def verify(code: str, *, now: datetime) -> Verification | None:
    """None when no issued policy carries the code (the caller answers 404)."""
    raw = (code or "").strip()
    normalized = normalize_code(raw)
    if not normalized or len(normalized) > MAX_CODE or len(raw) > 2 * MAX_CODE:
        return None
    candidates = {normalized, raw} if len(raw) <= MAX_CODE else {normalized}
    row = db.session.execute(
        select(Policy.status, Policy.cover_start, Policy.cover_end, Enterprise.name)
        .join(Enterprise, Enterprise.id == Policy.enterprise_id)
        .where(Policy.verify_code.in_(candidates))
        .limit(1)
    ).one_or_none()
    if row is None or row.status not in HAS_CERTIFICATE:
        return None
    if row.status == PolicyStatus.REVOKED:
        status = "revoked"
    elif row.cover_end is not None and shanghai_date(now) > row.cover_end:
        status = "expired"
    else:
        status = "valid"
    return Verification(status=status, insured=row.name, cover_start=row.cover_start, cover_end=row.cover_end)
