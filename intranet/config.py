"""The one place that reads the environment (CONTRACT.md, Configuration)."""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_INSTANCE = REPO_ROOT / "instance"


def _secret_key(instance: Path) -> str:
    """The signing key: from the environment, else generated once into instance/."""
    key = os.environ.get("TONGBAO_SECRET_KEY")
    if key:
        return key
    instance.mkdir(parents=True, exist_ok=True)
    path = instance / "secret_key"
    if not path.exists():
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(secrets.token_urlsafe(48))
        tmp.chmod(0o600)
        try:
            os.link(tmp, path)  # atomic: the first writer wins, others read it
        except FileExistsError:
            pass
        finally:
            tmp.unlink(missing_ok=True)
    return path.read_text().strip()


def parse_frozen_now(value: str | None) -> datetime | None:
    """TONGBAO_NOW: ISO 8601 with an offset, e.g. 2024-06-30T23:59:00+08:00."""
    if not value:
        return None
    parsed = datetime.fromisoformat(value)
    if parsed.tzinfo is None:
        raise ValueError(f"TONGBAO_NOW must carry a UTC offset, got {value!r}")
    return parsed


def base_url_from_env(environ: Mapping[str, str]) -> str:
    """TONGBAO_BASE_URL; unset, the local address on PORT (`make run PORT=5201`), else :5000."""
    explicit = environ.get("TONGBAO_BASE_URL")
    if explicit:
        return explicit.rstrip("/")
    port = (environ.get("PORT") or "").strip()
    if port.isdigit() and 0 < int(port) < 65536:
        return f"http://127.0.0.1:{int(port)}"
    return "http://127.0.0.1:5000"


def _positive_int(value: str | None, default: int) -> int:
    try:
        number = int(value or "")
    except ValueError:
        return default
    return number if number > 0 else default


@dataclass(frozen=True)
class SiteInfo:
    """A government website's conventions (the footer and the privacy notice). An empty name means
    the built-in one (translated); registration numbers left empty are not shown."""

    sponsor: str = ""  # 主办单位
    operator: str = ""  # 承办 / 运营单位
    site_code: str = "4403000099"  # 网站标识码 (demo value)
    icp_record: str = "粤ICP备00000000号-1"  # ICP备案号 (demo value)
    psb_record: str = "粤公网安备44030002000000号"  # 公安备案号 (demo value)
    privacy_contact: str = ""  # who to ask about personal data; empty: the consultation hotline

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> SiteInfo:
        defaults = cls()

        def pick(name: str, default: str) -> str:
            value = environ.get(name)
            return default if value is None else value.strip()

        return cls(
            sponsor=pick("TONGBAO_SITE_SPONSOR", defaults.sponsor),
            operator=pick("TONGBAO_SITE_OPERATOR", defaults.operator),
            site_code=pick("TONGBAO_SITE_CODE", defaults.site_code),
            icp_record=pick("TONGBAO_ICP_RECORD", defaults.icp_record),
            psb_record=pick("TONGBAO_PSB_RECORD", defaults.psb_record),
            privacy_contact=pick("TONGBAO_PRIVACY_CONTACT", defaults.privacy_contact),
        )


OUTBOX_RETENTION_DAYS = 180


@dataclass
class Config:
    """Everything the app needs; `from_env()` builds it, tests override fields."""

    database_url: str
    secret_key: str
    base_url: str = "http://127.0.0.1:5000"
    smtp_url: str | None = None
    sms_url: str | None = None
    frozen_now: datetime | None = None
    trusted_proxies: int = 0
    redis_url: str | None = None
    site: SiteInfo = field(default_factory=SiteInfo)
    outbox_retention_days: int = OUTBOX_RETENTION_DAYS
    instance_path: Path = DEFAULT_INSTANCE
    testing: bool = False
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_env(cls, **overrides: Any) -> Config:
        instance = Path(os.environ.get("TONGBAO_INSTANCE_PATH", str(DEFAULT_INSTANCE)))
        values: dict[str, Any] = {
            "database_url": os.environ.get("TONGBAO_DATABASE_URL") or f"sqlite:///{instance / 'tongbao.db'}",
            "secret_key": _secret_key(instance),
            "base_url": base_url_from_env(os.environ),
            "smtp_url": os.environ.get("TONGBAO_SMTP_URL") or None,
            "sms_url": os.environ.get("TONGBAO_SMS_URL") or None,
            "frozen_now": parse_frozen_now(os.environ.get("TONGBAO_NOW")),
            "instance_path": instance,
            "trusted_proxies": int(os.environ.get("TONGBAO_TRUSTED_PROXIES", "0") or 0),
            "redis_url": os.environ.get("TONGBAO_REDIS_URL") or None,
            "site": SiteInfo.from_env(os.environ),
            "outbox_retention_days": _positive_int(
                os.environ.get("TONGBAO_OUTBOX_RETENTION_DAYS"), OUTBOX_RETENTION_DAYS
            ),
        }
        values.update(overrides)
        return cls(**values)

    @property
    def secure_cookies(self) -> bool:
        return self.base_url.startswith("https://")

    def flask_settings(self) -> dict[str, Any]:
        settings: dict[str, Any] = {
            "SECRET_KEY": self.secret_key,
            "SQLALCHEMY_DATABASE_URI": self.database_url,
            "SQLALCHEMY_ENGINE_OPTIONS": engine_options(self.database_url),
            "TONGBAO_BASE_URL": self.base_url,
            "TONGBAO_SMTP_URL": self.smtp_url,
            "TONGBAO_SMS_URL": self.sms_url,
            "TONGBAO_NOW": self.frozen_now,
            "TONGBAO_REDIS_URL": self.redis_url,
            "TONGBAO_SITE": self.site,
            "TONGBAO_OUTBOX_RETENTION_DAYS": self.outbox_retention_days,
            "TESTING": self.testing,
            "SESSION_COOKIE_HTTPONLY": True,
            "SESSION_COOKIE_SAMESITE": "Lax",
            "SESSION_COOKIE_SECURE": self.secure_cookies,
            "REMEMBER_COOKIE_HTTPONLY": True,
            "REMEMBER_COOKIE_SAMESITE": "Lax",
            "REMEMBER_COOKIE_SECURE": self.secure_cookies,
            "PREFERRED_URL_SCHEME": "https" if self.secure_cookies else "http",
            # uploads: spreadsheets and loss documents; larger bodies are refused with 413
            "MAX_CONTENT_LENGTH": 32 * 1024 * 1024,
            "WTF_CSRF_TIME_LIMIT": None,
            "BABEL_DEFAULT_LOCALE": "zh",
            "BABEL_DEFAULT_TIMEZONE": "Asia/Shanghai",
            "PASSWORD_HASH_METHOD": "scrypt",
            "JSON_AS_ASCII": False,
        }
        settings.update(self.extra)
        return settings


def engine_options(url: str) -> dict[str, Any]:
    if url.startswith("sqlite"):
        return {"connect_args": {"timeout": 30, "check_same_thread": False}}
    return {"pool_pre_ping": True, "pool_size": 5, "max_overflow": 10}
