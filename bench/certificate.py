"""Certificates: (1) first render through the full service path vs a bare WeasyPrint render of the
same HTML; (2) repeated downloads of a stored certificate under gunicorn (2 workers) vs a bare
template page of the same app, loaded with wrk for 10 s each.

(1) For each run the stored certificate is deleted, then `service.stored_certificate` is timed: one
query, HTML build, WeasyPrint with the static-only fetcher, PDF/A-3u, the policy.json attachment,
the insert. The baseline is `HTML(string=html, base_url=static/).write_pdf()` of the very HTML the
service built (default fetcher — the base URL only lets it load the same stylesheet and emblem;
no variant, no attachment). Runs alternate; medians of wall and CPU time.

(2) A temporary SQLite database, `tongbao db upgrade`, one issued policy with its certificate
stored, gunicorn started as `make serve WORKERS=2` starts it (with the search benchmark's bare
template page added: `bench.search:bench_app()`), an enterprise session cookie from a real login.
wrk: 2 threads, 8 connections, 10 s per URL.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import statistics
import subprocess
import tempfile
import time
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import requests
from bs4 import BeautifulSoup

from bench.common import BIN, ROOT, free_port, record
from bench.search import BARE

RUNS = 9
WRK = "/usr/bin/wrk"
WRK_ARGS = ["-t2", "-c8", "-d10s"]
RENDER_GOAL = 1.2
DOWNLOAD_GOAL = 0.5
PASSWORD = "bench-password-2024"


def _env(instance: Path) -> dict[str, str]:
    return {
        **os.environ,
        "TONGBAO_INSTANCE_PATH": str(instance),
        "TONGBAO_DATABASE_URL": f"sqlite:///{instance / 'tongbao.db'}",
        "TONGBAO_SECRET_KEY": "bench-certificate-secret",
        "TONGBAO_BASE_URL": "http://127.0.0.1:5000",
        "TONGBAO_NOW": "2024-07-06T09:00:00+08:00",
        "PYTHONPATH": str(ROOT),
    }


def _seed(app: Any) -> int:
    """One enterprise on the 2024 programme with a login and an issued policy; returns its id."""
    from werkzeug.security import generate_password_hash

    from intranet.auth.models import User
    from intranet.districts.models import District
    from intranet.enterprises.models import Enterprise
    from intranet.extensions import db
    from intranet.policies import rules
    from intranet.policies.models import Policy
    from intranet.programmes.models import Programme

    with app.app_context():
        stamp = datetime(2024, 6, 20, 2, tzinfo=UTC)
        programme = db.session.query(Programme).filter_by(year=2024).one()
        district = db.session.query(District).filter_by(name_zh="南山区").one()
        enterprise = Enterprise(
            uscc="91440300MA5FBENCH1",
            name="深圳市基准测试进出口有限公司",
            district=district,
            created_at=stamp,
            updated_at=stamp,
        )
        db.session.add(enterprise)
        db.session.flush()
        db.session.add(
            User(
                email="bench@exporter.test",
                role="enterprise",
                enterprise_id=enterprise.id,
                password_hash=generate_password_hash(PASSWORD, method="pbkdf2:sha256:1000"),
                active=True,
                created_at=stamp,
                activated_at=stamp,
            )
        )
        policy = Policy(
            programme_id=programme.id,
            enterprise_id=enterprise.id,
            status="issued",
            claimed_at=stamp,
            claimed_on_time=True,
            policy_no=rules.policy_number(programme, 1),
            verify_code=rules.new_verify_code(),
            issued_at=datetime(2024, 7, 5, 2, tzinfo=UTC),
            issue_date=date(2024, 7, 5),
            cover_start=programme.cover_start,
            cover_end=programme.cover_end,
            version=1,
        )
        db.session.add(policy)
        db.session.commit()
        return int(policy.id)


def _render_runs(app: Any, policy_id: int) -> dict[str, list[float]]:
    from sqlalchemy import delete
    from weasyprint import HTML

    from intranet.actors import SystemActor
    from intranet.certificates import render, service
    from intranet.certificates.models import Certificate
    from intranet.clock import now
    from intranet.extensions import db
    from intranet.policies.models import Policy

    actor = SystemActor(name="bench")
    times: dict[str, list[float]] = {"service": [], "bare": [], "service_cpu": [], "bare_cpu": []}
    with app.app_context():
        html = render.build(db.session.get(Policy, policy_id), base_url="http://127.0.0.1:5000", now=now()).html
        HTML(string=html, base_url=render.BASE_URL).write_pdf()  # warm-up: fontconfig, harfbuzz, imports
        for run in range(RUNS + 1):
            db.session.execute(delete(Certificate).where(Certificate.policy_id == policy_id))
            db.session.commit()
            order = ("service", "bare") if run % 2 else ("bare", "service")
            for kind in order:
                wall, cpu = time.perf_counter(), time.process_time()
                if kind == "service":
                    stored = service.stored_certificate(actor, policy_id, now=now())
                    assert stored.pdf.startswith(b"%PDF")
                else:
                    HTML(string=html, base_url=render.BASE_URL).write_pdf()
                if run:  # run 0 warms the service path too
                    times[kind].append(time.perf_counter() - wall)
                    times[f"{kind}_cpu"].append(time.process_time() - cpu)
        db.session.remove()
    return times


def _wait_ready(base: str, proc: subprocess.Popen[bytes]) -> None:
    for _ in range(200):
        if proc.poll() is not None:
            raise RuntimeError("gunicorn exited early")
        try:
            if requests.get(f"{base}/healthz", timeout=1).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.1)
    raise RuntimeError("gunicorn did not come up")


def _session_cookie(base: str) -> str:
    with requests.Session() as browser:
        form = BeautifulSoup(browser.get(f"{base}/login", timeout=10).text, "html.parser").select_one(
            "form[method=post]"
        )
        data = {el["name"]: el.get("value", "") for el in form.select("input[name]")}
        data.update(identifier="bench@exporter.test", password=PASSWORD)
        response = browser.post(f"{base}/login", data=data, timeout=10)
        response.raise_for_status()
        cookie = browser.cookies.get("session")
        if not cookie:
            raise RuntimeError("login did not set a session cookie")
        return f"session={cookie}"


def _wrk(url: str, cookie: str | None = None) -> float:
    headers = ["-H", f"Cookie: {cookie}"] if cookie else []
    out = subprocess.run(  # noqa: S603
        [WRK, *WRK_ARGS, *headers, url], capture_output=True, text=True, check=True
    ).stdout
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if non_2xx:
        raise RuntimeError(f"{url}: {non_2xx.group(1)} error responses under load")
    match = re.search(r"Requests/sec:\s+([\d.]+)", out)
    if not match:
        raise RuntimeError(f"wrk printed no rate:\n{out}")
    return float(match.group(1))


def _serve_and_load(instance: Path, policy_id: int) -> dict[str, Any]:
    env = _env(instance)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log = (instance / "gunicorn.log").open("wb")
    proc = subprocess.Popen(  # noqa: S603 - what `make serve WORKERS=2` runs, plus the search bench's bare page
        [str(BIN / "gunicorn"), "--workers", "2", "--bind", f"127.0.0.1:{port}", "--access-logfile", "-"]
        + ["bench.search:bench_app()"],
        env=env,
        cwd=ROOT,
        stdout=log,
        stderr=log,
        start_new_session=True,
    )
    try:
        _wait_ready(base, proc)
        cookie = _session_cookie(base)
        download = f"{base}/policies/{policy_id}/certificate.pdf"
        check = requests.get(download, headers={"Cookie": cookie}, timeout=30)
        if check.status_code != 200 or not check.content.startswith(b"%PDF"):
            raise RuntimeError(f"download check failed: {check.status_code}")
        bare_path = BARE  # the search benchmark's bare template page (base.html through the same app)
        if requests.get(base + bare_path, timeout=10).status_code != 200:
            raise RuntimeError(f"the bare page {bare_path} does not answer")
        results = {
            "bare_path": bare_path,
            "pdf_bytes": len(check.content),
            "bare_bytes": len(requests.get(base + bare_path, timeout=10).content),
        }
        results["bare_rps"] = _wrk(base + bare_path)
        results["download_rps"] = _wrk(download, cookie)
        etag = check.headers["ETag"]
        results["revalidate_rps"] = _wrk_with_header(download, cookie, f"If-None-Match: {etag}")
        return results
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=30)
        log.close()


def _wrk_with_header(url: str, cookie: str, header: str) -> float:
    out = subprocess.run(  # noqa: S603
        [WRK, *WRK_ARGS, "-H", f"Cookie: {cookie}", "-H", header, url], capture_output=True, text=True, check=True
    ).stdout
    match = re.search(r"Requests/sec:\s+([\d.]+)", out)
    return float(match.group(1)) if match else float("nan")


def verdict(ok: bool) -> str:
    return "met" if ok else "missed"


def main() -> None:
    from intranet import create_app
    from intranet.config import Config

    if not Path(WRK).exists():
        raise RuntimeError(f"{WRK} is missing (apt-get install wrk)")
    instance = Path(tempfile.mkdtemp(prefix="tongbao-bench-cert-"))
    try:
        env = _env(instance)
        subprocess.run([str(BIN / "tongbao"), "db", "upgrade"], env=env, check=True, capture_output=True)  # noqa: S603
        app = create_app(
            Config(
                database_url=env["TONGBAO_DATABASE_URL"],
                secret_key=env["TONGBAO_SECRET_KEY"],
                instance_path=instance,
                base_url=env["TONGBAO_BASE_URL"],
                frozen_now=datetime.fromisoformat(env["TONGBAO_NOW"]),
            )
        )
        policy_id = _seed(app)
        times = _render_runs(app, policy_id)  # leaves the last render stored for the download test
        served = _serve_and_load(instance, policy_id)
    finally:
        shutil.rmtree(instance, ignore_errors=True)

    med = {k: statistics.median(v) for k, v in times.items()}
    ratio, cpu_ratio = med["service"] / med["bare"], med["service_cpu"] / med["bare_cpu"]
    share = served["download_rps"] / served["bare_rps"]
    body = f"""
**First render** — median of {RUNS} alternating runs (after one warm-up each), same HTML:

| | wall ms (median) | CPU ms (median) |
| --- | ---: | ---: |
| bare `HTML(string=…, base_url=static/).write_pdf()` | {med["bare"] * 1000:.0f} | {med["bare_cpu"] * 1000:.0f} |
| service: query + HTML + WeasyPrint (static-only fetcher, PDF/A-3u, policy.json) + insert \
| {med["service"] * 1000:.0f} | {med["service_cpu"] * 1000:.0f} |

**Ratio {ratio:.2f}× wall, {cpu_ratio:.2f}× CPU** (goal ≤ {RENDER_GOAL}×): {verdict(ratio <= RENDER_GOAL)}.

**Downloads** — gunicorn, 2 sync workers (`make serve WORKERS=2`), SQLite, wrk {" ".join(WRK_ARGS)}:

| URL | bytes | requests/s |
| --- | ---: | ---: |
| baseline: `GET {served["bare_path"]}` (bare template page, anonymous) \
| {served["bare_bytes"]:,} | {served["bare_rps"]:.0f} |
| `GET /policies/<id>/certificate.pdf` (enterprise session, stored PDF) \
| {served["pdf_bytes"]:,} | {served["download_rps"]:.0f} |
| the same with `If-None-Match` (304) | 0 | {served["revalidate_rps"]:.0f} |

**Downloads at {share:.0%} of the bare page's rate** (goal ≥ {DOWNLOAD_GOAL:.0%}): \
{verdict(share >= DOWNLOAD_GOAL)}.
"""
    record("Certificates", body)
