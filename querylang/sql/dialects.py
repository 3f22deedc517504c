"""Dialect name -> what differs per SQL engine: sqlglot's dialect, parameter style, column types, value binding.

Four engines are known: ``postgres``, ``sqlite``, ``duckdb`` and ``spark``. Each keeps the
meaning of docs/semantics.md section 4 its own way: SQLite stores instants as INTEGER
microseconds since 1970-01-01T00:00:00Z and booleans as 0/1; the others take typed values.
Spark takes named parameters (``:p1``), the others positional ones.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from types import ModuleType

from ..errors import Diagnostic, QueryError
from ..schema import Field, FieldType
from ..values import FarInstant, in_utc

__all__ = ["DIALECTS", "Dialect", "MissingExtra", "dialect", "require"]

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)
# FarInstant counts from 0001-01-01T00:00:00Z; SQLite's column from 1970.
_YEAR_ONE_TO_EPOCH = (_EPOCH - datetime(1, 1, 1, tzinfo=UTC)) // _MICROSECOND


class MissingExtra(QueryError):
    """An optional package this feature needs is not installed; the message names the extra."""


def require(module: str, extra: str) -> ModuleType:
    """Import ``module``, or raise ``MissingExtra`` naming ``pip install 'querylang[extra]'``."""
    try:
        return importlib.import_module(module)
    except ImportError:
        message = f"{module} is not installed; it comes with querylang's '{extra}' extra"
        raise MissingExtra([Diagnostic("missing-extra", message, hint=f"pip install 'querylang[{extra}]'")]) from None


@dataclass(frozen=True)
class Dialect:
    """What one engine needs.

    Attributes:
        name: querylang's name for it (``postgres``, ``sqlite``, ``duckdb``, ``spark``).
        sqlglot: sqlglot's name for it.
        named: whether parameters are named (``:p1``, a mapping) rather than positional.
        types: the column type of each ``FieldType``.
        text_collation: a collation that orders text by code point, where the engine's default
            may not (PostgreSQL's database default is a locale).
        micros: whether instants are bound as integer microseconds since 1970-01-01T00:00:00Z
            (SQLite stores them so; Spark compares them so, its timestamps being too narrow
            for a ``FarInstant``).
        micros_of: the function that gives a stored instant's microseconds (Spark's
            ``unix_micros``); None where the column holds them (SQLite) or where instants bind
            as they are.
        int_booleans: whether booleans are stored as 0/1 (SQLite).
        ilike_function: where ``$ilike`` calls a registered function (``querylang_ilike``)
            because the engine's own folding differs from PostgreSQL's: SQLite folds ASCII only,
            Spark folds ``İ``, a final ``Σ`` and letters newer than Unicode 14 differently.
        any_escape: whether a backslash may escape any character in a pattern (Spark allows it
            only before ``%``, ``_`` and a backslash).
        text_holds_nul: whether text with a NUL character can be stored and matched (PostgreSQL
            refuses it, SQLite's ``GLOB`` stops reading at it).
        holds_nan: whether a number column holds NaN (SQLite's stores null instead).
        case_blind_names: whether names that differ only in ASCII case (``Name``, ``name``) name
            the same column, quoted or not (SQLite, DuckDB, Spark).
    """

    name: str
    sqlglot: str
    named: bool
    types: dict[FieldType, str]
    ordinal_type: str
    text_collation: str | None = None
    micros: bool = False
    micros_of: str | None = None
    int_booleans: bool = False
    ilike_function: str | None = None
    any_escape: bool = True
    text_holds_nul: bool = True
    holds_nan: bool = True
    case_blind_names: bool = True

    def bind(self, f: Field, value: object) -> object:
        """A typed query or record value as this engine's driver takes it."""
        if value is None:
            return None
        if f.type is FieldType.BOOLEAN and self.int_booleans:
            return int(bool(value))
        if f.type is FieldType.DATETIME:
            if self.micros:
                return micros(value)
            if isinstance(value, FarInstant):
                return value.text()
            assert isinstance(value, datetime)
            return value
        return value

    def unbind(self, f: Field, value: object) -> object:
        """A value read back from this engine, as ``Field.from_record`` gives it (instants in UTC)."""
        if value is None:
            return None
        if f.type is FieldType.BOOLEAN:
            return bool(value)
        if f.type is FieldType.DATETIME:
            if isinstance(value, int):
                return from_micros(value)
            if isinstance(value, datetime):
                if value.tzinfo is None:  # Spark hands back local times of its UTC session
                    value = value.replace(tzinfo=UTC)
                return in_utc(value)
        return value


def micros(value: object) -> int:
    """An instant as microseconds since 1970-01-01T00:00:00Z (SQLite's column)."""
    if isinstance(value, FarInstant):
        return value.micros - _YEAR_ONE_TO_EPOCH
    assert isinstance(value, datetime)
    return (value - _EPOCH) // _MICROSECOND


def from_micros(value: int) -> datetime | FarInstant:
    """Microseconds since 1970-01-01T00:00:00Z as an instant."""
    try:
        return _EPOCH + value * _MICROSECOND
    except OverflowError:
        return FarInstant(value + _YEAR_ONE_TO_EPOCH)


def _types(integer: str, number: str, boolean: str, text: str, instant: str) -> dict[FieldType, str]:
    return {
        FieldType.INTEGER: integer,
        FieldType.NUMBER: number,
        FieldType.BOOLEAN: boolean,
        FieldType.TEXT: text,
        FieldType.ENUM: text,
        FieldType.DATETIME: instant,
    }


DIALECTS: dict[str, Dialect] = {
    "postgres": Dialect(
        "postgres",
        "postgres",
        named=False,
        types=_types("BIGINT", "DOUBLE PRECISION", "BOOLEAN", "TEXT", "TIMESTAMPTZ"),
        ordinal_type="BIGINT",
        text_collation="C",
        text_holds_nul=False,
        case_blind_names=False,
    ),
    "sqlite": Dialect(
        "sqlite",
        "sqlite",
        named=False,
        types=_types("INTEGER", "REAL", "INTEGER", "TEXT", "INTEGER"),
        ordinal_type="INTEGER",
        micros=True,
        int_booleans=True,
        ilike_function="querylang_ilike",
        text_holds_nul=False,
        holds_nan=False,
    ),
    "duckdb": Dialect(
        "duckdb",
        "duckdb",
        named=False,
        types=_types("BIGINT", "DOUBLE", "BOOLEAN", "VARCHAR", "TIMESTAMPTZ"),
        ordinal_type="BIGINT",
    ),
    "spark": Dialect(
        "spark",
        "spark",
        named=True,
        types=_types("BIGINT", "DOUBLE", "BOOLEAN", "STRING", "TIMESTAMP"),
        ordinal_type="BIGINT",
        micros=True,
        micros_of="unix_micros",
        ilike_function="querylang_ilike",
        any_escape=False,
    ),
}


def dialect(name: str | Dialect) -> Dialect:
    """The dialect called ``name``.

    Raises:
        QueryError: ``unknown-dialect``, naming the known ones.
    """
    if isinstance(name, Dialect):
        return name
    found = DIALECTS.get(name if isinstance(name, str) else "")
    if found is None:
        known = ", ".join(DIALECTS)
        raise QueryError([Diagnostic("unknown-dialect", f"unknown SQL dialect {name!r}", hint=f"use one of {known}")])
    return found
