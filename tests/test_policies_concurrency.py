"""One policy per enterprise and programme whatever happens: 50 claims at once against a running
server — half from 25 logged-in browsers' claim forms, half from the single window's API."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from bs4 import BeautifulSoup
from sqlalchemy import func, select

from intranet.extensions import db
from intranet.policies.models import Policy

from . import factories as f

BROWSERS = 25
API_CALLS = 25


def _browser(base: str, uscc: str) -> tuple[requests.Session, str]:
    """A logged-in session holding its claim form's CSRF token."""
    session = requests.Session()
    page = BeautifulSoup(session.get(f"{base}/login", timeout=30).text, "html.parser")
    token = page.select_one("input[name=csrf_token]")["value"]
    home = session.post(
        f"{base}/login", data={"csrf_token": token, "identifier": uscc, "password": f.PASSWORD}, timeout=30
    )
    form = BeautifulSoup(home.text, "html.parser").select_one("form.claim-form")
    assert form is not None, "the portal should offer the claim form"
    return session, form.select_one("input[name=csrf_token]")["value"]


@pytest.mark.slow
def test_fifty_concurrent_claims_leave_exactly_one_policy(app, live_server, runner, freeze):
    freeze("2024-06-20T10:00:00+08:00")
    enterprise = f.confirmed_enterprise(1)
    f.make_user("enterprise", "boss@exporter.test", enterprise=enterprise)
    db.session.commit()
    made = runner.invoke(args=["token", "create", "--name", "single window"])
    bearer = {"Authorization": f"Bearer {made.stdout.strip().splitlines()[-1]}"}
    uscc = enterprise.uscc
    browsers = [_browser(live_server, uscc) for _ in range(BROWSERS)]
    db.session.commit()
    start = threading.Barrier(BROWSERS + API_CALLS)

    def by_form(browser: tuple[requests.Session, str]) -> tuple[str, int, bool]:
        session, token = browser
        start.wait()
        response = session.post(f"{live_server}/portal/claim/2024", data={"csrf_token": token}, timeout=60)
        page = BeautifulSoup(response.text, "html.parser")
        card = page.select_one(".policy-card[data-policy-id]")
        assert response.status_code == 200 and card is not None, response.text[:500]
        return "web", int(card["data-policy-id"]), page.select_one(".flash-success") is not None

    def by_api(_: int) -> tuple[str, int, bool]:
        start.wait()
        response = requests.post(
            f"{live_server}/api/v1/programmes/2024/policies", json={"uscc": uscc}, headers=bearer, timeout=60
        )
        assert response.status_code in (200, 201), response.text
        return "api", response.json()["policy_id"], response.status_code == 201

    with ThreadPoolExecutor(max_workers=BROWSERS + API_CALLS) as pool:
        web = [pool.submit(by_form, b) for b in browsers]
        api = [pool.submit(by_api, n) for n in range(API_CALLS)]
        results = [future.result() for future in web + api]

    db.session.expire_all()
    policies = db.session.scalars(select(Policy)).all()
    assert len(policies) == 1
    assert {policy_id for _, policy_id, _ in results} == {policies[0].id}
    assert len(results) == BROWSERS + API_CALLS
    assert sum(created for _, _, created in results) == 1  # one 201 or one "claimed" message, the rest see it
    assert db.session.scalar(select(func.count(Policy.id)).where(Policy.enterprise_id == enterprise.id)) == 1


def test_concurrent_issuing_numbers_every_policy_once_without_gaps(app, freeze):
    from intranet.actors import cli_actor
    from intranet.errors import Refused
    from intranet.policies import bulk, service
    from intranet.tasks import service as tasks

    moment = freeze("2024-07-02T09:00:00+08:00")
    ids = [
        f.make_policy(f.confirmed_enterprise(n), f.programme(), claimed_at=moment, on_time=True).id for n in range(12)
    ]
    db.session.commit()
    start = threading.Barrier(len(ids) + 1)

    def one(policy_id: int) -> str:
        with app.app_context():
            start.wait()
            try:
                return service.issue(cli_actor(), policy_id, now=moment).policy_no or ""
            except Refused:
                return "taken by the batch"
            finally:
                db.session.remove()

    def batch() -> str:
        with app.app_context():
            start.wait()
            try:
                submitted = bulk.queue_issue_all(cli_actor(), now=moment)  # the tasks run as it commits
                issued = sum(1 for r in tasks.batch_results(submitted.batch) if r.get("issued"))
                return f"batch {issued}"
            finally:
                db.session.remove()

    with ThreadPoolExecutor(max_workers=len(ids) + 1) as pool:
        futures = [pool.submit(one, i) for i in ids] + [pool.submit(batch)]
        outcomes = [future.result(timeout=120) for future in futures]

    db.session.expire_all()
    numbers = sorted(p.policy_no for p in db.session.scalars(select(Policy)))
    assert numbers == [f"TB2024-SZ-{n:06d}" for n in range(1, len(ids) + 1)]
    singles = sum(o.startswith("TB2024") for o in outcomes)
    assert singles + int(outcomes[-1].split()[1]) == len(ids)
