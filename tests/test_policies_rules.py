"""The cover-period rule, claim refusals, issuing and revoking — decided in Shanghai dates, even by
a process whose own time zone is UTC."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from datetime import date, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select

from intranet.actors import SystemActor, cli_actor
from intranet.audit.models import AuditLog
from intranet.errors import Forbidden, Invalid, NotFound, Refused
from intranet.extensions import db
from intranet.policies import rules, service
from intranet.policies.models import Policy

from . import factories as f

API = SystemActor(name="api:test", role="api")
TONGBAO = shutil.which("tongbao", path=str(Path(sys.executable).parent)) or "tongbao"


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


def claim(enterprise, moment: str, year: int = 2024):
    return service.claim(API, enterprise, f.programme(year), now=at(moment), via="api")


def test_claim_at_2359_on_deadline_gets_full_cover_even_when_issued_on_5_july(app):
    enterprise = f.confirmed_enterprise(1)
    result = claim(enterprise, "2024-06-30T23:59:00+08:00")
    assert result.created and result.policy.claimed_on_time
    assert (result.policy.cover_start, result.policy.cover_end) == (date(2024, 7, 1), date(2025, 6, 30))
    issued = service.issue(cli_actor(), result.policy.id, now=at("2024-07-05T10:00:00+08:00"))
    assert issued.issue_date == date(2024, 7, 5)
    assert (issued.cover_start, issued.cover_end) == (date(2024, 7, 1), date(2025, 6, 30))


def test_claim_at_0001_on_1_july_is_covered_from_the_issue_date(app):
    enterprise = f.confirmed_enterprise(1)
    result = claim(enterprise, "2024-07-01T00:01:00+08:00")
    assert result.created and not result.policy.claimed_on_time
    assert result.policy.cover_start is None  # unknown until issued
    assert result.policy.cover_end == date(2025, 6, 30)
    issued = service.issue(cli_actor(), result.policy.id, now=at("2024-07-05T10:00:00+08:00"))
    assert (issued.cover_start, issued.cover_end) == (date(2024, 7, 5), date(2025, 6, 30))


def test_claims_after_the_cover_period_are_refused(app):
    last_day = f.confirmed_enterprise(1)
    assert claim(last_day, "2025-06-30T23:59:59+08:00").created
    too_late = f.confirmed_enterprise(2)
    with pytest.raises(Refused) as refused:
        claim(too_late, "2025-07-01T00:00:01+08:00")
    assert refused.value.code == "claim_closed"
    assert "2025-06-30" in refused.value.message
    assert db.session.scalar(select(func.count(Policy.id)).where(Policy.enterprise_id == too_late.id)) == 0


def test_a_late_claim_cannot_be_issued_after_the_cover_period(app):
    enterprise = f.confirmed_enterprise(1)
    policy = claim(enterprise, "2025-06-29T12:00:00+08:00").policy
    with pytest.raises(Refused) as refused:
        service.issue(cli_actor(), policy.id, now=at("2025-07-01T09:00:00+08:00"))
    assert refused.value.code == "cover_ended"
    assert db.session.get(Policy, policy.id).status == "claimed"


@pytest.mark.parametrize(
    ("roster_status", "entry_status", "eligible", "code"),
    [
        ("notice", "listed", True, "not_on_roster"),
        ("draft", "listed", True, "not_on_roster"),
        ("confirmed", "removed", True, "not_on_roster"),
        ("confirmed", "listed", False, "ineligible"),
    ],
)
def test_only_listed_eligible_enterprises_of_a_confirmed_roster_can_claim(
    app, roster_status, entry_status, eligible, code
):
    roster = f.make_roster(f.programme(), status=roster_status)
    enterprise = f.make_enterprise(1)
    f.add_entry(roster, enterprise, "9000000.00" if not eligible else "100.00", eligible=eligible, status=entry_status)
    with pytest.raises(Refused) as refused:
        claim(enterprise, "2024-06-10T10:00:00+08:00")
    assert refused.value.code == code
    assert enterprise.uscc in refused.value.message


def test_a_supplementary_confirmed_roster_qualifies(app):
    prog = f.programme()
    f.make_roster(prog, status="confirmed", seq=1)
    supplementary = f.make_roster(prog, status="confirmed", seq=2)
    enterprise = f.make_enterprise(1)
    f.add_entry(supplementary, enterprise)
    assert claim(enterprise, "2024-06-10T10:00:00+08:00").created


def test_claiming_twice_returns_the_same_policy_even_after_the_cover_ended(app):
    enterprise = f.confirmed_enterprise(1)
    first = claim(enterprise, "2024-06-10T10:00:00+08:00")
    again = claim(enterprise, "2024-06-10T10:00:01+08:00")
    later = claim(enterprise, "2025-08-01T10:00:00+08:00")
    assert first.created and not again.created and not later.created
    assert first.policy.id == again.policy.id == later.policy.id
    assert db.session.scalar(select(func.count(Policy.id))) == 1


def test_an_enterprise_user_claims_only_for_itself(app):
    mine = f.confirmed_enterprise(1)
    other = f.confirmed_enterprise(2)
    user = f.make_user("enterprise", "boss@one.test", enterprise=mine)
    assert service.claim(user, mine, f.programme(), now=at("2024-06-01T09:00:00+08:00")).created
    with pytest.raises(NotFound):
        service.claim(user, other, f.programme(), now=at("2024-06-01T09:00:00+08:00"))
    clerk = f.make_user("insurer", "clerk@sinosure.test")
    with pytest.raises(Forbidden):
        service.claim(clerk, other, f.programme(), now=at("2024-06-01T09:00:00+08:00"))


def test_issuing_numbers_policies_in_sequence_with_unguessable_codes(app):
    policies = [claim(f.confirmed_enterprise(n), f"2024-06-0{n}T10:00:00+08:00").policy for n in range(1, 4)]
    for policy in policies:
        service.issue(cli_actor(), policy.id, now=at("2024-07-02T09:00:00+08:00"))
    assert [p.policy_no for p in policies] == ["TB2024-SZ-000001", "TB2024-SZ-000002", "TB2024-SZ-000003"]
    codes = {p.verify_code for p in policies}
    assert len(codes) == 3
    assert all(len(c) >= 16 and set(c) <= set(rules.VERIFY_ALPHABET) for c in codes)
    with pytest.raises(Refused) as refused:
        service.issue(cli_actor(), policies[0].id, now=at("2024-07-03T09:00:00+08:00"))
    assert refused.value.code == "already_issued"
    audit_rows = db.session.scalars(select(AuditLog).where(AuditLog.action == "policy.issue")).all()
    assert sorted(r.object_id for r in audit_rows) == sorted(str(p.id) for p in policies)


def test_enterprises_cannot_issue_or_revoke(app):
    enterprise = f.confirmed_enterprise(1)
    user = f.make_user("enterprise", "boss@one.test", enterprise=enterprise)
    policy = claim(enterprise, "2024-06-01T09:00:00+08:00").policy
    for action in (
        lambda: service.issue(user, policy.id, now=at("2024-07-01T09:00:00+08:00")),
        lambda: service.revoke(user, policy.id, "x", now=at("2024-07-01T09:00:00+08:00")),
    ):
        with pytest.raises(Forbidden):
            action()


def test_revoking_needs_a_reason_and_bumps_the_version(app):
    clerk = f.make_user("insurer", "clerk@sinosure.test")
    policy = claim(f.confirmed_enterprise(1), "2024-06-01T09:00:00+08:00").policy
    service.issue(clerk, policy.id, now=at("2024-07-01T09:00:00+08:00"))
    with pytest.raises(Invalid):
        service.revoke(clerk, policy.id, "   ", now=at("2024-08-01T09:00:00+08:00"))
    revoked = service.revoke(clerk, policy.id, "异议成立", now=at("2024-08-01T09:00:00+08:00"))
    assert (revoked.status, revoked.version, revoked.revoked_by) == ("revoked", 2, clerk.id)
    assert revoked.revoked_reason == "异议成立"
    assert revoked.revoked_at == at("2024-08-01T09:00:00+08:00")
    row = db.session.scalar(select(AuditLog).where(AuditLog.action == "policy.revoke"))
    assert row.actor_user_id == clerk.id and row.changes["status"] == ["issued", "revoked"]
    with pytest.raises(Refused):
        service.revoke(clerk, policy.id, "again", now=at("2024-08-02T09:00:00+08:00"))


def test_claim_terms_read_the_programme_row(app):
    prog = f.programme()
    prog.issuance_lag_days = 3
    terms = rules.claim_terms(prog, at("2024-07-10T09:00:00+08:00"))
    assert (terms.phase, terms.cover_start, terms.expected_issue_by) == ("late", None, date(2024, 7, 13))
    prog.claim_deadline = date(2024, 7, 15)
    assert rules.claim_terms(prog, at("2024-07-10T09:00:00+08:00")).on_time


# --- a process in UTC --------------------------------------------------------------------------


def _cli(args: list[str], database_url: str, tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    inherited = {k: v for k, v in os.environ.items() if not k.startswith("TONGBAO_")}
    environment = {
        **inherited,
        "TZ": "UTC",
        "TONGBAO_DATABASE_URL": database_url,
        "TONGBAO_INSTANCE_PATH": str(tmp_path / "cli-instance"),
        **env,
    }
    return subprocess.run(
        [TONGBAO, *args], cwd=tmp_path, env=environment, capture_output=True, text=True, timeout=120, check=False
    )


def test_a_utc_process_decides_claims_and_issue_dates_in_shanghai(app, database_url, tmp_path, utc_process):
    assert time.strftime("%Z") == "UTC"
    on_time = f.confirmed_enterprise(1)
    late = f.confirmed_enterprise(2)
    # 15:59 UTC on 30 June is 23:59 in Shanghai; 16:01 UTC on 30 June is already 1 July 00:01 there
    first = claim(on_time, "2024-06-30T15:59:00+00:00").policy
    second = claim(late, "2024-06-30T16:01:00+00:00").policy
    assert first.claimed_on_time and not second.claimed_on_time
    ids = [first.id, second.id]
    db.session.commit()
    # the insurer issues at 00:30 Shanghai on 5 July, which is still 4 July in UTC
    output = ""
    for policy_id in ids:
        at = "2024-07-04T16:30:00+00:00"
        result = _cli(["policy", "issue", str(policy_id)], database_url, tmp_path, TONGBAO_NOW=at)
        assert result.returncode == 0, result.stderr
        output += result.stdout
    db.session.expire_all()
    first, second = db.session.get(Policy, first.id), db.session.get(Policy, second.id)
    assert (first.issue_date, first.cover_start, first.cover_end) == (
        date(2024, 7, 5),
        date(2024, 7, 1),
        date(2025, 6, 30),
    )
    assert (second.issue_date, second.cover_start, second.cover_end) == (
        date(2024, 7, 5),
        date(2024, 7, 5),
        date(2025, 6, 30),
    )
    assert second.policy_no in output and first.policy_no in output


def test_policy_issue_cli_usage_and_refusals(app, runner, freeze):
    freeze("2024-07-02T10:00:00+08:00")
    policy = claim(f.confirmed_enterprise(1), "2024-06-20T10:00:00+08:00").policy
    db.session.commit()
    assert runner.invoke(args=["policy", "issue"]).exit_code == 2
    assert runner.invoke(args=["policy", "issue", str(policy.id), "--all-claimed"]).exit_code == 2
    missing = runner.invoke(args=["policy", "issue", "999999"])
    assert missing.exit_code == 1 and "999999" in missing.output
    done = runner.invoke(args=["policy", "issue", str(policy.id)])
    assert done.exit_code == 0, done.output
    assert "TB2024-SZ-000001" in done.output and "2024-07-01" in done.output
    assert db.session.get(Policy, policy.id).issue_date == date(2024, 7, 2)
    again = runner.invoke(args=["policy", "issue", str(policy.id)])
    assert again.exit_code == 1 and "already issued" in again.output
    nothing = runner.invoke(args=["policy", "issue", "--all-claimed", "--wait"])
    assert nothing.exit_code == 0, nothing.output  # nothing left: fine
    assert json.loads(nothing.output.splitlines()[-1]) == {"issued": 0, "skipped": 0}
    assert runner.invoke(args=["policy", "issue", str(policy.id), "--wait"]).exit_code == 2
