"""What the enterprise's home shows: its programme, roster standing, the cover claiming now
gives, its policy, its account managers and the hotlines — its own enterprise only."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask_babel import lazy_gettext as _l

from ..actors import Actor
from ..enterprises.models import Enterprise
from ..errors import Forbidden, NotFound
from ..extensions import db
from ..policies import rules
from ..policies import service as policies
from ..policies.models import Policy
from ..programmes import service as programmes
from ..programmes.models import Programme


@dataclass
class Home:
    enterprise: Enterprise
    programme: Programme | None
    standing: policies.Standing | None
    terms: rules.ClaimTerms | None
    policy: Policy | None
    earlier: list[Policy]
    managers: list[Any]


def enterprise_of(actor: Actor) -> Enterprise:
    """The one enterprise an enterprise user may see."""
    enterprise_id = getattr(actor, "enterprise_id", None)
    if actor.role != "enterprise" or not enterprise_id:
        raise Forbidden(_l("仅限企业账号"))
    enterprise = db.session.get(Enterprise, enterprise_id)
    if enterprise is None:
        raise NotFound(_l("企业不存在"))
    return enterprise


def home(actor: Actor, *, now: datetime) -> Home:
    enterprise = enterprise_of(actor)
    programme = _programme_for(enterprise, now)
    standing = terms = policy = None
    if programme is not None:
        standing = policies.standing(enterprise.id, programme)
        terms = rules.claim_terms(programme, now)
        policy = policies.find_policy(programme.id, enterprise.id)
    earlier = [p for p in policies.policies_of(enterprise.id) if policy is None or p.id != policy.id]
    year = programme.year if programme is not None else None
    managers = [m for m in (enterprise.district.managers if enterprise.district else []) if m.serves(year)]
    return Home(enterprise, programme, standing, terms, policy, earlier, managers)


def _programme_for(enterprise: Enterprise, now: datetime) -> Programme | None:
    """The current programme — unless the enterprise is not on it while an earlier programme's
    cover still runs with its policy, or still accepts its (late) claim (e.g. in February, before
    next year's roster is confirmed)."""
    current = programmes.current_programme(now)
    if current is not None and (
        policies.standing(enterprise.id, current).listed or policies.find_policy(current.id, enterprise.id)
    ):
        return current
    for programme in programmes.list_programmes():  # newest first
        if not programme.is_published:
            continue  # a draft (next year's copy) is not offered to enterprises
        if not rules.claim_terms(programme, now).open:
            continue  # its cover period is over
        if policies.find_policy(programme.id, enterprise.id) is not None:
            return programme
        if policies.standing(enterprise.id, programme).can_claim:
            return programme
    return current


def claim_programme(actor: Actor, year: int) -> tuple[Enterprise, Programme]:
    if not 1900 <= year <= 9999:
        raise NotFound(_l("没有 %(year)s 年度的统保项目", year=year), code="programme_not_found")
    return enterprise_of(actor), programmes.get_programme(year)
