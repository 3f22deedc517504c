"""A field and a condition -> closures that read a record's value and test it, as ``codegen`` writes them.

The closures engine's counterpart of ``codegen.py``: the same quick reads of a raw value, the
same coercion through the field (``rows.coercer``), the same null guards and tests.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from ..ast import PATTERN_OPS, Compare, Membership, Op
from ..like import fold_case
from ..schema import Field, FieldType
from .plan import PatternPlans
from .rows import Record

__all__ = ["FAIL", "Test", "condition_test", "loader", "optimistic"]

Test = Callable[[Any], bool]

FAIL = object()
"""A load's answer when a null must fail the test (a null guard)."""
_fromiso = datetime.fromisoformat


# ---- reading one field (codegen.read, codegen.load)


def _type_test(f: Field) -> Callable[[Any], bool]:
    """Whether a raw value must go through the coercer (codegen.load's test)."""
    kind = f.type
    if kind is FieldType.BOOLEAN:
        return lambda v: v is not True and v is not False
    if kind is FieldType.INTEGER:
        return lambda v: v.__class__ is not int
    if kind is FieldType.NUMBER:
        return lambda v: v.__class__ is not int and (v.__class__ is not float or v != v)  # NaN: as PostgreSQL
    if kind is FieldType.TEXT:
        return lambda v: v.__class__ is not str
    allowed = frozenset(f.values)
    return lambda v: v.__class__ is not str or v not in allowed


def loader(f: Field, co: Callable[[object], object], *, fail: bool) -> Callable[[Record], Any]:
    """The typed value of field ``f`` of a record (``co`` its coercer); with ``fail``, ``FAIL`` for a null."""
    name, nullable = f.name, f.nullable
    if f.type is FieldType.DATETIME:

        def load_datetime(r: Record) -> Any:
            try:
                v = r[name]
            except KeyError:
                v = None
            if nullable and v is None:
                return FAIL if fail else None
            try:
                d = _fromiso(v)
            except (ValueError, TypeError):
                v = co(v)
                return FAIL if fail and v is None else v
            return d if d.tzinfo is UTC and len(v) < 27 else co(v)

        return load_datetime
    needs = _type_test(f)
    if not fail and nullable and f.type is not FieldType.BOOLEAN:
        plain = needs

        def needs_nullable(v: Any) -> bool:
            return v is not None and plain(v)

        needs = needs_nullable
    # PERF: the class every valid value of the field has, tested inline (None: no such class).
    usual = {FieldType.INTEGER: int, FieldType.TEXT: str}.get(f.type)

    def load(r: Record) -> Any:
        try:
            v = r[name]
        except KeyError:
            v = None
        if v.__class__ is usual:
            return v
        if needs(v):
            if fail:
                if v is None:
                    return FAIL
                v = co(v)
                return FAIL if v is None else v
            v = co(v)
        return v

    return load


def _raw_fails(f: Field, cond: Compare | Membership) -> Callable[[Any], bool] | None:
    """The test a raw value can pass only by being a valid typed value already, or None."""
    text = f.type is FieldType.TEXT or f.type is FieldType.ENUM
    if isinstance(cond, Membership):
        if cond.op is not Op.IN or not text or None in cond.values:
            return None
        allowed = frozenset(cond.values)
        return lambda v: v not in allowed
    x = cond.value
    if cond.op is not Op.EQ:
        return None
    if x is None:
        return lambda v: v is not None
    if f.type is FieldType.BOOLEAN:
        return lambda v: v is not x
    if text:
        return lambda v: v != x
    return None


def _valid(f: Field, value: object) -> Callable[[Any], bool] | None:
    """Whether a raw value that failed ``_raw_fails`` is valid as it is (then it fails the test)."""
    if value is None:
        return None  # IS NULL: "" may be null (CSV), so every value not None is coerced
    if f.type is FieldType.BOOLEAN:
        other = not value
        return lambda v: v is other
    if f.type is FieldType.ENUM:
        values = frozenset(f.values)
        return lambda v: v.__class__ is str and v in values
    return lambda v: v.__class__ is str


def optimistic(f: Field, co: Callable[[object], object], cond: Compare | Membership) -> Callable[[Record], Any] | None:
    """Read and test in one go, coercing only when the raw value fails (codegen.optimistic).

    Returns:
        A function giving the value, or ``FAIL`` when the test fails; None where codegen
        writes no optimistic test.
    """
    raw_fails = _raw_fails(f, cond)
    if raw_fails is None:
        return None
    valid = _valid(f, cond.value if isinstance(cond, Compare) else cond.values[0])
    name = f.name

    def read_and_test(r: Record) -> Any:
        try:
            v = r[name]
        except KeyError:
            v = None
        if raw_fails(v):
            if valid is not None and valid(v):
                return FAIL
            v = co(v)
            if raw_fails(v):
                return FAIL
        return v

    return read_and_test


# ---- tests (codegen.test): whether a typed value, known non-null where needed, passes


def condition_test(f: Field, cond: Compare | Membership, plans: PatternPlans) -> Test:
    """Whether a typed value of field ``f`` (non-null where the plan guards it) passes ``cond``."""
    if isinstance(cond, Membership):
        values = frozenset(v for v in cond.values if v is not None)
        if cond.op is Op.IN:
            return (lambda v: v in values) if values else (lambda v: False)  # IN (NULL) matches nothing
        if None in cond.values:
            return lambda v: False  # NOT IN (..., NULL) is never true
        return lambda v: v not in values
    op, x = cond.op, cond.value
    if x is None:
        if op is Op.EQ:
            return lambda v: v is None
        if op is Op.NE:
            return lambda v: v is not None
        return lambda v: False  # `< NULL` and the other ranges are unknown: never true
    if op in PATTERN_OPS:
        return _pattern_test(cond, plans)
    if f.type is FieldType.BOOLEAN and op is Op.EQ:
        return lambda v: v is x
    if f.type is FieldType.BOOLEAN and op is Op.NE:
        return lambda v: v is not x
    # As the generated `if v >= x: fail`, exceptions included (NaN too: `not v >= x`, not `v < x`).
    if op is Op.EQ:
        return lambda v: not v != x  # noqa: SIM202 - the same operator as the generated code
    if op is Op.NE:
        return lambda v: not v == x  # noqa: SIM201
    if op is Op.LT:
        return lambda v: not v >= x
    if op is Op.LTE:
        return lambda v: not v > x
    if op is Op.GT:
        return lambda v: not v <= x
    assert op is Op.GTE, op
    return lambda v: not v < x


def _pattern_test(cond: Compare, plans: PatternPlans) -> Test:
    kind, arg = plans(cond)
    match: Test = arg
    if kind != "call":
        match = {
            "eq": lambda s: s == arg,
            "in": lambda s: arg in s,
            "prefix": lambda s: s.startswith(arg),
            "suffix": lambda s: s.endswith(arg),
        }[kind]
    if cond.op is Op.ILIKE:
        plain = match

        def folded(v: str) -> bool:
            return bool(plain(v.lower() if v.isascii() else fold_case(v)))

        return folded
    if cond.op is Op.NOTLIKE:
        return lambda v: not match(v)
    return lambda v: bool(match(v))
