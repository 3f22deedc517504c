"""Source lines -> the compiled functions of a query: predicate, sort key and the two scans.

The scans stream records once: ``window`` counts every match and keeps the rows of one page;
``top`` keeps a bounded buffer of the best ``skip + limit`` rows by the sort key. Each is
written for the query (its tests inline, its values read into locals) and compiled when first
used, since compiling every scan costs milliseconds.
"""

from __future__ import annotations

import builtins
import sys
from collections.abc import Callable, Sequence
from operator import itemgetter
from typing import Any

from ..ast import Query
from ..schema import Schema
from .codegen import Source, conjunction, load, read
from .plan import items
from .rows import Flip, PatternStop, not_a_record

__all__ = ["ALL", "generate"]

ALL = sys.maxsize
"""No limit, for the scans."""


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
            on_error({index}, NOT_RECORD(r, error, predicate, {index}))
        except STOP as stop:
            raise stop.error(r, {index}) from None
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
            on_error({index}, NOT_RECORD(r, error, predicate, {index}))
        except STOP as stop:
            raise stop.error(r, {index}) from None
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


def generate(query: Query, schema: Schema) -> tuple[Callable[..., dict[str, Any]], str]:
    """A function compiling the query's functions by name, and the source of them all."""
    g = Source(schema)
    g.ns["NOT_RECORD"] = not_a_record
    g.ns["STOP"] = PatternStop
    conditions = items(query.where)
    predicate_body, _ = conjunction(g, conditions, "return False", "    ", {}, eager=True)
    loaded: dict[str, str] = {}
    scan_body, nonnull = conjunction(g, conditions, "continue", " " * 16, loaded)
    # A query that reads no field still refuses what is not a record, as reading one would (TypeError).
    body = "\n".join(scan_body) or "\n".join(
        ["                if r.__class__ is not dict:", *read(g, next(iter(g.schema.field_names), ""), "_", " " * 20)]
    )
    functions = {"predicate": "\n".join(["def predicate(r):", *predicate_body, "    return True"])}
    top: dict[str, object] = {}
    if query.sort:
        flip, first_getter = g.bind("FLIP", Flip), g.bind("FIRST", itemgetter(0))
        keyload: list[str] = []
        parts = []
        for s in query.sort:
            var = loaded.get(s.field)
            if var is None:
                var = loaded[s.field] = f"v{len(loaded)}"
                keyload += load(g, s.field, var, " " * 16)
            parts.append((var, int(s.direction), s.field in nonnull))
        reverse = int(query.sort[0].direction) < 0
        top = {
            "all": ALL,
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
            public_load += load(g, s.field, f"v{n}", "    ")
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


def _factory_source(g: Source, functions: list[str], names: list[str]) -> str:
    params = ", ".join(g.ns)
    made = ", ".join(f"{n!r}: {n}" for n in names)
    return f"def _factory({params}):\n{_indent(chr(10).join(g.defs + functions))}\n    return {{{made}}}\n"


def _indent(text: str) -> str:
    return "\n".join(("    " + line) if line.strip() else "" for line in text.split("\n"))
