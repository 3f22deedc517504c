"""Field schemas: fields and their types, the built-in contact-communication schema, schema files.

A ``Schema`` says which fields a query may name, which operators each field takes, and how a
value written in a query (always text) or held in a record (JSON types, or text from a CSV
export) becomes a Python value: ``int``, ``float``, ``bool``, ``str``, an aware ``datetime`` in
UTC, or ``None`` (SEMANTICS.md section 3; the readers of text are in ``values.py``).
"""

from __future__ import annotations

import enum
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from .ast import PATTERN_OPS, Op
from .errors import Diagnostic, QueryError, suggest
from .values import (
    INT32_MAX,
    INT32_MIN,
    FarInstant,
    ValueProblem,
    in_utc,
    parse_datetime,
    parse_integer,
    parse_number,
    placeholder_hint,
    record_datetime,
)

__all__ = [
    "CONTACT_COMMUNICATIONS",
    "Field",
    "FieldType",
    "RecordError",
    "Relation",
    "Schema",
    "SchemaError",
    "ValueProblem",
    "parse_datetime",
    "record_datetime",
]


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


class SchemaError(QueryError):
    """A schema file or definition that is not valid."""


class RecordError(QueryError):
    """A record whose value does not fit its field; the message names the record and field."""


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
        raise ValueProblem("wrong-type", f"{value!r} is not a {_describe(self)}")

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
        raise ValueProblem("wrong-type", f"{value!r} is not a {_describe(self)}")

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


@dataclass(frozen=True)
class Schema:
    """The fields a query may name, their types, and the relations ``$load`` knows.

    Attributes:
        name: what the records are.
        fields: the fields, in column order.
        relations: what ``$load`` can add to each row.
        default_limit: the page size without ``$limit`` (Feathers ``paginate.default``).
        max_limit: the largest page (``paginate.max``); a larger ``$limit`` is lowered to it.
    """

    name: str
    fields: tuple[Field, ...]
    relations: tuple[Relation, ...] = ()
    default_limit: int = 10
    max_limit: int = 100
    _by_name: dict[str, Field] = field(default_factory=dict, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        problems = []
        for f in self.fields:
            if f.name in self._by_name:
                problems.append(f"field '{f.name}' is defined twice")
            if not f.name or f.name.startswith("$") or "[" in f.name or "]" in f.name:
                problems.append(f"field name {f.name!r} cannot be written in a query")
            if f.type is FieldType.ENUM and not f.values:
                problems.append(f"enum field '{f.name}' has no values")
            self._by_name[f.name] = f
        for r in self.relations:
            if r.field not in self._by_name:
                problems.append(f"relation '{r.name}' refers to unknown field '{r.field}'")
        if not 0 <= self.default_limit <= self.max_limit:
            problems.append("default_limit must lie between 0 and max_limit")
        if problems:
            raise SchemaError([Diagnostic("bad-schema", p) for p in problems])

    def field(self, name: str) -> Field | None:
        """The field called ``name``, or None."""
        return self._by_name.get(name)

    @property
    def field_names(self) -> tuple[str, ...]:
        """The field names in column order."""
        return tuple(f.name for f in self.fields)

    def relation(self, name: str) -> Relation | None:
        """The relation called ``name``, or None."""
        return next((r for r in self.relations if r.name == name), None)

    def coerce_record(self, record: Mapping[str, object], where: str = "record") -> dict[str, object]:
        """A record with every schema field typed; other keys are kept as they are.

        Args:
            record: a record from JSON (typed values) or a CSV export (all strings).
            where: how to name the record in an error (``"line 12"``).

        Returns:
            A new dict; the input is not modified. A missing field stays missing (it is null).

        Raises:
            RecordError: naming the record and the field whose value does not fit.
        """
        out = dict(record)
        for name, value in record.items():
            f = self._by_name.get(name)
            if f is None:
                continue
            try:
                out[name] = f.from_record(value)
            except ValueProblem as problem:
                raise RecordError(
                    [Diagnostic(problem.code, f"{where}: field '{name}': {problem.message}", hint=problem.hint)]
                ) from None
        return out

    # ---- files

    def to_dict(self) -> dict[str, object]:
        """The schema in the file format that ``Schema.from_dict`` reads."""
        return {
            "name": self.name,
            "fields": [f.to_dict() for f in self.fields],
            "relations": [
                {"name": r.name, "field": r.field, "target": r.target}
                | ({"description": r.description} if r.description else {})
                for r in self.relations
            ],
            "default_limit": self.default_limit,
            "max_limit": self.max_limit,
        }

    @classmethod
    def from_dict(cls, data: object, source: str = "schema") -> Schema:
        """A schema from its file format (see the README's "Schemas" section).

        Raises:
            SchemaError: naming what is wrong and where.
        """

        def bad(message: str) -> SchemaError:
            return SchemaError([Diagnostic("bad-schema", f"{source}: {message}")])

        if not isinstance(data, dict):
            raise bad("a schema is a JSON object with 'name' and 'fields'")
        unknown = set(data) - {"name", "fields", "relations", "default_limit", "max_limit", "description"}
        if unknown:
            raise bad(f"unknown keys {sorted(unknown)}")
        raw_fields = data.get("fields")
        if not isinstance(raw_fields, list) or not raw_fields:
            raise bad("'fields' must be a non-empty list")
        fields = []
        types = {t.value: t for t in FieldType}
        for i, item in enumerate(raw_fields):
            if not isinstance(item, dict) or not isinstance(item.get("name"), str):
                raise bad(f"fields[{i}] must be an object with a 'name'")
            extra = set(item) - {"name", "type", "nullable", "required", "writeable", "description", "values"}
            if extra:
                raise bad(f"fields[{i}] ('{item['name']}') has unknown keys {sorted(extra)}")
            kind = types.get(str(item.get("type", "")))
            if kind is None:
                raise bad(f"fields[{i}] ('{item['name']}') has type {item.get('type')!r}; use one of {sorted(types)}")
            values = item.get("values", [])
            if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
                raise bad(f"fields[{i}] ('{item['name']}'): 'values' must be a list of strings")
            flags = {k: item.get(k, False) for k in ("nullable", "required", "writeable")}
            for k, v in flags.items():
                if not isinstance(v, bool):
                    raise bad(f"fields[{i}] ('{item['name']}'): '{k}' must be true or false")
            fields.append(
                Field(
                    item["name"],
                    kind,
                    nullable=flags["nullable"],
                    required=flags["required"],
                    writeable=flags["writeable"],
                    description=str(item.get("description", "")),
                    values=tuple(values),
                )
            )
        relations = []
        for i, item in enumerate(data.get("relations", [])):
            if (
                not isinstance(item, dict)
                or not isinstance(item.get("name"), str)
                or not isinstance(item.get("field"), str)
            ):
                raise bad(f"relations[{i}] must be an object with 'name' and 'field'")
            relations.append(
                Relation(
                    item["name"], item["field"], str(item.get("target", "users")), str(item.get("description", ""))
                )
            )
        limits = {k: data.get(k, d) for k, d in (("default_limit", 10), ("max_limit", 100))}
        for k, v in limits.items():
            if type(v) is not int or v < 0:
                raise bad(f"'{k}' must be a non-negative integer")
        return cls(
            str(data.get("name", "records")),
            tuple(fields),
            tuple(relations),
            default_limit=limits["default_limit"],
            max_limit=limits["max_limit"],
        )

    @classmethod
    def load(cls, path: str | Path) -> Schema:
        """Read a schema from a JSON file.

        Raises:
            SchemaError: the file cannot be read, is not JSON, or is not a valid schema.
        """
        try:
            text = Path(path).read_text(encoding="utf-8")
        except OSError as error:
            raise SchemaError([Diagnostic("bad-schema", f"{path}: cannot read: {error.strerror}")]) from None
        try:
            data = json.loads(text)
        except json.JSONDecodeError as error:
            raise SchemaError(
                [Diagnostic("bad-schema", f"{path}: not JSON: {error.msg} at line {error.lineno} column {error.colno}")]
            ) from None
        return cls.from_dict(data, str(path))

    # ---- JSON Schema

    def json_schema(self) -> dict[str, Any]:
        """The JSON Schema of this schema's queries, shaped as Feathers' ``querySyntax`` makes it.

        ajv (with ``coerceTypes: "array"``) or an OpenAPI document can validate decoded query
        objects with it. ``$load`` is included as querylang reads it.
        """
        names = list(self.field_names)
        properties: dict[str, Any] = {}
        for f in self.fields:
            value = _json_type(f)
            ops: dict[str, Any] = {op.spelling: value for op in (Op.GT, Op.GTE, Op.LT, Op.LTE, Op.NE)}
            ops["$in"] = {"type": "array", "items": value}
            ops["$nin"] = {"type": "array", "items": value}
            if f.type is FieldType.TEXT:
                ops.update({op.spelling: {"type": "string"} for op in PATTERN_OPS})
            properties[f.name] = {
                "anyOf": [value, {"type": "object", "properties": ops, "additionalProperties": False}]
            }
        conditions = {"type": "object", "properties": properties, "additionalProperties": False}
        return {
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "title": f"{self.name} query",
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "$limit": {"type": "integer", "minimum": 0},
                "$skip": {"type": "integer", "minimum": 0},
                "$sort": {
                    "type": "object",
                    "properties": {n: {"type": "integer", "enum": [-1, 1]} for n in names},
                    "additionalProperties": False,
                },
                "$select": {"type": "array", "maxItems": len(names), "items": {"type": "string", "enum": names}},
                "$load": {
                    "anyOf": [
                        {"type": "string"},
                        {"type": "array", "items": {"type": "string", "enum": [r.name for r in self.relations]}},
                    ]
                },
                "$or": {"type": "array", "items": conditions},
                "$and": {
                    "type": "array",
                    "items": {
                        "anyOf": [
                            conditions,
                            {
                                "type": "object",
                                "properties": {"$or": {"type": "array", "items": conditions}},
                                "required": ["$or"],
                            },
                        ]
                    },
                },
                **properties,
            },
        }


def _json_type(f: Field) -> dict[str, Any]:
    types: dict[FieldType, dict[str, Any]] = {
        FieldType.INTEGER: {"type": "integer", "minimum": INT32_MIN, "maximum": INT32_MAX},
        FieldType.NUMBER: {"type": "number"},
        FieldType.BOOLEAN: {"type": "boolean"},
        FieldType.TEXT: {"type": "string"},
        FieldType.ENUM: {"type": "string", "enum": list(f.values)},
        FieldType.DATETIME: {
            "anyOf": [{"type": "string", "format": "date-time"}, {"type": "string", "format": "date"}]
        },
    }
    base = types[f.type]
    if f.nullable:
        return {"anyOf": [base, {"type": "null"}]}
    return base


def _fields(items: Iterable[tuple[str, FieldType, dict[str, Any]]]) -> tuple[Field, ...]:
    return tuple(Field(name, kind, **extra) for name, kind, extra in items)


CONTACT_COMMUNICATIONS = Schema(
    "contact-communications",
    _fields(
        [
            ("id", FieldType.INTEGER, {"required": True, "description": "The contact communication's id"}),
            ("contact_id", FieldType.INTEGER, {"required": True, "description": "The contact it belongs to"}),
            ("campaign_name", FieldType.TEXT, {"description": "The name of the campaign it is a part of"}),
            (
                "type",
                FieldType.ENUM,
                {
                    "values": ("Email Contact", "Call Contact", "Text Contact"),
                    "description": "The type of contact communication",
                },
            ),
            (
                "is_stopped_on_text_reply",
                FieldType.BOOLEAN,
                {"description": "Stop if the contact replies to the text; only relevant if type = Text Contact"},
            ),
            ("template_subject", FieldType.TEXT, {"description": "The subject of the template"}),
            ("template_name", FieldType.TEXT, {"description": "The name of the template used"}),
            ("template_folder_name", FieldType.TEXT, {"description": "The folder the template is stored in"}),
            (
                "is_active",
                FieldType.BOOLEAN,
                {"required": True, "writeable": True, "description": "True until dispatched or completed"},
            ),
            ("send_at", FieldType.DATETIME, {"description": "When it is scheduled to be dispatched"}),
            (
                "completed_at",
                FieldType.DATETIME,
                {"nullable": True, "description": "When it was dispatched; null if not"},
            ),
            ("send_from_user_id", FieldType.INTEGER, {"description": "The agent it is sent from"}),
            (
                "completing_user_id",
                FieldType.INTEGER,
                {"nullable": True, "description": "The user who marked it complete; null if not"},
            ),
        ]
    ),
    (
        Relation("send_from_user", "send_from_user_id", "users", "The user it is sent from"),
        Relation("completing_user", "completing_user_id", "users", "The user who completed it"),
    ),
)
"""The LionDesk contact-communication record (SEMANTICS.md section 3); the default schema."""
