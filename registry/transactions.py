"""One commit per unit of work: a request, a command, a background job.

Services and views only add and flush; the unit commits once at its end when it succeeded and
rolls back when it failed, so a request either keeps all it did or nothing (Indico's request
handler works the same way). A request succeeded when its answer is not an error (status below
400): a form shown again with its errors writes nothing. A failed commit turns the answer into
the error page, so nothing is acknowledged that was not stored.

The few places that must commit before their unit ends say why, through `commit_early`.
"""
from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TypeVar

from flask import Flask
from sqlalchemy.exc import IntegrityError

from registry.extensions import db

T = TypeVar("T")


def _commit_or_roll_back(response):
    """After the view: keep the request's work if it answered without an error."""
    if response.status_code < 400:
        db.session.commit()
    else:
        db.session.rollback()
    return response


def _roll_back_on_exception(exc: BaseException | None) -> None:
    """A request that raised keeps nothing."""
    if exc is not None:
        db.session.rollback()


def init_app(app: Flask) -> None:
    """Commit each request once at its end (or roll it back)."""
    app.after_request(_commit_or_roll_back)
    app.teardown_request(_roll_back_on_exception)


def unit_of_work(func: Callable[..., T]) -> Callable[..., T]:
    """Decorator for a command or a job step: commit once when it returns, roll back when it
    raises."""

    @functools.wraps(func)
    def run(*args, **kwargs):
        try:
            result = func(*args, **kwargs)
        except BaseException:
            db.session.rollback()
            raise
        db.session.commit()
        return result

    return run


def commit_early() -> None:
    """Commit the work so far, before the unit ends.

    Only where another process must see a row while this unit goes on: a background job's row
    is read by the worker process as soon as the job is queued, and a job's progress is read by
    the page polling it while the job still runs.
    """
    db.session.commit()


def retry_on_unique_clash(work: Callable[[], T], attempts: int = 3) -> T:
    """Run `work` (which adds and flushes); when a unique key refuses its rows because another
    request took the same key a moment earlier, roll back and run it again, so it sees that
    request's rows and chooses anew (the next register number, or an update of a line that was
    just saved).

    The rollback discards everything the unit did before, so call this before any other write.
    """
    for attempt in range(attempts):
        try:
            result = work()
            db.session.flush()
            return result
        except IntegrityError:
            db.session.rollback()
            if attempt == attempts - 1:
                raise
    raise AssertionError("unreachable")
