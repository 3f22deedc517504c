"""Iterable of records + query -> the Feathers page ``{total, limit, skip, data}``, or a plain list.

``find`` answers a query over records in memory as the LionDesk server answers it over its
database (docs/semantics.md sections 3 and 4): filter, count ``total``, sort, skip, limit, then
``$select`` and ``$load``. It streams: the records are read once, and only the page is held
(with ``$sort`` and a limit, a bounded buffer of ``skip + limit`` rows).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from typing import Any, Literal, overload

from ..ast import Query
from ..errors import Diagnostic, QueryError
from ..page import Page, page_limits
from ..schema import Field, RecordError, Schema, ValueProblem
from ..source import NOWHERE, Span
from ..values import shown
from .compile import Compiled, compile
from .rows import OnError, Record, bad_value

__all__ = ["Page", "evaluate", "find"]


Users = Mapping[Any, Mapping[str, Any]] | Iterable[Mapping[str, Any]]
"""Users for ``$load``: a mapping of id to user, or user objects that each hold an ``id``."""


_USERS_HINT = "give users as [{'id': 1, 'first_name': ...}, ...]"


def _bad_user(message: str) -> RecordError:
    return RecordError([Diagnostic("bad-user", message, NOWHERE, _USERS_HINT)])


def _check_users(users: object) -> None:
    """Refuse users that are neither a mapping of id to user nor an iterable of users (``not-users``)."""
    if isinstance(users, str | bytes) or not isinstance(users, Iterable):
        message = f"users must be a list of users or a mapping of id to user, not {shown(users)}"
        raise RecordError([Diagnostic("not-users", message, NOWHERE, _USERS_HINT)])


def _user_list(users: object) -> list[tuple[str, object, Mapping[str, Any]]]:
    """The users as ``(where, id, user)``, read once (``users`` may be an iterator).

    Raises:
        RecordError: ``not-users`` for what is neither a mapping nor an iterable of users;
            ``bad-user`` for a user that is not an object with an ``id``.
    """
    pairs: Iterable[tuple[str, object, object]]
    _check_users(users)
    if isinstance(users, Mapping):
        pairs = ((f"user {shown(key)}", key, user) for key, user in users.items())
    else:
        assert isinstance(users, Iterable)
        pairs = (
            (f"user {n}", user.get("id") if isinstance(user, Mapping) else None, user) for n, user in enumerate(users)
        )
    found = []
    for where, user_id, user in pairs:
        if not isinstance(user, Mapping) or user_id is None:
            raise _bad_user(f"{where}: a user must be an object with an 'id', not {shown(user)}")
        found.append((where, user_id, user))
    return found


def _index_users(users: list[tuple[str, object, Mapping[str, Any]]], f: Field) -> dict[object, Mapping[str, Any]]:
    """Users by id, each id read as field ``f`` reads a record's value (``"42"`` is 42 for an integer).

    Raises:
        RecordError: ``bad-user`` for an id that does not fit the field (a list, ``true``, a
            number of thousands of digits).
    """
    index: dict[object, Mapping[str, Any]] = {}
    for where, user_id, user in users:
        try:
            key = f.from_record(user_id)
        except ValueProblem as problem:
            raise _bad_user(f"{where}: its id {problem.message}") from None
        if key is None:
            raise _bad_user(f"{where}: its id {shown(user_id)} is empty")
        index[key] = user
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
    # Each user is read only for a query that loads them; what holds them is checked always.
    user_list = None
    if users is not None and query.load is not None:
        user_list = _user_list(users)
    elif users is not None:
        _check_users(users)
    skip_written = query.skip if isinstance(query.skip, int) else None
    limit, skip = page_limits(
        compiled.written_limit, skip_written, schema, default_limit, max_limit, paginate=paginate
    )
    total, rows = compiled.window(records, skip, limit, on_error)
    data: list[Mapping[str, Any]] = [compiled.project(r) for r in rows] if compiled.project is not None else rows
    if query.load is not None:
        assert user_list is not None  # refused above without users
        relations = []
        indexes: dict[Field, dict[object, Mapping[str, Any]]] = {}
        for name in dict.fromkeys(query.load):
            relation = schema.relation(name)
            assert relation is not None  # validated
            f = schema.field(relation.field)
            assert f is not None
            if f not in indexes:
                indexes[f] = _index_users(user_list, f)
            relations.append((name, relation.field, f, indexes[f]))
        loaded: list[Mapping[str, Any]] = []
        for record, row in zip(rows, data, strict=True):
            out = dict(row)
            for name, field_name, f, index in relations:
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
        users: for ``$load``: a mapping of user id to user, or a list of users with an ``id``;
            each id is read as the relation's field reads a record's value (``"42"`` is 42).
        on_error: called with ``(index, error)`` for a record whose value does not fit its
            field; return to leave the record out, raise to stop. By default ``RecordError``
            is raised, naming the record's index and the field.

    Returns:
        ``{"total", "limit", "skip", "data"}``, or a list with ``paginate=False``. The rows are
        the caller's records, or new dicts when ``$select`` or ``$load`` shape them.

    Raises:
        QuerySyntaxError: the text cannot be read.
        QueryValidationError: every problem of a query that is not valid.
        RecordError: a record value that does not fit its field, or a record that is not a
            mapping (``not-a-record``), whatever the query (with no ``on_error``); records that
            are not an iterable of records (``not-records``); users that are not a list or a
            mapping of users (``not-users``), or, for a query with ``$load``, a user without an
            ``id`` that fits the relation's field (``bad-user``).
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
