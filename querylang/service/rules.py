"""The endpoint's rules as plain functions over data: who may use a contact, which queries it runs, what a PATCH does.

Every store calls these (docs/semantics.md sections 4 and 6), so the in-memory service and a
database behind it decide alike: a store only finds, locks and writes.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime

from ..ast import Query
from ..errors import MAX_SHOWN_DIAGNOSTICS, Diagnostic, QueryValidationError, suggest
from ..schema import Schema
from ..validate import lone_escapes
from .data import Contact, Team
from .errors import BadRequest, Forbidden, NotFound

__all__ = ["access", "check_patterns", "check_route", "read_body", "transition"]


def access(contact: Contact, teams: Iterable[Team], user_id: int) -> str | None:
    """Why ``user_id`` may read and update ``contact``'s communications, or None if they may not.

    Returns:
        ``"owner"``, ``"team"`` (on a team with the owner), ``"assigned"`` or ``"shared"``, the
        first that applies; None for anyone else.
    """
    if user_id == contact.owner_user_id:
        return "owner"
    if any(user_id in t.member_user_ids and contact.owner_user_id in t.member_user_ids for t in teams):
        return "team"
    if user_id == contact.assigned_user_id:
        return "assigned"
    if user_id in contact.shared_with_user_ids:
        return "shared"
    return None


def check_route(contact: Contact | None, teams: Iterable[Team], contact_id: int, user_id: int | None) -> None:
    """Refuse a route to a contact that does not exist, or a user who may not use it.

    A user learns nothing of contacts they may not read: for them a contact that does not
    exist is refused as one they may not use. ``user_id=None`` is the trusted caller (the
    application authenticated already): the access rule is skipped, and a missing contact is
    not found.

    Raises:
        Forbidden: ``user_id`` may not use the contact's communications, or there is no such
            contact.
        NotFound: no contact ``contact_id``, for the trusted caller.
    """
    if user_id is not None and (contact is None or access(contact, teams, user_id) is None):
        raise Forbidden(f"user {user_id} may not access the communications of contact {contact_id}")
    if contact is None:
        raise NotFound(f"No contact found for id '{contact_id}'")


def check_patterns(query: Query, text: str = "") -> None:
    """Refuse a typed query holding a pattern that ends in a lone backslash, before any record is read.

    PostgreSQL runs such a pattern on every row of the table, whatever the route's contact, and
    stops the query on the first row that matches up to the backslash. An answer that depended
    on that would let a user probe records they may not read, so the service refuses the
    pattern up front, whatever the data (docs/semantics.md section 4); only the query is looked at.

    Args:
        query: the typed query (``validate``); its warnings go with the refusal.
        text: the query text its spans point into ("" for a built query).

    Raises:
        BadRequest: ``bad-pattern`` at each such pattern's value, caused by a
            ``QueryValidationError``.
    """
    found = lone_escapes(query, "the service refuses it before reading any record")
    if found:
        found = sorted([*found, *query.warnings], key=lambda d: (d.span.start, d.span.end))
        error = QueryValidationError([d for d in found if d.severity == "error"], text)
        raise BadRequest.from_diagnostics("query", found, text) from error


def read_body(data: object, schema: Schema) -> tuple[bool | None, list[Diagnostic]]:
    """A PATCH body -> the new ``is_active`` (None when absent) and the body's diagnostics, in key order.

    Only writeable fields may change; read-only ones are ignored with a ``read-only-field``
    warning, unknown ones are errors, and ``is_active`` takes a boolean or ``"true"``/``"false"``.
    """
    if not isinstance(data, Mapping):
        kind = "a list" if isinstance(data, list) else _show(data)
        return None, [
            Diagnostic("not-an-object", f"the body must be a JSON object, not {kind}", hint='send {"is_active": false}')
        ]
    found: list[Diagnostic] = []
    active: bool | None = None
    only = "only " + ", ".join(f"'{f.name}'" for f in schema.fields if f.writeable) + " may change"
    unknown = 0
    for key, value in data.items():
        f = schema.field(key) if isinstance(key, str) else None
        if f is None:
            # Bounded work: a spelling hint (difflib) for the keys people are shown; the rest say
            # what may change. A body of 100,000 unknown keys took seconds of hints.
            unknown += 1
            near = (
                suggest(key, schema.field_names)
                if isinstance(key, str) and len(key) <= SHOWN and unknown <= MAX_SHOWN_DIAGNOSTICS
                else None
            )
            found.append(Diagnostic("unknown-field", f"unknown field {_name(key)} in the body", hint=near or only))
        elif not f.writeable:
            found.append(
                Diagnostic("read-only-field", f"'{key}' is read-only; it was ignored", hint=only, severity="warning")
            )
        elif value is True or value == "true":
            active = True
        elif value is False or value == "false":
            active = False
        else:
            found.append(
                Diagnostic(
                    "not-a-boolean",
                    f"{_show(value)} is not a boolean for '{key}'",
                    hint='use true or false, or the strings "true" or "false"',
                )
            )
    return active, found


def transition(
    record: Mapping[str, object], *, active: bool | None, user_id: int, clock: Callable[[], datetime]
) -> Mapping[str, object]:
    """The record after a PATCH of ``is_active``; the same object when nothing changes.

    To false: ``completing_user_id`` becomes the acting user and ``completed_at`` the clock's
    time (the clock is read only then); to true: both become null; unchanged (or absent):
    nothing changes.
    """
    if active is None or active == record.get("is_active"):
        return record
    if active:
        return {**record, "is_active": True, "completing_user_id": None, "completed_at": None}
    now = clock()
    if not isinstance(now, datetime) or now.utcoffset() is None:
        raise TypeError(f"clock() must return an aware datetime, not {now!r}")
    return {**record, "is_active": False, "completing_user_id": user_id, "completed_at": now.astimezone(UTC)}


SHOWN = 60
"""The most characters of a body's key or value that a message quotes; longer ones are cut (…)."""


def _show(value: object) -> str:
    """A body's value as a message quotes it: JSON, at most ``SHOWN`` characters; never fails.

    A value is read only as far as it is shown, so deep nesting, long strings and integers of
    thousands of digits (which ``str`` refuses) cost nothing.
    """
    text = _json_start(value, SHOWN + 1)
    return text if len(text) <= SHOWN else text[:SHOWN] + "…"


def _json_start(value: object, budget: int) -> str:
    """The first ``budget`` characters of the JSON of ``value``, or a little more."""
    if value is None or isinstance(value, bool | float):
        return json.dumps(value)
    if isinstance(value, int):
        if value.bit_length() > 3 * budget:  # more digits than are shown
            return f"<an integer of about {int(value.bit_length() * 0.30103) + 1} digits>"
        return str(value)
    if isinstance(value, str):
        return json.dumps(value[:budget], ensure_ascii=False)
    if isinstance(value, Mapping | list | tuple):
        opening, closing = ("{", "}") if isinstance(value, Mapping) else ("[", "]")
        items = iter(value.items()) if isinstance(value, Mapping) else iter(value)
        text = opening
        for n, item in enumerate(items):
            if len(text) >= budget:
                return text
            text += ", " if n else ""
            if isinstance(item, tuple) and isinstance(value, Mapping):
                text += _json_start(item[0], budget - len(text)) + ": "
                item = item[1]
            text += _json_start(item, budget - len(text))
        return text + closing
    return f"<{type(value).__name__}>"


def _name(key: object) -> str:
    """A body's key as a message quotes it: ``'colour'``, cut at ``SHOWN`` characters."""
    text = key if isinstance(key, str) else _show(key)
    return repr(text) if len(text) <= SHOWN else repr(text[:SHOWN])[:-1] + "…" + repr(text)[-1]
