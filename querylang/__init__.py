"""querylang: the Feathers query language of the LionDesk API, read, checked, evaluated and written.

>>> import querylang
>>> q = querylang.parse("type[$in]=Text%20Contact&$sort[send_at]=-1&$limit=2")
>>> querylang.serialize(q)
'type[$in][]=Text%20Contact&$sort[send_at]=-1&$limit=2'
"""

from . import ast
from .ast import Op
from .builder import F, Fields, Query
from .errors import Diagnostic, QueryError, QuerySyntaxError, QueryValidationError
from .memory.compile import Compiled, compile
from .memory.find import find
from .page import Page
from .schema import CONTACT_COMMUNICATIONS, Field, FieldType, Relation, Schema
from .source import Span
from .text.qs import decode, encode
from .text.read import parse
from .text.write import serialize
from .url import ContactCommunicationsURL, from_url, to_params, to_url
from .validate import check, validate

__all__ = [
    "CONTACT_COMMUNICATIONS",
    "Compiled",
    "ContactCommunicationsURL",
    "Diagnostic",
    "F",
    "Field",
    "FieldType",
    "Fields",
    "Op",
    "Page",
    "Query",
    "QueryError",
    "QuerySyntaxError",
    "QueryValidationError",
    "Relation",
    "Schema",
    "Span",
    "ast",
    "check",
    "compile",
    "decode",
    "encode",
    "find",
    "from_url",
    "parse",
    "serialize",
    "to_params",
    "to_url",
    "validate",
]

__version__ = "0.1.0"
