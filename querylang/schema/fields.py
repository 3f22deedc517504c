"""One field of a record: its type, its operators, and how its values read from queries and records.

A value written in a query is always text; one held in a record is a JSON value, or text from
a CSV export. Each becomes a Python value: ``int``, ``float``, ``bool``, ``str``, an aware
``datetime`` in UTC, or ``None`` (docs/semantics.md section 3; the readers of text are in
``querylang.values``).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import UTC, date, datetime

from ..ast import PATTERN_OPS, Op
from ..errors import suggest
from ..values import (
    INT32_MAX,
    INT32_MIN,
    NAN,
    FarInstant,
    ValueProblem,
    in_utc,
    parse_datetime,
    parse_integer,
    parse_number,
    placeholder_hint,
    record_datetime,
    shown,
)

__all__ = ["Field", "FieldType", "Relation"]


class FieldType(enum.Enum):
    """The type of a field."""

    INTEGER = "integer"
    NUMBER = "number"
    BOOLEAN = "boolean"
    TEXT = "text"
    ENUM = "enum"
    DATETIME = "date-time"


_COMPARISONS = frozenset({Op.EQ, Op.NE, Op.IN, Op.NIN, Op.LT, Op.LTE, Op.GT, Op.GTE})
_PATTERNS = frozenset(PATTERN_OPS)


@dataclass(frozen=True, slots=True)
class Field:
    """One field of a record.

    Attributes:
        name: the field's name, as in queries and records.
        type: its ``FieldType``.
        nullable: whether it may be null (an empty value in a query means null).
        required: whether every record has it.
        writeable: whether an update may change it.
        description: what it holds.
        values: the allowed values of an ``ENUM`` field.
    """

    name: str
    type: FieldType
    nullable: bool = False
    required: bool = False
    writeable: bool = False
    description: str = ""
    values: tuple[str, ...] = ()

    @property
    def operators(self) -> frozenset[Op]:
        """The operators a query may apply to this field."""
        return _COMPARISONS | _PATTERNS if self.type is FieldType.TEXT else _COMPARISONS

    def from_query(self, text: str) -> object:
        """The Python value of ``text`` written in a query for this field.

        Raises:
            ValueProblem: the text is not a value of this field.
        """
        if text == "" and self.nullable:
            return None
        if "\x00" in text:
            raise ValueProblem(
                "nul-character", f"'{self.name}' is given a NUL character, which PostgreSQL refuses", "remove %00"
            )
        kind = self.type
        if kind is FieldType.TEXT:
            return text
        if text == "":
            raise ValueProblem("empty-value", f"'{self.name}' cannot be empty", f"give a {_describe(self)}")
        if kind is FieldType.INTEGER:
            return parse_integer(text, self.name)
        if kind is FieldType.BOOLEAN:
            if text == "true":
                return True
            if text == "false":
                return False
            raise ValueProblem(
                "not-a-boolean", f"'{text}' is not a boolean", placeholder_hint(text, "use true or false")
            )
        if kind is FieldType.ENUM:
            if text in self.values:
                return text
            hint = suggest(text, self.values) or "one of " + ", ".join(f"'{v}'" for v in self.values)
            raise ValueProblem("not-in-enum", f"'{text}' is not a value of '{self.name}'", hint)
        if kind is FieldType.DATETIME:
            return parse_datetime(text)
        return parse_number(text)

    def from_python(self, value: object) -> object:
        """Check a Python value already typed for this field (a typed query validated again).

        Raises:
            ValueProblem: the value's type does not fit the field.
        """
        if value is None and self.nullable:
            return None
        kind = self.type
        ok = (
            (kind is FieldType.INTEGER and type(value) is int and INT32_MIN <= value <= INT32_MAX)
            or (kind is FieldType.NUMBER and type(value) in (int, float))
            or (kind is FieldType.BOOLEAN and type(value) is bool)
            or (kind is FieldType.ENUM and value in self.values)
        )
        if ok:
            return value
        if kind is FieldType.DATETIME and isinstance(value, datetime):
            if value.utcoffset() is None:
                raise ValueProblem("naive-datetime", f"datetime {value.isoformat()} has no time zone")
            return in_utc(value)
        if kind is FieldType.DATETIME and isinstance(value, FarInstant):
            return value
        if kind is FieldType.DATETIME and isinstance(value, date):
            return datetime(value.year, value.month, value.day, tzinfo=UTC)
        raise ValueProblem("wrong-type", f"{shown(value)} is not a {_describe(self)}")

    def from_record(self, value: object) -> object:
        """The Python value of a record's value (JSON types, or text from a CSV export).

        Raises:
            ValueProblem: the value does not fit the field.
        """
        if value is None or (value == "" and self.nullable and self.type is not FieldType.TEXT):
            return None
        kind = self.type
        if kind is FieldType.TEXT:
            if isinstance(value, str):
                return value
        elif kind is FieldType.INTEGER:
            if type(value) is int:
                return value
            if isinstance(value, str):
                return parse_integer(value.strip(), self.name)
        elif kind is FieldType.NUMBER:
            if type(value) in (int, float):
                return NAN if value != value else value  # NaN as PostgreSQL orders it
            if value is NAN:
                return value
            if isinstance(value, str):
                return parse_number(value.strip())
        elif kind is FieldType.BOOLEAN:
            if type(value) is bool:
                return value
            if isinstance(value, str) and value.strip().lower() in ("true", "false"):
                return value.strip().lower() == "true"
        elif kind is FieldType.ENUM:
            if value in self.values:
                return value
        elif kind is FieldType.DATETIME:
            if isinstance(value, datetime):
                if value.utcoffset() is None:
                    raise ValueProblem("naive-datetime", f"datetime {value.isoformat()} has no time zone")
                return in_utc(value)
            if isinstance(value, FarInstant):
                return value
            if isinstance(value, str):
                return record_datetime(value)
        raise ValueProblem("wrong-type", f"{shown(value)} is not a {_describe(self)}")

    def to_dict(self) -> dict[str, object]:
        """The field in the schema file format."""
        data: dict[str, object] = {"name": self.name, "type": self.type.value}
        if self.values:
            data["values"] = list(self.values)
        for key in ("nullable", "required", "writeable"):
            if getattr(self, key):
                data[key] = True
        if self.description:
            data["description"] = self.description
        return data


def _describe(f: Field) -> str:
    base = {
        FieldType.INTEGER: "whole number",
        FieldType.NUMBER: "number",
        FieldType.BOOLEAN: "boolean: true or false",
        FieldType.TEXT: "text",
        FieldType.ENUM: "value of " + ", ".join(f"'{v}'" for v in f.values),
        FieldType.DATETIME: "date-time such as 2019-01-01T11:00:00Z or a date such as 2019-01-01",
    }[f.type]
    return base + (", or empty for null" if f.nullable else "")


@dataclass(frozen=True, slots=True)
class Relation:
    """A related record ``$load`` can add: ``name`` looked up by the id in ``field``."""

    name: str
    field: str
    target: str = "users"
    description: str = ""


