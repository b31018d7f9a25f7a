"""`python -m bench [name ...]` runs the named benchmarks (all by default)."""

from __future__ import annotations

import argparse
import importlib
import sys

# module name under bench/ -> what it measures
BENCHES = {
    "import_roster": "100,000-row .xlsx import through the CLI: ≤ 10 s, ≤ 300 MB",
    "search": "public roster search under gunicorn (2 workers) vs a bare template page, SQLite and PostgreSQL",
    "certificate": "first certificate render vs bare WeasyPrint; downloads vs the bare page",
    "notifier": "30,000 emails to aiosmtpd vs plain smtplib (the same messages); a 30,000-enterprise reminder run",
    "dashboards": "bureau and insurer dashboards with 100k entries / 30k policies / 5k losses",
    "confirm_roster": "confirming a 30,000-entry roster with its invitation tasks queued, end to end",
    "bulk_issue": "3,000 policies issued with certificates by 1 vs 2 task-worker processes vs bare renders",
    "login_flood": "board search on 4 gunicorn workers alone vs while 50 logins/s flood /login from 20 addresses",
}


def main() -> int:
    parser = argparse.ArgumentParser(prog="make bench")
    parser.add_argument("names", nargs="*", choices=[*BENCHES, []], help="which benchmarks (default: all)")
    args = parser.parse_args()
    failures = 0
    for name in args.names or list(BENCHES):
        try:
            module = importlib.import_module(f"bench.{name}")
        except ModuleNotFoundError:
            print(f"-- {name}: not written yet, skipped")
            continue
        print(f"== {name}: {BENCHES[name]}")
        try:
            module.main()
        except Exception as exc:  # noqa: BLE001 - report and go on with the others
            failures += 1
            print(f"!! {name} failed: {exc}", file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
