"""One place owns the transaction: the outermost `@transactional` service call commits."""

from __future__ import annotations

from collections.abc import Callable
from contextvars import ContextVar
from functools import wraps
from typing import ParamSpec, TypeVar

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
