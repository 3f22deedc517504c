"""A DB-API connection + query -> the Feathers page, read from the database as ``find`` reads records.

``find(connection, query)`` runs the total and the page that ``to_sql`` writes, reads the rows
back as ``Field.from_record`` gives values (instants as UTC datetimes, booleans as ``bool``),
keeps exactly the ``$select`` fields, and adds ``$load`` relations from the users' table with a
second query. The dialect is told by the connection's driver: sqlite3, psycopg or DuckDB.
An error of the driver becomes an ``EngineError`` naming the engine.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

from ..ast import Query
from ..errors import Diagnostic, QueryError, first_line
from ..page import Page
from ..schema import Schema
from . import dialects
from .compile import TABLE, USERS_TABLE, Statement, identifier, table_name, to_sql
from .dialects import Dialect

__all__ = ["EngineError", "Execute", "answer", "dialect_of", "engine_errors", "find", "rows_of"]

_DRIVERS = {"sqlite3": "sqlite", "psycopg": "postgres", "duckdb": "duckdb", "_duckdb": "duckdb"}


class EngineError(QueryError):
    """The database refused or failed a statement; the message names the engine."""


def dialect_of(connection: object) -> Dialect:
    """The dialect of a DB-API connection, told by its driver's module.

    Raises:
        QueryError: ``unknown-dialect`` for a driver querylang does not know.
    """
    root = type(connection).__module__.split(".")[0]
    name = _DRIVERS.get(root)
    if name is None:
        message = f"cannot tell the SQL dialect of a {type(connection).__name__} connection"
        raise QueryError([Diagnostic("unknown-dialect", message, hint="pass dialect='postgres', 'sqlite' or 'duckdb'")])
    return dialects.dialect(name)


@contextlib.contextmanager
def engine_errors(d: Dialect) -> Iterator[None]:
    """Turn the driver's errors into ``EngineError`` naming the engine."""
    try:
        yield
    except QueryError:
        raise
    except Exception as error:  # the drivers' own classes: sqlite3.Error, psycopg.Error, duckdb.Error
        raise EngineError([Diagnostic("engine-error", f"{d.name}: {first_line(error)}")]) from error


def rows_of(statement: Statement, d: Dialect, raw: Sequence[Sequence[Any]]) -> list[dict[str, Any]]:
    """The page's rows as dicts of typed values, holding exactly the selected fields."""
    schema = statement.schema
    fields = [schema.field(c) for c in statement.columns]
    shown = statement.select if statement.select is not None else schema.field_names
    rows = []
    for values in raw:
        row = {}
        for f, value in zip(fields, values, strict=True):
            assert f is not None
            row[f.name] = d.unbind(f, value)
        rows.append(row)
    if not statement.load:
        return (
            rows
            if statement.select is None or len(shown) == len(statement.columns)
            else [{n: r[n] for n in shown} for r in rows]
        )
    return [{n: r[n] for n in shown} | {"__related__": r} for r in rows]


Execute = Callable[[str, Sequence[object] | Mapping[str, object]], Sequence[Sequence[Any]]]
"""Runs one statement with its parameters and returns every row: a cursor, or a Spark session."""

_LOAD_BATCH = 500
"""Ids a ``$load`` statement asks for at most: below every engine's limit on parameters (SQLite's was 999)."""


def _users(execute: Execute, d: Dialect, ids: list[object], users_table: str) -> dict[object, Any]:
    """The users of ``ids`` from the users' table, ``{id: user object}``, read ``_LOAD_BATCH`` ids at a time."""
    from sqlglot import exp

    users: dict[object, Any] = {}
    for start in range(0, len(ids), _LOAD_BATCH):
        batch = ids[start : start + _LOAD_BATCH]
        names = [f"p{i + 1}" for i in range(len(batch))]
        placeholders = [exp.Placeholder(this=n) if d.named else exp.Placeholder() for n in names]
        select = (
            exp.select(exp.Column(this=identifier("id", d)), exp.Column(this=identifier("data", d)))
            .from_(table_name(users_table, d))
            .where(exp.In(this=exp.Column(this=identifier("id", d)), expressions=placeholders))
        )
        params: Sequence[object] | Mapping[str, object] = dict(zip(names, batch, strict=True)) if d.named else batch
        users.update((uid, json.loads(data)) for uid, data in execute(select.sql(dialect=d.sqlglot), params))
    return users


def _load(execute: Execute, statement: Statement, d: Dialect, rows: list[dict[str, Any]], users_table: str) -> None:
    schema = statement.schema
    relations = [(name, r.field) for name in statement.load if (r := schema.relation(name)) is not None]
    ids = sorted({row["__related__"][f] for row in rows for _, f in relations} - {None})
    users = _users(execute, d, ids, users_table) if ids else {}
    for row in rows:
        related = row.pop("__related__")
        for name, f in relations:
            value = related[f]
            row[name] = None if value is None else users.get(value)


def answer(
    statement: Statement, d: Dialect, execute: Execute, *, users_table: str = USERS_TABLE, paginate: bool = True
) -> Page | list[dict[str, Any]]:
    """Run a statement's total and page through ``execute``: the page, or the rows without pagination."""
    with engine_errors(d):
        total = int(execute(statement.count_sql, statement.count_params)[0][0]) if paginate else 0
        data: list[dict[str, Any]] = []
        if statement.sql is not None:
            data = rows_of(statement, d, execute(statement.sql, statement.params))
            if statement.load:
                _load(execute, statement, d, data, users_table)
    if not paginate:
        return data
    assert statement.limit is not None
    return Page(total=total, limit=statement.limit, skip=statement.skip, data=list(data))


def find(
    connection: Any,
    query: Query | str | object,
    *,
    dialect: str | Dialect | None = None,
    schema: Schema | None = None,
    table: str = TABLE,
    users_table: str = USERS_TABLE,
    default_limit: int | None = None,
    max_limit: int | None = None,
    paginate: bool = True,
) -> Page | list[dict[str, Any]]:
    """Answer a query from a database table as ``querylang.find`` answers it over the same records.

    The table is one ``create_table`` made and ``load_records`` filled (the load order decides
    ties). On SQLite, ``$ilike``'s function is registered on the connection first. For Spark,
    use ``querylang.sql.spark.find``.

    Returns:
        ``{"total", "limit", "skip", "data"}``, or a list with ``paginate=False``.

    Raises:
        QuerySyntaxError, QueryValidationError: as ``to_sql``.
        EngineError: the database failed a statement (a missing table, say).
    """
    d = dialects.dialect(dialect) if dialect is not None else dialect_of(connection)
    statement = to_sql(
        query,
        dialect=d,
        schema=schema,
        table=table,
        default_limit=default_limit,
        max_limit=max_limit,
        paginate=paginate,
    )

    def execute(sql: str, params: Sequence[object] | Mapping[str, object]) -> Sequence[Sequence[Any]]:
        cursor = connection.cursor()
        cursor.execute(sql, params)
        rows: Sequence[Sequence[Any]] = cursor.fetchall()
        return rows

    if d.name == "sqlite":
        from .sqlite import register

        with engine_errors(d):
            register(connection)
    return answer(statement, d, execute, users_table=users_table, paginate=paginate)
