"""Which policies an actor may see and use: an enterprise its own, staff and unscoped systems all;
loss reports and credit reports both need a policy in force."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from ..actors import Actor
from ..errors import NotFound, Refused
from ..extensions import db
from .models import Policy


def scope_of(actor: Actor) -> int | None:
    """The enterprise an actor is confined to (None: staff or an unscoped system)."""
    if actor.role == "enterprise":
        return int(getattr(actor, "enterprise_id", 0) or 0)
    scoped = getattr(actor, "enterprise_id", None)
    return int(scoped) if scoped else None


def visible_policy(actor: Actor, policy_id: int) -> Policy:
    """404 for a policy that does not exist or belongs to another enterprise."""
    policy = db.session.get(Policy, policy_id)
    scope = scope_of(actor)
    if policy is None or (scope is not None and policy.enterprise_id != scope):
        raise NotFound(_l("保单 %(id)s 不存在", id=policy_id), code="policy_not_found")
    return policy


def ensure_in_force(policy: Policy) -> None:
    if policy.status == "revoked":
        raise Refused(_l("保单已撤销，不能报损"), code="policy_revoked")
    if policy.status != "issued" or policy.cover_start is None:
        raise Refused(_l("保单尚未签发，不能报损"), code="policy_not_issued")


def reportable_policies(enterprise_id: int) -> list[Policy]:
    return list(
        db.session.scalars(
            select(Policy)
            .where(Policy.enterprise_id == enterprise_id, Policy.status == "issued")
            .order_by(Policy.cover_start.desc(), Policy.id.desc())
        )
    )
