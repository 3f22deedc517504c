"""Python expressions -> query AST: build filters in code instead of gluing strings.

    >>> from datetime import datetime, timezone
    >>> from querylang import F, Query, serialize
    >>> q = (Query.where(F.is_active == True, F.type.in_(["Text Contact"]))
    ...           .where(F.send_at >= datetime(2019, 1, 1, 11, tzinfo=timezone.utc))
    ...           .sort(-F.send_at).limit(25))
    >>> serialize(q)
    'is_active=true&type[$in][]=Text%20Contact&send_at[$gte]=2019-01-01T11:00:00Z&$sort[send_at]=-1&$limit=25'

Values are written at build time in the forms docs/semantics.md section 3 reads (``True`` is
``"true"``, an aware ``datetime`` ISO 8601, ``None`` the empty value, which means null), so a
built query is the very AST that ``parse`` makes of its text: ``parse(serialize(q)) == q``.
Every object here is immutable; each method returns a new one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import replace
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Generic, TypeVar, overload

from . import ast
from .ast import Compare, Expr, Membership, Op, and_, or_
from .errors import Diagnostic, QueryError, QueryValidationError
from .schema import Schema
from .text.write import format_value
from .validate import check
from .values import PLAIN_NUMBER_MAX, SAFE_INTEGER_MAX, shown

__all__ = ["Cond", "F", "FieldRef", "Fields", "Query", "SortKey"]

_NEGATION = {Op.EQ: Op.NE, Op.NE: Op.EQ, Op.IN: Op.NIN, Op.NIN: Op.IN, Op.LIKE: Op.NOTLIKE, Op.NOTLIKE: Op.LIKE}


def _text(value: object) -> str:
    """A Python value in the form a query writes it."""
    if isinstance(value, float) and not isinstance(value, bool):
        if value != value or value in (float("inf"), float("-inf")):
            raise QueryError([Diagnostic("cannot-encode", f"{value!r} is not a number a query can carry")])
        text = repr(value)
        return format(Decimal(text), "f") if "e" in text or "E" in text else text
    if isinstance(value, str | bool | int | datetime | date) or value is None:
        return format_value(value)
    raise QueryError([Diagnostic("cannot-encode", f"cannot write {type(value).__name__} {value!r} in a query")])


def _check(schema: Schema | None, query: ast.Query) -> None:
    """Raise the validation errors of a query built against a schema, as validation does."""
    if schema is None:
        return
    errors = [d for d in check(query, schema) if d.severity == "error"]
    if errors:
        raise QueryValidationError(errors)


class _Frozen:
    """Immutable once made: attributes are set in ``__init__`` through ``_init`` only."""

    __slots__ = ()

    def _init(self, **values: object) -> None:
        for name, value in values.items():
            object.__setattr__(self, name, value)

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"{type(self).__name__} is immutable; its methods return new objects")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"{type(self).__name__} is immutable")


class Cond(_Frozen):
    """A condition: combine with ``&`` (AND) and ``|`` (OR); negate with ``~`` where text can."""

    __slots__ = ("_schema", "expr")

    expr: Expr
    _schema: Schema | None

    def __init__(self, expr: Expr, schema: Schema | None = None) -> None:
        self._init(expr=expr, _schema=schema)

    def __and__(self, other: Cond) -> Cond:
        result = and_(self.expr, _expr(other))
        assert result is not None
        return Cond(result, self._schema)

    def __or__(self, other: Cond) -> Cond:
        return Cond(or_(self.expr, _expr(other)), self._schema)

    def __invert__(self) -> Cond:
        expr = self.expr
        if isinstance(expr, Compare | Membership) and expr.op in _NEGATION:
            return Cond(replace(expr, op=_NEGATION[expr.op]), self._schema)
        what = "a group" if isinstance(expr, ast.AllOf | ast.AnyOf) else f"{expr.op.spelling}"
        raise QueryError(
            [
                Diagnostic(
                    "cannot-negate",
                    f"~ cannot negate {what}: the query language has no NOT for it",
                    hint="~ turns == into !=, in_ into not_in and like into notlike; write the opposite bound",
                )
            ]
        )

    def __bool__(self) -> bool:
        raise TypeError("a condition has no truth value; combine conditions with & and |, not 'and'/'or'")

    def __repr__(self) -> str:
        return f"Cond({self.expr!r})"


def _expr(cond: object) -> Expr:
    if isinstance(cond, Cond):
        return cond.expr
    if isinstance(cond, Compare | Membership | ast.AllOf | ast.AnyOf):
        return cond
    raise QueryError(
        [Diagnostic("not-a-condition", f"{cond!r} is not a condition", hint="compare a field: F.name == value")]
    )


class SortKey(_Frozen):
    """A field and a direction for ``Query.sort``: ``F.send_at`` (or ``+F.send_at``) and ``-F.send_at``."""

    __slots__ = ("direction", "name")

    name: str
    direction: int

    def __init__(self, name: str, direction: int) -> None:
        self._init(name=name, direction=direction)

    def __neg__(self) -> SortKey:
        return SortKey(self.name, -self.direction)

    def __pos__(self) -> SortKey:
        return self

    def __repr__(self) -> str:
        return f"SortKey({self.name!r}, {self.direction})"


class FieldRef(_Frozen):
    """A field of the records; comparing it makes a condition (``F.id == 3``, ``F.type.in_([...])``)."""

    __slots__ = ("_schema", "name")

    name: str
    _schema: Schema | None

    def __init__(self, name: str, schema: Schema | None = None) -> None:
        self._init(name=name, _schema=schema)
        if schema is not None and schema.field(name) is None:
            _check(schema, ast.Query(ast.Compare(name, Op.EQ, "")))

    def _cond(self, op: Op, value: object) -> Cond:
        return self._made(Compare(self.name, op, _text(value)))

    def _made(self, expr: Compare | Membership) -> Cond:
        _check(self._schema, ast.Query(expr))
        return Cond(expr, self._schema)

    def __eq__(self, value: object) -> Cond:  # type: ignore[override]
        return self._cond(Op.EQ, value)

    def __ne__(self, value: object) -> Cond:  # type: ignore[override]
        return self._cond(Op.NE, value)

    def __lt__(self, value: object) -> Cond:
        return self._cond(Op.LT, value)

    def __le__(self, value: object) -> Cond:
        return self._cond(Op.LTE, value)

    def __gt__(self, value: object) -> Cond:
        return self._cond(Op.GT, value)

    def __ge__(self, value: object) -> Cond:
        return self._cond(Op.GTE, value)

    __hash__ = None  # type: ignore[assignment]

    def in_(self, values: Iterable[object]) -> Cond:
        """``field[$in][]=…``: the field is one of the values (a null in the list matches nothing)."""
        return self._members(Op.IN, values)

    def not_in(self, values: Iterable[object]) -> Cond:
        """``field[$nin][]=…``: the field is none of the values (never matches a null field)."""
        return self._members(Op.NIN, values)

    nin = not_in

    def _members(self, op: Op, values: Iterable[object]) -> Cond:
        if isinstance(values, str | bytes):
            raise QueryError(
                [Diagnostic("not-a-list", f"{op.spelling} takes a list of values, not the string {values!r}")]
            )
        return self._made(Membership(self.name, op, tuple(_text(v) for v in values)))

    def like(self, pattern: str) -> Cond:
        r"""``$like``: ``%`` any run, ``_`` one character, ``\\`` escapes; case-sensitive."""
        return self._cond(Op.LIKE, pattern)

    def notlike(self, pattern: str) -> Cond:
        """``$notlike``: NOT LIKE (never matches a null field)."""
        return self._cond(Op.NOTLIKE, pattern)

    not_like = notlike

    def ilike(self, pattern: str) -> Cond:
        """``$ilike``: LIKE after lower-casing both sides."""
        return self._cond(Op.ILIKE, pattern)

    def is_null(self) -> Cond:
        """``field=``: the field is null (nullable fields)."""
        return self._cond(Op.EQ, None)

    def is_not_null(self) -> Cond:
        """``field[$ne]=``: the field is not null."""
        return self._cond(Op.NE, None)

    def __neg__(self) -> SortKey:
        return SortKey(self.name, -1)

    def __pos__(self) -> SortKey:
        return SortKey(self.name, 1)

    def __repr__(self) -> str:
        return f"F.{self.name}" if self.name.isidentifier() else f"F({self.name!r})"


class Fields(_Frozen):
    """Field references: ``F.send_at`` or ``F("send_at")``; ``Fields(schema)`` checks as it builds."""

    # A mangled name, so that F._schema is the field '_schema' like any other name.
    __slots__ = ("__schema",)
    __schema: Schema | None

    def __init__(self, schema: Schema | None = None) -> None:
        self._init(_Fields__schema=schema)

    def __getattr__(self, name: str) -> FieldRef:
        if name.startswith("__"):
            raise AttributeError(name)
        return FieldRef(name, self.__schema)

    def __call__(self, name: str) -> FieldRef:
        """The field called ``name``, for names that are not Python identifiers."""
        return FieldRef(name, self.__schema)

    def bind(self, schema: Schema) -> Fields:
        """Field references checked against ``schema``: unknown fields and bad values raise at once."""
        return Fields(schema)


F = Fields()
"""Field references: ``F.is_active == True``, ``F("type").in_([...])``, ``-F.send_at``."""

T = TypeVar("T")


class _either(Generic[T]):
    """A method callable on the class (it starts from an empty query) or on an instance."""

    def __init__(self, method: Callable[..., T]) -> None:
        self.method = method
        self.__doc__ = method.__doc__

    @overload
    def __get__(self, instance: None, owner: type[Query]) -> Callable[..., T]: ...
    @overload
    def __get__(self, instance: Query, owner: type[Query]) -> Callable[..., T]: ...
    def __get__(self, instance: Query | None, owner: type[Query]) -> Callable[..., T]:
        target = owner() if instance is None else instance
        return self.method.__get__(target, owner)  # type: ignore[no-any-return]


_AstQuery = ast.Query


class Query(_Frozen):
    """An immutable query builder; ``.ast`` is the ``querylang.ast.Query`` it stands for.

    ``Query.where(...)`` starts a query; ``.where``, ``.sort``, ``.limit``, ``.skip``,
    ``.select`` and ``.load`` each return a new one. A built query compares equal to the
    parsed AST of the same query, and every function that takes a query takes it.
    """

    __slots__ = ("_schema", "ast")

    ast: _AstQuery
    _schema: Schema | None

    def __init__(self, query: _AstQuery | None = None, *, schema: Schema | None = None) -> None:
        """Start from an AST query (``querylang.parse`` makes one), or from nothing."""
        self._init(ast=query if query is not None else ast.Query(), _schema=schema)
        _check(schema, self.ast)

    @classmethod
    def for_schema(cls, schema: Schema) -> Query:
        """An empty query that checks every part against ``schema`` as it is added."""
        return cls(schema=schema)

    def _with(self, **changes: Any) -> Query:
        query = replace(self.ast, **changes)
        _check(self._schema, query)
        return Query(query, schema=self._schema)

    @_either
    def where(self, *conditions: Cond) -> Query:
        """AND these conditions with the query's (``$or`` groups come from ``|``)."""
        return self._with(where=and_(self.ast.where, *(_expr(c) for c in conditions)))

    @_either
    def sort(self, *keys: FieldRef | SortKey | str) -> Query:
        """Sort by these keys, in order: ``F.x`` or ``"x"`` ascending, ``-F.x`` or ``"-x"`` descending."""
        added = []
        for key in keys:
            if isinstance(key, FieldRef):
                key = +key
            elif isinstance(key, str):
                key = SortKey(key[1:], -1) if key.startswith("-") else SortKey(key, 1)
            if not isinstance(key, SortKey):
                raise QueryError([Diagnostic("not-a-sort-key", f"{key!r} is not a sort key", hint="use F.x or -F.x")])
            added.append(ast.Sort(key.name, str(key.direction)))
        names = [s.field for s in (*self.ast.sort, *added)]
        twice = sorted({n for n in names if names.count(n) > 1})
        if twice:
            raise QueryError(
                [Diagnostic("repeated-key", f"sorting by '{twice[0]}' twice", hint="sort by a field once")]
            )
        return self._with(sort=(*self.ast.sort, *added))

    @_either
    def limit(self, count: int) -> Query:
        """``$limit``: at most ``count`` rows (a page is never larger than the schema's maximum)."""
        return self._with(limit=_count("limit", count))

    @_either
    def skip(self, count: int) -> Query:
        """``$skip``: leave out the first ``count`` rows."""
        return self._with(skip=_count("skip", count))

    @_either
    def select(self, *names: str | FieldRef) -> Query:
        """``$select``: rows hold exactly these fields."""
        chosen = tuple(n.name if isinstance(n, FieldRef) else n for n in names)
        return self._with(select=(*(self.ast.select or ()), *chosen))

    @_either
    def load(self, *relations: str) -> Query:
        """``$load``: add these related records (``send_from_user``, ``completing_user``) to each row."""
        return self._with(load=(*(self.ast.load or ()), *relations))

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Query):
            return self.ast == other.ast
        if isinstance(other, ast.Query):
            return self.ast == other
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self.ast)

    def __repr__(self) -> str:
        from .text.write import serialize

        return f"Query({serialize(self.ast)!r})"


def _count(name: str, count: object) -> str:
    if type(count) is not int or count < 0:
        raise QueryError([Diagnostic("not-an-integer", f"{name} {shown(count)} is not a non-negative whole number")])
    highest = PLAIN_NUMBER_MAX if name == "limit" else SAFE_INTEGER_MAX
    if count > highest:  # as validation refuses it; an int of 4,301 digits has no text
        hint = f"use a whole number up to {highest}"
        raise QueryError([Diagnostic("out-of-range", f"{name} {shown(count)} is too large", hint=hint)])
    return str(count)
