"""Typed query -> compiled predicate, sort key, projection and streaming window, built once per query.

``compile`` validates a query, then writes one small Python module for it (``codegen`` writes
the tests, ``scans`` the functions around them, in the order ``plan`` gives): the conditions
become straight-line tests, ordered cheap first (booleans, integers, equality, then date-times,
then patterns), and each record value is read and coerced only when a test first needs it. Only
names made there go into that source; every field name and value from the query is bound
through the namespace, never formatted into the text (STYLE.md, "Compile and evaluate"). A
query of more than ``CLOSURES_ABOVE`` tests is built from closures instead (``closures``),
which follow the same plan and answer alike, so that compiling costs little whatever its size.

The SQL rules it follows (docs/semantics.md section 4, the reference being PostgreSQL):

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
  character; case-sensitive; the whole value must match. ``$ilike`` matches after
  ``like.fold_case`` of both sides; ``$notlike`` is NOT LIKE. The matcher never backtracks: it
  finds the fixed-length pieces between ``%`` leftmost-first. A pattern ending in a lone
  backslash runs as PostgreSQL runs it (``like.postgres_like``): it matches no value, and it
  stops the query with ``bad-pattern`` on a value that matches up to the backslash, naming the
  field and the record, never the value; it runs before every other test, as PostgreSQL tests
  it on every row (``plan.pattern_plan``).
- Text compares by code point, booleans as ``false < true`` (sections 3, 4): Python's order.
- Sort (section 4): ascending puts nulls last, descending puts them first; ties keep the input
  order (every sort here is stable).
- Order of work (section 4): filter, count ``total``, sort, skip, limit; the caller
  (``find.evaluate``) then selects and loads.
"""

from __future__ import annotations

import dataclasses
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Literal

from ..ast import Query, conditions
from ..page import unbounded
from ..schema import CONTACT_COMMUNICATIONS, Schema
from ..validate import validate
from . import closures
from .plan import fields, stops_postgres
from .rows import OnError, PatternStop, Record, check_records, raise_at
from .scans import ALL, generate

__all__ = ["CACHED_TEXT_MAX", "CACHE_BYTES", "CLOSURES_ABOVE", "Compiled", "compile"]


Engine = Literal["generated", "closures"]

CLOSURES_ABOVE = 32
"""A query with more tests than this (its conditions, each ``$or`` branch's counted) is
evaluated by closures (``memory/closures.py``) instead of generated code. Not a limit: both
answer alike. Generated code is 2 to 10 times faster per record, and pays back its compile
time after some 1,000 to 10,000 records whatever the query's size; but compiling it costs
~0.4 ms and ~10 KiB per test at worst, more than linearly past a hundred (a 999-branch ``$or``
took ~0.6 s and 44 MiB), where closures cost ~0.03 ms per test. At 32 tests the generated
code of the costliest shapes still compiles in ~12 ms and ~4 MiB; ``benchmarks/bench_compile.py``
prints the measurements."""

CACHED_TEXT_MAX = 4096
"""Query texts longer than this (in characters) are compiled each time, never cached, so that
large distinct queries neither fill the cache nor push out the ordinary ones."""

CACHE_BYTES = 32 * 2**20
"""What the compile cache of query texts may hold in all, in bytes, by each compiled query's
estimated footprint (``_footprint``); it holds at most ``_CACHE_ENTRIES`` texts, least recently
used first out."""

_CACHE_ENTRIES = 256
# Per compiled query: its text, its typed query and functions, in bytes (upper bounds of what
# tracemalloc measures, checked by tests/unit/test_compile_cache.py).
_BASE_BYTES = 16 * 1024
_TEXT_BYTES = 64  # per character of text: the text, its values, the typed query
_TEST_BYTES: dict[str, int] = {"generated": 12 * 1024, "closures": 3 * 1024}  # per test and sort key


# ---------------------------------------------------------------- the compiled query


@dataclass(frozen=True, slots=True)
class Compiled:
    """A query compiled for evaluation over records (mappings of field name to value).

    ``window`` streams records into ``(total, rows)``; ``querylang.find(records, compiled)``
    (or ``querylang.memory.find.evaluate``) adds the page's limits, ``$select`` and ``$load``.

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
        source: the generated Python source, for debugging (a note for closures).
        engine: ``"generated"`` (Python source compiled for the query) or ``"closures"``
            (above ``CLOSURES_ABOVE`` tests); both answer alike.
    """

    query: Query
    schema: Schema
    written_limit: int | None
    fields: tuple[str, ...]
    predicate: Callable[[Record], bool]
    sort_key: Callable[[Record], Any] | None
    project: Callable[[Record], dict[str, Any]] | None
    source: str = dataclasses.field(repr=False)
    engine: Engine = dataclasses.field(repr=False)
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

        Raises:
            RecordError: ``not-records`` for what is not an iterable of records (``None``, one
                record); ``not-a-record`` for an item that is not a mapping, whatever the query
                (unless ``on_error`` returns).
        """
        handler = on_error or raise_at
        stop = ALL if limit is None else skip + limit
        seq = "_seq" if records.__class__ is list or records.__class__ is tuple else ""
        if not seq:
            check_records(records)
        if not self.query.sort or limit == 0:
            return self._scan("window" + seq)(records, skip, skip if limit == 0 else stop, handler)
        total, rows = self._scan("top" + seq)(records, stop, handler)
        return total, rows[skip:]

    def _scan(self, name: str) -> Callable[..., tuple[int, list[Record]]]:
        scan = self._scans.get(name)
        if scan is None:
            scan = self._scans[name] = self._build(name)[name]
        return scan


def _naming_stops(predicate: Callable[[Record], bool]) -> Callable[[Record], bool]:
    """``predicate``, naming the record in the ``bad-pattern`` error of a pattern PostgreSQL stops on."""

    def named(record: Record) -> bool:
        try:
            return predicate(record)
        except PatternStop as stop:
            raise stop.error(record, None) from None

    return named


def _projection(names: tuple[str, ...]) -> Callable[[Record], dict[str, Any]]:
    def project(record: Record) -> dict[str, Any]:
        return {name: record.get(name) for name in names}

    return project


def compile(query: Query | str | object, schema: Schema | None = None) -> Compiled:
    """Validate a query and compile it for evaluation over records.

    ``compile("send_at[$gte]=2019-01-01&$sort[send_at]=-1").predicate(record)`` tests one
    record; ``querylang.find`` runs the whole page. The same text compiles once: texts of up to
    ``CACHED_TEXT_MAX`` characters are kept, the most recently used first, within
    ``CACHE_BYTES``.

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
    if not isinstance(query, str):
        return _compile(query, schema)
    if len(query) > CACHED_TEXT_MAX:
        return _compile(query, schema)
    found = _CACHE.get((query, schema))
    if found is None:
        found = _compile(query, schema)
        _CACHE.put((query, schema), found, _footprint(query, found))
    return found


def _footprint(text: str, compiled: Compiled) -> int:
    """An upper bound of the memory a cached compiled query holds, in bytes."""
    tests = len(fields(compiled.query.where)) + len(compiled.query.sort)
    return _BASE_BYTES + _TEXT_BYTES * len(text) + _TEST_BYTES[compiled.engine] * tests


class _Cache:
    """Compiled queries by text and schema, least recently used first out, within a byte budget."""

    def __init__(self, budget: int, entries: int) -> None:
        self.budget = budget
        self.entries = entries
        self._held: OrderedDict[tuple[str, Schema], tuple[Compiled, int]] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def get(self, key: tuple[str, Schema]) -> Compiled | None:
        with self._lock:
            held = self._held.get(key)
            if held is None:
                return None
            self._held.move_to_end(key)
            return held[0]

    def put(self, key: tuple[str, Schema], compiled: Compiled, size: int) -> None:
        if size > self.budget:
            return
        with self._lock:
            old = self._held.pop(key, None)
            if old is not None:
                self._bytes -= old[1]
            self._held[key] = compiled, size
            self._bytes += size
            while self._bytes > self.budget or len(self._held) > self.entries:
                _, (_, dropped) = self._held.popitem(last=False)
                self._bytes -= dropped

    def clear(self) -> None:
        with self._lock:
            self._held.clear()
            self._bytes = 0

    def __len__(self) -> int:
        return len(self._held)

    @property
    def bytes(self) -> int:
        """The estimated footprint of what is held."""
        return self._bytes


_CACHE = _Cache(CACHE_BYTES, _CACHE_ENTRIES)


def _compile(query: object, schema: Schema, *, engine: Engine | None = None) -> Compiled:
    """``compile`` without the cache; ``engine`` ("generated" or "closures") overrides the size rule."""
    typed = validate(query, unbounded(schema))
    written = typed.limit
    assert written is None or isinstance(written, int)
    if written is not None and schema.max_limit is not None and written > schema.max_limit:
        # PERF: lowers $limit, with its warning, without reading the text again (~5 times faster).
        typed = validate(typed, schema)
    if engine is None:
        engine = "closures" if len(fields(typed.where)) > CLOSURES_ABOVE else "generated"
    build, source = closures.build(typed, schema) if engine == "closures" else generate(typed, schema)
    made = build("sort_key") if typed.sort else build()
    stopping = any(stops_postgres(c) for c in conditions(typed.where))
    touched = dict.fromkeys(fields(typed.where) + [s.field for s in typed.sort])
    return Compiled(
        query=typed,
        schema=schema,
        written_limit=written,
        fields=tuple(touched),
        predicate=_naming_stops(made["predicate"]) if stopping else made["predicate"],
        sort_key=made.get("sort_key"),
        project=_projection(typed.select) if typed.select is not None else None,
        source=source,
        engine=engine,
        _build=build,
    )
