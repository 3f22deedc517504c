"""Typed query -> compiled predicate, sort key, projection and streaming window, built once per query.

``compile`` validates a query, then writes one small Python module for it: the conditions
become straight-line tests, ordered cheap first (booleans, integers, equality, then date-times,
then patterns), and each record value is read and coerced only when a test first needs it. Only
names made here go into that source; every field name and value from the query is bound
through the namespace, never formatted into the text (STYLE.md, "Compile and evaluate").

The SQL rules it follows (SEMANTICS.md section 4, the reference being PostgreSQL):

- A record's missing key is null (section 4): values are read as ``record[name]``, and a
  ``KeyError`` gives ``None``.
- Record values are coerced as ``Field.from_record`` does (sections 3, 4): CSV text such as
  ``"true"``, ``"42"`` or ``""`` (null on a nullable non-text field) becomes a typed value; one
  that does not fit raises ``RecordError`` naming the field (and, from a scan, the record).
- Date-times compare as instants (section 4): record strings with any offset and ``datetime``
  objects are normalised to UTC, as the query's bounds already are.
- Three-valued logic (section 4): a comparison with null is unknown and does not match, so
  ``$ne``, ``$nin``, ``$notlike`` and the ranges never match a null field; a null inside ``$in``
  matches nothing; a null inside ``$nin`` makes ``NOT IN`` unknown for every row, so nothing
  matches (PostgreSQL's ``x NOT IN (1, NULL)``). Only ``field=`` null (IS NULL) and
  ``field[$ne]=`` null (IS NOT NULL) test for null.
- ``$like`` (section 4): ``%`` any run, ``_`` one character, a backslash escapes the next
  character and a trailing lone backslash is literal; case-sensitive; the whole value must
  match. ``$ilike`` matches after ``like.fold_case`` of both sides; ``$notlike`` is NOT LIKE. The
  matcher never backtracks: it finds the fixed-length pieces between ``%`` leftmost-first.
- Text compares by code point, booleans as ``false < true`` (sections 3, 4): Python's order.
- Sort (section 4): ascending puts nulls last, descending puts them first; ties keep the input
  order (every sort here is stable).
- Order of work (section 4): filter, count ``total``, sort, skip, limit; the caller (``evaluate``)
  then selects and loads.
"""

from __future__ import annotations

import builtins
import dataclasses
import functools
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from operator import itemgetter, length_hint
from typing import Any, TypeAlias

from ..ast import PATTERN_OPS, AllOf, AnyOf, Compare, Expr, Membership, Op, Query
from ..errors import Diagnostic, QueryValidationError
from ..like import EscapeAtEnd, ends_with_lone_escape, fold_case, like_plan
from ..schema import CONTACT_COMMUNICATIONS, Field, FieldType, RecordError, Schema, ValueProblem
from ..validate import validate

__all__ = ["Compiled", "OnError", "compile", "stops_postgres"]

Record: TypeAlias = Mapping[str, Any]
OnError: TypeAlias = Callable[[int, RecordError], None]
"""Called with a record's 0-based index and its error; return to skip the record, raise to stop."""

_ALL = sys.maxsize  # "no limit" for the scans
_NO_MAX = 2**63 - 1  # a schema maximum that never lowers $limit


# ---------------------------------------------------------------- record values


def bad_value(name: str, problem: ValueProblem) -> RecordError:
    """The ``RecordError`` of a record value that does not fit field ``name``."""
    return RecordError([Diagnostic(problem.code, f"field '{name}': {problem.message}", hint=problem.hint)])


def _coercer(f: Field) -> Callable[[object], object]:
    """``Field.from_record`` raising ``RecordError`` that names the field."""
    from_record = f.from_record
    name = f.name

    def coerce(value: object) -> object:
        try:
            return from_record(value)
        except ValueProblem as problem:
            raise bad_value(name, problem) from None

    return coerce


class _Flip:
    """A sort-key part whose order is reversed (a descending field in an ascending key)."""

    __slots__ = ("key",)

    def __init__(self, key: Any) -> None:
        self.key = key

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Flip) and self.key == other.key

    def __hash__(self) -> int:
        return hash(self.key)

    def __lt__(self, other: _Flip) -> bool:
        return bool(other.key < self.key)

    def __gt__(self, other: _Flip) -> bool:
        return bool(self.key < other.key)

    def __le__(self, other: _Flip) -> bool:
        return not self.key < other.key

    def __ge__(self, other: _Flip) -> bool:
        return not other.key < self.key

    def __repr__(self) -> str:
        return f"_Flip({self.key!r})"


def _not_a_record(record: object, error: TypeError, predicate: Callable[[Record], bool]) -> RecordError:
    """The error of a record that a scan's quick tests choked on (``TypeError``).

    Either it is not a mapping, or a value is of a type no quick test expected (a list where
    text belongs); the standalone predicate, which coerces before it tests, names the field.
    """
    if not isinstance(record, Mapping):
        return RecordError([Diagnostic("not-a-record", f"{type(record).__name__} is not a record (a JSON object)")])
    try:
        predicate(record)
    except RecordError as named:
        return named
    raise error


def _raise_at(index: int, error: RecordError) -> None:
    d = error.diagnostic
    raise RecordError([Diagnostic(d.code, f"record {index}: {d.message}", hint=d.hint)]) from None


# ---------------------------------------------------------------- code generation

_TYPE_COST = {
    FieldType.BOOLEAN: 1,
    FieldType.INTEGER: 2,
    FieldType.NUMBER: 2,
    FieldType.ENUM: 3,
    FieldType.TEXT: 3,
    FieldType.DATETIME: 8,
}
_OP_COST = {Op.LIKE: 10, Op.NOTLIKE: 10, Op.ILIKE: 12, Op.IN: 1, Op.NIN: 1}


def _rejects_null(cond: Compare | Membership) -> bool:
    """Whether the condition fails on null (all but IS NULL)."""
    return not (isinstance(cond, Compare) and cond.op is Op.EQ and cond.value is None)


def _needs_null_guard(cond: Compare | Membership) -> bool:
    """Whether the test would misread null unless null is rejected first (``!=``, ``<``, ...)."""
    if isinstance(cond, Membership):
        return cond.op is Op.NIN
    return cond.op is not Op.EQ and not (cond.op is Op.NE and cond.value is None)


def stops_postgres(cond: Compare | Membership) -> bool:
    """Whether the condition is a pattern ending in a lone backslash (see ``_stopping``).

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
    """``match``, raising what PostgreSQL raises where it stops on a trailing lone backslash."""

    def run(text: str) -> bool:
        try:
            return match(text)
        except EscapeAtEnd:
            raise QueryValidationError(
                [
                    Diagnostic(
                        "bad-pattern",
                        f"'{cond.field}' {cond.op.spelling}: the pattern ends with a lone backslash, and PostgreSQL "
                        f"stops the query with an error on the value {text!r}, which matches up to it",
                        cond.value_span,
                        "write \\\\ (%5C%5C) for a literal backslash",
                    )
                ]
            ) from None

    return run


class _Gen:
    """Source lines and the namespace they are compiled in; names are made here only."""

    def __init__(self, schema: Schema) -> None:
        self.schema = schema
        self.ns: dict[str, object] = {"RecordError": RecordError, "LENGTH_HINT": length_hint}
        self.memo: dict[tuple[str, object], str] = {}
        self.defs: list[str] = []
        self.alts = 0

    def bind(self, prefix: str, value: object, memo: object = None) -> str:
        """A new name for ``value`` in the namespace; the same name again for the same ``memo``."""
        if memo is not None and (prefix, memo) in self.memo:
            return self.memo[prefix, memo]
        name = f"{prefix}{len(self.ns)}"
        self.ns[name] = value
        if memo is not None:
            self.memo[prefix, memo] = name
        return name

    def field(self, name: str) -> Field:
        f = self.schema.field(name)
        assert f is not None, name  # validated
        return f

    def coercer(self, name: str) -> str:
        return self.memo.get(("C", name)) or self.bind("C", _coercer(self.field(name)), name)

    def cost(self, expr: Expr) -> int:
        if isinstance(expr, Compare | Membership):
            if stops_postgres(expr):
                # First, so that it meets every record: PostgreSQL tests such a pattern on every
                # row, whatever the other conditions, and stops on the first it reaches the end with.
                return -1000
            return _TYPE_COST[self.field(expr.field).type] + _OP_COST.get(expr.op, 0)
        return sum(self.cost(item) for item in expr.items)

    # ---- reading one field

    def read(self, name: str, var: str, pad: str) -> list[str]:
        """Lines that set ``var`` to the raw value of field ``name`` of record ``r`` (None if missing)."""
        key = self.bind("K", name, name)
        return [f"{pad}try:", f"{pad}    {var} = r[{key}]", f"{pad}except KeyError:", f"{pad}    {var} = None"]

    def load(self, name: str, var: str, pad: str, fail: str | None = None) -> list[str]:
        """Lines that set ``var`` to the typed value of field ``name`` of record ``r``.

        With ``fail``, a null value runs it; the checks sit on the paths that can give null.
        """
        f = self.field(name)
        co = self.coercer(name)
        lines = self.read(name, var, pad)
        reject = [f"{pad}        if {var} is None:", f"{pad}            {fail}"] if fail else []
        kind = f.type
        if kind is FieldType.DATETIME:
            # PERF: fromisoformat reads the export form (2019-01-01T11:00:00.000Z) directly; a
            # result not in UTC, a possible 7-digit fraction (PostgreSQL rounds it; fromisoformat
            # truncates) and anything else go through from_record.
            iso = self.bind("FROMISO", datetime.fromisoformat, 0)
            utc = self.bind("UTC", UTC, 0)
            inner = pad
            if f.nullable and fail:
                lines += [f"{pad}if {var} is None:", f"{pad}    {fail}"]
            elif f.nullable:
                lines.append(f"{pad}if {var} is not None:")
                inner = pad + "    "
            return [
                *lines,
                f"{inner}try:",
                f"{inner}    d = {iso}({var})",
                f"{inner}except (ValueError, TypeError):",
                f"{inner}    {var} = {co}({var})",
                *[line.replace(pad + "    ", inner, 1) for line in reject],
                f"{inner}else:",
                f"{inner}    {var} = d if d.tzinfo is {utc} and len({var}) < 27 else {co}({var})",
            ]
        if kind is FieldType.BOOLEAN:
            test = f"{var} is not True and {var} is not False"
        elif kind is FieldType.INTEGER:
            test = f"{var}.__class__ is not int"
        elif kind is FieldType.NUMBER:
            test = f"{var}.__class__ is not int and {var}.__class__ is not float"
        elif kind is FieldType.TEXT:
            test = f"{var}.__class__ is not str"
        else:
            test = f"{var}.__class__ is not str or {var} not in {self.bind('E', frozenset(f.values), name)}"
        if fail:
            return [
                *lines,
                f"{pad}if {test}:",
                f"{pad}    if {var} is None:",
                f"{pad}        {fail}",
                f"{pad}    {var} = {co}({var})",
                f"{pad}    if {var} is None:",  # "" in a CSV cell
                f"{pad}        {fail}",
            ]
        if f.nullable and kind is not FieldType.BOOLEAN:
            test = f"{var} is not None and ({test})"
        return [*lines, f"{pad}if {test}:", f"{pad}    {var} = {co}({var})"]

    def optimistic(self, cond: Compare | Membership, var: str, fail: str, pad: str) -> list[str] | None:
        """Read and test in one go, coercing only when the raw value fails the test.

        Only for tests that a raw value can pass only by being a valid typed value already:
        ``is True``, equality with or membership in text, IS NULL. None for any other test.
        """
        f = self.field(cond.field)
        kind = f.type
        text = kind is FieldType.TEXT or kind is FieldType.ENUM
        if isinstance(cond, Membership):
            if cond.op is not Op.IN or not text or None in cond.values:
                return None
            raw_fails = f"{var} not in {self.bind('S', frozenset(cond.values))}"
        elif cond.op is not Op.EQ:
            return None
        elif cond.value is None:
            raw_fails = f"{var} is not None"
        elif kind is FieldType.BOOLEAN:
            raw_fails = f"{var} is not {self.bind('X', cond.value)}"
        elif text:
            raw_fails = f"{var} != {self.bind('X', cond.value)}"
        else:
            return None
        co = self.coercer(cond.field)
        value = cond.value if isinstance(cond, Compare) else cond.values[0]
        if value is None:
            valid = ""  # IS NULL: "" may be null (CSV), so every value not None is coerced
        elif kind is FieldType.BOOLEAN:
            valid = f"{var} is {self.bind('X', not value)}"
        elif kind is FieldType.ENUM:
            valid = f"{var}.__class__ is str and {var} in {self.bind('E', frozenset(f.values), cond.field)}"
        else:
            valid = f"{var}.__class__ is str"
        lines = [*self.read(cond.field, var, pad), f"{pad}if {raw_fails}:"]
        if valid:
            lines += [f"{pad}    if {valid}:", f"{pad}        {fail}"]
        lines += [f"{pad}    {var} = {co}({var})", f"{pad}    if {raw_fails}:", f"{pad}        {fail}"]
        return lines

    # ---- tests

    def test(self, cond: Compare | Membership, var: str, fail: str, pad: str) -> list[str]:
        """Lines that run ``fail`` unless ``cond`` holds for the typed ``var``.

        ``var`` is known non-null here when the condition needs it (see ``conjunction``).
        """
        f = self.field(cond.field)
        if isinstance(cond, Membership):
            values = frozenset(v for v in cond.values if v is not None)
            if cond.op is Op.IN:
                if not values:
                    return [f"{pad}{fail}"]  # IN (NULL) matches nothing
                return [f"{pad}if {var} not in {self.bind('S', values)}:", f"{pad}    {fail}"]
            if None in cond.values:
                return [f"{pad}{fail}"]  # NOT IN (..., NULL) is never true
            return [f"{pad}if {var} in {self.bind('S', values)}:", f"{pad}    {fail}"]
        op, value = cond.op, cond.value
        if value is None:
            if op is Op.EQ or op is Op.NE:
                check = "is not" if op is Op.EQ else "is"  # IS NULL / IS NOT NULL
                return [f"{pad}if {var} {check} None:", f"{pad}    {fail}"]
            return [f"{pad}{fail}"]  # `< NULL` and the other ranges are unknown: never true
        if op in PATTERN_OPS:
            subject, pattern = var, str(value)
            if op is Op.ILIKE:
                # fold_case, with the usual ASCII case inline.
                fold = self.bind("F", fold_case, memo="fold_case")
                subject, pattern = f"({var}.lower() if {var}.isascii() else {fold}({var}))", fold_case(pattern)
            kind, arg = like_plan(pattern)
            if stops_postgres(cond):
                arg = _stopping(arg, cond)
            x = self.bind("X", arg)
            expr = {
                "eq": f"{subject} == {x}",
                "in": f"{x} in {subject}",
                "prefix": f"{subject}.startswith({x})",
                "suffix": f"{subject}.endswith({x})",
                "call": f"{x}({subject})",
            }[kind]
            return [f"{pad}if {expr if op is Op.NOTLIKE else f'not ({expr})'}:", f"{pad}    {fail}"]
        x = self.bind("X", value)
        if f.type is FieldType.BOOLEAN and op in (Op.EQ, Op.NE):
            return [f"{pad}if {var} {'is not' if op is Op.EQ else 'is'} {x}:", f"{pad}    {fail}"]
        negated = {Op.EQ: "!=", Op.NE: "==", Op.LT: ">=", Op.LTE: ">", Op.GT: "<=", Op.GTE: "<"}[op]
        return [f"{pad}if {var} {negated} {x}:", f"{pad}    {fail}"]

    def conjunction(
        self, items: Sequence[Expr], fail: str, pad: str, loaded: dict[str, str], *, eager: bool = False
    ) -> tuple[list[str], set[str]]:
        """Lines running ``fail`` unless every item holds, and the fields then known non-null.

        Items run cheapest first; a field is read when its first test needs it. With ``eager``
        every value is coerced before it is tested (the standalone predicate does this, so that
        it names a bad value that the scan's optimistic tests pass over).
        """
        conds = [c for c in items if isinstance(c, Compare | Membership)]
        guarded = {c.field for c in conds if _needs_null_guard(c)}
        nonnull = {c.field for c in conds if _rejects_null(c)}
        lines: list[str] = []
        for item in sorted(items, key=self.cost):
            if isinstance(item, Compare | Membership):
                var = loaded.get(item.field)
                if var is not None:
                    lines += self.test(item, var, fail, pad)
                    continue
                var = loaded[item.field] = f"v{len(loaded)}"
                quick = None if eager else self.optimistic(item, var, fail, pad)
                if quick is not None:
                    lines += quick
                    if item.field in guarded and isinstance(item, Compare) and item.value is None:
                        lines += [f"{pad}if {var} is None:", f"{pad}    {fail}"]  # IS NULL and a comparison
                    continue
                lines += self.load(item.field, var, pad, fail if item.field in guarded else None)
                lines += self.test(item, var, fail, pad)
            elif isinstance(item, AnyOf):
                calls = " or ".join(f"{self.alternative(alt, eager=eager)}(r)" for alt in item.items)
                lines += [f"{pad}if not ({calls}):", f"{pad}    {fail}"]
            else:  # pragma: no cover - AllOf is flattened into its parent
                raise AssertionError(item)
        return lines, nonnull

    def alternative(self, expr: Expr, *, eager: bool) -> str:
        """A function for one ``$or`` alternative; its name."""
        name = f"alt{self.alts}"
        self.alts += 1
        items = expr.items if isinstance(expr, AllOf) else (expr,)
        body, _ = self.conjunction(items, "return False", "    ", {}, eager=eager)
        self.defs.append("\n".join([f"def {name}(r):", *body, "    return True"]))
        return name


def _items(where: Expr | None) -> tuple[Expr, ...]:
    if where is None:
        return ()
    return where.items if isinstance(where, AllOf) else (where,)


# The scans: a list or tuple is walked without enumerate (a record's index is worked out from
# the iterator's length hint when an error needs it); any other iterable is enumerated.
_LOOP = {
    True: ("it = iter(records)", "for r in it:", "len(records) - LENGTH_HINT(it) - 1"),
    False: ("it = enumerate(records)", "for i, r in it:", "i"),
}

_WINDOW = """
def {name}(records, start, stop, on_error, *, {defaults}):
    total = 0
    rows = []
    append = rows.append
    i = -1
    r = None
    {start}
    while True:
        try:
            {loop}
{body}
                if start <= total < stop:
                    append(r)
                total += 1
            return total, rows
        except RecordError as error:
            on_error({index}, error)
        except TypeError as error:
            on_error({index}, NOT_RECORD(r, error, predicate))
"""

_TOP = """
def {name}(records, keep, on_error, *, {defaults}):
    total = 0
    buf = []
    append = buf.append
    cap = max(2 * keep, 1024) if keep < {all} else {all}
    worst = None
    full = False
    i = -1
    r = None
    {start}
    while True:
        try:
            {loop}
{body}
{keyload}
                total += 1
                k = {key}
                if full and not {better}:
                    continue
                append((k, r))
                if len(buf) >= cap:
                    buf.sort(key={first}, reverse={reverse})
                    del buf[keep:]
                    worst = buf[-1][0]
                    full = True
            buf.sort(key={first}, reverse={reverse})
            del buf[keep:]
            return total, [row for _, row in buf]
        except RecordError as error:
            on_error({index}, error)
        except TypeError as error:
            on_error({index}, NOT_RECORD(r, error, predicate))
"""


def _key_expr(parts: Sequence[tuple[str, int, bool]], first: int, flip: str) -> str:
    """A sort key over ``(var, direction, nonnull)`` parts, nulls counting as largest.

    Parts whose direction is not the first field's are wrapped in ``flip``.
    """
    exprs = []
    for var, direction, nonnull in parts:
        part = var if nonnull else f"({var} is None, {var})"
        exprs.append(part if direction == first else f"{flip}({part})")
    return exprs[0] if len(exprs) == 1 else "(" + ", ".join(exprs) + ",)"


def _generate(query: Query, schema: Schema) -> tuple[Callable[..., dict[str, Any]], str]:
    """A function compiling the query's functions by name, and the source of them all."""
    g = _Gen(schema)
    g.ns["NOT_RECORD"] = _not_a_record
    items = _items(query.where)
    predicate_body, _ = g.conjunction(items, "return False", "    ", {}, eager=True)
    loaded: dict[str, str] = {}
    scan_body, nonnull = g.conjunction(items, "continue", " " * 16, loaded)
    body = "\n".join(scan_body) or "                pass"
    functions = {"predicate": "\n".join(["def predicate(r):", *predicate_body, "    return True"])}
    top: dict[str, object] = {}
    if query.sort:
        flip, first_getter = g.bind("FLIP", _Flip), g.bind("FIRST", itemgetter(0))
        keyload: list[str] = []
        parts = []
        for s in query.sort:
            var = loaded.get(s.field)
            if var is None:
                var = loaded[s.field] = f"v{len(loaded)}"
                keyload += g.load(s.field, var, " " * 16)
            parts.append((var, int(s.direction), s.field in nonnull))
        reverse = int(query.sort[0].direction) < 0
        top = {
            "all": _ALL,
            "keyload": "\n".join(keyload) or "                pass",
            "key": _key_expr(parts, int(query.sort[0].direction), flip),
            "better": "worst < k" if reverse else "k < worst",
            "reverse": reverse,
            "first": first_getter,
        }
        # The public key sorts ascending with sorted() or heapq.nsmallest: every descending part flips.
        public_load: list[str] = []
        public_parts = []
        for n, s in enumerate(query.sort):
            public_load += g.load(s.field, f"v{n}", "    ")
            public_parts.append((f"v{n}", int(s.direction), False))
        functions["sort_key"] = "\n".join(
            ["def sort_key(r):", *public_load, f"    return {_key_expr(public_parts, 1, flip)}"]
        )
    # PERF: the scans take the namespace as keyword defaults: fast locals, not closure cells.
    defaults = ", ".join(f"{n}={n}" for n in g.ns)
    for seq in (True, False):
        start, loop, index = _LOOP[seq]
        suffix = "_seq" if seq else ""
        common = {"start": start, "loop": loop, "index": index, "body": body, "defaults": defaults}
        functions["window" + suffix] = _WINDOW.format(name="window" + suffix, **common)
        if top:
            functions["top" + suffix] = _TOP.format(name="top" + suffix, **common, **top)

    def build(*wanted: str) -> dict[str, Any]:
        """Compile the named functions (and the predicate, which the scans use) in one factory."""
        names = ["predicate", *wanted]
        text = _factory_source(g, [functions[n] for n in names], names)
        namespace: dict[str, Any] = {}
        exec(builtins.compile(text, "<querylang query>", "exec"), namespace)  # only names made here
        made: dict[str, Any] = namespace["_factory"](**g.ns)
        return made

    # PERF: compiling every scan costs milliseconds; each is compiled when first used.
    return build, _factory_source(g, list(functions.values()), list(functions))


def _factory_source(g: _Gen, functions: list[str], names: list[str]) -> str:
    params = ", ".join(g.ns)
    made = ", ".join(f"{n!r}: {n}" for n in names)
    return f"def _factory({params}):\n{_indent(chr(10).join(g.defs + functions))}\n    return {{{made}}}\n"


def _indent(text: str) -> str:
    return "\n".join(("    " + line) if line.strip() else "" for line in text.split("\n"))


# ---------------------------------------------------------------- the compiled query


@dataclass(frozen=True, slots=True)
class Compiled:
    """A query compiled for evaluation over records (mappings of field name to value).

    ``window`` streams records into ``(total, rows)``; ``querylang.find(records, compiled)``
    (or ``evaluate.evaluate``) adds the page's limits, ``$select`` and ``$load``.

    Attributes:
        query: the typed query (``$limit`` lowered to the schema's maximum).
        schema: the schema it was typed against.
        written_limit: ``$limit`` as written, before lowering, or None.
        fields: the fields the conditions and the sort read.
        predicate: ``predicate(record) -> bool``; raises ``RecordError`` naming the field of a
            value that does not fit.
        sort_key: ``sort_key(record)``, a key for ``sorted`` or ``heapq.nsmallest`` giving the
            ``$sort`` order (nulls last ascending, first descending); None without ``$sort``.
        project: ``project(record) -> dict`` with exactly the ``$select`` fields (missing ones
            null); None without ``$select``.
        source: the generated Python source, for debugging.
    """

    query: Query
    schema: Schema
    written_limit: int | None
    fields: tuple[str, ...]
    predicate: Callable[[Record], bool]
    sort_key: Callable[[Record], Any] | None
    project: Callable[[Record], dict[str, Any]] | None
    source: str = dataclasses.field(repr=False)
    _build: Callable[..., dict[str, Any]] = dataclasses.field(repr=False)
    _scans: dict[str, Callable[..., tuple[int, list[Record]]]] = dataclasses.field(repr=False, default_factory=dict)

    def window(
        self, records: Iterable[Record], skip: int = 0, limit: int | None = None, on_error: OnError | None = None
    ) -> tuple[int, list[Record]]:
        """Filter, count, sort, skip and limit in one pass over ``records``, read once.

        Without ``$sort`` only the rows of the window are kept; with ``$sort`` and a limit, at
        most about ``2 * (skip + limit)`` rows are held while reading.

        Args:
            records: any iterable of mappings; read once.
            skip: rows to leave out from the start of the sorted matches.
            limit: rows to return at most; None for every match.
            on_error: called with the index and error of a record whose value does not fit;
                it returns to skip the record or raises. By default ``RecordError`` is raised,
                naming the record's index and the field.

        Returns:
            ``(total, rows)``: the number of matches and the rows of the window, which are the
            caller's own record objects.
        """
        handler = on_error or _raise_at
        stop = _ALL if limit is None else skip + limit
        seq = "_seq" if records.__class__ is list or records.__class__ is tuple else ""
        if not self.query.sort or limit == 0:
            return self._scan("window" + seq)(records, skip, skip if limit == 0 else stop, handler)
        total, rows = self._scan("top" + seq)(records, stop, handler)
        return total, rows[skip:]

    def _scan(self, name: str) -> Callable[..., tuple[int, list[Record]]]:
        scan = self._scans.get(name)
        if scan is None:
            scan = self._scans[name] = self._build(name)[name]
        return scan


def _projection(names: tuple[str, ...]) -> Callable[[Record], dict[str, Any]]:
    def project(record: Record) -> dict[str, Any]:
        return {name: record.get(name) for name in names}

    return project


def _fields(expr: Expr | None) -> list[str]:
    if expr is None:
        return []
    if isinstance(expr, Compare | Membership):
        return [expr.field]
    return [name for item in expr.items for name in _fields(item)]


@functools.lru_cache(maxsize=64)
def _unbounded(schema: Schema) -> Schema:
    return dataclasses.replace(schema, max_limit=_NO_MAX)


def compile(query: Query | str | object, schema: Schema | None = None) -> Compiled:
    """Validate a query and compile it for evaluation over records.

    ``compile("send_at[$gte]=2019-01-01&$sort[send_at]=-1").predicate(record)`` tests one
    record; ``evaluate``/``find`` run the whole page.

    Args:
        query: query text, a ``Query`` AST (typed or not), or a builder query.
        schema: the fields; the contact-communication schema by default.

    Returns:
        The ``Compiled`` query: predicate, sort key, projection and streaming window.

    Raises:
        QuerySyntaxError: the text cannot be read.
        QueryValidationError: every problem of a query that is not valid.
    """
    if isinstance(query, Compiled):
        return query
    schema = schema or CONTACT_COMMUNICATIONS
    if isinstance(query, str):
        return _compile_text(query, schema)
    return _compile(query, schema)


@functools.lru_cache(maxsize=256)
def _compile_text(text: str, schema: Schema) -> Compiled:
    return _compile(text, schema)


def _compile(query: object, schema: Schema) -> Compiled:
    typed = validate(query, schema)
    written = typed.limit
    if any(w.code == "limit-lowered" for w in typed.warnings):
        written = validate(query, _unbounded(schema)).limit
    assert written is None or isinstance(written, int)
    build, source = _generate(typed, schema)
    made = build("sort_key") if typed.sort else build()
    touched = dict.fromkeys(_fields(typed.where) + [s.field for s in typed.sort])
    return Compiled(
        query=typed,
        schema=schema,
        written_limit=written,
        fields=tuple(touched),
        predicate=made["predicate"],
        sort_key=made.get("sort_key"),
        project=_projection(typed.select) if typed.select is not None else None,
        source=source,
        _build=build,
    )
