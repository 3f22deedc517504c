"""The store protocol of the endpoint, and ``MemoryStore``: records, contacts, teams and users in memory.

A store only finds, locks and writes; the rules it is asked to apply (``rules.py``) decide.
An update replaces the stored record with a new dict under one lock (copy on write):
concurrent updates apply one after the other, and readers never see half an update.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any, Protocol

from ..ast import Query
from ..memory.compile import Compiled, compile
from ..memory.find import find
from ..page import Page
from ..schema import RecordError, Schema
from ..values import shown
from .data import Contact, Team, index_users, read_folder
from .errors import DataError

__all__ = ["MemoryStore", "Store", "typed_record"]

Record = dict[str, object]


def typed_record(schema: Schema, record: object, where: str) -> Record:
    """A record of a data file typed with the schema, as every store holds it.

    Raises:
        DataError: it is not an object, a value does not fit its field, or a required field is
            missing; the message starts with ``where``.
    """
    if not isinstance(record, Mapping):
        raise DataError(f"{where}: a record must be a JSON object, not {shown(record)}")
    try:
        typed = schema.coerce_record(record, where)
    except RecordError as error:
        raise DataError(error.diagnostic.headline) from None
    for f in schema.fields:
        if f.required and typed.get(f.name) is None:
            raise DataError(f"{where}: field '{f.name}' is required")
    return typed


class Store(Protocol):
    """What the endpoint asks of the place its data lives; the rules (``rules.py``) decide the rest.

    ``MemoryStore`` holds the data in memory; ``database.SqlStore`` in SQLite or PostgreSQL.
    """

    schema: Schema

    def prepare(self, query: Query | str | object, schema: Schema) -> Compiled | Query:
        """The query as the store runs it (compiled or typed); raises ``QueryError``."""

    def route(self, contact_id: int) -> tuple[Contact | None, tuple[Team, ...]]:
        """The contact and the teams its owner is on; ``(None, ())`` for no such contact."""

    def find(self, contact_id: int, prepared: Compiled | Query) -> Page:
        """The page of the contact's records that the query asks for."""

    def get(self, contact_id: int, id: int, typed: Query) -> Mapping[str, Any] | None:
        """Record ``id`` of the contact shaped by the query, if it matches it."""

    def update(self, contact_id: int, id: int, change: Callable[[Record], Mapping[str, object]]) -> Record | None:
        """Replace record ``id`` by ``change(record)`` atomically; the record stored, or None."""

    def ping(self) -> None:
        """Raise when the store cannot answer."""

    def close(self) -> None:
        """Release what the store holds open (connections)."""


class MemoryStore:
    """The data of one LionDesk account, in memory and thread-safe."""

    def __init__(self, schema: Schema, users: Mapping[int, dict[str, Any]], teams: Iterable[Team]) -> None:
        self.schema = schema
        self.users = dict(users)
        self.teams: tuple[Team, ...] = tuple(teams)
        self._lock = threading.RLock()  # reentrant: an update's change may read the store
        self._records: dict[int, Record] = {}
        self._by_contact: dict[int, list[int]] = {}
        self._contacts: dict[int, Contact] = {}

    @classmethod
    def from_data(
        cls,
        schema: Schema,
        records: Iterable[object],
        *,
        contacts: Iterable[Contact | Mapping[str, object]] = (),
        users: Mapping[int, Mapping[str, Any]] | Iterable[object] = (),
        teams: Iterable[Team | Mapping[str, object]] = (),
    ) -> MemoryStore:
        """A store holding checked copies of the data (see ``CampaignCommunications``).

        Raises:
            DataError: a record, contact, user or team that is not valid, or a repeated id.
        """
        team_list = [t if isinstance(t, Team) else Team.from_dict(t, f"team {n}") for n, t in enumerate(teams)]
        store = cls(schema, index_users(users), team_list)
        for n, record in enumerate(records):
            store.add_record(record, f"record {n}")
        for n, contact in enumerate(contacts):
            c = contact if isinstance(contact, Contact) else Contact.from_dict(contact, f"contact {n}")
            store.add_contact(c, f"contact {n}")
        return store

    @classmethod
    def from_folder(cls, schema: Schema, folder: str | Path) -> MemoryStore:
        """A store holding a data folder's data (``data.read_folder``).

        Raises:
            DataError: naming the file (and line) that is missing, not JSON or not valid.
        """
        data = read_folder(folder)
        store = cls(schema, data.users, data.teams)
        for where, contact in data.placed_contacts():
            store.add_contact(contact, where)
        for where, record in data.records:
            store.add_record(record, where)
        return store

    def add_contact(self, contact: Contact, where: str) -> None:
        """Hold a contact.

        Raises:
            DataError: its id is held already.
        """
        if contact.id in self._contacts:
            raise DataError(f"{where}: id {contact.id} appears twice")
        self._contacts[contact.id] = contact

    def add_record(self, record: object, where: str) -> None:
        """Type a record with the schema and hold it.

        Raises:
            DataError: it is not an object, a value does not fit its field, a required field is
                missing, or its id is held already; the message starts with ``where``.
        """
        typed = typed_record(self.schema, record, where)
        record_id, contact_id = typed["id"], typed["contact_id"]
        assert isinstance(record_id, int) and isinstance(contact_id, int)  # typed by the schema
        if record_id in self._records:
            raise DataError(f"{where}: id {record_id} appears twice")
        self._records[record_id] = typed
        self._by_contact.setdefault(contact_id, []).append(record_id)

    def contact(self, contact_id: int) -> Contact | None:
        """The contact, or None."""
        return self._contacts.get(contact_id)

    def route(self, contact_id: int) -> tuple[Contact | None, tuple[Team, ...]]:
        """The contact and the teams its owner is on; ``(None, ())`` for no such contact."""
        contact = self._contacts.get(contact_id)
        if contact is None:
            return None, ()
        return contact, tuple(t for t in self.teams if contact.owner_user_id in t.member_user_ids)

    def prepare(self, query: Query | str | object, schema: Schema) -> Compiled:
        """The query compiled to Python (``memory.compile``, cached)."""
        return compile(query, schema)

    def ping(self) -> None:
        """Memory always answers."""

    def close(self) -> None:
        """Nothing is held open."""

    def records_of(self, contact_id: int) -> list[Record]:
        """The contact's records as they are now, in the order they were added."""
        with self._lock:
            return [self._records[i] for i in self._by_contact.get(contact_id, ())]

    def record(self, contact_id: int, id: int) -> Record | None:
        """Record ``id`` if it is the contact's, else None."""
        with self._lock:
            record = self._records.get(id)
        return record if record is not None and record["contact_id"] == contact_id else None

    def update(self, contact_id: int, id: int, change: Callable[[Record], Mapping[str, object]]) -> Record | None:
        """Replace the contact's record ``id`` by ``change(record)``, under the lock; None if there is none.

        Returns:
            The record as stored afterwards.
        """
        with self._lock:
            current = self.record(contact_id, id)
            if current is None:
                return None
            updated = dict(change(current))
            self._records[id] = updated
            return updated

    def find(self, contact_id: int, prepared: Compiled | Query) -> Page:
        """The page of the contact's records that the query asks for, ``$load`` from the store's users."""
        compiled = prepared if isinstance(prepared, Compiled) else compile(prepared, self.schema)
        page = find(self.records_of(contact_id), compiled, schema=self.schema, users=self.users)
        assert isinstance(page, dict)  # paginated
        return page

    def get(self, contact_id: int, id: int, typed: Query) -> Mapping[str, Any] | None:
        """Record ``id`` of the contact shaped by the query (``$select``, ``$load``), if it matches it."""
        record = self.record(contact_id, id)
        if record is None:
            return None
        rows = find([record], replace(typed, limit=None, skip=None), paginate=False, users=self.users)
        return rows[0] if rows else None
