"""A slow, obviously correct evaluator: walks the typed AST for each record with SQL's three-valued logic.

It shares only reading and validation with querylang (``validate``, ``Field.from_record``);
everything SEMANTICS.md section 4 says about evaluation is written again here the plain way:
Kleene AND/OR/NOT over True/False/None, a dynamic-programming LIKE, a full stable sort with
an explicit comparison, then slicing, projection and loading. The compiled evaluator must agree.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from hypothesis import strategies as st

from querylang import ast
from querylang.ast import AllOf, AnyOf, Compare, Expr, Membership, Op, Query
from querylang.schema import CONTACT_COMMUNICATIONS, Schema
from querylang.validate import validate

Truth = bool | None  # None is SQL's unknown


def _and(values: Iterable[Truth]) -> Truth:
    result: Truth = True
    for v in values:
        if v is False:
            return False
        if v is None:
            result = None
    return result


def _or(values: Iterable[Truth]) -> Truth:
    result: Truth = False
    for v in values:
        if v is True:
            return True
        if v is None:
            result = None
    return result


def _not(value: Truth) -> Truth:
    return None if value is None else not value


def _lower_each(text: str) -> str:
    """PostgreSQL's lower(): each character on its own ('İ' is 'i', 'Σ' is 'σ' even at a word's end)."""
    return "".join({"İ": "i", "Σ": "σ"}.get(c) or c.lower() for c in text)


def like(text: str, pattern: str) -> bool:
    """SQL LIKE by dynamic programming over (pattern token, text position)."""
    tokens: list[tuple[str, str]] = []  # ("any", "") for %, ("one", "") for _, ("lit", c)
    i = 0
    while i < len(pattern):
        c = pattern[i]
        if c == "\\" and i + 1 < len(pattern):
            tokens.append(("lit", pattern[i + 1]))
            i += 2
            continue
        tokens.append(("any", "") if c == "%" else ("one", "") if c == "_" else ("lit", c))
        i += 1
    # match[j] after k tokens: the first k tokens can match text[:j]
    match = [True] + [False] * len(text)
    for kind, c in tokens:
        new = [False] * (len(text) + 1)
        for j in range(len(text) + 1):
            if kind == "any":
                new[j] = match[j] or (j > 0 and new[j - 1])
            elif j > 0 and match[j - 1] and (kind == "one" or text[j - 1] == c):
                new[j] = True
        match = new
    return match[len(text)]


class Reference:
    """Evaluate one typed query the slow way."""

    def __init__(self, query: Query, schema: Schema) -> None:
        self.query = query
        self.schema = schema

    def value(self, record: Mapping[str, Any], name: str) -> Any:
        f = self.schema.field(name)
        assert f is not None
        return f.from_record(record.get(name))

    def condition(self, cond: Compare | Membership, record: Mapping[str, Any]) -> Truth:
        v = self.value(record, cond.field)
        if isinstance(cond, Membership):
            found = _or(None if (v is None or x is None) else v == x for x in cond.values)
            return found if cond.op is Op.IN else _not(found)
        x, op = cond.value, cond.op
        if x is None and op is Op.EQ:
            return v is None
        if x is None and op is Op.NE:
            return v is not None
        if v is None or x is None:
            return None
        if op is Op.EQ:
            return bool(v == x)
        if op is Op.NE:
            return bool(v != x)
        if op is Op.LT:
            return bool(v < x)
        if op is Op.LTE:
            return bool(v <= x)
        if op is Op.GT:
            return bool(v > x)
        if op is Op.GTE:
            return bool(v >= x)
        if op is Op.LIKE:
            return like(v, x)
        if op is Op.NOTLIKE:
            return not like(v, x)
        if op is Op.ILIKE:
            return like(_lower_each(v), _lower_each(x))
        raise AssertionError(op)

    def truth(self, expr: Expr, record: Mapping[str, Any]) -> Truth:
        if isinstance(expr, Compare | Membership):
            return self.condition(expr, record)
        if isinstance(expr, AllOf):
            return _and([self.truth(item, record) for item in expr.items])
        if isinstance(expr, AnyOf):
            return _or([self.truth(item, record) for item in expr.items])
        raise AssertionError(expr)

    def compare(self, a: Mapping[str, Any], b: Mapping[str, Any]) -> int:
        for key in self.query.sort:
            x, y = self.value(a, key.field), self.value(b, key.field)
            if x is None and y is None:
                continue
            # nulls are larger than every value: last ascending, first descending
            if x is None:
                order = 1
            elif y is None or x < y:
                order = -1
            elif y < x:
                order = 1
            else:
                continue
            return order if key.direction == 1 else -order
        return 0


def reference_find(
    records: Iterable[Mapping[str, Any]],
    query: Query | str,
    *,
    schema: Schema | None = None,
    paginate: bool = True,
    default_limit: int = 10,
    max_limit: int = 100,
    users: Iterable[Mapping[str, Any]] = (),
) -> dict[str, Any] | list[Any]:
    """The page (or list) that ``querylang.find`` must give for the same arguments."""
    schema = schema or CONTACT_COMMUNICATIONS
    typed = validate(query, dataclasses.replace(schema, max_limit=2**63 - 1))
    ref = Reference(typed, schema)
    matches = [r for r in records if typed.where is None or ref.truth(typed.where, r) is True]
    total = len(matches)
    ordered = sorted(matches, key=functools.cmp_to_key(ref.compare)) if typed.sort else matches
    skip = typed.skip if isinstance(typed.skip, int) else 0
    written = typed.limit if isinstance(typed.limit, int) else None
    if paginate:
        limit: int | None = min(default_limit if written is None else written, max_limit)
    else:
        limit = written
    rows: list[Any] = ordered[skip:] if limit is None else ordered[skip : skip + limit]
    if typed.select is not None:
        rows = [{name: r.get(name) for name in typed.select} for r in rows]
    if typed.load is not None:
        by_id = {u["id"]: u for u in users}
        loaded = []
        for row, original in zip(
            rows, (ordered[skip:] if limit is None else ordered[skip : skip + limit]), strict=True
        ):
            out = dict(row)
            for name in typed.load:
                relation = schema.relation(name)
                assert relation is not None
                out[name] = by_id.get(ref.value(original, relation.field))
            loaded.append(out)
        rows = loaded
    if not paginate:
        return rows
    return {"total": total, "limit": limit, "skip": skip, "data": rows}


# ---------------------------------------------------------------- generated records and queries
# Small pools, so that generated conditions match some records and sorts tie. Records hold
# values as JSON would (ints, bools, ISO strings in any offset), as CSV would (text), or as
# Python would (datetime objects), and may miss keys.

USERS = [
    {"id": 3, "first_name": "Angela", "last_name": "Ziegler"},
    {"id": 4, "first_name": "Reinhardt", "last_name": "Wilhelm"},
    {"id": 12, "first_name": "Lena", "last_name": "Oxton"},
]
TEXTS = ["", "a", "A", "ab", "aab", "a%b", "a_b", "a\\b", "New", "new York", "Über", "über", "ß", "ss", "Zeta", "100%"]
TEXTS += ["İa", "ia", "ΑΣ", "ας", "σ"]  # where PostgreSQL lowers one character at a time
PATTERN_CHARS = ["a", "b", "A", "N", "%", "_", "\\", "ü", "ß", "%", "_", "İ", "Σ", "ς", "σ", "i"]
INSTANTS = [
    datetime(2019, 12, 31, 23, 59, 59, tzinfo=UTC),
    datetime(2020, 1, 1, tzinfo=UTC),
    datetime(2020, 1, 1, 0, 0, 1, tzinfo=UTC),
    datetime(2020, 6, 1, 12, 30, tzinfo=UTC),
]
ZONES = [UTC, timezone(timedelta(hours=-7)), timezone(timedelta(hours=5, minutes=30)), timezone(timedelta(hours=1))]
INTEGERS = {"id": [1, 2, 3], "contact_id": [76, 77], "send_from_user_id": [3, 4, 99], "completing_user_id": [4, 8, 12]}
TYPES = ["Email Contact", "Call Contact", "Text Contact"]
TEXT_FIELDS = ["campaign_name", "template_subject", "template_name", "template_folder_name"]
FIELDS = CONTACT_COMMUNICATIONS.field_names


def _date_text(instant: datetime, zone: timezone, style: int) -> str:
    local = instant.astimezone(zone)
    if style == 0:
        return local.isoformat(timespec="milliseconds").replace("+00:00", "Z")
    if style == 1:
        return local.isoformat()
    return local.isoformat(sep=" ")


record_dates = st.builds(_date_text, st.sampled_from(INSTANTS), st.sampled_from(ZONES), st.integers(0, 2)) | st.builds(
    lambda i, z: i.astimezone(z), st.sampled_from(INSTANTS), st.sampled_from(ZONES)
)


def _record_value(name: str) -> st.SearchStrategy[Any]:
    f = CONTACT_COMMUNICATIONS.field(name)
    assert f is not None
    base: st.SearchStrategy[Any]
    if name in INTEGERS:
        ints = st.sampled_from(INTEGERS[name])
        base = ints | ints.map(str)  # as JSON, or as CSV text
    elif f.type.value == "boolean":
        base = st.booleans() | st.sampled_from(["true", "false"])
    elif f.type.value == "enum":
        base = st.sampled_from(TYPES)
    elif f.type.value == "date-time":
        base = record_dates
    else:
        base = st.sampled_from(TEXTS)
    if f.nullable:
        return base | st.none() | st.just("")  # "" is null in a CSV cell
    return base


@st.composite
def records(draw: st.DrawFn) -> dict[str, Any]:
    """A contact-communication record; some keys may be missing (null)."""
    present = draw(st.lists(st.sampled_from(FIELDS), unique=True, min_size=len(FIELDS) - 3, max_size=len(FIELDS)))
    return {name: draw(_record_value(name)) for name in FIELDS if name in present}


def _query_value(name: str) -> st.SearchStrategy[Any]:
    f = CONTACT_COMMUNICATIONS.field(name)
    assert f is not None
    base: st.SearchStrategy[Any]
    if name in INTEGERS:
        base = st.sampled_from([*INTEGERS[name], 0, 10])
    elif f.type.value == "boolean":
        base = st.booleans()
    elif f.type.value == "enum":
        base = st.sampled_from(TYPES)
    elif f.type.value == "date-time":
        base = st.builds(
            lambda i, z, s: (i + timedelta(seconds=s)).astimezone(z),
            st.sampled_from(INSTANTS),
            st.sampled_from(ZONES),
            st.sampled_from([0, 0, 1, -1]),
        )
    else:
        base = st.sampled_from(TEXTS)
    return base | st.none() if f.nullable else base


@st.composite
def conditions(draw: st.DrawFn) -> ast.Compare | ast.Membership:
    name = draw(st.sampled_from(FIELDS))
    ops = [ast.Op.EQ, ast.Op.NE, ast.Op.LT, ast.Op.LTE, ast.Op.GT, ast.Op.GTE, ast.Op.IN, ast.Op.NIN]
    if name in TEXT_FIELDS:
        ops += [ast.Op.LIKE, ast.Op.NOTLIKE, ast.Op.ILIKE] * 2
    op = draw(st.sampled_from(ops))
    if op in (ast.Op.IN, ast.Op.NIN):
        values = draw(st.lists(_query_value(name), min_size=1, max_size=3))
        return ast.Membership(name, op, tuple(values))
    if op in (ast.Op.LIKE, ast.Op.NOTLIKE, ast.Op.ILIKE):
        pattern = lone_backslash_free("".join(draw(st.lists(st.sampled_from(PATTERN_CHARS), max_size=5))))
        return ast.Compare(name, op, draw(st.sampled_from(TEXTS)) if draw(st.booleans()) else pattern)
    value = draw(_query_value(name))  # null with a range too: `completed_at[$gt]=` never matches
    return ast.Compare(name, op, value)


def lone_backslash_free(pattern: str) -> str:
    """The pattern, with a backslash added if it ends with a lone one (validation refuses those)."""
    return pattern + "\\" if (len(pattern) - len(pattern.rstrip("\\"))) % 2 else pattern


def _conjunction(items: list[Any]) -> Any:
    return items[0] if len(items) == 1 else ast.AllOf(tuple(items))


@st.composite
def wheres(draw: st.DrawFn) -> Any:
    items: list[Any] = draw(st.lists(conditions(), min_size=1, max_size=4))
    if draw(st.integers(0, 3)) == 0:
        alternative = st.lists(conditions(), min_size=1, max_size=2, unique_by=lambda c: c.field)
        alternatives = draw(st.lists(alternative, min_size=2, max_size=3))
        items.append(ast.AnyOf(tuple(_conjunction(a) for a in alternatives)))
    return _conjunction(items)


@st.composite
def typed_queries(draw: st.DrawFn) -> Query:
    """A query as an AST with Python values, valid for the contact-communication schema."""
    where = draw(st.none() | wheres())
    sort_fields = draw(st.lists(st.sampled_from(FIELDS), unique=True, max_size=3))
    sort = tuple(ast.Sort(name, draw(st.sampled_from([1, -1]))) for name in sort_fields)
    select = draw(st.none() | st.lists(st.sampled_from(FIELDS), min_size=1, max_size=4).map(tuple))
    load = draw(st.none() | st.lists(st.sampled_from(["send_from_user", "completing_user"]), min_size=1).map(tuple))
    limit = draw(st.none() | st.integers(0, 8))
    skip = draw(st.none() | st.integers(0, 6))
    return Query(where=where, limit=limit, skip=skip, sort=sort, select=select, load=load)
