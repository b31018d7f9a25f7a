"""Schemathesis against /api/v1/openapi.json on a running server, with a valid token: no 500 and
no response that breaks the schema, for valid and invalid input alike (bounded, deterministic).

Every operation of the document whose route the app serves is exercised, so the certificate, loss,
credit-report and verification endpoints join automatically when their blueprints serve them."""

from __future__ import annotations

import re
from datetime import date, datetime

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)
from werkzeug.exceptions import MethodNotAllowed, NotFound
from werkzeug.routing import RequestRedirect

from intranet.api.openapi import EXAMPLE_USCC
from intranet.extensions import db

from . import factories as f

# about 25 examples per operation: valid input first, then input the schema rejects
EXAMPLES = {GenerationMode.POSITIVE: 15, GenerationMode.NEGATIVE: 10}
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
OWN = {"getEnterpriseStanding", "claimPolicy", "getPolicy"}


def served(app, method: str, path: str) -> bool:
    """Whether the app routes this operation (a sample path, every parameter set to 1)."""
    sample = re.sub(r"\{[^}]+\}", "1", path)
    try:
        app.url_map.bind("localhost").match(sample, method=method.upper())
    except (NotFound, MethodNotAllowed):
        return False
    except RequestRedirect:
        return True
    return True


@pytest.fixture
def api_world(app, runner, freeze):
    """Data the documented examples hit: policy 1 issued, the example USCC on the confirmed roster."""
    freeze("2024-07-10T10:00:00+08:00")
    issued = f.confirmed_enterprise(1)
    f.make_policy(
        issued,
        f.programme(),
        status="issued",
        claimed_at=datetime.fromisoformat("2024-06-20T10:00:00+08:00"),
        issued_at=datetime.fromisoformat("2024-07-01T10:00:00+08:00"),
        issue_date=date(2024, 7, 1),
        cover_start=date(2024, 7, 1),
        cover_end=date(2025, 6, 30),
        policy_no="TB2024-SZ-000001",
        verify_code="ACDEFGHJKMNPQRTWXY",
    )
    example = f.make_enterprise(2)
    example.uscc = EXAMPLE_USCC
    f.add_entry(f.make_roster(f.programme(), status="confirmed", seq=2), example)
    db.session.commit()
    result = runner.invoke(args=["token", "create", "--name", "schemathesis"])
    assert result.exit_code == 0, result.output
    return {"Authorization": f"Bearer {result.stdout.strip().splitlines()[-1]}"}


@pytest.mark.slow
def test_api_conforms_to_its_openapi_document(app, live_server, api_world):
    schema = schemathesis.openapi.from_url(f"{live_server}/api/v1/openapi.json")
    operations = {op.definition.raw["operationId"]: op for op in (r.ok() for r in schema.get_all_operations())}
    assert set(operations) >= OWN
    chosen = {name: op for name, op in operations.items() if served(app, op.method, op.path)}
    assert set(chosen) >= OWN, "the API's own operations must be served"
    failures: dict[str, str] = {}
    for name, operation in sorted(chosen.items()):
        for mode in EXAMPLES:
            try:
                run(operation, mode, live_server, dict(api_world))
            except Exception as exc:  # noqa: BLE001 - collected per operation, reported together
                failures[f"{name} ({mode.value})"] = str(exc)[:3000]
    unserved = sorted(set(operations) - set(chosen))
    assert not failures, f"not exercised yet: {unserved}\n" + "\n\n".join(f"== {k}\n{v}" for k, v in failures.items())


def run(operation, mode: GenerationMode, base_url: str, headers: dict[str, str]) -> None:
    checks = CHECKS + ([negative_data_rejection] if mode is GenerationMode.NEGATIVE else [])

    @settings(
        max_examples=EXAMPLES[mode],
        derandomize=True,
        deadline=None,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy(generation_mode=mode))
    def exercise(case):
        case.call_and_validate(base_url=base_url, headers=headers, checks=checks, timeout=30)

    exercise()
