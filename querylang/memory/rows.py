"""Record values for the engines: typed reads that name the field, errors that name the record.

Also the sort-key part that reverses order (``Flip``), so that one ascending key serves a sort
whose fields go different ways.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any, TypeAlias

from ..errors import Diagnostic
from ..schema import Field, RecordError, ValueProblem
from ..values import shown

__all__ = ["Flip", "OnError", "Record", "bad_value", "check_records", "coercer", "not_a_record", "raise_at"]

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


def not_a_record(record: object, error: TypeError, predicate: Callable[[Record], bool]) -> RecordError:
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


def raise_at(index: int, error: RecordError) -> None:
    """The default ``on_error``: raise the error again, naming the record's index."""
    d = error.diagnostic
    raise RecordError([Diagnostic(d.code, f"record {index}: {d.message}", hint=d.hint)]) from None

