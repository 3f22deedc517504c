"""Query text -> the JSON answers of the check routes: diagnostics, canonical form, URL, typed AST, SQL.

``GET /_querylang/check?<query>`` and ``GET /_querylang/sql/{dialect}?<query>`` (``http.py``) answer
with these; they read no records, so they need no token. Everything here is a call into the
library (``check``, ``parse``, ``serialize``, ``to_url``, ``validate``, ``show``, ``querylang.sql``),
shaped as JSON; nothing decides what a query means.
"""

from __future__ import annotations

from ..errors import QueryError, split_shown
from ..schema import Schema
from ..text.read import parse
from ..text.show import outline, to_data
from ..text.write import serialize
from ..url import to_url
from ..validate import check, validate
from .errors import BadRequest, NotFound, Unimplemented

__all__ = ["CONTACT_PLACEHOLDER", "check_answer", "sql_answer"]

CONTACT_PLACEHOLDER = "{contact_id}"
"""Stands for the route's contact in the ``url`` of a check answer (a URI template, RFC 6570)."""


def check_answer(text: str, schema: Schema) -> dict[str, object]:
    """What ``GET /_querylang/check?<text>`` answers: everything querylang says of a query.

    Args:
        text: the query, as the query string after ``?``; spans point into it.
        schema: the fields to check against.

    Returns:
        ``{"query", "valid", "diagnostics", "more", "canonical", "url", "ast", "outline"}``:
        the first ``MAX_SHOWN_DIAGNOSTICS`` diagnostics (errors and warnings, in the order of
        the text) and how many more there are; the canonical text and the LionDesk URL (with
        ``{contact_id}`` for the contact) once the text can be read; the typed AST as JSON and
        as an outline once the query is valid. ``valid`` is true when there is no error.
    """
    found = check(text, schema)
    shown, more = split_shown(found)
    valid = not any(d.severity == "error" for d in found)
    answer: dict[str, object] = {
        "query": text,
        "valid": valid,
        "diagnostics": [d.to_dict() for d in shown],
        "more": more,
        "canonical": None,
        "url": None,
        "ast": None,
        "outline": None,
    }
    try:
        parsed = parse(text)
        canonical = serialize(parsed)
    except QueryError:  # a syntax or shape error, or a key text cannot carry: check() has said where
        return answer
    answer["canonical"] = canonical
    answer["url"] = to_url(parsed, contact_id=0).replace("/contacts/0/", f"/contacts/{CONTACT_PLACEHOLDER}/", 1)
    if valid:
        typed = validate(parsed, schema)
        answer["ast"] = to_data(typed)
        answer["outline"] = outline(typed)
    return answer


def sql_answer(text: str, dialect: str, schema: Schema) -> dict[str, object]:
    """What ``GET /_querylang/sql/{dialect}?<text>`` answers: the query as SQL, as ``querylang sql --json``.

    Args:
        text: the query, as the query string after ``?``.
        dialect: ``postgres``, ``sqlite``, ``duckdb`` or ``spark``.
        schema: the fields to check against.

    Returns:
        ``{"dialect", "page": {"sql", "params"}, "total": {"sql", "params"}, "limit", "skip"}``
        (``Statement.to_data``).

    Raises:
        NotFound: an unknown dialect.
        BadRequest: the query is not valid, with every diagnostic.
        Unimplemented: sqlglot (the ``sql`` extra) is not installed.
    """
    # Imported here: querylang.sql (and sqlglot) only when SQL is asked for.
    from ..sql import DIALECTS, MissingExtra, to_sql

    if dialect not in DIALECTS:
        raise NotFound(f"unknown SQL dialect {dialect!r}: use one of {', '.join(DIALECTS)}")
    try:
        return to_sql(text, dialect=dialect, schema=schema).to_data()
    except MissingExtra as error:
        raise Unimplemented(str(error)) from None
    except QueryError as error:
        raise BadRequest.from_diagnostics("query", error.diagnostics, error.text or text) from None
