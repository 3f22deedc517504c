"""A schema: the fields a query may name, the relations ``$load`` knows, and the page limits.

``Schema`` is the model; its file format and the JSON Schema of its queries are written and
read in ``files.py``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import Diagnostic, RecordError, SchemaError
from ..values import ValueProblem
from . import files
from .fields import Field, FieldType, Relation

__all__ = ["Schema"]


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

    # ---- files (files.py)

    def to_dict(self) -> dict[str, object]:
        """The schema in the file format that ``Schema.from_dict`` reads."""
        return files.to_dict(self)

    @classmethod
    def from_dict(cls, data: object, source: str = "schema") -> Schema:
        """A schema from its file format (see the README's "Schemas" section).

        Raises:
            SchemaError: naming what is wrong and where.
        """
        return cls(**files.from_dict(data, source))

    @classmethod
    def load(cls, path: str | Path) -> Schema:
        """Read a schema from a JSON file.

        Raises:
            SchemaError: the file cannot be read, is not JSON, or is not a valid schema.
        """
        return cls.from_dict(files.read_json(path), str(path))

    def json_schema(self) -> dict[str, Any]:
        """The JSON Schema of this schema's queries, shaped as Feathers' ``querySyntax`` makes it.

        ajv (with ``coerceTypes: "array"``) or an OpenAPI document can validate decoded query
        objects with it. ``$load`` is included as querylang reads it.
        """
        return files.json_schema(self)
