"""Typed conditions -> the plan of a scan: the order tests run in, null guards, pattern tests.

The engines (generated code, closures) follow one plan, so that they agree on every record,
errors included: cheap tests first (booleans, integers, equality; then date-times; then
patterns), except that a pattern PostgreSQL may stop on runs before everything else.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..ast import PATTERN_OPS, AllOf, Compare, Expr, Membership, Op
from ..like import EscapeAtEnd, ends_with_lone_escape, fold_case, like_plan
from ..schema import FieldType, Schema
from .rows import PatternStop

__all__ = [
    "PatternPlans",
    "cost",
    "fields",
    "items",
    "needs_null_guard",
    "pattern_plan",
    "rejects_null",
    "stops_postgres",
]

_TYPE_COST = {
    FieldType.BOOLEAN: 1,
    FieldType.INTEGER: 2,
    FieldType.NUMBER: 2,
    FieldType.ENUM: 3,
    FieldType.TEXT: 3,
    FieldType.DATETIME: 8,
}
_OP_COST = {Op.LIKE: 10, Op.NOTLIKE: 10, Op.ILIKE: 12, Op.IN: 1, Op.NIN: 1}


def rejects_null(cond: Compare | Membership) -> bool:
    """Whether the condition fails on null (all but IS NULL)."""
    return not (isinstance(cond, Compare) and cond.op is Op.EQ and cond.value is None)


def needs_null_guard(cond: Compare | Membership) -> bool:
    """Whether the test would misread null unless null is rejected first (``!=``, ``<``, ...)."""
    if isinstance(cond, Membership):
        return cond.op is Op.NIN
    return cond.op is not Op.EQ and not (cond.op is Op.NE and cond.value is None)


def stops_postgres(cond: Compare | Membership) -> bool:
    """Whether the condition is a pattern ending in a lone backslash (see ``pattern_plan``).

    PostgreSQL runs such a pattern on every row and stops the query on the first that matches
    up to the backslash.
    """
    return (
        isinstance(cond, Compare)
        and cond.op in PATTERN_OPS
        and isinstance(cond.value, str)
        and ends_with_lone_escape(cond.value)
    )


def _stopping(match: Callable[[str], bool], cond: Compare) -> Callable[[str], bool]:
    """``match``, raising ``PatternStop`` where PostgreSQL stops on a trailing lone backslash.

    The scan or predicate running it names the record (``rows.PatternStop.error``); the
    matcher knows only the condition, and the message never quotes the value.
    """

    def run(text: str) -> bool:
        try:
            return match(text)
        except EscapeAtEnd:
            raise PatternStop(cond) from None

    return run


def pattern_plan(cond: Compare) -> tuple[str, Any]:
    """How to test a ``$like``/``$notlike``/``$ilike`` condition on a (folded) text.

    Returns:
        ``like.like_plan``'s ``(kind, arg)`` for the pattern, folded for ``$ilike`` (the text
        must be folded alike, with ``like.fold_case``); for a pattern ending in a lone
        backslash, a matcher that raises ``rows.PatternStop`` where PostgreSQL stops.
    """
    pattern = str(cond.value)
    kind, arg = like_plan(fold_case(pattern) if cond.op is Op.ILIKE else pattern)
    if stops_postgres(cond):
        arg = _stopping(arg, cond)
    return kind, arg


class PatternPlans:
    """``pattern_plan`` of each pattern condition of one query, made once for all its functions.

    The predicate and the scans test the same conditions; planning is linear in the pattern,
    but a 1 MB pattern still takes ~0.5 s.
    """

    def __init__(self) -> None:
        self._made: dict[Compare, tuple[str, Any]] = {}

    def __call__(self, cond: Compare) -> tuple[str, Any]:
        """``pattern_plan(cond)``, made on the first call."""
        made = self._made.get(cond)
        if made is None:
            made = self._made[cond] = pattern_plan(cond)
        return made


def cost(expr: Expr, schema: Schema) -> int:
    """How much a test costs, roughly; a scan runs the cheap ones first."""
    if isinstance(expr, Compare | Membership):
        if stops_postgres(expr):
            # First, so that it meets every record: PostgreSQL tests such a pattern on every
            # row, whatever the other conditions, and stops on the first it reaches the end with.
            return -1000
        f = schema.field(expr.field)
        assert f is not None, expr.field  # validated
        return _TYPE_COST[f.type] + _OP_COST.get(expr.op, 0)
    return sum(cost(item, schema) for item in expr.items)


def items(where: Expr | None) -> tuple[Expr, ...]:
    """The conditions of a query's AND, each a field condition or an ``$or``."""
    if where is None:
        return ()
    return where.items if isinstance(where, AllOf) else (where,)


def fields(expr: Expr | None) -> list[str]:
    """Every field the conditions read, in the order written (repeats kept)."""
    if expr is None:
        return []
    if isinstance(expr, Compare | Membership):
        return [expr.field]
    return [name for item in expr.items for name in fields(item)]
