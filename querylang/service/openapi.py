"""The schema's JSON Schema export -> the OpenAPI 3.1 document of every route, served at ``/openapi.json``.

Query parameters come from ``Schema.json_schema()``: one per field (``send_at``), per operator
(``send_at[$gte]``; the list ones as ``type[$in][]``, repeated), per sort key (``$sort[send_at]``),
and ``$limit``, ``$skip``, ``$select[]`` and ``$load``. ``$or`` and ``$and`` nest deeper than
OpenAPI parameters can say; the property tests cover them. Errors are Feathers' JSON
(``{name, message, code, className, data?}``); the records' routes take a bearer token.
"""

from __future__ import annotations

import copy
import importlib.metadata
from functools import cache
from typing import Any

from ..schema import CONTACT_COMMUNICATIONS, FieldType, Schema
from ..sql import DIALECTS

__all__ = ["document"]

_STATUSES = {
    400: "the query or the body is not valid (``data`` holds the diagnostics)",
    401: "no access token, or one that is malformed, unknown or revoked",
    403: "the token's user may not use this contact's communications, or there is no such contact",
    404: "no such record, or no such path",
    405: "the path does not take this method",
    415: "the PATCH body is not application/json in UTF-8",
    431: "the query string is longer than 16,384 bytes",
    500: "the server failed",
    501: "an optional package this route needs is not installed",
    503: "the database does not answer",
}
_ID = {"type": "integer", "minimum": 0, "maximum": 9_999_999_999}
_VALUE_TYPES: dict[FieldType, dict[str, Any]] = {
    FieldType.INTEGER: {"type": "integer"},
    FieldType.NUMBER: {"type": "number"},
    FieldType.BOOLEAN: {"type": "boolean"},
    FieldType.TEXT: {"type": "string"},
    FieldType.ENUM: {"type": "string"},
    FieldType.DATETIME: {"type": "string", "format": "date-time"},
}


def _query_parameters(schema: Schema) -> list[dict[str, Any]]:
    """The bracketed query parameters the JSON Schema export describes, as OpenAPI parameters."""
    properties = schema.json_schema()["properties"]
    found: list[dict[str, Any]] = []

    def add(name: str, value: dict[str, Any], description: str) -> None:
        parameter: dict[str, Any] = {"name": name, "in": "query", "required": False, "schema": value}
        parameter["description"] = description
        if value.get("type") == "array":
            parameter |= {"style": "form", "explode": True}
        found.append(parameter)

    add("$limit", properties["$limit"], "the page size (above the maximum it is lowered, with a warning)")
    add("$skip", properties["$skip"], "the records skipped before the page")
    for name, sort in properties["$sort"]["properties"].items():
        add(f"$sort[{name}]", sort, f"sort by {name}: 1 ascending, -1 descending")
    add("$select[]", properties["$select"], "the fields each record holds")
    add("$load", {"type": "string"}, "the users to add: send_from_user, completing_user (comma-separated)")
    for f in schema.fields:
        value, operators = properties[f.name]["anyOf"]
        add(f.name, value, f"{f.name} equals the value")
        for op, op_schema in operators["properties"].items():
            if op_schema.get("type") == "array":
                add(f"{f.name}[{op}][]", op_schema, f"{f.name} {op} the values")
            else:
                add(f"{f.name}[{op}]", op_schema, f"{f.name} {op} the value")
    return found


def _record(schema: Schema) -> dict[str, Any]:
    properties = {}
    for f in schema.fields:
        value = copy.deepcopy(_VALUE_TYPES[f.type])
        properties[f.name] = {**value, "type": [value["type"], "null"]}
    return {"type": "object", "properties": properties, "additionalProperties": True}


def _json(ref: str) -> dict[str, Any]:
    return {"content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{ref}"}}}}


def _responses(ok: str, ok_schema: str, *codes: int) -> dict[str, Any]:
    responses: dict[str, Any] = {"200": {"description": ok, **_json(ok_schema)}}
    for code in codes:
        responses[str(code)] = {"description": _STATUSES[code], **_json("Error")}
    return responses


def _components(schema: Schema) -> dict[str, Any]:
    diagnostic = {
        "type": "object",
        "required": ["code", "severity", "message", "start", "end", "hint"],
        "properties": {
            "code": {"type": "string"},
            "severity": {"enum": ["error", "warning"]},
            "message": {"type": "string"},
            "start": {"type": ["integer", "null"]},
            "end": {"type": ["integer", "null"]},
            "hint": {"type": ["string", "null"]},
        },
    }
    statement = {
        "type": "object",
        "required": ["sql", "params"],
        "properties": {"sql": {"type": ["string", "null"]}, "params": {"type": ["array", "object"]}},
    }
    return {
        "securitySchemes": {
            "bearer": {"type": "http", "scheme": "bearer", "description": "a token from 'querylang token create'"}
        },
        "schemas": {
            "Error": {
                "type": "object",
                "required": ["name", "message", "code", "className"],
                "properties": {
                    "name": {"type": "string"},
                    "message": {"type": "string"},
                    "code": {"type": "integer"},
                    "className": {"type": "string"},
                    "data": {"type": "array", "items": {"$ref": "#/components/schemas/Diagnostic"}},
                },
            },
            "Diagnostic": diagnostic,
            "Record": _record(schema),
            "Page": {
                "type": "object",
                "required": ["total", "limit", "skip", "data"],
                "properties": {
                    "total": {"type": "integer", "minimum": 0},
                    "limit": {"type": "integer", "minimum": 0},
                    "skip": {"type": "integer", "minimum": 0},
                    "data": {"type": "array", "items": {"$ref": "#/components/schemas/Record"}},
                },
            },
            "Patch": {
                "type": "object",
                "description": "only is_active changes; read-only fields are ignored with a warning",
                "properties": {"is_active": {"anyOf": [{"type": "boolean"}, {"enum": ["true", "false"]}]}},
            },
            "Check": {
                "type": "object",
                "required": ["query", "valid", "diagnostics", "more", "canonical", "url", "ast", "outline"],
                "properties": {
                    "query": {"type": "string"},
                    "valid": {"type": "boolean"},
                    "diagnostics": {"type": "array", "items": {"$ref": "#/components/schemas/Diagnostic"}},
                    "more": {"type": "integer", "minimum": 0},
                    "canonical": {"type": ["string", "null"]},
                    "url": {"type": ["string", "null"]},
                    "ast": {"type": ["object", "null"]},
                    "outline": {"type": ["string", "null"]},
                },
            },
            "Sql": {
                "type": "object",
                "required": ["dialect", "page", "total", "limit", "skip"],
                "properties": {
                    "dialect": {"type": "string"},
                    "page": statement,
                    "total": statement,
                    "limit": {"type": ["integer", "null"]},
                    "skip": {"type": "integer"},
                },
            },
            "Health": {"type": "object", "required": ["status"], "properties": {"status": {"const": "ok"}}},
        },
    }


def _version() -> str:
    try:
        return importlib.metadata.version("querylang")
    except importlib.metadata.PackageNotFoundError:  # run from a source tree
        return "0+unknown"


@cache
def document(schema: Schema = CONTACT_COMMUNICATIONS) -> dict[str, Any]:
    """The OpenAPI 3.1 document of the service's routes (the same object on every call: do not change it).

    Returns:
        The document as JSON-ready data.
    """
    query = _query_parameters(schema)
    contact = {"name": "contact_id", "in": "path", "required": True, "schema": _ID}
    record = {"name": "id", "in": "path", "required": True, "schema": _ID}
    secured: list[dict[str, list[str]]] = [{"bearer": []}]
    read_codes = (400, 401, 403, 404, 405, 431, 500, 503)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "LionDesk contact campaign communications (querylang)",
            "version": _version(),
            "description": "Feathers-style bracketed queries over a contact's campaign communications.",
        },
        "paths": {
            "/contacts/{contact_id}/campaign-communications": {
                "get": {
                    "operationId": "find",
                    "summary": "a page of the contact's communications",
                    "security": secured,
                    "parameters": [contact, *query],
                    "responses": _responses("the page", "Page", *read_codes),
                }
            },
            "/contacts/{contact_id}/campaign-communications/{id}": {
                "get": {
                    "operationId": "get",
                    "summary": "one communication, if it matches the query",
                    "security": secured,
                    "parameters": [contact, record, *query],
                    "responses": _responses("the record", "Record", *read_codes),
                },
                "patch": {
                    "operationId": "patch",
                    "summary": "complete or reopen a communication (is_active)",
                    "security": secured,
                    "parameters": [contact, record],
                    "requestBody": {"required": True, **_json("Patch")},
                    "responses": _responses("the record as stored", "Record", *read_codes, 415),
                },
            },
            "/_querylang/check": {
                "get": {
                    "operationId": "check",
                    "summary": "what querylang says of a query: diagnostics, canonical form, URL, typed AST",
                    "parameters": query,
                    "responses": _responses("the check, for a valid query or not", "Check", 431, 500),
                }
            },
            "/_querylang/sql/{dialect}": {
                "get": {
                    "operationId": "sql",
                    "summary": "the query as SQL for one engine, with its parameters",
                    "parameters": [
                        {"name": "dialect", "in": "path", "required": True, "schema": {"enum": list(DIALECTS)}},
                        *query,
                    ],
                    "responses": _responses("the SQL", "Sql", 400, 404, 431, 500, 501),
                }
            },
            "/healthz": {
                "get": {
                    "operationId": "health",
                    "summary": "whether the service and its database answer",
                    "responses": _responses("it answers", "Health", 500, 503),
                }
            },
            "/openapi.json": {
                "get": {
                    "operationId": "openapi",
                    "summary": "this document",
                    "responses": {
                        "200": {"description": "this document", "content": {"application/json": {"schema": {}}}}
                    },
                }
            },
        },
        "components": _components(schema),
    }
