"""What the enterprise is told about its policy, queued in the same transaction as the claim or the
issue: "claim received" (the cover it will get, when issuance is expected) and "policy issued"
(the certificate's link and the verification code). One message per policy, step and channel."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ..clock import shanghai_date
from ..enterprises import messages
from . import rules
from .models import Policy

JOB = "policy"


def verify_url(code: str) -> str:
    """The public verification page of a code (what the certificate's QR code holds)."""
    return f"{messages.base_url()}/verify/{code}"


def certificate_url(policy: Policy) -> str:
    return f"{messages.base_url()}/policies/{policy.id}/certificate.pdf"


def _common(policy: Policy, language: str) -> dict[str, Any]:
    programme = policy.programme
    return {
        "enterprise_name": policy.enterprise.name,
        "uscc": policy.enterprise.uscc,
        "policy_id": policy.id,
        "programme_year": programme.year,
        "programme_name": programme.name_en if language == "en" else programme.name_zh,
        "cover_end": programme.cover_end.isoformat() if policy.cover_end is None else policy.cover_end.isoformat(),
        "portal_url": f"{messages.base_url()}/portal/",
        "hotline": programme.hotline_consult,
    }


def claim_received(policy: Policy, now: datetime) -> int:
    """Claim received: the whole cover period for an on-time claim, else cover from the issue date;
    issuance expected within the programme's lag."""
    enterprise = policy.enterprise
    to = messages.recipient(enterprise)
    context = {
        **_common(policy, to.language),
        "on_time": bool(policy.claimed_on_time),
        "cover_start": policy.cover_start.isoformat() if policy.cover_start else "",
        "claimed_on": shanghai_date(policy.claimed_at).isoformat(),
        "expected_issue_by": rules.expected_issue_by(policy.programme, policy.claimed_at).isoformat(),
    }
    return messages.tell(
        enterprise,
        to,
        job=JOB,
        template="policy_claimed",
        key=f"policy.claimed:{policy.id}",
        context=context,
        now=now,
    )


def policy_issued(policy: Policy, now: datetime) -> int:
    """Policy issued: number, cover, the certificate's link and the verification code."""
    enterprise = policy.enterprise
    to = messages.recipient(enterprise)
    code = policy.verify_code or ""
    context = {
        **_common(policy, to.language),
        "policy_no": policy.policy_no or "",
        "cover_start": policy.cover_start.isoformat() if policy.cover_start else "",
        "issue_date": policy.issue_date.isoformat() if policy.issue_date else "",
        "certificate_url": certificate_url(policy),
        "verify_code": code,
        "verify_code_grouped": "-".join(code[i : i + 6] for i in range(0, len(code), 6)),
        "verify_url": verify_url(code),
    }
    return messages.tell(
        enterprise,
        to,
        job=JOB,
        template="policy_issued",
        key=f"policy.issued:{policy.id}",
        context=context,
        now=now,
    )
