"""Field schemas: fields and their types, the built-in contact-communication schema, schema files.

A ``Schema`` says which fields a query may name, which operators each field takes, and how a
value written in a query (always text) or held in a record (JSON types, or text from a CSV
export) becomes a Python value: ``int``, ``float``, ``bool``, ``str``, an aware ``datetime`` in
UTC, or ``None`` (docs/semantics.md section 3; the readers of text are in ``querylang.values``).
``fields`` holds one field's rules, ``model`` the schema, ``files`` its file format and JSON
Schema, ``builtin`` the LionDesk record.
"""

from ..errors import RecordError, SchemaError
from ..values import ValueProblem, parse_datetime, record_datetime
from .builtin import CONTACT_COMMUNICATIONS
from .fields import Field, FieldType, Relation
from .model import Schema

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
