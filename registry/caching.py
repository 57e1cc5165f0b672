"""Per-process snapshots of the few rows every public request reads and almost nobody changes:
a check-in point with its venue and commune, a commune's current questions, the first page of
a point as a phone without a cookie gets it.

Why: a phone's check-in is a handful of statements that write; reading the same point, venue,
commune and questions again for every one of them cost more than the write itself (see
docs/architecture.md, "Where the time goes").

How long a snapshot may be stale (the bound):

- In this process, never after a commit: any commit that added, changed or deleted a row of a
  table a cache watches (through the unit of work, or an UPDATE/DELETE/INSERT statement run
  through the session) empties that cache once the commit is done, and a load that raced with
  such a commit is not stored (a generation number). A session that has changed a watched table
  and not committed yet reads past the cache, so a request always sees its own changes.
- In other processes (the other web workers, the job consumer), at most `SNAPSHOT_SECONDS`
  (default 5) after the change: an entry is used that long after it was read, then read again.
  A venue suspended or a question added in one worker is seen by every worker within that time.
  SQL written by hand on a raw connection is only seen through this bound, too.

Only found records are kept; "unknown code" is always asked again, so a new point works at once.
"""
from __future__ import annotations

import itertools
import time
from collections.abc import Callable, Hashable
from typing import TypeVar

from flask import current_app, has_app_context
from sqlalchemy import event, inspect
from sqlalchemy.orm import Session, make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value

T = TypeVar("T")

DEFAULT_SECONDS = 5
# An execution option a statement sets when it writes a watched table without changing any
# value (the row lock a check-in takes on SQLite): it must not empty the caches.
NO_CHANGE = "registry_no_change"
_CHANGED = "registry_changed_tables"
_CACHES: list["SnapshotCache"] = []
_clock = time.monotonic


class SnapshotCache:
    """A bounded key → value store per application, emptied when a watched table changes."""

    def __init__(self, name: str, tables: tuple[str, ...], max_entries: int = 2048):
        self.name = name
        self.tables = frozenset(tables)
        self.max_entries = max_entries
        _CACHES.append(self)

    def _store(self, app) -> dict:
        stores = app.extensions.setdefault("registry_snapshots", {})
        if self.name not in stores:
            stores[self.name] = {"entries": {}, "generation": itertools.count()}
            stores[self.name]["current"] = next(stores[self.name]["generation"])
        return stores[self.name]

    def get(self, session: Session, key: Hashable, load: Callable[[], T | None]) -> T | None:
        """The stored value of `key`, or `load()` (stored unless None or the session has
        uncommitted changes to a watched table, which it must see)."""
        if self.tables & session.info.get(_CHANGED, set()):
            return load()
        app = current_app._get_current_object()
        store = self._store(app)
        now = _clock()
        hit = store["entries"].get(key)
        if hit is not None and hit[0] > now:
            return hit[1]
        generation = store["current"]
        value = load()
        seconds = app.config.get("SNAPSHOT_SECONDS", DEFAULT_SECONDS)
        if value is not None and seconds > 0 and store["current"] == generation:
            entries = store["entries"]
            if len(entries) >= self.max_entries:
                entries.clear()
            entries[key] = (now + seconds, value)
        return value

    def clear(self, app) -> None:
        """Forget every entry (and any load running now) of `app`."""
        store = self._store(app)
        store["current"] = next(store["generation"])
        store["entries"].clear()


def detached_copy(obj, relations: dict | None = None):
    """A copy of the loaded ORM object `obj` that belongs to no session, with its column values
    (and the given {relationship: copied value}) as committed: what `Session.merge(copy,
    load=False)` puts into a request's session without a query."""
    mapper = inspect(obj).mapper
    copy = mapper.class_manager.new_instance()
    for attr in mapper.column_attrs:
        set_committed_value(copy, attr.key, getattr(obj, attr.key))
    for key, value in (relations or {}).items():
        set_committed_value(copy, key, value)
    make_transient_to_detached(copy)
    return copy


def _note(session: Session, tables) -> None:
    session.info.setdefault(_CHANGED, set()).update(tables)


def note_tables_written(session: Session, tables) -> None:
    """Tell the caches that this transaction wrote `tables` by a statement run past the
    session (on the driver's cursor), as the session's own writes tell them."""
    _note(session, tables)


@event.listens_for(Session, "after_flush")
def _note_flushed_changes(session: Session, _flush_context) -> None:
    """Remember which tables this transaction wrote through the unit of work."""
    tables = {obj.__table__.name for obj in (*session.new, *session.deleted)}
    tables.update(obj.__table__.name for obj in session.dirty
                  if session.is_modified(obj, include_collections=False))
    if tables:
        _note(session, tables)


@event.listens_for(Session, "do_orm_execute")
def _note_statement_changes(state) -> None:
    """Remember the tables an UPDATE, DELETE or INSERT statement run through the session writes."""
    if not (state.is_update or state.is_delete or state.is_insert):
        return
    if state.execution_options.get(NO_CHANGE) or state.statement._execution_options.get(
            NO_CHANGE):
        return
    table = getattr(state.statement, "table", None)
    name = getattr(table, "name", None)
    if name:
        _note(session=state.session, tables={name})


@event.listens_for(Session, "after_commit")
def _drop_stale_snapshots(session: Session) -> None:
    """After a commit that wrote a watched table, empty the caches that watch it."""
    tables = session.info.pop(_CHANGED, None)
    if not tables or not has_app_context():
        return
    app = current_app._get_current_object()
    for cache in _CACHES:
        if cache.tables & tables:
            cache.clear(app)


@event.listens_for(Session, "after_rollback")
def _forget_rolled_back(session: Session) -> None:
    """A rolled-back transaction changed nothing."""
    session.info.pop(_CHANGED, None)
