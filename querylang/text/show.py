"""Query AST -> plain data (for JSON) and an indented outline, for tools and people."""

from __future__ import annotations

from datetime import date, datetime

from ..ast import AllOf, AnyOf, Compare, Expr, Membership, Op, Query, Value
from ..values import FarInstant

__all__ = ["outline", "to_data"]


def _value(value: Value) -> object:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, FarInstant):
        return value.text()
    return value


def _expr_data(expr: Expr) -> dict[str, object]:
    match expr:
        case AllOf(items=items):
            return {"all": [_expr_data(item) for item in items]}
        case AnyOf(items=items):
            return {"any": [_expr_data(item) for item in items]}
        case Membership(field=name, op=op, values=values):
            return {"field": name, "op": op.spelling, "values": [_value(v) for v in values]}
        case Compare(field=name, op=op, value=value):
            return {"field": name, "op": op.spelling or "=", "value": _value(value)}
    raise AssertionError(expr)  # pragma: no cover


def to_data(query: Query) -> dict[str, object]:
    """The query as JSON-ready data: ``where`` as nested ``all``/``any``/condition objects."""
    return {
        "where": _expr_data(query.where) if query.where is not None else None,
        "limit": query.limit,
        "skip": query.skip,
        "sort": [{"field": s.field, "direction": s.direction} for s in query.sort],
        "select": list(query.select) if query.select is not None else None,
        "load": list(query.load) if query.load is not None else None,
    }


def _expr_lines(expr: Expr, depth: int) -> list[str]:
    pad = "  " * depth
    match expr:
        case AllOf(items=items):
            return [f"{pad}all of:"] + [line for item in items for line in _expr_lines(item, depth + 1)]
        case AnyOf(items=items):
            return [f"{pad}any of:"] + [line for item in items for line in _expr_lines(item, depth + 1)]
        case Membership(field=name, op=op, values=values):
            return [f"{pad}{name} {'in' if op is Op.IN else 'not in'} {list(values)!r}"]
        case Compare(field=name, op=op, value=value):
            return [f"{pad}{name} {_SYMBOL[op]} {value!r}"]
    raise AssertionError(expr)  # pragma: no cover


_SYMBOL = {
    Op.EQ: "=",
    Op.NE: "!=",
    Op.LT: "<",
    Op.LTE: "<=",
    Op.GT: ">",
    Op.GTE: ">=",
    Op.LIKE: "like",
    Op.NOTLIKE: "not like",
    Op.ILIKE: "ilike",
}


def outline(query: Query) -> str:
    """An indented, readable outline of a query."""
    lines = ["where:"]
    lines += _expr_lines(query.where, 1) if query.where is not None else ["  (every record)"]
    if query.sort:
        lines.append("sort: " + ", ".join(f"{s.field} {s.direction}" for s in query.sort))
    for name, value in (("limit", query.limit), ("skip", query.skip)):
        if value is not None:
            lines.append(f"{name}: {value!r}")
    if query.select is not None:
        lines.append("select: " + ", ".join(query.select))
    if query.load is not None:
        lines.append("load: " + ", ".join(query.load))
    return "\n".join(lines)
