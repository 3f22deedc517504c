"""Typed query -> predicate, sort key and scans made of closures, for queries too large to generate code for.

Generating and compiling Python costs time and memory in proportion to the number of tests
(a 999-branch ``$or`` took ~0.6 s and 44 MiB); closures cost a tenth of that to build, and 2 to
10 times more per record. ``compile`` uses them above ``compile.CLOSURES_ABOVE`` tests. They follow the same
``plan`` as the generated code (``codegen``, ``scans``): the same order of tests, the same
optimistic reads and null guards, the same errors, so that the two paths agree on every record,
errors included (a property test runs both).

Each conjunction is a list of steps over the record and a list of the values read so far (the
generated code's local variables); a step answers whether the record may still match.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime
from operator import itemgetter
from typing import Any

from ..ast import PATTERN_OPS, AllOf, AnyOf, Compare, Expr, Membership, Op, Query
from ..like import fold_case
from ..schema import Field, FieldType, RecordError, Schema
from .plan import PatternPlans, cost, items, needs_null_guard, rejects_null
from .rows import Flip, OnError, PatternStop, Record, coercer, not_a_record
from .scans import ALL

__all__ = ["build"]

Values = list[Any]
Step = Callable[[Record, Values], bool]
Test = Callable[[Any], bool]

_FAIL = object()  # a load's answer when a null must fail the test (a null guard)
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
        return lambda v: v.__class__ is not int and v.__class__ is not float
    if kind is FieldType.TEXT:
        return lambda v: v.__class__ is not str
    allowed = frozenset(f.values)
    return lambda v: v.__class__ is not str or v not in allowed


def _loader(f: Field, co: Callable[[object], object], *, fail: bool) -> Callable[[Record], Any]:
    """The typed value of field ``f`` of a record (``co`` its coercer); with ``fail``, ``_FAIL`` for a null."""
    name, nullable = f.name, f.nullable
    if f.type is FieldType.DATETIME:

        def load_datetime(r: Record) -> Any:
            try:
                v = r[name]
            except KeyError:
                v = None
            if nullable and v is None:
                return _FAIL if fail else None
            try:
                d = _fromiso(v)
            except (ValueError, TypeError):
                v = co(v)
                return _FAIL if fail and v is None else v
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
                    return _FAIL
                v = co(v)
                return _FAIL if v is None else v
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


def _optimistic(f: Field, co: Callable[[object], object], cond: Compare | Membership) -> Callable[[Record], Any] | None:
    """Read and test in one go, coercing only when the raw value fails (codegen.optimistic).

    Returns:
        A function giving the value, or ``_FAIL`` when the test fails; None where codegen
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
                return _FAIL
            v = co(v)
            if raw_fails(v):
                return _FAIL
        return v

    return read_and_test


# ---- tests (codegen.test): whether a typed value, known non-null where needed, passes


def _test(f: Field, cond: Compare | Membership, plans: PatternPlans) -> Test:
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


# ---- conjunctions (codegen.conjunction)


class _Builder:
    """What the closures of one query share: the schema, and each field's coercer and loaders."""

    def __init__(self, schema: Schema, plans: PatternPlans, *, eager: bool) -> None:
        self.schema = schema
        self.plans = plans
        self.eager = eager
        self._loaders: dict[tuple[str, bool], Callable[[Record], Any]] = {}
        self._coercers: dict[str, Callable[[object], object]] = {}

    def field(self, name: str) -> Field:
        f = self.schema.field(name)
        assert f is not None, name  # validated
        return f

    def coercer(self, f: Field) -> Callable[[object], object]:
        co = self._coercers.get(f.name)
        if co is None:
            co = self._coercers[f.name] = coercer(f)
        return co

    def loader(self, f: Field, *, fail: bool) -> Callable[[Record], Any]:
        load = self._loaders.get((f.name, fail))
        if load is None:
            load = self._loaders[f.name, fail] = _loader(f, self.coercer(f), fail=fail)
        return load


class _Conjunction:
    """Every item of an AND, cheapest first, over the values read so far (``slots``)."""

    def __init__(self, b: _Builder, items: Sequence[Expr]) -> None:
        self.slots: dict[str, int] = {}
        conds = [c for c in items if isinstance(c, Compare | Membership)]
        guarded = {c.field for c in conds if needs_null_guard(c)}
        self.nonnull = {c.field for c in conds if rejects_null(c)}
        steps: list[Step] = []
        for item in sorted(items, key=lambda item: cost(item, b.schema)):
            if isinstance(item, Compare | Membership):
                steps.append(self._condition(b, b.field(item.field), item, guarded=item.field in guarded))
            elif isinstance(item, AnyOf):
                steps.append(_any_of([_alternative(b, alt) for alt in item.items]))
            else:  # pragma: no cover - AllOf is flattened into its parent
                raise AssertionError(item)
        self.steps = len(steps)
        self.size = len(self.slots)
        self.passes = _all_of(steps)

    def _condition(self, b: _Builder, f: Field, cond: Compare | Membership, *, guarded: bool) -> Step:
        test = _test(f, cond, b.plans)
        known = self.slots.get(f.name)
        if known is not None:
            return lambda r, values: test(values[known])
        slot = self.slots[f.name] = len(self.slots)
        quick = None if b.eager else _optimistic(f, b.coercer(f), cond)
        if quick is not None:
            null_too = guarded and isinstance(cond, Compare) and cond.value is None  # IS NULL and a comparison

            def read_and_test(r: Record, values: Values) -> bool:
                v = quick(r)
                if v is _FAIL or (null_too and v is None):
                    return False
                values[slot] = v
                return True

            return read_and_test
        load = b.loader(f, fail=guarded)

        def load_and_test(r: Record, values: Values) -> bool:
            v = load(r)
            if v is _FAIL:
                return False
            values[slot] = v
            return test(v)

        return load_and_test


def _all_of(steps: list[Step]) -> Step:
    """Whether a record passes every step (``values`` holding what each step read)."""
    if len(steps) == 1:
        return steps[0]
    run = tuple(steps)

    def passes(r: Record, values: Values) -> bool:
        for step in run:  # noqa: SIM110 - PERF: a loop is faster than all() over a generator
            if not step(r, values):
                return False
        return True

    return passes


def _any_of(alternatives: list[Callable[[Record], bool]]) -> Step:
    run = tuple(alternatives)

    def any_of(r: Record, values: Values) -> bool:
        for alternative in run:  # noqa: SIM110 - PERF: as in _all_of
            if alternative(r):
                return True
        return False

    return any_of


def _alternative(b: _Builder, expr: Expr) -> Callable[[Record], bool]:
    conj = _Conjunction(b, expr.items if isinstance(expr, AllOf) else (expr,))
    passes, size = conj.passes, conj.size

    def alternative(r: Record) -> bool:
        return passes(r, [None] * size)

    return alternative


# ---- sort keys (scans._key_expr)


Getter = Callable[[Record, Values], Any]


def _key(parts: Sequence[tuple[Getter, int, bool]], first: int) -> Getter:
    """A sort key over ``(value, direction, nonnull)`` parts, nulls counting as largest.

    Parts whose direction is not ``first`` are wrapped in ``Flip``; one part is the key itself.
    """

    def part(value: Getter, direction: int, nonnull: object) -> Getter:
        if nonnull:
            return value if direction == first else lambda r, values: Flip(value(r, values))

        def nullable(r: Record, values: Values) -> Any:
            v = value(r, values)
            return (v is None, v) if direction == first else Flip((v is None, v))

        return nullable

    made = [part(*p) for p in parts]
    if len(made) == 1:
        return made[0]
    return lambda r, values: tuple([get(r, values) for get in made])


def _from_slot(slot: int) -> Getter:
    return lambda r, values: values[slot]


def _from_record(load: Callable[[Record], Any]) -> Getter:
    return lambda r, values: load(r)


# ---- the scans (scans._WINDOW, scans._TOP)


def _window(scan: _Conjunction, predicate: Callable[[Record], bool]) -> Callable[..., tuple[int, list[Record]]]:
    passes, size = scan.passes, scan.size

    def window(records: Iterable[Record], start: int, stop: int, on_error: OnError) -> tuple[int, list[Record]]:
        total = 0
        rows: list[Record] = []
        i, r = -1, None
        it = enumerate(records)
        while True:
            try:
                for i, r in it:  # noqa: B007 - the handlers below name the record by i
                    if not passes(r, [None] * size):
                        continue
                    if start <= total < stop:
                        rows.append(r)
                    total += 1
                return total, rows
            except RecordError as error:
                on_error(i, error)
            except TypeError as error:
                on_error(i, not_a_record(r, error, predicate, i))
            except PatternStop as stop_here:
                raise stop_here.error(r, i) from None

    return window


def _top(
    scan: _Conjunction, key: Getter, predicate: Callable[[Record], bool], *, reverse: bool
) -> Callable[..., tuple[int, list[Record]]]:
    passes, size, first = scan.passes, scan.size, itemgetter(0)

    def top(records: Iterable[Record], keep: int, on_error: OnError) -> tuple[int, list[Record]]:
        total = 0
        buf: list[tuple[Any, Record]] = []
        cap = max(2 * keep, 1024) if keep < ALL else ALL
        worst: Any = None
        full = False
        i, r = -1, None
        it = enumerate(records)
        while True:
            try:
                for i, r in it:  # noqa: B007 - the handlers below name the record by i
                    values: Values = [None] * size
                    if not passes(r, values):
                        continue
                    k = key(r, values)
                    total += 1
                    if full and not (worst < k if reverse else k < worst):
                        continue
                    buf.append((k, r))
                    if len(buf) >= cap:
                        buf.sort(key=first, reverse=reverse)
                        del buf[keep:]
                        worst = buf[-1][0]
                        full = True
                buf.sort(key=first, reverse=reverse)
                del buf[keep:]
                return total, [row for _, row in buf]
            except RecordError as error:
                on_error(i, error)
            except TypeError as error:
                on_error(i, not_a_record(r, error, predicate, i))
            except PatternStop as stop_here:
                raise stop_here.error(r, i) from None

    return top


def build(query: Query, schema: Schema) -> tuple[Callable[..., dict[str, Any]], str]:
    """The query's functions by name, as ``scans.generate`` makes them, and a note for ``source``.

    Each is built when first asked for: the predicate's eager tests when it first runs (a scan
    runs it only to name a bad value), so that a query held in a cache holds what it used.

    Returns:
        ``build(*names)``, giving a dict holding ``predicate``, ``sort_key`` (with ``$sort``) and
        the named scans (``window``, ``window_seq``; ``top``, ``top_seq`` with ``$sort``); and
        the text ``Compiled.source`` shows.
    """
    conditions = items(query.where)
    plans = PatternPlans()
    made: dict[str, Any] = {}

    def eager() -> tuple[Step, int]:
        if "eager" not in made:
            conj = _Conjunction(_Builder(schema, plans, eager=True), conditions)
            made["eager"] = conj.passes, conj.size
        got: tuple[Step, int] = made["eager"]
        return got

    def predicate(r: Record) -> bool:
        passes, size = eager()
        return passes(r, [None] * size)

    def scan(name: str) -> Callable[..., tuple[int, list[Record]]]:
        kind = name.removesuffix("_seq")  # one closure serves lists and other iterables
        if kind not in made:
            b = _Builder(schema, plans, eager=False)
            conj = _Conjunction(b, conditions)
            if kind == "window":
                made[kind] = _window(conj, predicate)
            else:
                first = int(query.sort[0].direction)
                parts = []
                for s in query.sort:
                    slot = conj.slots.get(s.field)
                    value = _from_record(b.loader(b.field(s.field), fail=False)) if slot is None else _from_slot(slot)
                    parts.append((value, int(s.direction), s.field in conj.nonnull))
                made[kind] = _top(conj, _key(parts, first), predicate, reverse=first < 0)
        function: Callable[..., tuple[int, list[Record]]] = made[kind]
        return function

    def functions(*names: str) -> dict[str, Any]:
        out: dict[str, Any] = {"predicate": predicate}
        for name in names:
            out[name] = _public_sort_key(query, schema) if name == "sort_key" else scan(name)
        return out

    return functions, "# evaluated by closures (querylang.memory.closures), not generated code\n"


def _public_sort_key(query: Query, schema: Schema) -> Callable[[Record], Any]:
    """``Compiled.sort_key``: ascending for sorted() or heapq.nsmallest, every descending part flipped."""
    b = _Builder(schema, PatternPlans(), eager=False)
    key = _key([(_from_record(b.loader(b.field(s.field), fail=False)), int(s.direction), False) for s in query.sort], 1)
    return lambda r: key(r, [])
