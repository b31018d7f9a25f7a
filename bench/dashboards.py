"""Bureau and insurer dashboards on 100,000 roster entries, 30,000 policies and 5,000 losses.

A migrated database is filled with bulk inserts, then each dashboard is rendered through the Flask
test client with a logged-in staff session: the first runs are discarded (warm-up), then the median
and p95 of the measured runs are reported, against a bare staff page as the baseline.
SQLite always; PostgreSQL too when one answers on 127.0.0.1:5432 (set BENCH_PG=0 to skip).
"""

from __future__ import annotations

import os
import random
import shutil
import statistics
import time
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import insert, select

from bench.common import confirmed_roster, drop_pg_database, fresh_pg_database, out_dir, record, timer, uscc_for
from intranet.losses.models import LossStatus
from intranet.losses.rules import CAUSES

ENTRIES, POLICIES, LOSSES, CREDIT_REPORTS, OBJECTIONS = 100_000, 30_000, 5_000, 12_000, 300
WARMUP, RUNS = 5, 40
GOAL_MS = 200.0
PG_NAME = "tongbao_desk_bench"
COUNTRIES = ["US", "DE", "GB", "FR", "IT", "ES", "NL", "RU", "BR", "MX", "IN", "JP", "KR", "AU", "AE", "SA", "TR", "ZA"]



def _app(url: str, instance: Path) -> Any:
    from intranet import create_app
    from intranet.config import Config

    config = Config(
        database_url=url,
        secret_key="bench-dashboards",
        instance_path=instance,
        extra={"PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000"},
    )
    return create_app(config)


def _batches(rows: list[dict[str, Any]], size: int = 10_000) -> Any:
    for i in range(0, len(rows), size):
        yield rows[i : i + size]


def build(app: Any) -> dict[str, float]:
    """Migrate, then bulk-insert the data set; returns the seconds each step took."""
    import flask_migrate

    from intranet.auth.models import User
    from intranet.credit_reports.models import CreditReportRequest
    from intranet.districts.models import District
    from intranet.enterprises.models import Enterprise
    from intranet.extensions import db
    from intranet.losses.models import LossReport
    from intranet.policies.models import Policy
    from intranet.programmes.models import Programme
    from intranet.roster.models import Objection, RosterEntry

    rng = random.Random(2024)  # noqa: S311 - synthetic data
    took: dict[str, float] = {}
    from intranet.extensions import ensure_migrate

    ensure_migrate(app)
    with app.app_context():
        with timer() as t:
            flask_migrate.upgrade()
        took["migrate"] = t["seconds"]
        now = datetime(2024, 7, 20, 4, 0, tzinfo=UTC)
        programme = db.session.scalar(select(Programme).where(Programme.year == 2024))
        districts = list(db.session.scalars(select(District.id)))
        with timer() as t:
            db.session.execute(
                insert(Enterprise),
                [
                    {
                        "uscc": uscc_for(n),
                        "name": f"深圳市基准{n}号贸易有限公司",
                        "district_id": districts[n % len(districts)],
                        "mobile": f"138{n:08d}",
                        "email": f"e{n}@bench.example.cn",
                        "created_at": now,
                        "updated_at": now,
                    }
                    for n in range(1, ENTRIES + 1)
                ],
            )
            enterprise_ids = list(db.session.scalars(select(Enterprise.id).order_by(Enterprise.id)))
            roster = confirmed_roster(programme.id, now)
            entries = [
                {
                    "roster_id": roster.id,
                    "programme_id": programme.id,
                    "enterprise_id": eid,
                    "name": f"深圳市基准{n}号贸易有限公司",
                    "uscc": uscc_for(n),
                    "district_id": districts[n % len(districts)],
                    "export_amount_usd": Decimal(rng.randrange(10_000_00, 8_000_000_00)) / 100,
                    "eligible": n % 20 != 0,
                    "status": "removed" if n % 997 == 0 else "listed",
                    "created_at": now,
                    "updated_at": now,
                }
                for n, eid in enumerate(enterprise_ids, start=1)
            ]
            for batch in _batches(entries):
                db.session.execute(insert(RosterEntry), batch)
        took["roster"] = t["seconds"]
        with timer() as t:
            claimed = enterprise_ids[:POLICIES]
            policies = []
            for i, eid in enumerate(claimed):
                at = now - timedelta(minutes=rng.randrange(0, 90 * 24 * 60))
                status = "revoked" if i % 60 == 0 else ("claimed" if i % 7 == 0 else "issued")
                policies.append(
                    {
                        "programme_id": programme.id,
                        "enterprise_id": eid,
                        "status": status,
                        "claimed_at": at,
                        "claimed_via": "web",
                        "claimed_on_time": True,
                        "policy_no": None if status == "claimed" else f"SZ2024-{i:06d}",
                        "issue_date": None if status == "claimed" else date(2024, 7, 1),
                        "cover_start": date(2024, 7, 1),
                        "cover_end": date(2025, 6, 30),
                        "version": 1,
                    }
                )
            for batch in _batches(policies):
                db.session.execute(insert(Policy), batch)
            issued = list(
                db.session.execute(select(Policy.id, Policy.enterprise_id).where(Policy.status == "issued")).all()
            )
            losses = []
            for _i in range(LOSSES):
                pid, eid = rng.choice(issued)
                status = rng.choice(list(LossStatus))
                amount = Decimal(rng.randrange(1_000_00, 400_000_00)) / 100
                paid = min(amount * Decimal("0.8"), Decimal("150000")).quantize(Decimal("0.01"))
                losses.append(
                    {
                        "policy_id": pid,
                        "enterprise_id": eid,
                        "buyer_name": f"Buyer {rng.randrange(2000)}",
                        "buyer_key": f"buyer {rng.randrange(2000)}",
                        "buyer_country": rng.choice(COUNTRIES),
                        "cause": rng.choice(list(CAUSES)),
                        "status": status,
                        "invoice_total_usd": amount,
                        "covered": True,
                        "reasons": [],
                        "estimate_usd": paid,
                        "paid_usd": paid if status == "paid" else None,
                        "reported_at": now - timedelta(days=rng.randrange(1, 20)),
                        "reported_via": "web",
                    }
                )
            db.session.execute(insert(LossReport), losses)
            db.session.execute(
                insert(CreditReportRequest),
                [
                    {
                        "programme_id": programme.id,
                        "enterprise_id": rng.choice(claimed),
                        "buyer_name": "Buyer",
                        "buyer_country": rng.choice(COUNTRIES),
                        "free": True,
                        "status": rng.choice(["requested", "delivered", "declined"]),
                        "requested_at": now,
                    }
                    for _ in range(CREDIT_REPORTS)
                ],
            )
            entry_ids = list(db.session.scalars(select(RosterEntry.id).limit(OBJECTIONS)))
            db.session.execute(
                insert(Objection),
                [
                    {
                        "reference": f"OBJ-{i}",
                        "roster_entry_id": rid,
                        "reason": "x",
                        "contact_name": "x",
                        "contact": "x",
                        "filed_at": now,
                        "ip_hash": "x",
                        "status": rng.choice(["open", "upheld", "dismissed"]),
                    }
                    for i, rid in enumerate(entry_ids)
                ],
            )
        took["policies_losses"] = t["seconds"]
        for role in ("bureau", "insurer"):
            db.session.add(User(email=f"{role}@bench.test", role=role, active=True, created_at=now))
        db.session.commit()
        db.session.commit()
        # fresh statistics (and, on PostgreSQL, the visibility map), as a maintained database has
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("VACUUM ANALYZE" if db.engine.dialect.name == "postgresql" else "ANALYZE")
        db.session.remove()
        db.engine.dispose()
    return took


def measure(app: Any) -> dict[str, tuple[float, float, float]]:
    """{page: (median ms, p95 ms, median CPU ms)} for the two dashboards and the baseline page.

    CPU time (this process: Flask, Jinja and SQLite run in-process) is reported beside wall time
    because the benchmark machine is shared; on PostgreSQL it leaves out the server's work."""
    from intranet.auth.models import User
    from intranet.extensions import db

    app.config["TONGBAO_NOW"] = datetime(2024, 7, 20, 12, 0, tzinfo=UTC)
    results: dict[str, tuple[float, float, float]] = {}
    pages = [
        ("baseline: staff home", "bureau", "/staff"),
        ("bureau dashboard", "bureau", "/staff/dashboard/bureau?programme=2024"),
        ("insurer dashboard", "insurer", "/staff/dashboard/insurer?programme=2024"),
    ]
    for label, role, url in pages:
        client = app.test_client()
        with app.app_context():
            user_id = db.session.scalar(select(User.id).where(User.role == role))
        with client.session_transaction() as session:
            session["_user_id"] = str(user_id)
            session["_fresh"] = True
        samples, cpu = [], []
        for i in range(WARMUP + RUNS):
            start, start_cpu = time.perf_counter(), time.process_time()
            response = client.get(url)
            elapsed = (time.perf_counter() - start) * 1000
            used = (time.process_time() - start_cpu) * 1000
            if response.status_code != 200:
                raise RuntimeError(f"{url} answered {response.status_code}")
            if i >= WARMUP:
                samples.append(elapsed)
                cpu.append(used)
        p95 = statistics.quantiles(samples, n=20)[18]
        results[label] = (statistics.median(samples), p95, statistics.median(cpu))
    return results


def run_backend(name: str, url: str, instance: Path) -> tuple[dict[str, float], dict[str, tuple[float, float, float]]]:
    app = _app(url, instance)
    took = build(app)
    print(
        f"   {name}: data built in {sum(took.values()):.1f} s ({', '.join(f'{k} {v:.1f}s' for k, v in took.items())})"
    )
    results = measure(app)
    with app.app_context():
        from intranet.extensions import db

        db.engine.dispose()
    return took, results


def main() -> None:
    base = out_dir("dashboards")
    shutil.rmtree(base, ignore_errors=True)
    base.mkdir(parents=True)
    backends = [("SQLite", f"sqlite:///{base / 'dashboards.db'}")]
    pg = fresh_pg_database(PG_NAME)
    if pg:
        backends.append(("PostgreSQL", pg))
    lines = [
        f"{ENTRIES:,} roster entries, {POLICIES:,} policies, {LOSSES:,} losses, {CREDIT_REPORTS:,} credit-report "
        f"requests, {OBJECTIONS} objections (bulk inserts on a migrated database). Flask test client with a "
        f"logged-in staff session; {WARMUP} warm-up renders discarded, then {RUNS} measured. Goal: median ≤ "
        f"{GOAL_MS:.0f} ms warm.",
        "",
        "| database | page | median ms | p95 ms | median CPU ms | goal (median) |",
        "| --- | --- | ---: | ---: | ---: | --- |",
    ]
    try:
        for name, url in backends:
            _took, results = run_backend(name, url, base / name.lower())
            for label, (median, p95, cpu) in results.items():
                verdict = "—" if label.startswith("baseline") else ("met" if median <= GOAL_MS else "MISSED")
                lines.append(f"| {name} | {label} | {median:.1f} | {p95:.1f} | {cpu:.1f} | {verdict} |")
    finally:
        if pg:
            drop_pg_database(PG_NAME)
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    lines += ["", f"Load average during the run: {load} (the machine is shared; CPU ms is this process's own time)."]
    record("Dashboards", "\n".join(lines))
