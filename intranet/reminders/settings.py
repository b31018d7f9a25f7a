"""When the scheduled jobs act, in Shanghai time. The reminder time and ladder are programme
parameters; these are the operational times of the notices and staff alerts (app config wins)."""

from __future__ import annotations

from typing import Any

from flask import current_app

DEFAULTS: dict[str, Any] = {
    "NOTIFIER_NOTICE_DAY": 1,  # monthly notices: day of the month …
    "NOTIFIER_NOTICE_TIME": "10:00",  # … and time
    "NOTIFIER_ALERT_TIME": "09:00",  # daily staff alerts
}


def setting(name: str) -> Any:
    return current_app.config.get(name, DEFAULTS[name])
