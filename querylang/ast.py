"""The query AST: frozen nodes for conditions, sorting and paging, and the operator table.

A tree read from text keeps the decoded strings the user wrote (``"10"`` stays a string); the
typed tree that validation returns holds Python values (``int``, ``bool``, aware
``datetime``, ``None``). Spans are carried for error messages but never compared.

The condition tree is in a normal form that the query language can always write back:

- ``AllOf`` holds at least two items and never another ``AllOf`` (AND is flattened);
- ``AnyOf`` holds at least two alternatives, never another ``AnyOf``, and each alternative is a
  field condition or an ``AllOf`` of field conditions (``$or`` cannot hold ``$or`` or ``$and``);
- within one alternative a field has one plain value or distinct operators, as in text.

``and_`` and ``or_`` build groups in that form. Groups compare as multisets: AND and OR are
commutative, and text cannot always keep the order in which a tree was built.
"""

from __future__ import annotations

import dataclasses
import enum
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from typing import TypeAlias

from .errors import Diagnostic, QueryError
from .percent import is_array_index
from .source import NOWHERE, Span
from .values import FarInstant

__all__ = [
    "AllOf",
    "AnyOf",
    "Compare",
    "Condition",
    "Expr",
    "Membership",
    "Op",
    "Query",
    "Sort",
    "Value",
    "and_",
    "as_query",
    "conditions",
    "or_",
]

Value: TypeAlias = "str | bool | int | float | datetime | date | FarInstant | None"
"""A condition's value: the decoded text, or, in a typed tree, a Python value."""


class Op(enum.Enum):
    """Every field operator, each with its Feathers spelling (``EQ`` is the plain ``field=``)."""

    EQ = ""
    NE = "$ne"
    LT = "$lt"
    LTE = "$lte"
    GT = "$gt"
    GTE = "$gte"
    IN = "$in"
    NIN = "$nin"
    LIKE = "$like"
    NOTLIKE = "$notlike"
    ILIKE = "$ilike"

    @property
    def spelling(self) -> str:
        """The operator as written in a key (``$gte``); empty for ``EQ``."""
        return self.value

    @classmethod
    def from_spelling(cls, text: str) -> Op | None:
        """The operator written as ``text`` (``"$gte"``), or None."""
        return _BY_SPELLING.get(text)


_BY_SPELLING = {op.value: op for op in Op if op is not Op.EQ}
MEMBERSHIP_OPS = frozenset({Op.IN, Op.NIN})
PATTERN_OPS = (Op.LIKE, Op.NOTLIKE, Op.ILIKE)
"""The operators that take a SQL ``LIKE`` pattern, in the order the documentation lists them."""
FILTERS = ("$limit", "$skip", "$sort", "$select", "$or", "$and", "$load")
"""The top-level ``$`` keys a query may hold."""


def _position() -> Span:
    """A span field: carried for error messages, never compared or shown."""
    return dataclasses.field(default=NOWHERE, compare=False, repr=False, kw_only=True)


def _positions() -> tuple[Span, ...]:
    return dataclasses.field(default=(), compare=False, repr=False, kw_only=True)


def _where_written() -> bool:
    # Read from text beside an $or inside $and, where the reference server validates nothing
    # and hands the values to the database as written (validate.py refuses what it would fail on).
    return dataclasses.field(default=False, compare=False, repr=False, kw_only=True)


_NAME_HINT = "a field name is not empty, does not start with '$', holds no bracket and is not a plain number"


def _check_field(name: str) -> None:
    if not isinstance(name, str) or not name:
        raise QueryError([Diagnostic("bad-node", f"a field name must be a non-empty string, not {name!r}")])
    if name[0] == "$" or "[" in name or "]" in name or (name[0].isdigit() and is_array_index(name)):
        raise QueryError([Diagnostic("bad-node", f"field name {name!r} cannot be written in a query string")])


@dataclass(frozen=True, slots=True)
class Compare:
    """``field[op]=value`` for every operator but ``$in``/``$nin``; ``Op.EQ`` is ``field=value``."""

    field: str
    op: Op
    value: Value
    span: Span = _position()
    field_span: Span = _position()
    value_span: Span = _position()
    unvalidated: bool = _where_written()

    def __post_init__(self) -> None:
        _check_field(self.field)
        if self.op is Op.IN or self.op is Op.NIN:
            raise QueryError([Diagnostic("bad-node", f"{self.op.spelling} takes a list: use Membership, not Compare")])


@dataclass(frozen=True, slots=True)
class Membership:
    """``field[$in][]=a&field[$in][]=b`` (or ``$nin``): the field is (not) one of the values."""

    field: str
    op: Op
    values: tuple[Value, ...]
    span: Span = _position()
    field_span: Span = _position()
    value_spans: tuple[Span, ...] = _positions()
    unvalidated: bool = _where_written()

    def __post_init__(self) -> None:
        _check_field(self.field)
        if self.op is not Op.IN and self.op is not Op.NIN:
            raise QueryError([Diagnostic("bad-node", f"Membership takes $in or $nin, not {self.op.name}")])
        if not isinstance(self.values, tuple):
            object.__setattr__(self, "values", tuple(self.values))
        if not self.values:
            raise QueryError(
                [Diagnostic("bad-node", f"an empty {self.op.spelling} list cannot be written in a query string")]
            )


Condition: TypeAlias = "Compare | Membership"


def _multiset_eq(mine: tuple[Expr, ...], theirs: tuple[Expr, ...]) -> bool:
    return len(mine) == len(theirs) and Counter(mine) == Counter(theirs)


def _collision(items: Iterable[Expr]) -> str | None:
    """Why these conditions cannot share one condition set, or None when they can."""
    seen: dict[str, set[Op]] = {}
    for item in items:
        if not isinstance(item, Compare | Membership):
            continue
        ops = seen.setdefault(item.field, set())
        if item.op in ops:
            return f"'{item.field}' has {item.op.spelling or 'a plain value'} twice"
        if ops and (item.op is Op.EQ or Op.EQ in ops):
            return f"'{item.field}' has a plain value beside operators"
        ops.add(item.op)
    return None


@dataclass(frozen=True, slots=True, eq=False)
class _Group:
    """What AND and OR share: two or more items, compared as a multiset."""

    items: tuple[Expr, ...]
    span: Span = _position()

    def _check_items(self, what: str) -> None:
        if not isinstance(self.items, tuple):
            object.__setattr__(self, "items", tuple(self.items))
        if len(self.items) < 2:
            name = type(self).__name__
            raise QueryError(
                [Diagnostic("empty-group", f"an {name} needs at least two {what}; use {name[1:3].lower()}_()")]
            )
        for item in self.items:
            if type(item) is type(self):
                name = type(self).__name__
                raise QueryError(
                    [Diagnostic("bad-node", f"an {name} inside an {name}; use and_() or or_() to flatten")]
                )
            if not isinstance(item, Compare | Membership | AllOf | AnyOf):
                raise QueryError([Diagnostic("bad-node", f"{type(item).__name__} is not a condition")])

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and _multiset_eq(self.items, other.items)

    def __hash__(self) -> int:
        return hash((type(self).__name__, frozenset(Counter(self.items).items())))


@dataclass(frozen=True, slots=True, eq=False)
class AllOf(_Group):
    """Every item holds (AND). At least two items; never an ``AllOf`` inside."""

    def __post_init__(self) -> None:
        self._check_items("items")


@dataclass(frozen=True, slots=True, eq=False)
class AnyOf(_Group):
    """At least one alternative holds (OR): ``$or``. Alternatives hold no group but ``AllOf``."""

    def __post_init__(self) -> None:
        self._check_items("alternatives")
        for item in self.items:
            if isinstance(item, AllOf):
                if any(isinstance(sub, AnyOf) for sub in item.items):
                    raise QueryError([Diagnostic("nested-group", "an $or alternative cannot hold another $or")])
                why = _collision(item.items)
                if why:
                    raise QueryError([Diagnostic("nested-group", f"an $or alternative cannot hold $and, and {why}")])


Expr: TypeAlias = "Compare | Membership | AllOf | AnyOf"


def and_(*items: Expr | None) -> Expr | None:
    """AND of the items in normal form: nested ANDs flattened, ``None`` skipped, one item alone."""
    flat: list[Expr] = []
    for item in items:
        if item is None:
            continue
        if isinstance(item, AllOf):
            flat.extend(item.items)
        else:
            flat.append(item)
    if not flat:
        return None
    return flat[0] if len(flat) == 1 else AllOf(tuple(flat))


def or_(*items: Expr) -> Expr:
    """OR of the items in normal form: nested ORs flattened, one item alone.

    Raises:
        QueryError: an alternative that text cannot write (an OR inside an AND inside an OR).
    """
    flat: list[Expr] = []
    for item in items:
        if isinstance(item, AnyOf):
            flat.extend(item.items)
        else:
            flat.append(item)
    if not flat:
        raise QueryError([Diagnostic("empty-group", "an $or needs at least one alternative")])
    return flat[0] if len(flat) == 1 else AnyOf(tuple(flat))


def conditions(expr: Expr | None) -> Iterator[Condition]:
    """Every field condition in a tree, depth first."""
    if expr is None:
        return
    if isinstance(expr, Compare | Membership):
        yield expr
    else:
        for item in expr.items:
            yield from conditions(item)


@dataclass(frozen=True, slots=True)
class Sort:
    """One ``$sort[field]=direction`` key; ``direction`` is the text, or ±1 once typed."""

    field: str
    direction: str | int
    span: Span = _position()
    field_span: Span = _position()
    direction_span: Span = _position()

    def __post_init__(self) -> None:
        _check_field(self.field)


@dataclass(frozen=True, slots=True)
class Query:
    """A whole query: the condition tree, paging, sorting, projection and relations.

    Attributes:
        where: the conditions, or None for every record.
        limit: ``$limit`` as written (``"10"``), or an ``int`` once typed; None when absent.
        skip: ``$skip`` likewise.
        sort: the ``$sort`` keys in the order written.
        select: the ``$select`` fields, or None for whole records.
        load: the ``$load`` relations, or None.
        warnings: what reading the text noticed without refusing it (values kept raw).
    """

    where: Expr | None = None
    limit: str | int | None = None
    skip: str | int | None = None
    sort: tuple[Sort, ...] = ()
    select: tuple[str, ...] | None = None
    load: tuple[str, ...] | None = None
    span: Span = _position()
    limit_span: Span = _position()
    skip_span: Span = _position()
    select_spans: tuple[Span, ...] = _positions()
    load_spans: tuple[Span, ...] = _positions()
    warnings: tuple[Diagnostic, ...] = dataclasses.field(default=(), compare=False, repr=False, kw_only=True)

    def __post_init__(self) -> None:
        if not isinstance(self.sort, tuple):
            object.__setattr__(self, "sort", tuple(self.sort))
        if self.select is not None and not isinstance(self.select, tuple):
            object.__setattr__(self, "select", tuple(self.select))
        if self.load is not None and not isinstance(self.load, tuple):
            object.__setattr__(self, "load", tuple(self.load))
        names = [s.field for s in self.sort]
        if len(set(names)) != len(names):
            raise QueryError(
                [Diagnostic("repeated-key", "a query sorts by one field twice", hint="sort by a field once")]
            )
        if self.select is not None and not self.select:
            raise QueryError([Diagnostic("bad-node", "an empty $select cannot be written; use None")])
        if self.load is not None and not self.load:
            raise QueryError([Diagnostic("bad-node", "an empty $load cannot be written; use None")])
        for name in self.load or ():
            if not isinstance(name, str) or not name.strip() or "," in name:
                raise QueryError([Diagnostic("bad-node", f"relation name {name!r} cannot be written in $load")])


# ---- construction for text/read.py

# PERF: text/read.py makes nodes whose invariants it has already checked (the operator, distinct
# sort keys, non-empty lists, relation names). These set the slots directly, without the
# keyword handling and frozen __setattr__ of the generated __init__: three times faster, a
# quarter of parsing. Each takes every field in order; tests hold them to the constructors.
_new = object.__new__
_slot = {
    (cls, field.name): cls.__dict__[field.name].__set__
    for cls in (Compare, Membership, Sort, Query)
    for field in dataclasses.fields(cls)
}
_compare_field, _compare_op, _compare_value, _compare_span, _compare_field_span, _compare_value_span = (
    _slot[Compare, name] for name in ("field", "op", "value", "span", "field_span", "value_span")
)
_compare_unvalidated = _slot[Compare, "unvalidated"]
_member_field, _member_op, _member_values, _member_span, _member_field_span, _member_value_spans = (
    _slot[Membership, name] for name in ("field", "op", "values", "span", "field_span", "value_spans")
)
_member_unvalidated = _slot[Membership, "unvalidated"]
_sort_field, _sort_direction, _sort_span, _sort_field_span, _sort_direction_span = (
    _slot[Sort, name] for name in ("field", "direction", "span", "field_span", "direction_span")
)
_query_slots = tuple(_slot[Query, field.name] for field in dataclasses.fields(Query))


def made_compare(
    field: str, op: Op, value: Value, span: Span, field_span: Span, value_span: Span, *, unvalidated: bool = False
) -> Compare:
    """``Compare`` for a caller that knows ``op`` is neither ``$in`` nor ``$nin``."""
    _check_field(field)
    node: Compare = _new(Compare)
    _compare_field(node, field)
    _compare_op(node, op)
    _compare_value(node, value)
    _compare_span(node, span)
    _compare_field_span(node, field_span)
    _compare_value_span(node, value_span)
    _compare_unvalidated(node, unvalidated)
    return node


def made_membership(
    field: str,
    op: Op,
    values: tuple[Value, ...],
    span: Span,
    field_span: Span,
    value_spans: tuple[Span, ...],
    *,
    unvalidated: bool = False,
) -> Membership:
    """``Membership`` for a caller that knows ``op`` is ``$in`` or ``$nin`` and ``values`` is not empty."""
    _check_field(field)
    node: Membership = _new(Membership)
    _member_field(node, field)
    _member_op(node, op)
    _member_values(node, values)
    _member_span(node, span)
    _member_field_span(node, field_span)
    _member_value_spans(node, value_spans)
    _member_unvalidated(node, unvalidated)
    return node


def made_sort(field: str, direction: str | int, span: Span, field_span: Span, direction_span: Span) -> Sort:
    """``Sort``, checking the field name only."""
    _check_field(field)
    node: Sort = _new(Sort)
    _sort_field(node, field)
    _sort_direction(node, direction)
    _sort_span(node, span)
    _sort_field_span(node, field_span)
    _sort_direction_span(node, direction_span)
    return node


def made_query(*fields: object) -> Query:
    """``Query`` from every field in order, for a caller that checked what ``__post_init__`` checks."""
    node: Query = _new(Query)
    for set_slot, value in zip(_query_slots, fields, strict=True):
        set_slot(node, value)
    return node


def as_query(obj: object) -> Query:
    """The AST of a query: a ``Query``, or an object holding one in ``.ast`` (the builder's).

    Raises:
        QueryError: ``obj`` is not a query.
    """
    if isinstance(obj, Query):
        return obj
    inner = getattr(obj, "ast", None)
    if isinstance(inner, Query):
        return inner
    raise QueryError([Diagnostic("not-a-query", f"expected a query, not {type(obj).__name__}")])
