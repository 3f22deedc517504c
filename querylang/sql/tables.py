"""Schema -> the tables' DDL; records and users -> rows loaded in batches, typed for the engine.

``create_table`` writes ``CREATE TABLE`` for the records (one column per field, typed from the
schema, plus ``ORDINAL``, the load order that ties and unsorted pages follow) with indexes on
``id``, ``contact_id`` and ``send_at`` where the schema has them, and for the users of ``$load``
(``id`` and ``data``, the user object as JSON text, since users are free-form). SQLite's table is
``STRICT``. ``load_records`` coerces each record as ``find`` reads it (CSV text such as
``"true"`` becomes a boolean; a value that does not fit raises ``RecordError``), and refuses
what the engine cannot store with a ``RecordError`` too: an integer outside 64 bits, a lone
surrogate, a NUL character on PostgreSQL and SQLite, NaN on SQLite. Any other failure of the
database is an ``EngineError`` naming the engine. DuckDB takes each batch as one ``INSERT``
with a list per column (``UNNEST``): its ``executemany`` binds row by row, at some 1,700 rows
a second.
"""

from __future__ import annotations

import itertools
import json
import string
from collections.abc import Iterable, Iterator, Mapping
from datetime import datetime
from typing import Any

from ..errors import Diagnostic, RecordError
from ..schema import CONTACT_COMMUNICATIONS, Field, FieldType, Schema, ValueProblem
from ..values import NAN
from . import dialects
from .compile import ORDINAL, TABLE, USERS_TABLE, identifier, table_name
from .dialects import Dialect, require
from .run import engine_errors

__all__ = [
    "BATCH",
    "COLUMN_BATCH",
    "INDEXED",
    "create_table",
    "load_records",
    "load_users",
    "load_users_rows",
    "record_row",
    "storable",
]

BATCH = 1000
"""Rows inserted per ``executemany``."""
COLUMN_BATCH = 50_000
"""Rows inserted per DuckDB ``INSERT`` of column lists."""
INDEXED = ("id", "contact_id", "send_at")
"""The fields that get an index where the schema has them."""
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
_ASCII_LOWER = str.maketrans(string.ascii_uppercase, string.ascii_lowercase)


def _sql(d: Dialect, node: Any) -> str:
    return str(node.sql(dialect=d.sqlglot))


def create_table(
    schema: Schema | None = None,
    dialect: str | Dialect = "postgres",
    *,
    table: str = TABLE,
    users_table: str | None = USERS_TABLE,
) -> list[str]:
    """The statements that create the records' table, its indexes and the users' table.

    ``for statement in create_table(dialect="sqlite"): connection.execute(statement)``.

    Raises:
        SchemaError: a field is called ``_ordinal`` (the column the load order takes), or two
            fields would be one column (``Name`` and ``name`` where names ignore case).
        QueryError: ``unknown-dialect``; ``MissingExtra`` without sqlglot.
    """
    require("sqlglot", "sql")
    from sqlglot import exp

    d = dialects.dialect(dialect)
    schema = schema or CONTACT_COMMUNICATIONS
    _check_names(schema, d)
    columns = [_column_def(d, f.name, d.types[f.type]) for f in schema.fields]
    columns.append(_column_def(d, ORDINAL, d.ordinal_type, not_null=True))
    create = exp.Create(
        this=exp.Schema(this=table_name(table, d, bound=False), expressions=columns), kind="TABLE", exists=True
    )
    statements = [_sql(d, create) + (" STRICT" if d.name == "sqlite" else "")]
    if d.name != "spark":  # Spark tables have no indexes
        base = table.split(".")[-1]
        for name in (*INDEXED, ORDINAL):
            if name == ORDINAL or schema.field(name) is not None:
                index = exp.Create(
                    this=exp.Index(
                        this=identifier(f"{base}_{name.strip('_')}_idx", d, bound=False),
                        table=table_name(table, d, bound=False),
                        params=exp.IndexParameters(columns=[exp.Column(this=identifier(name, d, bound=False))]),
                    ),
                    kind="INDEX",
                    exists=True,
                )
                statements.append(_sql(d, index))
    if users_table is not None:
        users = [
            _column_def(d, "id", d.types[FieldType.INTEGER], not_null=True, primary_key=d.name != "spark"),
            _column_def(d, "data", d.types[FieldType.TEXT]),
        ]
        create = exp.Create(
            this=exp.Schema(this=table_name(users_table, d, bound=False), expressions=users),
            kind="TABLE",
            exists=True,
        )
        statements.append(_sql(d, create) + (" STRICT" if d.name == "sqlite" else ""))
    return statements


def _check_names(schema: Schema, d: Dialect) -> None:
    """``bad-schema`` for a field the table cannot have a column of its own for."""
    from ..errors import SchemaError

    def key(name: str) -> str:  # these engines lower ASCII letters only
        return name.translate(_ASCII_LOWER) if d.case_blind_names else name

    columns: dict[str, str] = {key(ORDINAL): ORDINAL}
    problems = []
    for name in schema.field_names:
        other = columns.setdefault(key(name), name)
        if other == ORDINAL:
            problems.append(f"a field may not be called '{name}' in a SQL table: '{ORDINAL}' keeps the load order")
        elif other != name:
            problems.append(f"fields '{other}' and '{name}' would be one column: {d.name} ignores case in names")
    if problems:
        raise SchemaError([Diagnostic("bad-schema", p) for p in problems])


def _column_def(d: Dialect, name: str, kind: str, *, not_null: bool = False, primary_key: bool = False) -> Any:
    from sqlglot import exp

    constraints = [exp.ColumnConstraint(kind=exp.NotNullColumnConstraint())] if not_null else []
    if primary_key:
        constraints.append(exp.ColumnConstraint(kind=exp.PrimaryKeyColumnConstraint()))
    return exp.ColumnDef(
        this=identifier(name, d, bound=False),
        kind=exp.DataType.build(kind, dialect=d.sqlglot),
        constraints=constraints,
    )


def record_row(record: Mapping[str, Any], fields: tuple[Field, ...], d: Dialect) -> list[object]:
    """One record's values in column order, typed for the engine (a missing key is null).

    Raises:
        RecordError: a value that does not fit its field, or a record that is not a mapping.
    """
    if not isinstance(record, Mapping):
        raise RecordError([Diagnostic("not-a-record", f"{type(record).__name__} is not a record (a JSON object)")])
    row: list[object] = []
    for f in fields:
        try:
            row.append(d.bind(f, storable(f, f.from_record(record.get(f.name)), d)))
        except ValueProblem as problem:
            raise RecordError(
                [Diagnostic(problem.code, f"field '{f.name}': {problem.message}", hint=problem.hint)]
            ) from None
    return row


def storable(f: Field, value: object, d: Dialect) -> object:
    """A record's typed value as the engine's column can hold it (a number past 64 bits as a float).

    Raises:
        ValueProblem: ``out-of-range`` for an integer outside 64 bits, ``bad-character`` for a
            lone surrogate (not UTF-8), ``nul-character`` for a NUL where the engine cannot
            hold or match it (``Dialect.text_holds_nul``); ``not-a-number`` for NaN where the
            column would hold null instead (``Dialect.holds_nan``).
    """
    if isinstance(value, int) and not isinstance(value, bool) and not INT64_MIN <= value <= INT64_MAX:
        if f.type is FieldType.NUMBER:
            try:
                return float(value)
            except OverflowError:
                pass
        raise ValueProblem("out-of-range", f"an integer outside the 64 bits a {d.name} column holds")
    if value is NAN:  # from_record's NaN: the column takes the float
        if not d.holds_nan:
            raise ValueProblem("not-a-number", f"NaN, which a {d.name} column would hold as null")
        return float("nan")
    if isinstance(value, str) and not value.isascii():
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise ValueProblem("bad-character", "the text holds a lone surrogate, which is not UTF-8") from None
    if isinstance(value, str) and not d.text_holds_nul and "\x00" in value:
        raise ValueProblem("nul-character", f"the text holds a NUL character, which {d.name} cannot store or match")
    return value


def _insert(d: Dialect, table: str, names: list[str]) -> str:
    from sqlglot import exp

    columns = [exp.Column(this=identifier(n, d)) for n in names]
    placeholders: list[exp.Expression] = (
        [exp.Placeholder(this=f"p{i + 1}") for i in range(len(names))]
        if d.named
        else [exp.Placeholder() for _ in names]
    )
    insert = exp.Insert(
        this=exp.Schema(this=table_name(table, d), expressions=columns),
        expression=exp.Values(expressions=[exp.Tuple(expressions=placeholders)]),
    )
    return _sql(d, insert)


def _insert_columns(d: Dialect, table: str, fields: tuple[Field, ...]) -> str:
    """DuckDB: an ``INSERT`` of a whole batch, each column bound as one list (instants as text)."""
    from sqlglot import exp

    def column(kind: str, cast_to: str | None = None) -> exp.Expression:
        unnest: exp.Expression = exp.Unnest(
            expressions=[exp.Cast(this=exp.Placeholder(), to=exp.DataType.build(f"{kind}[]", dialect=d.sqlglot))]
        )
        return exp.Cast(this=unnest, to=exp.DataType.build(cast_to, dialect=d.sqlglot)) if cast_to else unnest

    values = [
        column("VARCHAR", d.types[f.type]) if f.type is FieldType.DATETIME else column(d.types[f.type]) for f in fields
    ]
    names = [*(f.name for f in fields), ORDINAL]
    insert = exp.Insert(
        this=exp.Schema(this=table_name(table, d), expressions=[exp.Column(this=identifier(n, d)) for n in names]),
        expression=exp.select(*values, column(d.ordinal_type)),
    )
    return _sql(d, insert)


def _column_lists(batch: list[list[object]], fields: tuple[Field, ...]) -> list[list[object]]:
    """A batch of rows as one list per column, as ``_insert_columns`` binds them."""
    columns: list[list[object]] = [list(c) for c in zip(*batch, strict=True)]
    for i, f in enumerate(fields):
        if f.type is FieldType.DATETIME:
            columns[i] = [v if v is None or isinstance(v, str) else _text(v) for v in columns[i]]
        elif f.type is FieldType.NUMBER:
            columns[i] = [v if v is None else _float(v) for v in columns[i]]
    return columns


def _float(value: object) -> float:
    assert isinstance(value, int | float)
    return float(value)


def _text(value: object) -> str:
    assert isinstance(value, datetime)
    return value.isoformat()


def _batches(rows: Iterable[list[object]], size: int = BATCH) -> Iterator[list[list[object]]]:
    it = iter(rows)
    while batch := list(itertools.islice(it, size)):
        yield batch


def load_records(
    connection: Any,
    records: Iterable[Mapping[str, Any]],
    dialect: str | Dialect = "postgres",
    *,
    schema: Schema | None = None,
    table: str = TABLE,
    start: int = 0,
) -> int:
    """Insert records into a table that ``create_table`` made, in batches of ``BATCH``.

    Args:
        connection: a DB-API connection (sqlite3, psycopg, DuckDB); not committed here.
        records: mappings, read once; values are coerced as ``find`` reads them.
        dialect: the engine.
        schema: the fields; the contact-communication schema by default.
        table: the records' table.
        start: the first record's ordinal (give the count already loaded to append).

    Returns:
        The number of records loaded.

    Raises:
        RecordError: a record or value that does not fit its field or the engine's column
            (its index is named); nothing of that batch is inserted.
        EngineError: the database failed (a missing table, say); the message names the engine.
    """
    require("sqlglot", "sql")
    d = dialects.dialect(dialect)
    schema = schema or CONTACT_COMMUNICATIONS
    fields = schema.fields
    statement = _insert(d, table, [*(f.name for f in fields), ORDINAL])
    count = 0

    def rows() -> Iterator[list[object]]:
        nonlocal count
        for i, record in enumerate(records):
            try:
                yield [*record_row(record, fields, d), start + i]
            except RecordError as error:
                raise error.at(i) from None
            count = i + 1

    with engine_errors(d):
        cursor = connection.cursor()
        if d.name == "duckdb":
            statement = _insert_columns(d, table, fields)
            for batch in _batches(rows(), COLUMN_BATCH):
                cursor.execute(statement, _column_lists(batch, fields))
            return count
        for batch in _batches(rows()):
            cursor.executemany(statement, batch)
    return count


def load_users_rows(users: Iterable[Mapping[str, Any]] | Mapping[Any, Mapping[str, Any]]) -> list[list[object]]:
    """Users (a list with ``id``, or a mapping of id to user) as rows ``[id, user as JSON text]``.

    A user given twice counts as the last one, as in ``find``.

    Raises:
        RecordError: ``bad-user`` for a user without an integer ``id``.
    """
    pairs = (
        users.items()
        if isinstance(users, Mapping)
        else ((u.get("id") if isinstance(u, Mapping) else None, u) for u in users)
    )
    id_field = Field("id", FieldType.INTEGER)
    rows: dict[object, list[object]] = {}
    for key, user in pairs:
        try:
            uid = id_field.from_record(key)
        except ValueProblem:
            uid = None
        if uid is None or not isinstance(user, Mapping):
            message = f"a user needs an integer id and must be an object, not id {key!r}"
            raise RecordError(
                [Diagnostic("bad-user", message, hint="give users as [{'id': 1, 'first_name': ...}, ...]")]
            )
        rows[uid] = [uid, json.dumps(dict(user), default=str, ensure_ascii=False)]
    return list(rows.values())


def load_users(
    connection: Any,
    users: Iterable[Mapping[str, Any]] | Mapping[Any, Mapping[str, Any]],
    dialect: str | Dialect = "postgres",
    *,
    table: str = USERS_TABLE,
) -> int:
    """Insert users (a list with ``id``, or a mapping of id to user) for ``$load``; returns how many.

    A user given twice counts as the last one, as in ``find``. The table keeps one user per id
    (its primary key; not on Spark), so loading an id already there is an ``EngineError``.

    Raises:
        RecordError: ``bad-user`` for a user without an integer ``id``.
        EngineError: the database failed (a missing table, say); the message names the engine.
    """
    require("sqlglot", "sql")
    d = dialects.dialect(dialect)
    statement = _insert(d, table, ["id", "data"])
    rows = load_users_rows(users)
    with engine_errors(d):
        cursor = connection.cursor()
        for batch in _batches(rows):
            cursor.executemany(statement, batch)
    return len(rows)
