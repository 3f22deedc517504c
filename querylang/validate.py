"""Query AST + Schema -> typed query, or every problem at once (docs/semantics.md sections 3 and 5).

``validate`` returns the same ``Query`` with Python values: ``int``, ``bool``, ``str``, aware
``datetime`` in UTC, ``None`` for null; ``$limit``/``$skip`` as ``int`` (``$limit`` lowered to
the schema's maximum), sort directions as ``1``/``-1``. ``check`` returns the diagnostics,
errors and warnings, without raising. Each diagnostic points at the text that caused it.

Warnings never raise: a value kept raw because of an invalid escape, a list of one read as the
one value expected (``list-for-value``), a placeholder-looking value (``undefined``, ``null``,
``None``, ``NaN``) on a text field, ``is_stopped_on_text_reply`` without ``type=Text Contact``,
a range that can never match, contradictory equalities, a ``$limit`` lowered to the maximum, a
pattern ending in a lone backslash.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime

from .ast import PATTERN_OPS, AllOf, AnyOf, Compare, Expr, Membership, Op, Query, Sort, Value, and_, as_query, or_
from .errors import MAX_SHOWN_DIAGNOSTICS, Diagnostic, QueryError, QuerySyntaxError, QueryValidationError, suggest
from .like import ends_with_lone_escape
from .schema import CONTACT_COMMUNICATIONS, Field, FieldType, Schema, ValueProblem
from .source import NOWHERE, Span
from .text.params import read_params
from .text.qs import structure
from .text.read import build_partial
from .text.write import format_value
from .values import PLACEHOLDERS, PLAIN_NUMBER_MAX, SAFE_INTEGER_MAX, FarInstant, bounded_int, show_number, shown

__all__ = ["check", "validate"]



class _Checker:
    """The schema and what checking found so far: errors and warnings, in the order found."""

    def __init__(self, schema: Schema) -> None:
        self.schema = schema
        self.diagnostics: list[Diagnostic] = []
        self.hints: dict[str, str] = {}  # an unknown field's hint, by name

    def error(self, code: str, message: str, span: Span, hint: str | None = None) -> None:
        """Note an error at ``span``."""
        self.diagnostics.append(Diagnostic(code, message, span, hint))

    def warn(self, code: str, message: str, span: Span, hint: str | None = None) -> None:
        """Note a warning at ``span``."""
        self.diagnostics.append(Diagnostic(code, message, span, hint, "warning"))

    def field(self, name: str, span: Span) -> Field | None:
        """The schema's field ``name``; an ``unknown-field`` error (and None) when there is none."""
        f = self.schema.field(name)
        if f is None:
            hint = self.hints.get(name)
            if hint is None:
                # Bounded work: a spelling hint (difflib) for as many unknown names as people are
                # shown; past them, the list of fields. 999 unknown names took ~0.4 s of hints.
                near = suggest(name, self.schema.field_names) if len(self.hints) < MAX_SHOWN_DIAGNOSTICS else None
                hint = self.hints[name] = near or "fields are " + ", ".join(self.schema.field_names)
            self.error("unknown-field", f"unknown field '{name}'", span, hint)
        return f


# ---- conditions


def _value(checker: _Checker, f: Field, value: Value, span: Span, *, unvalidated: bool = False) -> tuple[bool, object]:
    if unvalidated and value == "" and f.type not in (FieldType.TEXT, FieldType.ENUM):
        # Elsewhere the reference's validator makes '' null; here the database gets '', which only
        # a text column (the enum's too) takes.
        checker.error(
            "empty-value",
            f"'{f.name}' beside an $or inside $and cannot be empty: the reference server hands "
            f"the '' to the database as written, which refuses it for {_article(f.type.value)} "
            f"{f.type.value} field",
            span,
            f"for null, write {f.name}= in an $and element of its own or at the top level",
        )
        return False, None
    try:
        typed = f.from_query(value) if isinstance(value, str) else f.from_python(value)
    except ValueProblem as problem:
        message = problem.message if f"'{f.name}'" in problem.message else f"'{f.name}': {problem.message}"
        checker.error(problem.code, message, span, problem.hint)
        return False, None
    if f.type is FieldType.TEXT and value in PLACEHOLDERS:
        checker.warn(
            "placeholder-value",
            f"'{value}' on '{f.name}' looks like an unset variable in the code that built the query",
            span,
            "if it is meant literally, this warning can be ignored",
        )
    return True, typed


def _condition(checker: _Checker, cond: Compare | Membership) -> Expr | None:
    f = checker.field(cond.field, cond.field_span)
    if f is None:
        return None
    if cond.op not in f.operators:
        text_fields = [x.name for x in checker.schema.fields if x.type is FieldType.TEXT]
        checker.error(
            "operator-not-allowed",
            f"'{cond.op.spelling}' does not apply to '{f.name}', {_article(f.type.value)} {f.type.value} field",
            cond.field_span.cover(cond.span) if cond.span.known else cond.field_span,
            f"{cond.op.spelling} applies to the text fields: " + ", ".join(text_fields),
        )
        return None
    if isinstance(cond, Membership):
        spans = cond.value_spans or (NOWHERE,) * len(cond.values)
        typed: list[object] = []
        good = True
        for v, span in zip(cond.values, spans, strict=True):
            ok, t = _value(checker, f, v, span, unvalidated=cond.unvalidated)
            good = good and ok
            typed.append(t)
        return replace(cond, values=tuple(typed)) if good else None  # type: ignore[arg-type]
    ok, t = _value(checker, f, cond.value, cond.value_span, unvalidated=cond.unvalidated)
    if ok and cond.op in PATTERN_OPS and isinstance(t, str) and ends_with_lone_escape(t):
        # PostgreSQL meets the lone backslash only on a value that matches up to it, and then
        # stops the query with an error (find does the same); on others the pattern is false.
        checker.warn(
            "pattern-escape-at-end",
            f"pattern '{t}' ends with a lone backslash, which escapes nothing: it matches no value, "
            "and PostgreSQL stops with an error on a value that matches up to it",
            cond.value_span,
            "write \\\\ (%5C%5C) for a literal backslash",
        )
    return replace(cond, value=t) if ok else None  # type: ignore[arg-type]


def _expr(checker: _Checker, expr: Expr) -> Expr | None:
    match expr:
        case Compare() | Membership():
            return _condition(checker, expr)
        case AllOf(items=items):
            typed = [_expr(checker, item) for item in items]
            if any(t is None for t in typed):
                return None
            _conjunction_warnings(checker, [t for t in typed if t is not None])
            return and_(*typed)
        case AnyOf(items=items):
            typed = [_expr(checker, item) for item in items]
            if any(t is None for t in typed):
                return None
            return or_(*(t for t in typed if t is not None))
    raise AssertionError(expr)  # pragma: no cover


# ---- warnings about what a query means


def _conjunction_warnings(checker: _Checker, items: Sequence[Expr]) -> None:
    """Warn of conditions in one AND that can never hold together."""
    conds = [c for c in items if isinstance(c, Compare)]
    by_field: dict[str, list[Compare]] = {}
    for c in conds:
        by_field.setdefault(c.field, []).append(c)
    for name, group in by_field.items():
        equal = [c for c in group if c.op is Op.EQ]
        distinct = len({_key(c.value) for c in equal})
        if distinct > 1:
            checker.warn(
                "contradiction",
                f"'{name}' must equal {distinct} different values at once; nothing matches",
                equal[1].span if equal[1].span.known else equal[1].field_span,
            )
        lows = [c for c in group if c.op in (Op.GT, Op.GTE) and c.value is not None]
        highs = [c for c in group if c.op in (Op.LT, Op.LTE) and c.value is not None]
        for low in lows:
            for high in highs:
                try:
                    empty = low.value > high.value or (  # type: ignore[operator]
                        low.value == high.value and (low.op is Op.GT or high.op is Op.LT)
                    )
                except TypeError:
                    continue
                if empty:
                    checker.warn(
                        "empty-range",
                        f"'{name}' {low.op.spelling} {_show(low.value)} and {high.op.spelling} "
                        f"{_show(high.value)} can never both hold",
                        high.span if high.span.known else high.field_span,
                        "check the bounds",
                    )


def _text_reply_warning(checker: _Checker, where: Expr | None) -> None:
    conds = list(_conditions(where))
    flags = [c for c in conds if c.field == "is_stopped_on_text_reply"]
    if not flags or checker.schema.field("type") is None:
        return
    texts_only = any(
        (isinstance(c, Compare) and c.op is Op.EQ and c.value == "Text Contact")
        or (isinstance(c, Membership) and c.op is Op.IN and set(c.values) == {"Text Contact"})
        for c in conds
        if c.field == "type"
    )
    if not texts_only:
        checker.warn(
            "text-reply-without-type",
            "is_stopped_on_text_reply is only relevant when type = Text Contact",
            flags[0].field_span,
            "add type=Text%20Contact",
        )


# ---- the query and its filters


def _query(checker: _Checker, query: Query) -> Query:
    where = _expr(checker, query.where) if query.where is not None else None
    _text_reply_warning(checker, where)
    limit = _count(checker, "$limit", query.limit, query.limit_span)
    if isinstance(limit, int) and checker.schema.max_limit is not None and limit > checker.schema.max_limit:
        checker.warn(
            "limit-lowered",
            f"$limit {limit} is above the maximum page size and is lowered to {checker.schema.max_limit}",
            query.limit_span,
            "page with $skip",
        )
        limit = checker.schema.max_limit
    skip = _count(checker, "$skip", query.skip, query.skip_span)
    sort = tuple(s for s in (_sort(checker, s) for s in query.sort) if s is not None)
    if query.select is not None:
        spans = query.select_spans or (NOWHERE,) * len(query.select)
        for name, span in zip(query.select, spans, strict=True):
            if name == "" and len(query.select) == 1:
                checker.error(
                    "unknown-field",
                    "an empty $select names no field (the reference server ignores $select= and "
                    "returns whole records)",
                    span,
                    "leave $select out for whole records, or name a field: $select[]=id",
                )
            elif name == "":
                checker.error("unknown-field", "an empty field name in $select", span, "remove the empty item")
            elif "," in name and checker.schema.field(name) is None:
                checker.error(
                    "unknown-field",
                    f"unknown field '{name}': $select does not split at commas",
                    span,
                    "name one field per item: " + "&".join(f"$select[]={n}" for n in name.split(",")),
                )
            else:
                checker.field(name, span)
        if len(query.select) > len(checker.schema.fields):
            checker.error(
                "too-many-fields",
                f"$select names {len(query.select)} fields; at most {len(checker.schema.fields)} are allowed",
                spans[len(checker.schema.fields)].cover(spans[-1]),
                "name each field once",
            )
    if query.load is not None:
        spans = query.load_spans or (NOWHERE,) * len(query.load)
        names = [r.name for r in checker.schema.relations]
        for name, span in zip(query.load, spans, strict=True):
            if checker.schema.relation(name) is None:
                hint = suggest(name, names) or ("relations are " + ", ".join(names) if names else None)
                checker.error("unknown-relation", f"unknown relation '{name}' in $load", span, hint)
    return replace(query, where=where, limit=limit, skip=skip, sort=sort)


_COUNT_MAX = {"$limit": PLAIN_NUMBER_MAX, "$skip": SAFE_INTEGER_MAX}
_COUNT_WHY = {
    "$limit": "past which the server's JavaScript writes it 1e+21 and reads that as 1",
    "$skip": "the largest the server's JavaScript holds exactly",
}


def _count(checker: _Checker, name: str, value: str | int | None, span: Span) -> int | None:
    """``$limit`` or ``$skip``: a whole number from 0 (``-0`` is 0) to ``_COUNT_MAX[name]``.

    The server reads both as JavaScript numbers. A ``$skip`` past 2**53 - 1 is rounded to
    another; a ``$limit`` past ``PLAIN_NUMBER_MAX`` reads as 1 (``1e+21``), while a smaller one
    is lowered to the maximum whatever its rounding. querylang refuses what the server would
    misread (docs/semantics.md: no JavaScript accidents); a number of thousands of digits is never converted.
    """
    if value is None:
        return None
    highest = _COUNT_MAX[name]
    number: int | None
    if isinstance(value, int) and not isinstance(value, bool):
        number = value if 0 <= value <= highest else None
        negative, written = value < 0, shown(value)
    elif (
        isinstance(value, str)
        and value.isascii()
        and (value.isdigit() or (value[:1] == "-" and value[1:].isdigit()))
    ):
        number = bounded_int(value, 0, highest)
        negative, written = value.strip("-0") != "" and value[0] == "-", show_number(value)
    else:
        right = f"a whole number from 0 to {checker.schema.max_limit}" if name == "$limit" else "a whole number from 0"
        checker.error(
            "not-an-integer",
            f"{name} '{show_number(str(value))}' is not a whole number",
            span,
            f"use {right}" + ("; an unencoded '+' arrives as a space" if str(value).strip() != str(value) else ""),
        )
        return None
    if number is None and negative:
        checker.error("out-of-range", f"{name} {written} is negative", span, "use a whole number from 0")
    elif number is None:
        checker.error(
            "out-of-range",
            f"{name} {written} is too large",
            span,
            f"use a whole number up to {highest}, {_COUNT_WHY[name]}",
        )
    return number


def _sort(checker: _Checker, key: Sort) -> Sort | None:
    f = checker.field(key.field, key.field_span)
    direction = key.direction
    if direction in ("1", 1):
        d = 1
    elif direction in ("-1", -1):
        d = -1
    else:
        checker.error(
            "bad-direction",
            f"sort direction '{direction}' for '{key.field}' is neither 1 nor -1",
            key.direction_span,
            "use 1 for ascending, -1 for descending",
        )
        return None
    return replace(key, direction=d) if f is not None else None


def _conditions(expr: Expr | None) -> list[Compare | Membership]:
    if expr is None:
        return []
    if isinstance(expr, Compare | Membership):
        return [expr]
    return [c for item in expr.items for c in _conditions(item)]


def _key(value: object) -> object:
    return value.isoformat() if isinstance(value, datetime) else value


def _show(value: object) -> str:
    return format_value(value) if isinstance(value, datetime | FarInstant) else repr(value)


def _article(word: str) -> str:
    return "an" if word[:1] in "aeiou" else "a"


def _collect(query: Query | str | object, schema: Schema | None) -> tuple[Query | None, list[Diagnostic], str]:
    """Read and validate; every diagnostic found, and the typed query when there is no error."""
    schema = schema or CONTACT_COMMUNICATIONS
    text = query if isinstance(query, str) else ""
    named: list[tuple[str, Span]] = []
    if isinstance(query, str):
        parsed, problems, named = build_partial(structure(read_params(query)))
    else:
        parsed, problems = as_query(query), []
    checker = _Checker(schema)
    typed = _query(checker, parsed)
    for name, span in named:  # fields whose conditions broke a shape rule are still checked
        checker.field(name, span)
    found = list(dict.fromkeys([*parsed.warnings, *problems, *checker.diagnostics]))
    found.sort(key=lambda d: (d.span.start, d.span.end))
    errors = [d for d in found if d.severity == "error"]
    if errors:
        return None, found, text
    return replace(typed, warnings=tuple(d for d in found if d.severity == "warning")), found, text


def lone_escapes(query: Query, why: str) -> list[Diagnostic]:
    r"""``bad-pattern`` at each pattern of a typed query that ends in a lone backslash (``a\``).

    ``find`` in memory runs such a pattern as PostgreSQL does; the service and the SQL engines
    refuse it up front (docs/semantics.md section 4), saying ``why`` at the end of the message.
    """
    return [
        Diagnostic(
            "bad-pattern",
            f"'{cond.field}' {cond.op.spelling}: the pattern ends with a lone backslash, which escapes nothing; {why}",
            cond.value_span,
            "write \\\\ (%5C%5C) for a literal backslash",
        )
        for cond in _conditions(query.where)
        if isinstance(cond, Compare) and cond.op in PATTERN_OPS and isinstance(cond.value, str)
        and ends_with_lone_escape(cond.value)
    ]


def validate(query: Query | str | object, schema: Schema | None = None) -> Query:
    """Type a query against a schema, or explain every reason it cannot be typed.

    ``validate("is_active=true&send_at[$gte]=2019-01-01&$sort[send_at]=-1")`` gives the query
    with ``True``, ``datetime(2019, 1, 1, tzinfo=UTC)`` and direction ``-1``.

    Args:
        query: query text, or a ``Query`` read or built earlier (a typed one validates again
            to itself).
        schema: the fields to check against; the contact-communication schema by default.

    Returns:
        The typed query; its ``warnings`` hold what was noticed without refusing it.

    Raises:
        QuerySyntaxError: the text cannot be read.
        QueryValidationError: every problem, each pointing at the text.
    """
    try:
        typed, found, text = _collect(query, schema)
    except QueryError as error:
        raise error.with_text(query if isinstance(query, str) else "") from None
    if typed is None:
        raise QueryValidationError([d for d in found if d.severity == "error"], text)
    return typed


def check(query: Query | str | object, schema: Schema | None = None) -> list[Diagnostic]:
    """Every problem of a query, errors and warnings, in the order of the text; never raises.

    An empty list means the reference server would accept the query as querylang reads it.

    Args:
        query: query text, or a ``Query``.
        schema: the fields to check against; the contact-communication schema by default.

    Returns:
        The diagnostics; a text that cannot be read gives its one syntax error.
    """
    try:
        return _collect(query, schema)[1]
    except QuerySyntaxError as error:
        return list(error.diagnostics)
