"""Flask extensions, created unbound and initialised in `create_app`."""

from __future__ import annotations

from flask import Flask
from flask_babel import Babel
from flask_login import LoginManager
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


db = SQLAlchemy(model_class=Base)
login_manager = LoginManager()
csrf = CSRFProtect()
babel = Babel()


def ensure_migrate(app: Flask) -> None:
    """Flask-Migrate (and Alembic, ~0.5 s to import) is loaded only when migrations are used:
    by `tongbao db …`, by the tests' database set-up and by the benchmarks."""
    if "migrate" in app.extensions:
        return
    from flask_migrate import Migrate

    from .config import REPO_ROOT

    Migrate(app, db, directory=str(REPO_ROOT / "migrations"), render_as_batch=True)
