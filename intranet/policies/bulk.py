"""Issue every claimed policy through the task queue: one task per policy, its certificate included
(the handler is `certificates.bulk.issue_and_certify`). The click returns at once; workers on any
host issue and render in parallel, and a page or `--wait` follows the batch's progress."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from ..actors import Actor
from ..audit import service as audit
from ..audit.models import AuditLog
from ..db_tx import transactional
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


@transactional
def queue_issue_all(actor: Actor, *, now: datetime, programme: Programme | None = None) -> Submitted:
    """Hand every claimed policy (oldest claim first) to the workers, to be issued as of `now`."""
    ensure_role(actor, "insurer")
    stmt = select(Policy.id).where(Policy.status == PolicyStatus.CLAIMED).order_by(Policy.claimed_at, Policy.id)
    if programme is not None:
        stmt = stmt.where(Policy.programme_id == programme.id)
    policy_ids = list(db.session.scalars(stmt))
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
