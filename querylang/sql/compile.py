r"""Typed query -> SQL text and bound parameters for one dialect: the page, and the total.

``to_sql`` validates a query, then builds sqlglot's expression tree (never SQL text): every value
becomes a parameter, every identifier is quoted, and the rules of docs/semantics.md section 4 are
written out for each engine (``dialects``):

- three-valued logic as SQL has it: ``$ne``, ``$nin``, ``$notlike`` and the ranges never match
  null; ``field=`` null is ``IS NULL``, ``field[$ne]=`` null ``IS NOT NULL``; a range with null
  matches nothing; a null inside ``$in``/``$nin`` is bound and kept (``NOT IN`` then matches
  nothing, as ``find`` does);
- patterns: ``LIKE ... ESCAPE '\\'`` (SQLite: ``GLOB``, which is case-sensitive); ``$ilike`` calls a
  registered function where the engine folds case otherwise than PostgreSQL (SQLite, Spark:
  ``sqlite.register``, ``spark.register``); a pattern ending in a lone backslash is refused up
  front (``bad-pattern``): the engines disagree there;
- instants: typed parameters; SQLite stores microseconds since 1970, and Spark compares them as
  microseconds (``unix_micros``), so that a ``FarInstant`` bound works too;
- text compares and sorts by code point (PostgreSQL: ``COLLATE "C"``, never on ``ILIKE``);
- ascending sorts put nulls last, descending first; ties and unsorted pages keep the load order
  (the ``ORDINAL`` column, always last in ``ORDER BY``);
- the page reads instants as integer microseconds since 1970-01-01T00:00:00Z, under the
  column's name: the drivers' ``datetime`` holds years 1 to 9999 only, and a record's instant
  just outside them (``FarInstant``) would fail to load (psycopg), come back as text (DuckDB)
  or as a local time (Spark).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from ..ast import AllOf, AnyOf, Compare, Expr, Membership, Op, Query
from ..errors import Diagnostic, QueryValidationError
from ..like import like_tokens
from ..page import NO_MAX, page_limits, unbounded
from ..schema import CONTACT_COMMUNICATIONS, Field, FieldType, Schema
from ..validate import lone_escapes, validate
from ..values import FarInstant
from . import dialects
from .dialects import Dialect, require
from .sqlite import to_glob

if TYPE_CHECKING:
    from sqlglot import exp

__all__ = ["ORDINAL", "TABLE", "USERS_TABLE", "Statement", "to_sql"]

TABLE = "campaign_communications"
"""The records' table, unless ``table=`` names another."""
USERS_TABLE = "users"
"""The users' table for ``$load`` (``id`` and ``data``, the user object as JSON)."""
ORDINAL = "_ordinal"
"""The column that keeps the order records were loaded in: ties and unsorted pages follow it."""

_COMPARE = {Op.EQ: "EQ", Op.NE: "NEQ", Op.LT: "LT", Op.LTE: "LTE", Op.GT: "GT", Op.GTE: "GTE"}
_RANGES = frozenset({Op.LT, Op.LTE, Op.GT, Op.GTE})


@dataclass(frozen=True)
class Statement:
    """A query as SQL for one engine: the page and the total, with their parameters.

    ``cur.execute(stmt.sql, stmt.params)`` reads the page's rows (the ``columns``, in order);
    ``cur.execute(stmt.count_sql, stmt.count_params)`` its total. The page is
    ``{total, limit, skip, data}`` with the ``limit`` and ``skip`` here.

    Attributes:
        dialect: the engine's name.
        sql: the page's ``SELECT``, or None when ``$limit=0`` (no rows are read).
        params: its parameters: a sequence (``%s`` or ``?``), or a mapping for named ``:p1``.
        count_sql: ``SELECT COUNT(*)`` of every match.
        count_params: its parameters.
        limit: the page's limit (after the default and the maximum), None for every row.
        skip: the rows skipped.
        columns: the columns ``sql`` selects, in order; instants come as integer microseconds
            since 1970-01-01T00:00:00Z, which ``Dialect.unbind`` reads.
        select: the fields each row holds (``$select``, duplicates removed), None for all.
        load: the relations ``$load`` adds, in order.
        query: the typed query.
        schema: the schema it was typed against.
    """

    dialect: str
    sql: str | None
    params: Sequence[object] | Mapping[str, object]
    count_sql: str
    count_params: Sequence[object] | Mapping[str, object]
    limit: int | None
    skip: int
    columns: tuple[str, ...]
    select: tuple[str, ...] | None
    load: tuple[str, ...]
    query: Query = dataclasses.field(repr=False)
    schema: Schema = dataclasses.field(repr=False)

    def to_data(self) -> dict[str, object]:
        """The statement as JSON-ready data, what ``querylang sql --json`` prints.

        Returns:
            ``{"dialect", "page": {"sql", "params"}, "total": {"sql", "params"}, "limit", "skip"}``;
            instants among the parameters as ISO 8601 text.
        """
        return {
            "dialect": self.dialect,
            "page": {"sql": self.sql, "params": _shown(self.params)},
            "total": {"sql": self.count_sql, "params": _shown(self.count_params)},
            "limit": self.limit,
            "skip": self.skip,
        }


def _shown(params: Sequence[object] | Mapping[str, object]) -> list[object] | dict[str, object]:
    def one(value: object) -> object:
        return value.isoformat() if isinstance(value, datetime) else value

    if isinstance(params, Mapping):
        return {name: one(value) for name, value in params.items()}
    return [one(value) for value in params]


def identifier(name: str, d: Dialect, *, bound: bool = True) -> exp.Identifier:
    """A quoted identifier.

    In a statement run with parameters (``bound``) psycopg reads ``%`` as a placeholder, so it
    is doubled for PostgreSQL; a statement run without them (``create_table``'s) keeps it.
    """
    from sqlglot import exp

    return exp.Identifier(this=name.replace("%", "%%") if bound and d.name == "postgres" else name, quoted=True)


def table_name(name: str, d: Dialect, *, bound: bool = True) -> exp.Table:
    """A quoted table name; ``schema.table`` names a table in another schema (database)."""
    from sqlglot import exp

    parts = name.split(".")
    if len(parts) == 2:
        return exp.Table(this=identifier(parts[1], d, bound=bound), db=identifier(parts[0], d, bound=bound))
    return exp.Table(this=identifier(name, d, bound=bound))


class _Builder:
    """The expressions of one statement, and the parameters they bind, in the order they render."""

    def __init__(self, d: Dialect, schema: Schema, table: str = TABLE) -> None:
        self.d, self.schema, self.table = d, schema, table.split(".")[-1]
        self.params: list[object] = []
        self.named: dict[str, object] = {}

    def param(self, value: object) -> exp.Expression:
        from sqlglot import exp

        if self.d.named:
            name = f"p{len(self.named) + 1}"
            self.named[name] = value
            return exp.Placeholder(this=name)
        self.params.append(value)
        return exp.Placeholder()

    def bound(self) -> Sequence[object] | Mapping[str, object]:
        return dict(self.named) if self.d.named else tuple(self.params)

    def column(self, name: str) -> exp.Column:
        from sqlglot import exp

        return exp.Column(this=identifier(name, self.d))

    def operand(self, f: Field) -> exp.Expression:
        """The column as it compares with a bound value: an instant as microseconds where they bind so."""
        from sqlglot import exp

        col = self.column(f.name)
        if self.d.micros_of and f.type is FieldType.DATETIME:
            return exp.Anonymous(this=self.d.micros_of, expressions=[col])
        return col

    def read(self, name: str) -> exp.Expression:
        """A column as the page selects it: an instant as integer microseconds since 1970 (SQLite's column is)."""
        from sqlglot import exp

        col = self.column(name)
        f = self.schema.field(name)
        if f is None or f.type is not FieldType.DATETIME or (self.d.micros and not self.d.micros_of):
            return col
        micros: exp.Expression
        if self.d.micros_of:
            micros = self.operand(f)
        elif self.d.name == "postgres":  # EXTRACT(EPOCH ...) is an exact numeric there
            micros = exp.Cast(
                this=exp.Mul(
                    this=exp.Extract(this=exp.var("EPOCH"), expression=col), expression=exp.Literal.number(1_000_000)
                ),
                to=exp.DataType.build("BIGINT"),
            )
        else:
            micros = exp.UnixMicros(this=col)
        return exp.Alias(this=micros, alias=identifier(name, self.d))

    def value(self, f: Field, value: object) -> exp.Expression:
        from sqlglot import exp

        placeholder = self.param(self.d.bind(f, value))
        if isinstance(value, FarInstant) and not self.d.micros:
            # Outside what the drivers' datetime holds: bound as text, read by the engine.
            return exp.Cast(
                this=placeholder, to=exp.DataType.build(self.d.types[FieldType.DATETIME], dialect=self.d.sqlglot)
            )
        return placeholder

    def ordered(self, f: Field, *, sort: bool = False) -> exp.Expression:
        """The column as it compares (``sort=False``) and sorts: by code point for text.

        A sort names the table's column, qualified: the page's select list has an instant's
        microseconds under the column's name, which a bare name in ``ORDER BY`` would find first
        (an expression then, which no index serves).
        """
        from sqlglot import exp

        col = (
            exp.Column(this=identifier(f.name, self.d), table=identifier(self.table, self.d))
            if sort
            else self.operand(f)
        )
        if self.d.text_collation and f.type in (FieldType.TEXT, FieldType.ENUM):
            return exp.Collate(this=col, expression=exp.Identifier(this=self.d.text_collation, quoted=True))
        return col

    def where(self, expr: Expr) -> exp.Expression:
        from sqlglot import exp

        if isinstance(expr, AllOf):
            return exp.Paren(this=exp.and_(*(self.where(e) for e in expr.items), copy=False))
        if isinstance(expr, AnyOf):
            return exp.Paren(this=exp.or_(*(self.where(e) for e in expr.items), copy=False))
        f = self.schema.field(expr.field)
        assert f is not None  # validated
        if isinstance(expr, Membership):
            test = exp.In(this=self.operand(f), expressions=[self.value(f, v) for v in expr.values])
            return exp.Not(this=test) if expr.op is Op.NIN else test
        return self.compare(f, expr)

    def compare(self, f: Field, cond: Compare) -> exp.Expression:
        from sqlglot import exp

        op, value = cond.op, cond.value
        if op in (Op.LIKE, Op.NOTLIKE, Op.ILIKE):
            assert isinstance(value, str)
            return self.pattern(f, op, value)
        if value is None:
            if op is Op.EQ:
                return exp.Is(this=self.column(f.name), expression=exp.Null())
            if op is Op.NE:
                return exp.Not(this=exp.Is(this=self.column(f.name), expression=exp.Null()))
            return exp.false()  # a range with null is unknown for every row
        operand = self.ordered(f) if op in _RANGES else self.operand(f)
        node: type[exp.Expression] = getattr(exp, _COMPARE[op])
        return node(this=operand, expression=self.value(f, value))

    def pattern(self, f: Field, op: Op, pattern: str) -> exp.Expression:
        from sqlglot import exp

        col = self.column(f.name)
        if op is Op.ILIKE and self.d.ilike_function:
            return exp.Anonymous(this=self.d.ilike_function, expressions=[col, self.param(pattern)])
        if self.d.name == "sqlite":
            glob = exp.Glob(this=col, expression=self.param(to_glob(pattern)))
            return exp.Not(this=glob) if op is Op.NOTLIKE else glob
        if not self.d.any_escape:
            pattern = plain_escapes(pattern)
        kind = exp.ILike if op is Op.ILIKE else exp.Like
        test = exp.Escape(this=kind(this=col, expression=self.param(pattern)), expression=exp.Literal.string("\\"))
        return exp.Not(this=test) if op is Op.NOTLIKE else test


def _nulls_written(key: exp.Expression, d: Dialect, *, desc: bool) -> exp.Expression:
    """An ``ORDER BY`` key with its null order written out: ``NULLS LAST`` ascending, ``NULLS FIRST`` descending.

    sqlglot leaves out a null order that is the dialect's default (PostgreSQL's are these), so
    the SQL would mean something else on another engine; the key is rendered by sqlglot (its
    identifiers quoted) and the order appended.
    """
    from sqlglot import exp

    return exp.Var(this=f"{_render(key, d)} {'DESC NULLS FIRST' if desc else 'ASC NULLS LAST'}")


def _render(node: exp.Expression, d: Dialect) -> str:
    """The SQL text of a tree built for one statement, which the generator may change as it goes."""
    from sqlglot.dialects.dialect import Dialect as Sqlglot

    return Sqlglot.get_or_raise(d.sqlglot).generate(node, copy=False)


def plain_escapes(pattern: str) -> str:
    r"""A pattern whose backslashes escape only ``%``, ``_`` and ``\`` (Spark refuses ``\b``), matching alike.

    ``plain_escapes(r"a\b\%")`` is ``r"ab\%"``.
    """
    return "".join(
        "\\" + text if kind == "escaped" and text in "%_\\" else text for kind, text in like_tokens(pattern)
    )


def _refuse_text_relations(schema: Schema, fields: list[str]) -> None:
    """``$load`` reads users by integer id (the users' table's key): a relation by another type is refused."""
    from ..errors import SchemaError

    for name in fields:
        f = schema.field(name)
        if f is not None and f.type is not FieldType.INTEGER:
            message = f"$load by '{name}', a {f.type.value} field: querylang.sql reads users by integer id"
            raise SchemaError([Diagnostic("bad-schema", message, hint="relate users by an integer field")])


def to_sql(
    query: Query | str | object,
    *,
    dialect: str | Dialect = "postgres",
    schema: Schema | None = None,
    table: str = TABLE,
    default_limit: int | None = None,
    max_limit: int | None = None,
    paginate: bool = True,
    columns: Sequence[str] | None = None,
) -> Statement:
    """A query as SQL for one engine: ``to_sql("id[$in][]=1&$sort[send_at]=-1", dialect="sqlite")``.

    Args:
        query: query text, a ``Query`` AST, or a builder query.
        dialect: ``postgres`` (psycopg's ``%s``), ``sqlite``, ``duckdb`` (``?``), or ``spark``
            (named ``:p1``; ``spark.sql(stmt.sql, args=stmt.params)``).
        schema: the fields; the contact-communication schema by default.
        table: the records' table (``schema.table`` for another schema).
        default_limit: the page size without ``$limit``; the schema's by default.
        max_limit: the largest page; the schema's by default.
        paginate: False for every row: ``$limit`` and ``$skip`` apply as written.
        columns: the columns the page selects, in order (``ORDINAL`` may be one); by default
            the ``$select`` fields (every field without it) and the ids ``$load`` reads.

    Returns:
        The ``Statement``: page and total SQL, their parameters, and the page's limit and skip.

    Raises:
        QuerySyntaxError: the text cannot be read.
        QueryValidationError: every problem of a query that is not valid, and ``bad-pattern``
            for a pattern ending in a lone backslash.
        QueryError: ``unknown-dialect``; ``MissingExtra`` without sqlglot (``querylang[sql]``).
    """
    require("sqlglot", "sql")
    from sqlglot import exp

    d = dialects.dialect(dialect)
    schema = schema or CONTACT_COMMUNICATIONS
    typed = validate(query, unbounded(schema))
    refused = lone_escapes(typed, "SQL engines read it differently, so querylang.sql refuses it")
    if refused:
        raise QueryValidationError(refused, query if isinstance(query, str) else "")
    assert typed.limit is None or isinstance(typed.limit, int)
    limit, skip = page_limits(
        typed.limit,
        typed.skip if isinstance(typed.skip, int) else None,
        schema,
        default_limit,
        max_limit,
        paginate=paginate,
    )
    select = tuple(dict.fromkeys(typed.select)) if typed.select is not None else None
    load = tuple(dict.fromkeys(typed.load)) if typed.load is not None else ()
    related = [r.field for name in load if (r := schema.relation(name)) is not None]
    _refuse_text_relations(schema, related)
    if columns is None:
        columns = tuple(dict.fromkeys([*(select if select is not None else schema.field_names), *related]))
    columns = tuple(columns)

    counted = _Builder(d, schema, table)
    # PERF: copy=False throughout: every node is new and used once; sqlglot's builders and its
    # generator otherwise copy the tree at each step, which was half of to_sql's time.
    count = exp.select(exp.Count(this=exp.Star()), copy=False).from_(table_name(table, d), copy=False)
    if typed.where is not None:
        count = count.where(counted.where(typed.where), copy=False)
    page_sql, page_params = None, _Builder(d, schema).bound()
    if limit != 0:
        paged = _Builder(d, schema, table)
        page = exp.select(*(paged.read(c) for c in columns), copy=False).from_(table_name(table, d), copy=False)
        if typed.where is not None:
            page = page.where(paged.where(typed.where), copy=False)
        order = []
        for key in typed.sort:
            f = schema.field(key.field)
            assert f is not None
            desc = key.direction in (-1, "-1")
            order.append(_nulls_written(paged.ordered(f, sort=True), d, desc=desc))
        order.append(_nulls_written(paged.column(ORDINAL), d, desc=False))
        page = page.order_by(*order, copy=False)
        if limit is not None:  # a default or maximum past 64 bits is every row, as in memory
            page = page.limit(paged.param(min(limit, NO_MAX)), copy=False)
        if skip:
            page = page.offset(paged.param(skip), copy=False)
        page_sql, page_params = _render(page, d), paged.bound()
    return Statement(
        dialect=d.name,
        sql=page_sql,
        params=page_params,
        count_sql=_render(count, d),
        count_params=counted.bound(),
        limit=limit,
        skip=skip,
        columns=columns,
        select=select,
        load=load,
        query=typed,
        schema=schema,
    )
