"""The business clock: Shanghai calendar decisions from a process in any time zone."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from datetime import date

import pytest

from intranet.clock import end_of_day, on_or_before, shanghai_date


def test_deadline_decision_in_a_utc_process():
    # 2024-06-30T16:30Z is 00:30 on 1 July in Shanghai: past the deadline, although UTC says 30 June.
    script = textwrap.dedent(
        """
        import os, time
        from datetime import date, datetime
        time.tzset()
        from intranet.clock import now, on_or_before, shanghai_date
        moment = now()
        print(moment.isoformat(), datetime.now().astimezone().tzname(), shanghai_date(moment),
              on_or_before(moment, date(2024, 6, 30)))
        """
    )
    env = {**os.environ, "TZ": "UTC", "TONGBAO_NOW": "2024-06-30T16:30:00+00:00"}
    out = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True)
    stamp, tzname, day, decision = out.stdout.split()
    assert tzname == "UTC"
    assert day == "2024-07-01"
    assert decision == "False"
    env["TONGBAO_NOW"] = "2024-06-30T15:59:59+00:00"  # 23:59:59 in Shanghai
    out = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True)
    assert out.stdout.split()[-1] == "True"


def test_end_of_day_is_last_instant_in_shanghai():
    last = end_of_day(date(2024, 5, 26))
    assert last.isoformat() == "2024-05-26T23:59:59.999999+08:00"
    assert on_or_before(last, date(2024, 5, 26))
    assert shanghai_date(last) == date(2024, 5, 26)


def test_naive_datetimes_are_refused():
    from datetime import datetime

    with pytest.raises(ValueError, match="naive"):
        shanghai_date(datetime(2024, 6, 30, 12, 0))  # noqa: DTZ001
