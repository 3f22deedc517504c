"""Schemas <-> their JSON file format, and a schema -> the JSON Schema of its queries.

The model (``model.Schema``) calls these for ``Schema.from_dict``, ``load``, ``to_dict`` and
``json_schema``; they see a schema only through ``SchemaLike``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Protocol

from ..ast import PATTERN_OPS, Op
from ..errors import Diagnostic, SchemaError
from ..values import INT32_MAX, INT32_MIN, json_problem
from .fields import Field, FieldType, Relation

__all__ = ["SchemaLike", "from_dict", "json_schema", "read_json", "to_dict"]


class SchemaLike(Protocol):
    """What the file format and the JSON Schema read of a schema (``model.Schema`` has it)."""

    # Read-only: a frozen dataclass's fields are.
    @property
    def name(self) -> str: ...  # noqa: D102
    @property
    def fields(self) -> tuple[Field, ...]: ...  # noqa: D102
    @property
    def relations(self) -> tuple[Relation, ...]: ...  # noqa: D102
    @property
    def default_limit(self) -> int: ...  # noqa: D102
    @property
    def max_limit(self) -> int: ...  # noqa: D102


def to_dict(schema: SchemaLike) -> dict[str, object]:
    """The schema in the file format that ``from_dict`` reads."""
    return {
        "name": schema.name,
        "fields": [f.to_dict() for f in schema.fields],
        "relations": [
            {"name": r.name, "field": r.field, "target": r.target}
            | ({"description": r.description} if r.description else {})
            for r in schema.relations
        ],
        "default_limit": schema.default_limit,
        "max_limit": schema.max_limit,
    }


def from_dict(data: object, source: str = "schema") -> dict[str, Any]:
    """The arguments of ``Schema`` from its file format (see the README's "Schemas" section).

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
    return {
        "name": str(data.get("name", "records")),
        "fields": tuple(fields),
        "relations": tuple(relations),
        "default_limit": limits["default_limit"],
        "max_limit": limits["max_limit"],
    }


def read_json(path: str | Path) -> object:
    """The JSON data of a schema file.

    Raises:
        SchemaError: the file cannot be read or is not JSON.
    """
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as error:
        raise SchemaError([Diagnostic("bad-schema", f"{path}: cannot read: {error.strerror}")]) from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise SchemaError(
            [Diagnostic("bad-schema", f"{path}: not JSON: {error.msg} at line {error.lineno} column {error.colno}")]
        ) from None
    except (ValueError, RecursionError) as error:  # a number of thousands of digits, deep nesting
        raise SchemaError([Diagnostic("bad-schema", f"{path}: {json_problem(error)}")]) from None


def json_schema(schema: SchemaLike) -> dict[str, Any]:
    """The JSON Schema of this schema's queries, shaped as Feathers' ``querySyntax`` makes it.

    ajv (with ``coerceTypes: "array"``) or an OpenAPI document can validate decoded query
    objects with it. ``$load`` is included as querylang reads it.
    """
    names = [f.name for f in schema.fields]
    properties: dict[str, Any] = {}
    for f in schema.fields:
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
        "title": f"{schema.name} query",
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
                    {"type": "array", "items": {"type": "string", "enum": [r.name for r in schema.relations]}},
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
