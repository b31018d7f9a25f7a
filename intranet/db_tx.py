"""One place owns the transaction: the outermost `@transactional` service call commits; a
`@read_only` view's transaction cannot write."""

from __future__ import annotations

from collections.abc import Callable
from contextvars import ContextVar
from functools import wraps
from typing import ParamSpec, TypeVar

from sqlalchemy import text

from .database import write_intent
from .extensions import db

P = ParamSpec("P")
R = TypeVar("R")

_depth: ContextVar[int] = ContextVar("tongbao_tx_depth", default=0)


def transactional(func: Callable[P, R]) -> Callable[P, R]:
    """Commit when the outermost service call returns; roll back everything if it raises."""

    @wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        depth = _depth.get()
        token = _depth.set(depth + 1)
        intent = None
        if depth == 0 and db.engine.dialect.name == "sqlite":
            db.session.commit()  # end any read transaction so the write one begins IMMEDIATE
            intent = write_intent.set(True)
        try:
            result = func(*args, **kwargs)
            if depth == 0:
                db.session.commit()
            return result
        except BaseException:
            if depth == 0:
                db.session.rollback()
            raise
        finally:
            _depth.reset(token)
            if intent is not None:
                write_intent.reset(intent)

    return wrapper


_READ_ONLY = text("SET TRANSACTION READ ONLY")


def read_only(view: Callable[P, R]) -> Callable[P, R]:
    """A view that only reads (the public board, the most requested pages). On PostgreSQL its
    transaction is made read-only, so a write in it fails, and is ended with COMMIT when the view
    returns: for a transaction that wrote nothing COMMIT and ROLLBACK are the same, but psycopg
    forgets its prepared statements on every ROLLBACK, and each such request planned every statement
    again (on the board, about 1 ms of PostgreSQL's CPU per search, issue 12). If the view raises,
    the request's transaction is rolled back as any other. SQLite keeps its statement cache through a
    rollback: there the request ends as every other."""

    @wraps(view)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        if db.engine.dialect.name != "postgresql":
            return view(*args, **kwargs)
        db.session.execute(_READ_ONLY)
        result = view(*args, **kwargs)
        db.session.commit()
        return result

    return wrapper
