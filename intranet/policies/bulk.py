"""Issue every claimed policy through the task queue: one task per policy, its certificate included
(the handler is `certificates.bulk.issue_and_certify`). The click returns at once; workers on any
host issue and render in parallel, and a page or `--wait` follows the batch's progress."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from ..actors import Actor
from ..audit import service as audit
from ..audit.models import AuditLog
from ..confirmations import Plan
from ..db_tx import transactional
from ..enterprises.models import Enterprise
from ..extensions import db
from ..programmes.models import Programme
from ..security import ensure_role
from ..tasks import service as tasks
from .models import Policy, PolicyStatus

KIND = "policy.issue"


@dataclass(frozen=True)
class Submitted:
    batch: str
    queued: int  # tasks made now
    already_queued: int  # claimed policies whose issuance task was still waiting


def _claimed(programme: Programme | None) -> Any:
    stmt = select(Policy.id).where(Policy.status == PolicyStatus.CLAIMED).order_by(Policy.claimed_at, Policy.id)
    return stmt.where(Policy.programme_id == programme.id) if programme is not None else stmt


def issue_all_plan(*, programme: Programme | None = None) -> Plan:
    """What "issue all" does: every claimed policy is issued and its certificate made."""
    ids = _claimed(programme).subquery()
    total = db.session.scalar(select(func.count()).select_from(ids)) or 0
    names = db.session.scalars(
        select(Enterprise.name)
        .join(Policy, Policy.enterprise_id == Enterprise.id)
        .where(Policy.id.in_(select(ids.c.id)))
        .order_by(Policy.claimed_at, Policy.id)
        .limit(10)
    )
    return Plan(
        action="policy.issue_all",
        object_id=programme.id if programme is not None else "all",
        title=_l("签发全部待签发保单并生成保险凭证"),
        counts={"policies": total, "enterprises": total},
        who=list(names),
        who_total=total,
        warning=_l("签发后保单即生效，只能逐份撤销。"),
    )


@transactional
def queue_issue_all(actor: Actor, *, now: datetime, programme: Programme | None = None) -> Submitted:
    """Hand every claimed policy (oldest claim first) to the workers, to be issued as of `now`."""
    ensure_role(actor, "insurer")
    policy_ids = list(db.session.scalars(_claimed(programme)))
    batch = f"{KIND}:{uuid.uuid4().hex[:16]}"
    common = {"as_of": now.isoformat(), "batch": batch, **tasks.actor_payload(actor)}
    task_ids = tasks.submit_many(
        KIND, [(f"{KIND}:{pid}", {"policy_id": pid, **common}) for pid in policy_ids], batch=batch
    )
    audit.record(
        actor,
        "policy.issue_all",
        object_type="policies",
        summary=f"queued {len(task_ids)} for issuance",
        changes={"batch": batch, "queued": len(task_ids), "already_queued": len(policy_ids) - len(task_ids)},
    )
    return Submitted(batch, len(task_ids), len(policy_ids) - len(task_ids))


def issued_by_batch(policy_id: int, batch: str) -> bool:
    """Did this batch issue the policy (on an earlier attempt of its task)?"""
    changes = db.session.scalars(
        select(AuditLog.changes).where(
            AuditLog.action == "policy.issue", AuditLog.object_type == "policies", AuditLog.object_id == str(policy_id)
        )
    ).all()
    return any((c or {}).get("batch") == batch for c in changes)
