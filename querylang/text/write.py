"""Query AST -> canonical query string.

The text is readable (brackets and ``$`` as they are, values percent-encoded as docs/semantics.md
section 7 says) and decodes, in querylang and in qs, back to an equal query:
``parse(serialize(q)) == q`` for every tree, and ``serialize(parse(s))`` is a fixed point.

Order: the conditions, then ``$sort``, ``$limit``, ``$skip``, ``$select``, ``$load``. A root
condition goes to the top level when it can share it with those before it; the first ``$or``
goes there too. What cannot — a second condition with the same operator on a field, a plain
value beside an operator, a second ``$or`` — goes into ``$and``, one element each.

Typed trees serialize as well: ``True`` is ``true``, an ``int`` its digits, an aware
``datetime`` ISO 8601 (``Z`` for UTC), a ``date`` ``YYYY-MM-DD``, ``None`` the empty value.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from ..ast import AllOf, AnyOf, Compare, Expr, Membership, Op, Query, Value, as_query
from ..errors import Diagnostic, QueryError
from ..percent import encode_key, encode_value
from ..values import FarInstant, shown
from .params import MAX_PARAMETERS

__all__ = ["format_value", "serialize"]


def format_value(value: Value) -> str:
    """A value in the form docs/semantics.md section 3 reads.

    Raises:
        QueryError: a naive ``datetime`` (it names no instant) or a type text cannot carry.
    """
    if isinstance(value, str):
        return value
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        try:
            return str(value)
        except ValueError:  # more digits than Python writes (4300 by default)
            raise QueryError([Diagnostic("cannot-encode", f"{shown(value)} is too long to write")]) from None
    if isinstance(value, datetime):
        if value.tzinfo is None or value.utcoffset() is None:
            raise QueryError(
                [
                    Diagnostic(
                        "naive-datetime",
                        f"datetime {value.isoformat()} has no time zone",
                        hint="use tzinfo=timezone.utc",
                    )
                ]
            )
        try:
            return _format_datetime(value)
        except OverflowError:
            raise QueryError(
                [Diagnostic("cannot-encode", f"datetime {value.isoformat()} is outside the years 1 to 9999 in UTC")]
            ) from None
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, FarInstant):
        return value.text()
    message = f"cannot write {type(value).__name__} {shown(value)} in a query string"
    raise QueryError([Diagnostic("cannot-encode", message)])


def _format_datetime(value: datetime) -> str:
    offset = value.utcoffset() or timedelta(0)
    text = value.replace(tzinfo=None).isoformat(timespec="microseconds" if value.microsecond else "seconds")
    if offset == timedelta(0):
        return text + "Z"
    seconds = int(offset.total_seconds())
    if offset % timedelta(minutes=1):
        # RFC 3339 offsets are whole minutes; name the same instant in UTC instead.
        return _format_datetime(value.astimezone(UTC))
    sign = "+" if seconds >= 0 else "-"
    minutes = abs(seconds) // 60
    return f"{text}{sign}{minutes // 60:02d}:{minutes % 60:02d}"


def _condition(prefix: str, cond: Compare | Membership) -> list[str]:
    if cond.field == "__proto__":
        raise QueryError(
            [Diagnostic("cannot-encode", "qs drops a '__proto__' key, so the server would never see this condition")]
        )
    key = encode_key(cond.field) if not prefix else f"{prefix}[{encode_key(cond.field)}]"
    if isinstance(cond, Membership):
        # `[]` is one bracket level; under `$and[i][$or][j]` it would be the sixth, past qs's
        # depth. A repeated key makes the same list there (`a[$in]=x&a[$in]=y`).
        append = "[]" if key.count("[") < 4 else ""
        return [f"{key}[{cond.op.spelling}]{append}={encode_value(format_value(v))}" for v in cond.values]
    if cond.op is Op.EQ:
        return [f"{key}={encode_value(format_value(cond.value))}"]
    return [f"{key}[{cond.op.spelling}]={encode_value(format_value(cond.value))}"]


def _fits(used: dict[str, set[Op]], cond: Compare | Membership) -> bool:
    ops = used.get(cond.field)
    if ops is None:
        return True
    return cond.op not in ops and cond.op is not Op.EQ and Op.EQ not in ops


def _condition_set(prefix: str, items: tuple[Expr, ...] | list[Expr]) -> list[str]:
    """Conditions that share one set (an ``$or`` alternative): grouped by field, first seen first."""
    by_field: dict[str, list[Compare | Membership]] = {}
    for item in items:
        assert isinstance(item, Compare | Membership)
        by_field.setdefault(item.field, []).append(item)
    return [part for conds in by_field.values() for cond in conds for part in _condition(prefix, cond)]


def _alternatives(prefix: str, group: AnyOf) -> list[str]:
    parts: list[str] = []
    for i, alt in enumerate(group.items):
        items = alt.items if isinstance(alt, AllOf) else (alt,)
        parts.extend(_condition_set(f"{prefix}[{i}]", items))
    return parts


def _where(expr: Expr | None) -> list[str]:
    if expr is None:
        return []
    items = expr.items if isinstance(expr, AllOf) else (expr,)
    top: dict[str, list[Compare | Membership]] = {}
    used: dict[str, set[Op]] = {}
    or_group: AnyOf | None = None
    rest: list[Expr] = []
    for item in items:
        if isinstance(item, AnyOf):
            if or_group is None:
                or_group = item
            else:
                rest.append(item)
        elif isinstance(item, Compare | Membership) and _fits(used, item):
            top.setdefault(item.field, []).append(item)
            used.setdefault(item.field, set()).add(item.op)
        else:
            rest.append(item)
    parts = [part for conds in top.values() for cond in conds for part in _condition("", cond)]
    if or_group is not None:
        parts.extend(_alternatives("$or", or_group))
    for i, item in enumerate(rest):
        if isinstance(item, AnyOf):
            parts.extend(_alternatives(f"$and[{i}][$or]", item))
        else:
            assert isinstance(item, Compare | Membership)
            parts.extend(_condition(f"$and[{i}]", item))
    return parts


def serialize(query: Query | object) -> str:
    """The canonical query string of a query, without a leading ``?``.

    Args:
        query: a query read from text, built in code, or typed by validation.

    Returns:
        Text that ``parse`` reads back to an equal query.

    Raises:
        QueryError: the tree holds something text cannot carry (a naive datetime, an object).
    """
    query = as_query(query)
    parts = _where(query.where)
    for key in query.sort:
        parts.append(f"$sort[{encode_key(key.field)}]={encode_value(format_value(key.direction))}")
    if query.limit is not None:
        parts.append(f"$limit={encode_value(format_value(query.limit))}")
    if query.skip is not None:
        parts.append(f"$skip={encode_value(format_value(query.skip))}")
    for name in query.select or ():
        parts.append(f"$select[]={encode_value(name)}")
    if query.load:
        parts.append("$load=" + ",".join(encode_value(name) for name in query.load))
    if len(parts) > MAX_PARAMETERS:
        raise QueryError(
            [
                Diagnostic(
                    "too-many-parameters",
                    f"the query needs {len(parts)} parameters; qs reads {MAX_PARAMETERS} and drops the rest",
                    hint="split the query, or use fewer $in values",
                )
            ]
        )
    return "&".join(parts)
