"""Requests -> answers of the campaign-communications endpoint: find, get and patch over a store.

``CampaignCommunications`` answers ``/contacts/{contact_id}/campaign-communications`` as the
LionDesk API does (docs/semantics.md sections 3, 4 and 6): ``find`` and ``get`` run a query through
``querylang.memory.find`` over the route's contact's records only, ``patch`` changes
``is_active`` and keeps ``completing_user_id`` and ``completed_at`` in step (``rules.transition``),
and the access rule (``rules.access``) decides who may do either. The data sits in a
``MemoryStore``. Failures are exceptions mirroring Feathers' errors (``BadRequest``,
``NotAuthenticated``, ``Forbidden``, ``NotFound``, ...), all ``ServiceError``; ``http.py``
turns them into HTTP responses.

Records are typed with the schema when the service is made, so dates are aware ``datetime``
objects in UTC; ``jsonable`` renders them as the reference server does
(``2023-04-10T00:00:00.000Z``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from ..ast import Query
from ..errors import Diagnostic, QueryError
from ..memory.compile import Compiled
from ..page import Page
from ..schema import CONTACT_COMMUNICATIONS, Schema
from ..validate import validate
from .data import Contact, Team
from .errors import BadRequest, NotFound
from .rules import access, check_patterns, check_route, read_body, transition
from .store import MemoryStore, Store

if TYPE_CHECKING:
    from .database import Database

__all__ = ["CampaignCommunications", "Clock"]

SCHEMA = CONTACT_COMMUNICATIONS
Clock = Callable[[], datetime]
"""Returns the current time as an aware ``datetime``; ``completed_at`` of a completion."""
_Read = TypeVar("_Read", bound=Query | Compiled)  # what a store runs: a typed query, or one compiled


class CampaignCommunications:
    """The campaign-communications endpoint of one LionDesk account, in memory and thread-safe.

    >>> svc = CampaignCommunications.from_folder("examples")
    >>> svc.find(contact_id=76, query="$load=send_from_user&$limit=2", user_id=3)["total"]
    289
    >>> svc.patch(contact_id=76, id=540654, data={"is_active": "true"}, user_id=3)[0]["completed_at"] is None
    True

    Every method takes the route's ``contact_id`` (only its records are read or changed; another
    contact's record is not found) and the acting ``user_id``, to whom the access rule applies
    (docs/semantics.md section 6): a user may read and update a contact's communications when they
    are the contact's owner, on a team with the owner, the contact's assigned user, or a user the
    contact is shared with. Reads check it only when a ``user_id`` is given. A ``query`` is the
    text as in the URL after ``?``, a ``Query`` or a builder query; ``$load`` adds
    ``send_from_user`` and ``completing_user``. Answers are copies (datetimes are ``datetime``
    objects; ``jsonable`` renders them). Errors are ``ServiceError``: ``NotFound`` for no such
    contact or record, ``Forbidden`` for a user the rule refuses, ``BadRequest`` with every
    problem of a query or body that is not valid.
    """

    def __init__(
        self,
        records: Iterable[Mapping[str, object]],
        *,
        contacts: Iterable[Contact | Mapping[str, object]] = (),
        users: Mapping[int, Mapping[str, Any]] | Iterable[Mapping[str, Any]] = (),
        teams: Iterable[Team | Mapping[str, object]] = (),
        clock: Clock | None = None,
    ) -> None:
        """Check and type the data; nothing given is modified or kept by reference.

        Args:
            records: contact communications (JSON values, or CSV text), each with an ``id``
                (unique) and a ``contact_id``.
            contacts: ``Contact`` objects or ``{id, owner_user_id, assigned_user_id,
                shared_with_user_ids}``; a route's contact must be one of them.
            users: for ``$load``: a list of ``{id, first_name, last_name, ...}`` or a mapping of
                id to user.
            teams: ``Team`` objects or ``{id, name, member_user_ids}``.
            clock: returns the current time (an aware ``datetime``) for ``completed_at``; the
                system clock by default.

        Raises:
            DataError: a record, contact, user or team that is not valid, or a repeated id.
        """
        self._clock: Clock = clock or _system_clock
        self._store: Store = MemoryStore.from_data(SCHEMA, records, contacts=contacts, users=users, teams=teams)

    @classmethod
    def from_folder(cls, folder: str | Path, *, clock: Clock | None = None) -> CampaignCommunications:
        """A service over the JSON files of a folder, laid out as ``examples/`` (``data.read_folder``).

        Raises:
            DataError: a file is missing, is not JSON, or holds data that is not valid; the
                message names the file (and line).
        """
        service = cls((), clock=clock)
        service._store = MemoryStore.from_folder(SCHEMA, folder)
        return service

    @classmethod
    def from_database(cls, url: str | Path | Database, *, clock: Clock | None = None) -> CampaignCommunications:
        """A service over a database that ``querylang db load`` filled (``database.SqlStore``).

        Args:
            url: a SQLite file's path (or ``sqlite:///path``), a ``postgresql://`` URL, or a
                ``Database`` already open (one ``auth.Tokens`` shares, say).
            clock: as for the constructor.

        Raises:
            DatabaseError: it cannot be opened, ``db init`` never ran on it, or another schema
                version made it.
        """
        from .database import Database, SqlStore

        service = cls((), clock=clock)
        service._store = SqlStore(url if isinstance(url, Database) else Database(url))
        return service

    def ping(self) -> None:
        """Raise when the store cannot answer (the database is gone, say); for ``/healthz``."""
        self._store.ping()

    def close(self) -> None:
        """Close the store's database connections (nothing for the in-memory store)."""
        self._store.close()

    def access(self, contact_id: int, user_id: int) -> str | None:
        """Why ``user_id`` may use ``contact_id``'s communications (``rules.access``), or None.

        Returns:
            ``"owner"``, ``"team"``, ``"assigned"`` or ``"shared"``, the first that applies;
            None for anyone else or an unknown contact.
        """
        contact, teams = self._store.route(contact_id)
        return None if contact is None else access(contact, teams, user_id)

    def check_route(self, contact_id: int, user_id: int | None) -> None:
        """Refuse a contact that does not exist, or a user who may not use it (``rules.check_route``).

        Raises:
            Forbidden: the user may not use the contact, or it does not exist (so that a user
                learns nothing of contacts they may not read).
            NotFound: no such contact, for the trusted caller (``user_id=None``).
        """
        contact, teams = self._store.route(contact_id)
        check_route(contact, teams, contact_id, user_id)

    # ---- reads

    def find(self, contact_id: int, query: Query | str | object = "", *, user_id: int | None = None) -> Page:
        """A page of the contact's communications, as ``GET /contacts/{contact_id}/campaign-communications``.

        Returns:
            ``{"total", "limit", "skip", "data"}``.

        Raises:
            ServiceError: as the class says. A pattern ending in a lone backslash is a
                ``BadRequest`` (``bad-pattern``) before any record is read (``rules.check_patterns``).
        """
        return self.find_with_warnings(contact_id, query, user_id=user_id)[0]

    def find_with_warnings(
        self, contact_id: int, query: Query | str | object = "", *, user_id: int | None = None
    ) -> tuple[Page, tuple[Diagnostic, ...]]:
        """``find``, and the query's warnings (``raw-value``, ``limit-lowered``, ...), as HTTP sends them."""
        self.check_route(contact_id, user_id)
        prepared = _read(query, self._store.prepare)
        # Past _read, a query fails on no typed record; an error that did would depend on the
        # data, so it must not become a BadRequest that quotes it.
        page = self._store.find(contact_id, prepared)
        rows: list[Mapping[str, Any]] = [_copy(r) for r in page["data"]]
        typed = prepared.query if isinstance(prepared, Compiled) else prepared
        return Page(total=page["total"], limit=page["limit"], skip=page["skip"], data=rows), typed.warnings

    def get(
        self, contact_id: int, id: int, query: Query | str | object = "", *, user_id: int | None = None
    ) -> dict[str, Any]:
        """Communication ``id``, as ``GET /contacts/{contact_id}/campaign-communications/{id}``.

        As in Feathers, the query's conditions must also hold (else the record is not found),
        ``$select`` and ``$load`` shape it, and ``$limit``/``$skip`` do not apply.

        Raises:
            ServiceError: as for ``find``.
        """
        return self.get_with_warnings(contact_id, id, query, user_id=user_id)[0]

    def get_with_warnings(
        self, contact_id: int, id: int, query: Query | str | object = "", *, user_id: int | None = None
    ) -> tuple[dict[str, Any], tuple[Diagnostic, ...]]:
        """``get``, and the query's warnings, as HTTP sends them."""
        self.check_route(contact_id, user_id)
        typed = _read(query, validate)
        row = self._store.get(contact_id, id, typed)
        if row is None:
            raise NotFound(f"No record found for id '{id}'")
        return _copy(row), typed.warnings

    # ---- update

    def patch(self, contact_id: int, id: int, data: object, *, user_id: int) -> tuple[dict[str, Any], list[Diagnostic]]:
        """Update communication ``id``, as ``PATCH /contacts/{contact_id}/campaign-communications/{id}``.

        ``data`` is the body, a JSON object such as ``{"is_active": "true"}``. Only ``is_active``
        changes (``rules.read_body``, ``rules.transition``): to false, ``completing_user_id``
        becomes ``user_id`` and ``completed_at`` the clock's time; to true, both become null;
        unchanged, nothing changes. Read-only fields are ignored with a warning; unknown fields
        and a value that is not a boolean are a ``BadRequest``. Patches apply one at a time; a
        refused patch changes nothing.

        Returns:
            ``(record, warnings)``: the updated record, and a ``read-only-field`` warning per
            ignored field.

        Raises:
            ServiceError: as the class says.
        """
        self.check_route(contact_id, user_id)
        active, found = read_body(data, SCHEMA)
        if any(d.severity == "error" for d in found):
            raise BadRequest.from_diagnostics("body", found)
        updated = self._store.update(
            contact_id, id, lambda record: transition(record, active=active, user_id=user_id, clock=self._clock)
        )
        if updated is None:
            raise NotFound(f"No record found for id '{id}'")
        return _copy(updated), found


def _system_clock() -> datetime:
    return datetime.now(UTC)


def _read(query: Query | str | object, read: Callable[[Any, Schema], _Read]) -> _Read:
    """A query as ``read`` (``validate`` or ``compile``) makes it, if the service runs it.

    Raises:
        BadRequest: the query is not valid, or holds a pattern ending in a lone backslash
            (``rules.check_patterns``); nothing depends on the records.
    """
    text = query if isinstance(query, str) else ""
    try:
        made = read(query, SCHEMA)
    except QueryError as error:
        raise BadRequest.from_diagnostics("query", error.diagnostics, error.text or text) from error
    check_patterns(made if isinstance(made, Query) else made.query, text)
    return made


def _copy(row: Mapping[str, Any]) -> dict[str, Any]:
    """A row the caller may change: loaded users are copied too, never shared with the service."""
    return {k: dict(v) if isinstance(v, Mapping) else v for k, v in row.items()}
