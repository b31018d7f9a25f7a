"""The task that issues one claimed policy and renders its certificate (kind `policy.issue`).

Idempotent: a retry after a killed worker issues nothing twice (the policy is issued once, under
its row lock) and renders nothing twice (a stored certificate is kept)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ..errors import Refused
from ..policies import bulk
from ..policies import service as policies
from ..tasks import service as tasks
from ..tasks.models import Task
from . import service as certificates


def issue_and_certify(task: Task) -> dict[str, Any]:
    payload = task.payload
    policy_id = int(payload["policy_id"])
    as_of = datetime.fromisoformat(payload["as_of"])
    actor = tasks.actor_from(payload)
    batch = str(payload["batch"])
    try:
        policies.issue(actor, policy_id, now=as_of, batch=batch)
    except Refused as exc:
        # issued by this batch on an earlier attempt (its worker died before the certificate): carry on
        if not bulk.issued_by_batch(policy_id, batch):
            return {"issued": False, "policy_id": policy_id, "reason": str(exc.message), "code": exc.code}
    certificates.stored_certificate(actor, policy_id, now=as_of)
    return {"issued": True, "policy_id": policy_id}
