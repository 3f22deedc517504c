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

import contextlib
from collections.abc import Callable, Iterable, Sequence
from operator import itemgetter
from typing import Any

from ..ast import AllOf, AnyOf, Compare, Expr, Membership, Query
from ..schema import Field, RecordError, Schema
from .plan import PatternPlans, cost, items, needs_null_guard, rejects_null
from .readers import FAIL, condition_test, loader, optimistic
from .rows import Flip, OnError, PatternStop, Record, coercer, not_a_record
from .scans import ALL

__all__ = ["build"]

Values = list[Any]
Step = Callable[[Record, Values], bool]


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
            load = self._loaders[f.name, fail] = loader(f, self.coercer(f), fail=fail)
        return load


class _Conjunction:
    """Every item of an AND, cheapest first, over the values read so far (``slots``)."""

    def __init__(self, b: _Builder, items: Sequence[Expr], *, scan: bool = False) -> None:
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
        if scan and not steps:
            steps.append(_reads_a_key(b.schema))
        self.steps = len(steps)
        self.size = len(self.slots)
        self.passes = _all_of(steps)

    def _condition(self, b: _Builder, f: Field, cond: Compare | Membership, *, guarded: bool) -> Step:
        test = condition_test(f, cond, b.plans)
        known = self.slots.get(f.name)
        if known is not None:
            return lambda r, values: test(values[known])
        slot = self.slots[f.name] = len(self.slots)
        quick = None if b.eager else optimistic(f, b.coercer(f), cond)
        if quick is not None:
            null_too = guarded and isinstance(cond, Compare) and cond.value is None  # IS NULL and a comparison

            def read_and_test(r: Record, values: Values) -> bool:
                v = quick(r)
                if v is FAIL or (null_too and v is None):
                    return False
                values[slot] = v
                return True

            return read_and_test
        load = b.loader(f, fail=guarded)

        def load_and_test(r: Record, values: Values) -> bool:
            v = load(r)
            if v is FAIL:
                return False
            values[slot] = v
            return test(v)

        return load_and_test


def _reads_a_key(schema: Schema) -> Step:
    """A scan's one step when it tests nothing: as the generated scan, read a key of anything but a dict.

    Whatever the query, an item that is not a record is refused (``not-a-record``): a list
    raises ``TypeError`` when read by a field's name, as it would for a test.
    """
    key = next(iter(schema.field_names), "")

    def reads(r: Record, values: Values) -> bool:
        if r.__class__ is not dict:
            with contextlib.suppress(KeyError):
                r[key]
        return True

    return reads


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


def _failed(error: Exception, r: Any, i: int, predicate: Callable[[Record], bool], on_error: OnError) -> None:
    """What a failure on record ``i`` means, as the generated scans' handlers decide it."""
    if isinstance(error, PatternStop):
        raise error.error(r, i) from None
    if isinstance(error, TypeError):
        error = not_a_record(r, error, predicate, i)
    assert isinstance(error, RecordError)
    on_error(i, error)


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
            except (RecordError, TypeError, PatternStop) as error:
                _failed(error, r, i, predicate, on_error)

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
            except (RecordError, TypeError, PatternStop) as error:
                _failed(error, r, i, predicate, on_error)

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
            conj = _Conjunction(b, conditions, scan=True)
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
