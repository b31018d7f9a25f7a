"""Claims unissued when cover ends lapse, and each enterprise is told why (email and SMS as it
chose, in its language). Batch by batch: each batch's rows are locked (others skipped), lapsed,
audited and their messages queued in one transaction, committed before the outbox sends anything."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ..actors import Actor
from ..clock import shanghai_date
from ..db_tx import transactional
from ..districts.service import manager_lines
from ..policies import lapsing
from ..policies.models import Policy
from ..security import ensure_role
from .recipients import base_url, enterprise_channels, languages, queue_specs

JOB = "lapse"
BATCH = 200


def _context(policy: Policy, managers: dict[int, str]) -> dict[str, Any]:
    programme, enterprise = policy.programme, policy.enterprise
    return {
        "enterprise_name": enterprise.name,
        "uscc": enterprise.uscc,
        "programme_year": programme.year,
        "policy_id": policy.id,
        "claimed_on": shanghai_date(policy.claimed_at).isoformat(),
        "cover_end": programme.cover_end.isoformat(),
        "portal_url": f"{base_url()}/portal/",
        "hotline": programme.hotline_consult,
        "account_managers": managers.get(enterprise.district_id or 0, ""),
    }


def _messages(policies: list[Policy], now: datetime) -> list[dict[str, Any]]:
    langs = languages(p.enterprise_id for p in policies)
    managers = manager_lines()
    specs: list[dict[str, Any]] = []
    for policy in policies:
        context = _context(policy, managers)
        language = langs.get(policy.enterprise_id, "zh")
        for channel, recipient in enterprise_channels(policy.enterprise).items():
            specs.append(
                {
                    "channel": channel,
                    "recipient": recipient,
                    "job": JOB,
                    "template": "policy_lapsed",
                    "context": context,
                    "dedupe_key": f"lapse:{policy.id}:{channel}",
                    "now": now,
                    "enterprise_id": policy.enterprise_id,
                    "language": language,
                }
            )
    return specs


@transactional
def lapse_batch(actor: Actor, *, now: datetime, limit: int = BATCH) -> tuple[int, int]:
    """Lapse up to `limit` claims whose cover has ended: (policies lapsed, messages queued)."""
    ensure_role(actor, "insurer")
    picked = lapsing.pick(now, limit)
    for policy in picked:
        lapsing.lapse(actor, policy)
    return len(picked), queue_specs(_messages(picked, now))


def lapse_unissued(actor: Actor, *, now: datetime) -> int:
    """The scheduled job's service: every claim still unissued when its cover ended lapses, batch
    after committed batch; returns the messages queued (idempotent: a lapsed policy is not picked)."""
    queued = 0
    while True:
        lapsed, messages = lapse_batch(actor, now=now)
        queued += messages
        if lapsed < BATCH:
            return queued
