"""A statement built with SQLAlchemy, compiled once per database and run on the driver's own
cursor: for the one statement a phone's check-in writes, nothing else.

Why: run through `Session.execute`, the check-in's look-and-INSERT (35 values) spent more time
in SQLAlchemy's execution machinery (a new execution context, each value through its type's
processor by a general loop, the result's metadata) than in the database; the statement, its
SQL and its types never change. Here SQLAlchemy still writes the SQL (`compile` for the
engine's dialect) and still turns each value into what the driver takes (each type's own
`bind_processor` for that dialect), both once; a call only fills the values in.

What this gives up, and why that is safe for this statement: SQLAlchemy's statement events
(nothing in the registry listens to an INSERT into `checkins`; the snapshot caches are told by
the caller) and its result objects (the statement returns one id).
"""
from __future__ import annotations

import weakref
from collections.abc import Callable
from typing import Any

from sqlalchemy.engine import Connection, Dialect
from sqlalchemy.exc import DBAPIError
from sqlalchemy.sql import ClauseElement


class _Plan:
    """The statement for one dialect: its SQL, its parameters' names in order (positional
    drivers) and each value's processor, and the values written into the statement itself."""

    def __init__(self, statement: ClauseElement, dialect: Dialect):
        compiled = statement.compile(dialect=dialect)
        self.sql: str = compiled.string
        self.order: tuple[str, ...] | None = (tuple(compiled.positiontup)
                                              if compiled.positional else None)
        self.processors: dict[str, Callable[[Any], Any]] = {}
        self.constants: dict[str, Any] = {}
        for bind, name in compiled.bind_names.items():
            processor = bind.type.dialect_impl(dialect).bind_processor(dialect)
            if processor is not None:
                self.processors[name] = processor
            if not bind.required:  # a value of the statement itself (a literal compared to)
                self.constants[name] = bind.effective_value
        for name, value in self.constants.items():
            processor = self.processors.get(name)
            self.constants[name] = processor(value) if processor else value

    def parameters(self, values: dict[str, Any]):
        """The driver's parameters for `values` (by bind name)."""
        processors = self.processors
        row = dict(self.constants)
        for name, value in values.items():
            processor = processors.get(name)
            # As SQLAlchemy does: None goes through the processor too (JSON may write 'null').
            row[name] = processor(value) if processor is not None else value
        if self.order is None:
            return row
        return tuple(row[name] for name in self.order)


class DriverStatement:
    """`statement`, compiled on first use for each dialect it is run on."""

    def __init__(self, statement: ClauseElement):
        self.statement = statement
        # By the dialect object: an engine's dialect carries its own settings (paramstyle, the
        # JSON serializer), and lives as long as its engine.
        self._plans: weakref.WeakKeyDictionary[Dialect, _Plan] = weakref.WeakKeyDictionary()

    def plan(self, dialect: Dialect) -> _Plan:
        plan = self._plans.get(dialect)
        if plan is None:
            plan = self._plans[dialect] = _Plan(self.statement, dialect)
        return plan

    def sql_and_parameters(self, dialect: Dialect, values: dict[str, Any]):
        plan = self.plan(dialect)
        return plan.sql, plan.parameters(values)


def run_on_driver(connection: Connection, statement: DriverStatement, values: dict[str, Any]):
    """Run `statement` with `values` on the driver's cursor of `connection` (a SQLAlchemy
    connection, in the session's transaction): the first column of its first row, or None.

    A driver's error comes out as SQLAlchemy's (IntegrityError, OperationalError, …), and a
    connection the database dropped is thrown away, as `Connection.execute` would do."""
    dialect = connection.dialect
    sql, parameters = statement.sql_and_parameters(dialect, values)
    raw = connection.connection.driver_connection
    cursor = raw.cursor()
    try:
        cursor.execute(sql, parameters)
        row = cursor.fetchone() if cursor.description else None
    except dialect.loaded_dbapi.Error as error:
        lost = dialect.is_disconnect(error, raw, cursor)
        if lost:
            connection.invalidate(error)
        raise DBAPIError.instance(sql, parameters, error, dialect.loaded_dbapi.Error,
                                  connection_invalidated=lost, dialect=dialect) from error
    finally:
        cursor.close()
    return row[0] if row else None
