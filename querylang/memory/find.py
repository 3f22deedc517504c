"""Iterable of records + query -> the Feathers page ``{total, limit, skip, data}``, or a plain list.

``find`` answers a query over records in memory as the LionDesk server answers it over its
database (SEMANTICS.md sections 3 and 4): filter, count ``total``, sort, skip, limit, then
``$select`` and ``$load``. It streams: the records are read once, and only the page is held
(with ``$sort`` and a limit, a bounded buffer of ``skip + limit`` rows).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from typing import Any, Literal, TypedDict, overload

from ..ast import Query
from ..errors import Diagnostic, QueryError
from ..schema import Field, RecordError, Schema, ValueProblem
from ..source import NOWHERE, Span
from .compile import Compiled, compile
from .rows import OnError, Record, bad_value

__all__ = ["Page", "evaluate", "find"]


class Page(TypedDict):
    """One page of results, as Feathers returns it."""

    total: int
    limit: int
    skip: int
    data: list[Mapping[str, Any]]


Users = Mapping[Any, Mapping[str, Any]] | Iterable[Mapping[str, Any]]
"""Users for ``$load``: a mapping of id to user, or user objects that each hold an ``id``."""


def _user_id(value: object) -> object:
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value)
    return value


def _index_users(users: Users) -> dict[object, Mapping[str, Any]]:
    if isinstance(users, Mapping):
        return {_user_id(key): user for key, user in users.items()}
    index: dict[object, Mapping[str, Any]] = {}
    for user in users:
        if not isinstance(user, Mapping) or "id" not in user:
            shown = repr(user) if len(repr(user)) <= 60 else repr(user)[:57] + "..."
            raise RecordError(
                [
                    Diagnostic(
                        "bad-user",
                        f"a user must be an object with an 'id', not {shown}",
                        NOWHERE,
                        "give users as [{'id': 1, ...}]",
                    )
                ]
            )
        index[_user_id(user["id"])] = user
    return index


def _relation_key(f: Field, value: object) -> object:
    try:
        return f.from_record(value)
    except ValueProblem as problem:
        raise bad_value(f.name, problem) from None


def evaluate(
    compiled: Compiled,
    records: Iterable[Record],
    *,
    paginate: bool = True,
    default_limit: int | None = None,
    max_limit: int | None = None,
    users: Users | None = None,
    on_error: OnError | None = None,
) -> Page | list[Mapping[str, Any]]:
    """Run a compiled query over records: the page function behind ``find``.

    The arguments are those of ``find``; ``compiled`` comes from ``querylang.compile``.
    """
    query, schema = compiled.query, compiled.schema
    if query.load is not None and users is None:
        # Loading from nothing would make every relation null: a wrong answer, not an empty one.
        spans = query.load_spans
        raise QueryError(
            [
                Diagnostic(
                    "missing-users",
                    "the query has $load but no users were given to load from",
                    Span(spans[0].start, spans[-1].end) if spans else NOWHERE,
                    "pass users=[...] to find (--users FILE on the command line)",
                )
            ]
        )
    skip = query.skip if isinstance(query.skip, int) else 0
    if paginate:
        default = schema.default_limit if default_limit is None else default_limit
        maximum = schema.max_limit if max_limit is None else max_limit
        written = compiled.written_limit
        limit: int | None = default if written is None else written
        if maximum is not None and limit is not None:
            limit = min(limit, maximum)
    else:
        limit = compiled.written_limit
    total, rows = compiled.window(records, skip, limit, on_error)
    data: list[Mapping[str, Any]] = [compiled.project(r) for r in rows] if compiled.project is not None else rows
    if query.load is not None:
        index = _index_users(users or ())
        relations = []
        for name in dict.fromkeys(query.load):
            relation = schema.relation(name)
            assert relation is not None  # validated
            f = schema.field(relation.field)
            assert f is not None
            relations.append((name, relation.field, f))
        loaded: list[Mapping[str, Any]] = []
        for record, row in zip(rows, data, strict=True):
            out = dict(row)
            for name, field_name, f in relations:
                key = _relation_key(f, record.get(field_name))
                out[name] = None if key is None else index.get(key)
            loaded.append(out)
        data = loaded
    if not paginate:
        return data
    assert limit is not None
    return Page(total=total, limit=limit, skip=skip, data=data)


@overload
def find(
    records: Iterable[Record],
    query: Query | str | object,
    *,
    schema: Schema | None = ...,
    default_limit: int | None = ...,
    max_limit: int | None = ...,
    paginate: Literal[True] = ...,
    users: Users | None = ...,
    on_error: OnError | None = ...,
) -> Page: ...


@overload
def find(
    records: Iterable[Record],
    query: Query | str | object,
    *,
    schema: Schema | None = ...,
    default_limit: int | None = ...,
    max_limit: int | None = ...,
    paginate: Literal[False],
    users: Users | None = ...,
    on_error: OnError | None = ...,
) -> list[Mapping[str, Any]]: ...


@overload
def find(
    records: Iterable[Record],
    query: Query | str | object,
    *,
    schema: Schema | None = ...,
    default_limit: int | None = ...,
    max_limit: int | None = ...,
    paginate: bool,
    users: Users | None = ...,
    on_error: OnError | None = ...,
) -> Page | list[Mapping[str, Any]]: ...


def find(
    records: Iterable[Record],
    query: Query | str | object,
    *,
    schema: Schema | None = None,
    default_limit: int | None = None,
    max_limit: int | None = None,
    paginate: bool = True,
    users: Users | None = None,
    on_error: OnError | None = None,
) -> Page | list[Mapping[str, Any]]:
    """Answer a query over records as the LionDesk API would: a Feathers page, or every row.

    ``find(records, "is_active=true&$sort[send_at]=-1&$limit=2")`` gives
    ``{"total": 87, "limit": 2, "skip": 0, "data": [...]}``.

    Args:
        records: any iterable of mappings (dicts from JSON, or rows of a CSV export, whose text
            values are coerced through the schema); read once, never modified.
        query: query text, a ``Query``, a builder query, or a ``Compiled`` one.
        schema: the fields; the contact-communication schema by default.
        default_limit: the page size without ``$limit``; the schema's (10) by default.
        max_limit: the largest page; a larger ``$limit`` is lowered to it. The schema's (100)
            by default.
        paginate: False for a plain list of every row: no default and no maximum, ``$limit``
            and ``$skip`` apply as written.
        users: for ``$load``: a mapping of user id to user, or a list of users with an ``id``.
        on_error: called with ``(index, error)`` for a record whose value does not fit its
            field; return to leave the record out, raise to stop. By default ``RecordError``
            is raised, naming the record's index and the field.

    Returns:
        ``{"total", "limit", "skip", "data"}``, or a list with ``paginate=False``. The rows are
        the caller's records, or new dicts when ``$select`` or ``$load`` shape them.

    Raises:
        QuerySyntaxError: the text cannot be read.
        QueryValidationError: every problem of a query that is not valid.
        RecordError: a record value that does not fit its field (with no ``on_error``).
        QueryError: ``$load`` without ``users`` (code ``missing-users``).
        QueryValidationError: a pattern ending in a lone backslash that a value matches up to
            (``bad-pattern``): PostgreSQL stops the query there.
    """
    compiled = compile(query, schema)
    if schema is not None and compiled.schema != schema:  # a query compiled for another schema
        compiled = compile(dataclasses.replace(compiled.query, limit=compiled.written_limit), schema)
    try:
        return evaluate(
            compiled,
            records,
            paginate=paginate,
            default_limit=default_limit,
            max_limit=max_limit,
            users=users,
            on_error=on_error,
        )
    except QueryError as error:
        # What only the records reveal about the query (a pattern PostgreSQL stops on) points
        # into its text; a record's own error does not.
        if isinstance(query, str) and not isinstance(error, RecordError) and not error.text:
            raise error.with_text(query) from None
        raise
