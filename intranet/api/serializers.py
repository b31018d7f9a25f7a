"""JSON shapes of the single-window API (CONTRACT.md, HTTP): dates YYYY-MM-DD, instants ISO 8601."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from ..clock import shanghai
from ..enterprises.models import Enterprise
from ..policies.models import Policy
from ..policies.service import Standing


def instant(value: datetime | None) -> str | None:
    """An aware instant in Shanghai time with its offset, e.g. 2024-06-30T23:59:00+08:00."""
    return shanghai(value).isoformat(timespec="seconds") if value else None


def day(value: date | None) -> str | None:
    return value.isoformat() if value else None


def policy_json(policy: Policy) -> dict[str, Any]:
    return {
        "policy_id": policy.id,
        "policy_no": policy.policy_no,
        "status": str(policy.status),
        "claimed_at": instant(policy.claimed_at),
        "issued_at": instant(policy.issued_at),
        "cover_start": day(policy.cover_start),
        "cover_end": day(policy.cover_end),
        "uscc": policy.enterprise.uscc,
        "programme": policy.programme.year,
        "verify_code": policy.verify_code,
    }


def enterprise_json(enterprise: Enterprise, found: Standing, policy: Policy | None) -> dict[str, Any]:
    return {
        "uscc": enterprise.uscc,
        "name": enterprise.name,
        "on_roster": found.on_roster,
        "roster_status": found.roster_status,
        "eligible": found.eligible,
        "policy": policy_json(policy) if policy is not None else None,
    }
