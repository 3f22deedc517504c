"""A Spark session + query -> the Feathers page, with ``$ilike`` folding as PostgreSQL folds.

``find(session, table, query)`` runs the statements ``to_sql(..., dialect="spark")`` writes, with
named parameters, and reads the rows back as ``querylang.sql.find`` does. Spark's ``lower``
folds ``İ`` to two characters, a final ``Σ`` to ``ς`` and letters newer than Unicode 14 where
PostgreSQL does not, so ``$ilike`` calls ``querylang_ilike``, a Python function that ``register``
defines on the session (its workers need querylang installed). ``load`` makes a temporary view
of records, typed from the schema, for tests and small jobs. Needs the ``spark`` extra.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from ..ast import Query
from ..like import like_matcher
from ..page import Page
from ..schema import CONTACT_COMMUNICATIONS, FieldType, Schema
from . import dialects
from .compile import ORDINAL, TABLE, USERS_TABLE, to_sql
from .dialects import require
from .run import answer, engine_errors
from .tables import load_users_rows, record_row

__all__ = ["find", "load", "register"]

SPARK = dialects.dialect("spark")


def _ilike(value: str | None, pattern: str | None) -> bool | None:
    if value is None or pattern is None:
        return None
    return like_matcher(pattern, ignore_case=True)(value)


def register(session: Any) -> None:
    """Define ``querylang_ilike`` on a Spark session, for statements with ``$ilike``."""
    require("pyspark", "spark")
    from pyspark.sql.types import BooleanType

    assert SPARK.ilike_function is not None
    session.udf.register(SPARK.ilike_function, _ilike, BooleanType())


def _spark_type(kind: FieldType) -> Any:
    from pyspark.sql import types

    return {
        FieldType.INTEGER: types.LongType(),
        FieldType.NUMBER: types.DoubleType(),
        FieldType.BOOLEAN: types.BooleanType(),
        FieldType.TEXT: types.StringType(),
        FieldType.ENUM: types.StringType(),
        FieldType.DATETIME: types.LongType(),  # microseconds, made timestamps below
    }[kind]


def load(
    session: Any,
    records: Iterable[Mapping[str, Any]],
    *,
    schema: Schema | None = None,
    table: str = TABLE,
    users: Iterable[Mapping[str, Any]] | Mapping[Any, Mapping[str, Any]] | None = None,
    users_table: str = USERS_TABLE,
) -> int:
    """Make temporary views of records (and users) in their order, typed from the schema; returns how many records.

    Raises:
        RecordError: a record or value that does not fit, naming its index.
    """
    require("pyspark", "spark")
    from pyspark.sql import functions, types

    from ..errors import RecordError

    schema = schema or CONTACT_COMMUNICATIONS
    rows = []
    for i, record in enumerate(records):
        try:
            rows.append((*record_row(record, schema.fields, SPARK), i))
        except RecordError as error:
            raise error.at(i) from None
    fields = [types.StructField(f.name, _spark_type(f.type)) for f in schema.fields]
    struct = types.StructType([*fields, types.StructField(ORDINAL, types.LongType(), nullable=False)])
    with engine_errors(SPARK):
        frame = session.createDataFrame(rows, struct)
        columns = [
            functions.timestamp_micros(f.name).alias(f.name) if f.type is FieldType.DATETIME else functions.col(f.name)
            for f in schema.fields
        ]
        frame.select(*columns, ORDINAL).createOrReplaceTempView(table)
        if users is not None:
            user_struct = types.StructType(
                [
                    types.StructField("id", types.LongType(), nullable=False),
                    types.StructField("data", types.StringType()),
                ]
            )
            session.createDataFrame(load_users_rows(users), user_struct).createOrReplaceTempView(users_table)
    return len(rows)


def find(
    session: Any,
    table: str,
    query: Query | str | object,
    *,
    schema: Schema | None = None,
    users_table: str = USERS_TABLE,
    default_limit: int | None = None,
    max_limit: int | None = None,
    paginate: bool = True,
) -> Page | list[dict[str, Any]]:
    """Answer a query from a Spark table as ``querylang.find`` answers it over the same records.

    The table holds the schema's columns and ``_ordinal`` (the records' order, which ties and
    unsorted pages follow); ``load`` makes one. ``querylang_ilike`` is registered first when
    the query has ``$ilike``.

    Raises:
        QuerySyntaxError, QueryValidationError: as ``to_sql``.
        EngineError: Spark failed a statement (a missing table, say).
        MissingExtra: pyspark is not installed.
    """
    require("pyspark", "spark")
    statement = to_sql(
        query,
        dialect=SPARK,
        schema=schema,
        table=table,
        default_limit=default_limit,
        max_limit=max_limit,
        paginate=paginate,
    )

    def execute(sql: str, params: Sequence[object] | Mapping[str, object]) -> Sequence[Sequence[Any]]:
        rows: Sequence[Sequence[Any]] = session.sql(
            sql, args=dict(params) if isinstance(params, Mapping) else None
        ).collect()
        return rows

    with engine_errors(SPARK):
        if SPARK.ilike_function and SPARK.ilike_function.upper() in (statement.sql or "") + statement.count_sql.upper():
            register(session)
    return answer(statement, SPARK, execute, users_table=users_table, paginate=paginate)
