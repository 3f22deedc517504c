"""Records, contacts, users and teams -> the campaign-communications endpoint in memory: find, get, patch.

``CampaignCommunications`` answers ``/contacts/{contact_id}/campaign-communications`` as the
LionDesk API does (SEMANTICS.md sections 3, 4 and 6): ``find`` and ``get`` run a query through
``querylang.evaluate.find`` over the route's contact's records only, ``patch`` changes
``is_active`` and keeps ``completing_user_id`` and ``completed_at`` in step, and the access rule
decides who may do either. Failures are exceptions mirroring Feathers' errors (``BadRequest``,
``NotAuthenticated``, ``Forbidden``, ``NotFound``, ...), all ``ServiceError``; ``serve.py``
turns them into HTTP responses.

Records are typed with the schema when the service is made, so dates are aware ``datetime``
objects in UTC; ``jsonable`` renders them as the reference server does
(``2023-04-10T00:00:00.000Z``). A patch replaces the stored record with a new dict under one
service lock (copy on write): concurrent patches apply one after the other, and readers never
see half an update.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, ClassVar

from ..ast import Query, conditions
from ..errors import Diagnostic, QueryError, suggest
from ..memory.compile import compile
from ..memory.find import Page, find
from ..memory.plan import stops_postgres
from ..schema import CONTACT_COMMUNICATIONS, RecordError
from ..validate import validate
from ..values import FarInstant

__all__ = [
    "BadRequest",
    "CampaignCommunications",
    "Contact",
    "DataError",
    "Forbidden",
    "GeneralError",
    "MethodNotAllowed",
    "NotAuthenticated",
    "NotFound",
    "ServiceError",
    "Team",
    "format_datetime",
    "jsonable",
]

SCHEMA = CONTACT_COMMUNICATIONS
Clock = Callable[[], datetime]
"""Returns the current time as an aware ``datetime``; ``completed_at`` of a completion."""


# ---------------------------------------------------------------- errors


class ServiceError(Exception):
    """Base of the service's errors; each mirrors a Feathers error and its HTTP status.

    Not a ``QueryError``: a refused or missing record is not a problem with a query's text.
    A ``BadRequest`` caused by a query carries that query's diagnostics and text instead, and
    the ``QueryError`` as its ``__cause__``.

    Attributes:
        message: what went wrong, for people.
        diagnostics: the problems behind a ``BadRequest`` (errors and warnings); else empty.
        text: the query text the diagnostics' spans point into ("" for a body).
    """

    name: ClassVar[str] = "GeneralError"
    code: ClassVar[int] = 500
    class_name: ClassVar[str] = "general-error"

    def __init__(self, message: str, diagnostics: Iterable[Diagnostic] = (), text: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.diagnostics: tuple[Diagnostic, ...] = tuple(diagnostics)
        self.text = text

    def to_dict(self) -> dict[str, object]:
        """The error as Feathers sends it: ``name``, ``message``, ``code``, ``className``, ``data``.

        ``data`` (the diagnostics as dicts) is present only when there are diagnostics, as
        Feathers leaves out an undefined ``data``.
        """
        body: dict[str, object] = {
            "name": self.name,
            "message": self.message,
            "code": self.code,
            "className": self.class_name,
        }
        if self.diagnostics:
            body["data"] = [d.to_dict() for d in self.diagnostics]
        return body


class BadRequest(ServiceError):
    """400: the query or the body is not valid; ``diagnostics`` says why, every problem at once."""

    name, code, class_name = "BadRequest", 400, "bad-request"

    @classmethod
    def from_diagnostics(cls, what: str, diagnostics: Iterable[Diagnostic], text: str = "") -> BadRequest:
        """A BadRequest whose message is the first error's headline (``invalid body: ...``)."""
        found = tuple(diagnostics)
        errors = [d for d in found if d.severity == "error"] or list(found)
        message = f"invalid {what}: {errors[0].headline}" if errors else f"invalid {what}"
        if len(errors) > 1:
            message += f" (and {len(errors) - 1} more)"
        return cls(message, found, text)


class NotAuthenticated(ServiceError):
    """401: the request names no acting user, or not in a form the service reads."""

    name, code, class_name = "NotAuthenticated", 401, "not-authenticated"


class Forbidden(ServiceError):
    """403: the acting user may not read or update this contact's communications."""

    name, code, class_name = "Forbidden", 403, "forbidden"


class NotFound(ServiceError):
    """404: no such contact, no such record for the route's contact, or no such path."""

    name, code, class_name = "NotFound", 404, "not-found"


class MethodNotAllowed(ServiceError):
    """405: the path exists but does not answer this HTTP method."""

    name, code, class_name = "MethodNotAllowed", 405, "method-not-allowed"


class GeneralError(ServiceError):
    """500: something failed inside the service."""


class DataError(ValueError):
    """The service's data (records, users, contacts, teams) is not valid; the message says where."""


# ---------------------------------------------------------------- rendering


def format_datetime(value: datetime) -> str:
    """An aware ``datetime`` as the reference renders it: UTC, milliseconds, ``Z``.

    ``2023-04-10T00:00:00.000Z``: PostgreSQL's ``timestamptz`` becomes a JavaScript ``Date``,
    which keeps whole milliseconds (the microseconds are truncated, not rounded).
    """
    utc = value.astimezone(UTC).replace(tzinfo=None)
    return utc.isoformat(timespec="milliseconds") + "Z"


def jsonable(value: object) -> object:
    """A copy of ``value`` that ``json.dumps`` can write: datetimes become ISO strings.

    Mappings and sequences are copied recursively; other values are kept.
    """
    if isinstance(value, datetime):
        return format_datetime(value)
    if isinstance(value, FarInstant):
        return value.js_text()
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    return value


# ---------------------------------------------------------------- data model


def _int(value: object, what: str) -> int:
    if type(value) is not int:
        raise DataError(f"{what} must be a whole number, not {value!r}")
    return value


def _optional_int(value: object, what: str) -> int | None:
    return None if value is None else _int(value, what)


def _ids(value: object, what: str) -> frozenset[int]:
    if value is None:
        return frozenset()
    if not isinstance(value, list | tuple | set | frozenset):
        raise DataError(f"{what} must be a list of user ids, not {value!r}")
    return frozenset(_int(v, f"{what}[]") for v in value)


def _object(value: object, what: str) -> Mapping[str, object]:
    if not isinstance(value, Mapping):
        raise DataError(f"{what} must be a JSON object, not {value!r}")
    return value


@dataclass(frozen=True, slots=True)
class Contact:
    """A contact, as far as access goes.

    Attributes:
        id: the contact's id (the ``{contact_id}`` of the route).
        owner_user_id: the user who owns the contact.
        assigned_user_id: the user the contact is assigned to, or None.
        shared_with_user_ids: the users the contact is shared with.
    """

    id: int
    owner_user_id: int
    assigned_user_id: int | None = None
    shared_with_user_ids: frozenset[int] = frozenset()

    @classmethod
    def from_dict(cls, data: object, where: str = "contact") -> Contact:
        """A contact from its JSON object (other keys, such as names, are ignored).

        Raises:
            DataError: a key is missing or of the wrong type.
        """
        item = _object(data, where)
        return cls(
            id=_int(item.get("id"), f"{where}: 'id'"),
            owner_user_id=_int(item.get("owner_user_id"), f"{where}: 'owner_user_id'"),
            assigned_user_id=_optional_int(item.get("assigned_user_id"), f"{where}: 'assigned_user_id'"),
            shared_with_user_ids=_ids(item.get("shared_with_user_ids"), f"{where}: 'shared_with_user_ids'"),
        )


@dataclass(frozen=True, slots=True)
class Team:
    """A team of users; a contact's owner's team members may update the contact's communications.

    Attributes:
        id: the team's id.
        member_user_ids: the users on the team.
        name: the team's name.
    """

    id: int
    member_user_ids: frozenset[int]
    name: str = ""

    @classmethod
    def from_dict(cls, data: object, where: str = "team") -> Team:
        """A team from its JSON object ``{id, name, member_user_ids}``.

        Raises:
            DataError: a key is missing or of the wrong type.
        """
        item = _object(data, where)
        return cls(
            id=_int(item.get("id"), f"{where}: 'id'"),
            member_user_ids=_ids(item.get("member_user_ids"), f"{where}: 'member_user_ids'"),
            name=str(item.get("name", "")),
        )


def _users(users: Mapping[int, Mapping[str, Any]] | Iterable[object]) -> dict[int, dict[str, Any]]:
    items: Iterable[object] = users.values() if isinstance(users, Mapping) else users
    index: dict[int, dict[str, Any]] = {}
    for n, user in enumerate(items):
        item = _object(user, f"user {n}")
        user_id = _int(item.get("id"), f"user {n}: 'id'")
        if user_id in index:
            raise DataError(f"user {n}: id {user_id} appears twice")
        index[user_id] = dict(item)
    return index


# ---------------------------------------------------------------- the service


class CampaignCommunications:
    """The campaign-communications endpoint of one LionDesk account, in memory and thread-safe.

    >>> svc = CampaignCommunications.from_folder("examples")
    >>> svc.find(contact_id=76, query="$load=send_from_user&$limit=2", user_id=3)["total"]
    289
    >>> svc.patch(contact_id=76, id=540654, data={"is_active": "true"}, user_id=3)[0]["completed_at"] is None
    True

    The access rule (SEMANTICS.md section 6): a user may read and update a contact's
    communications when they are the contact's owner, on a team with the owner, the contact's
    assigned user, or a user the contact is shared with. Reads check it only when a
    ``user_id`` is given.
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
        self._clock: Clock = clock or (lambda: datetime.now(UTC))
        self._lock = threading.RLock()  # reentrant: a clock may read the service
        self._records: dict[int, dict[str, object]] = {}
        self._by_contact: dict[int, list[int]] = {}
        for n, record in enumerate(records):
            self._add(record, f"record {n}")
        self._contacts: dict[int, Contact] = {}
        for n, contact in enumerate(contacts):
            c = contact if isinstance(contact, Contact) else Contact.from_dict(contact, f"contact {n}")
            if c.id in self._contacts:
                raise DataError(f"contact {n}: id {c.id} appears twice")
            self._contacts[c.id] = c
        self._teams: tuple[Team, ...] = tuple(
            t if isinstance(t, Team) else Team.from_dict(t, f"team {n}") for n, t in enumerate(teams)
        )
        self._users = _users(users)

    def _add(self, record: Mapping[str, object], where: str) -> None:
        if not isinstance(record, Mapping):
            raise DataError(f"{where}: a record must be a JSON object, not {record!r}")
        try:
            typed = SCHEMA.coerce_record(record, where)
        except RecordError as error:
            raise DataError(error.diagnostic.headline) from None
        for f in SCHEMA.fields:
            if f.required and typed.get(f.name) is None:
                raise DataError(f"{where}: field '{f.name}' is required")
        record_id, contact_id = typed["id"], typed["contact_id"]
        assert isinstance(record_id, int) and isinstance(contact_id, int)  # typed by the schema
        if record_id in self._records:
            raise DataError(f"{where}: id {record_id} appears twice")
        self._records[record_id] = typed
        self._by_contact.setdefault(contact_id, []).append(record_id)

    @classmethod
    def from_folder(cls, folder: str | Path, *, clock: Clock | None = None) -> CampaignCommunications:
        """A service over the JSON files of a folder (the layout of ``examples/``).

        The folder holds ``campaign-communications.jsonl`` (one record per line) or
        ``campaign-communications.json`` (a list of records), and ``contacts.json``; it may
        hold ``users.json`` and ``teams.json`` (lists of objects; missing means none).

        Args:
            folder: the folder.
            clock: as for the constructor.

        Returns:
            The service.

        Raises:
            DataError: a file is missing, is not JSON, or holds data that is not valid; the
                message names the file (and line).
        """
        root = Path(folder)
        if not root.is_dir():
            raise DataError(f"{root}: not a folder")
        lines, listed = root / "campaign-communications.jsonl", root / "campaign-communications.json"
        if lines.exists() and listed.exists():
            raise DataError(f"{root}: holds both {lines.name} and {listed.name}; keep one")
        if lines.exists():
            records = _read_jsonl(lines)
        elif listed.exists():
            records = [(f"{listed} item {n}", r) for n, r in enumerate(_read_list(listed, required=True))]
        else:
            raise DataError(f"{root}: no {lines.name} or {listed.name}")
        contacts = root / "contacts.json"
        teams = root / "teams.json"
        users = root / "users.json"
        contact_list = [
            Contact.from_dict(c, f"{contacts} item {n}") for n, c in enumerate(_read_list(contacts, required=True))
        ]
        team_list = [Team.from_dict(t, f"{teams} item {n}") for n, t in enumerate(_read_list(teams))]
        try:
            user_index = _users(_read_list(users))
        except DataError as error:
            raise DataError(f"{users}: {error}") from None
        try:
            service = cls((), contacts=contact_list, users=user_index, teams=team_list, clock=clock)
        except DataError as error:  # the only check left: a contact id given twice
            raise DataError(f"{contacts}: {error}") from None
        for where, record in records:
            service._add(_object(record, where), where)
        return service

    # ---- access

    def access(self, contact_id: int, user_id: int) -> str | None:
        """Why ``user_id`` may use ``contact_id``'s communications, or None if they may not.

        Returns:
            ``"owner"``, ``"team"`` (on a team with the owner), ``"assigned"`` or ``"shared"``,
            the first that applies; None for anyone else or an unknown contact.
        """
        contact = self._contacts.get(contact_id)
        if contact is None:
            return None
        if user_id == contact.owner_user_id:
            return "owner"
        if any(user_id in t.member_user_ids and contact.owner_user_id in t.member_user_ids for t in self._teams):
            return "team"
        if user_id == contact.assigned_user_id:
            return "assigned"
        if user_id in contact.shared_with_user_ids:
            return "shared"
        return None

    def _route(self, contact_id: int, user_id: int | None) -> None:
        """Check the route's contact exists and, with a user, that they may use it."""
        if contact_id not in self._contacts:
            raise NotFound(f"No contact found for id '{contact_id}'")
        if user_id is not None and self.access(contact_id, user_id) is None:
            raise Forbidden(f"user {user_id} may not access the communications of contact {contact_id}")

    def _run_stopping_patterns(self, query: Query) -> None:
        """Run each pattern ending in a lone backslash over every contact's records.

        The reference's PostgreSQL tests such a pattern on every row of the table, whatever the
        route's contact and the other conditions, and fails the request on the first row that
        matches up to the backslash (``querylang.like.postgres_like``).

        Raises:
            QueryValidationError: ``bad-pattern``, naming the value.
        """
        stopping = [c for c in conditions(query.where) if stops_postgres(c)]
        if stopping:
            with self._lock:
                everything = list(self._records.values())
            for cond in stopping:
                find(everything, Query(where=cond), schema=SCHEMA, paginate=False)

    def _snapshot(self, contact_id: int) -> list[dict[str, object]]:
        with self._lock:
            return [self._records[i] for i in self._by_contact.get(contact_id, ())]

    def _current(self, contact_id: int, id: int) -> dict[str, object]:
        """The stored record ``id`` of the contact (call with the lock held, or for a snapshot)."""
        record = self._records.get(id)
        if record is None or record["contact_id"] != contact_id:
            raise NotFound(f"No record found for id '{id}'")
        return record

    # ---- reads

    def find(self, contact_id: int, query: Query | str | object = "", *, user_id: int | None = None) -> Page:
        """A page of the contact's communications, as ``GET /contacts/{contact_id}/campaign-communications``.

        Args:
            contact_id: the route's contact; only its records are searched.
            query: the query text (raw, as in the URL after ``?``), a ``Query`` or a builder
                query; ``$load`` adds ``send_from_user`` and ``completing_user``.
            user_id: the acting user; when given, the access rule applies.

        Returns:
            ``{"total", "limit", "skip", "data"}``; the rows are copies (datetimes are
            ``datetime`` objects; ``jsonable`` renders them).

        Raises:
            NotFound: no such contact.
            Forbidden: ``user_id`` may not read this contact's communications.
            BadRequest: the query is not valid; ``diagnostics`` holds every problem.
        """
        self._route(contact_id, user_id)
        records = self._snapshot(contact_id)
        try:
            compiled = compile(query, SCHEMA)
            self._run_stopping_patterns(compiled.query)
            page = find(records, compiled, schema=SCHEMA, users=self._users)
        except QueryError as error:
            raise BadRequest.from_diagnostics("query", error.diagnostics, error.text or _text(query)) from error
        assert isinstance(page, dict)  # paginated
        return Page(total=page["total"], limit=page["limit"], skip=page["skip"], data=[_copy(r) for r in page["data"]])

    def get(
        self, contact_id: int, id: int, query: Query | str | object = "", *, user_id: int | None = None
    ) -> dict[str, Any]:
        """One communication, as ``GET /contacts/{contact_id}/campaign-communications/{id}``.

        As in Feathers, the query's conditions must also hold (else the record is not found),
        ``$select`` and ``$load`` shape it, and ``$limit``/``$skip`` do not apply.

        Args:
            contact_id: the route's contact; another contact's record is not found.
            id: the record's id.
            query: as for ``find``.
            user_id: the acting user; when given, the access rule applies.

        Returns:
            A copy of the record.

        Raises:
            NotFound: no such contact, or no record ``id`` of it that matches the query.
            Forbidden: ``user_id`` may not read this contact's communications.
            BadRequest: the query is not valid.
        """
        self._route(contact_id, user_id)
        try:
            typed = validate(query, SCHEMA)
            with self._lock:
                record = self._current(contact_id, id)
            rows = find([record], replace(typed, limit=None, skip=None), paginate=False, users=self._users)
        except QueryError as error:
            raise BadRequest.from_diagnostics("query", error.diagnostics, error.text) from error
        if not rows:
            raise NotFound(f"No record found for id '{id}'")
        return _copy(rows[0])

    # ---- update

    def patch(self, contact_id: int, id: int, data: object, *, user_id: int) -> tuple[dict[str, Any], list[Diagnostic]]:
        """Update one communication, as ``PATCH /contacts/{contact_id}/campaign-communications/{id}``.

        Only ``is_active`` changes (a boolean, or the string ``"true"`` or ``"false"``). To
        false: ``completing_user_id`` becomes ``user_id`` and ``completed_at`` the clock's time;
        to true: both become null; unchanged: nothing changes. Read-only fields in ``data``
        are ignored with a warning. Patches of one service apply one at a time; a refused patch
        changes nothing.

        Args:
            contact_id: the route's contact.
            id: the record's id.
            data: the body, a JSON object such as ``{"is_active": "true"}``.
            user_id: the acting user.

        Returns:
            ``(record, warnings)``: a copy of the updated record, and a ``read-only-field``
            warning per ignored field.

        Raises:
            NotFound: no such contact, or no record ``id`` of it.
            Forbidden: ``user_id`` may not update this contact's communications.
            BadRequest: an unknown field, a value of ``is_active`` that is not a boolean, or a
                body that is not an object; ``diagnostics`` holds every problem.
        """
        self._route(contact_id, user_id)
        active, found = _read_body(data)
        if any(d.severity == "error" for d in found):
            raise BadRequest.from_diagnostics("body", found)
        with self._lock:
            current = self._current(contact_id, id)
            updated = self._transition(current, active=active, user_id=user_id)
            self._records[id] = updated
        return _copy(updated), found

    def _transition(self, record: dict[str, object], *, active: bool | None, user_id: int) -> dict[str, object]:
        if active is None or active == record.get("is_active"):
            return record
        if active:
            return {**record, "is_active": True, "completing_user_id": None, "completed_at": None}
        now = self._clock()
        if not isinstance(now, datetime) or now.utcoffset() is None:
            raise TypeError(f"clock() must return an aware datetime, not {now!r}")
        return {**record, "is_active": False, "completing_user_id": user_id, "completed_at": now.astimezone(UTC)}


def _text(query: object) -> str:
    return query if isinstance(query, str) else ""


def _copy(row: Mapping[str, Any]) -> dict[str, Any]:
    """A row the caller may change: loaded users are copied too, never shared with the service."""
    return {k: dict(v) if isinstance(v, Mapping) else v for k, v in row.items()}


def _read_body(data: object) -> tuple[bool | None, list[Diagnostic]]:
    """The new ``is_active`` (None when absent) and the body's diagnostics, in key order."""
    if not isinstance(data, Mapping):
        kind = "a list" if isinstance(data, list) else repr(data)
        return None, [
            Diagnostic("not-an-object", f"the body must be a JSON object, not {kind}", hint='send {"is_active": false}')
        ]
    found: list[Diagnostic] = []
    active: bool | None = None
    only = "only " + ", ".join(f"'{f.name}'" for f in SCHEMA.fields if f.writeable) + " may change"
    for key, value in data.items():
        f = SCHEMA.field(key) if isinstance(key, str) else None
        if f is None:
            hint = suggest(str(key), SCHEMA.field_names) or only
            found.append(Diagnostic("unknown-field", f"unknown field {str(key)!r} in the body", hint=hint))
        elif not f.writeable:
            found.append(
                Diagnostic(
                    "read-only-field",
                    f"'{key}' is read-only; it was ignored",
                    hint=only,
                    severity="warning",
                )
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


def _show(value: object) -> str:
    try:
        return json.dumps(value, ensure_ascii=False)
    except (TypeError, ValueError):
        return repr(value)


# ---------------------------------------------------------------- files


def _load_json(path: Path) -> object:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise DataError(f"{path}: cannot read: {error.strerror}") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise DataError(f"{path}: not JSON: {error.msg} at line {error.lineno} column {error.colno}") from None


def _read_list(path: Path, *, required: bool = False) -> list[object]:
    if not path.exists() and not required:
        return []
    if not path.exists():
        raise DataError(f"{path}: missing")
    data = _load_json(path)
    if not isinstance(data, list):
        raise DataError(f"{path}: must hold a JSON list of objects")
    return data


def _read_jsonl(path: Path) -> list[tuple[str, object]]:
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as error:
        raise DataError(f"{path}: cannot read: {error.strerror}") from None
    records: list[tuple[str, object]] = []
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            records.append((f"{path} line {n}", json.loads(line)))
        except json.JSONDecodeError as error:
            raise DataError(f"{path} line {n}: not JSON: {error.msg} at column {error.colno}") from None
    return records
