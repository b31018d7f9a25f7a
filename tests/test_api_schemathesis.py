"""Schemathesis against /api/v1/openapi.json on a running server, with a valid token: no 500 and
no response that breaks the schema, for valid and invalid input alike (bounded, deterministic).

Every operation of the document whose route the app serves is exercised, so the certificate, loss,
credit-report and verification endpoints join automatically when their blueprints serve them."""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterator
from datetime import date, datetime
from typing import Any
from urllib.parse import quote, urlencode

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
from intranet.edge import API_MAX_DEPTH
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


# Hand-made hostile values the generators rarely reach, for every operation of the document (so a new
# endpoint is covered when it is documented), on both databases: a NUL or a control character in
# every path and query parameter and every string field; 1e30, -1e30, 1e308, 10**40, NaN and
# Infinity (Python's JSON reader accepts the last two) in every field; a body nested 5,000 deep, and
# one nested just under the limit, in every field.
HOSTILE_TEXT = ["\x00", "1\x00", "x\x1by", "\u202e1"]
HOSTILE_NUMBERS = ["1e30", "-1e30", "1e308", "1" + "0" * 40, "NaN", "Infinity", "-Infinity"]


def _resolve(doc: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        node = doc["components"]["schemas"][node["$ref"].rsplit("/", 1)[1]]
    return node


def _hostile_requests(
    doc: dict[str, Any], path: str, method: str, op: dict[str, Any]
) -> Iterator[tuple[str, str, str | None]]:
    """(label, url, raw JSON body or None) for one operation."""
    params = [p for p in op.get("parameters", []) if p["in"] in ("path", "query")]
    sample = {p["name"]: str(p.get("example", 1)) for p in params}

    def url(values: dict[str, str]) -> str:
        filled = re.sub(r"\{([^}]+)\}", lambda m: quote(values[m.group(1)], safe=""), path)
        query = {p["name"]: values[p["name"]] for p in params if p["in"] == "query" and p["name"] in values}
        return filled + ("?" + urlencode(query) if query else "")

    media = op.get("requestBody", {}).get("content", {}).get("application/json")
    example = dict(media.get("example", {})) if media else {}
    base = json.dumps(example) if media else None
    for p in params:
        for value in [*HOSTILE_TEXT, "1e30", "-1"]:
            yield f"{p['in']} {p['name']}={value!r}", url(sample | {p["name"]: value}), base
    if not media:
        return
    schema = _resolve(doc, media["schema"])
    fields = sorted(set(schema.get("properties", {})) | set(example)) or ["x"]
    for field in fields:
        for value in HOSTILE_TEXT:
            yield f"body {field}={value!r}", url(sample), json.dumps(example | {field: value})
        for number in HOSTILE_NUMBERS:
            raw = json.dumps(example | {field: 0}).replace(f'"{field}": 0', f'"{field}": {number}')
            yield f"body {field}={number}", url(sample), raw
        for depth in (5000, API_MAX_DEPTH - 1):
            nested = "[" * depth + "]" * depth
            yield (
                f"body {field} nested {depth}",
                url(sample),
                json.dumps(example | {field: 0}).replace(f'"{field}": 0', f'"{field}": {nested}'),
            )
    yield "body not an object", url(sample), '[1e30, "\\u0000"]'


def test_hand_made_hostile_input_never_gets_a_5xx(app, client, api_world):
    doc = client.get("/api/v1/openapi.json").get_json()
    failures, codes = [], Counter[str]()
    for path, item in doc["paths"].items():
        for method, op in item.items():
            if method not in ("get", "post", "put", "patch", "delete") or not served(app, method, path):
                continue
            for label, target, body in _hostile_requests(doc, path, method, op):
                response = client.open(
                    target, method=method.upper(), data=body, headers=api_world, content_type="application/json"
                )
                answer = response.get_json(silent=True)
                codes[
                    answer["error"]["code"] if isinstance(answer, dict) and "error" in answer else response.status_code
                ] += 1
                if response.status_code >= 500 or (
                    response.status_code >= 400 and not (isinstance(answer, dict) and set(answer) == {"error"})
                ):
                    failures.append(f"{method.upper()} {path} {label}: {response.status_code} {response.data[:200]!r}")
                db.session.rollback()
    assert not failures, "\n".join(failures)
    # the requests got past the token to the edge and the services: refused for what they carry
    assert codes["control_character"] > 50 and codes["too_deep"] > 5, codes
    assert codes["invalid_amount"] >= len(HOSTILE_NUMBERS), codes
