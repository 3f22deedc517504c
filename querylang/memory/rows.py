"""Record values for the engines: typed reads that name the field, errors that name the record.

Also the sort-key part that reverses order (``Flip``), so that one ascending key serves a sort
whose fields go different ways.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any, TypeAlias

from ..ast import Compare
from ..errors import Diagnostic, QueryValidationError
from ..schema import Field, RecordError, ValueProblem
from ..values import shown

__all__ = [
    "Flip",
    "OnError",
    "PatternStop",
    "Record",
    "bad_value",
    "check_records",
    "coercer",
    "not_a_record",
    "raise_at",
    "record_name",
]

Record: TypeAlias = Mapping[str, Any]
OnError: TypeAlias = Callable[[int, RecordError], None]
"""Called with a record's 0-based index and its error; return to skip the record, raise to stop."""


def bad_value(name: str, problem: ValueProblem) -> RecordError:
    """The ``RecordError`` of a record value that does not fit field ``name``."""
    return RecordError([Diagnostic(problem.code, f"field '{name}': {problem.message}", hint=problem.hint)])


def coercer(f: Field) -> Callable[[object], object]:
    """``Field.from_record`` raising ``RecordError`` that names the field."""
    from_record = f.from_record
    name = f.name

    def coerce(value: object) -> object:
        try:
            return from_record(value)
        except ValueProblem as problem:
            raise bad_value(name, problem) from None

    return coerce


class Flip:
    """A sort-key part whose order is reversed (a descending field in an ascending key)."""

    __slots__ = ("key",)

    def __init__(self, key: Any) -> None:
        self.key = key

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Flip) and self.key == other.key

    def __hash__(self) -> int:
        return hash(self.key)

    def __lt__(self, other: Flip) -> bool:
        return bool(other.key < self.key)

    def __gt__(self, other: Flip) -> bool:
        return bool(self.key < other.key)

    def __le__(self, other: Flip) -> bool:
        return not self.key < other.key

    def __ge__(self, other: Flip) -> bool:
        return not other.key < self.key

    def __repr__(self) -> str:
        return f"Flip({self.key!r})"


def not_a_record(
    record: object, error: TypeError, predicate: Callable[[Record], bool], index: int | None = None
) -> RecordError:
    """The error of a record that a scan's quick tests choked on (``TypeError``).

    Either it is not a mapping, or a value is of a type no quick test expected (a list where
    text belongs); the standalone predicate, which coerces before it tests, names the field.

    Raises:
        QueryValidationError: ``bad-pattern``, if the predicate meets a pattern PostgreSQL
            stops on (``index`` names the record).
    """
    if not isinstance(record, Mapping):
        return RecordError([Diagnostic("not-a-record", f"{type(record).__name__} is not a record (a JSON object)")])
    try:
        predicate(record)
    except RecordError as named:
        return named
    except PatternStop as stop:
        raise stop.error(record, index) from None
    raise error


def check_records(records: object) -> None:
    """Refuse records that are not an iterable of records: ``None``, a number, one record, a string.

    Raises:
        RecordError: ``not-records``.
    """
    if isinstance(records, str | bytes | Mapping) or not isinstance(records, Iterable):
        what = "one record (a mapping)" if isinstance(records, Mapping) else shown(records)
        raise RecordError(
            [
                Diagnostic(
                    "not-records",
                    f"the records must be a list or another iterable of records, not {what}",
                    hint="give records as [{'id': 1, ...}, ...]",
                )
            ]
        )


_PLAIN_ID = re.compile(r"[0-9]{1,18}")


def record_name(record: object, index: int | None) -> str:
    """How a message names a record: by its ``id`` when that is a plain integer, else by its index.

    No other value of the record goes into the message, and an ``id`` that is not a plain
    integer (text, a huge number) is not shown either: an error must not reveal stored data.
    """
    ident = record.get("id") if isinstance(record, Mapping) else None
    if isinstance(ident, str) and _PLAIN_ID.fullmatch(ident):
        ident = int(ident)
    if type(ident) is int and abs(ident) < 10**18:
        return f"the record with id {ident}"
    return "a record" if index is None else f"record {index}"


class PatternStop(Exception):
    """A pattern ending in a lone backslash met a value that matches up to it (internal).

    Raised by the matcher of ``plan.pattern_plan``, which knows the condition but not the
    record; the scan or predicate that does turns it into the ``bad-pattern`` error
    (``error``). It never leaves the engine.
    """

    def __init__(self, cond: Compare) -> None:
        super().__init__(cond.field)
        self.cond = cond

    def error(self, record: object, index: int | None) -> QueryValidationError:
        """The ``bad-pattern`` error PostgreSQL stops with, naming the field and the record."""
        cond = self.cond
        return QueryValidationError(
            [
                Diagnostic(
                    "bad-pattern",
                    f"'{cond.field}' {cond.op.spelling}: the pattern ends with a lone backslash, and PostgreSQL "
                    f"stops the query with an error on {record_name(record, index)}, whose '{cond.field}' matches "
                    "up to the backslash",
                    cond.value_span,
                    "write \\\\ (%5C%5C) for a literal backslash",
                )
            ]
        )


def raise_at(index: int, error: RecordError) -> None:
    """The default ``on_error``: raise the error again, naming the record's index."""
    raise error.at(index) from None

