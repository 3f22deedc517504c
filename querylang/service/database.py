"""A data folder -> a SQLite file or a PostgreSQL database, and the store that answers the endpoint from it.

``Database(url)`` opens one: a file path (or ``sqlite:///path``) is SQLite, a ``postgresql://``
URL is PostgreSQL (the ``postgres`` extra). ``init`` creates the tables with the indexes the
endpoint's queries need and records the schema version; ``load`` imports a data folder (the
layout of ``examples/``) in one transaction, loading nothing when a row is bad. A database
made by another schema version is refused, never misread.

``SqlStore`` is the store of ``CampaignCommunications.from_database``: the route's contact and
the query become one ``WHERE`` through ``querylang.sql`` (sort, skip, limit and total run in
the database; ``$load`` reads only the users it needs), and a PATCH reads and writes its record
in one transaction (SQLite: WAL, ``BEGIN IMMEDIATE``; PostgreSQL: ``SELECT ... FOR UPDATE``),
committed before the answer is sent. The rules stay in ``rules.py``, the same for every store.
"""

from __future__ import annotations

import contextlib
import functools
import json
import sqlite3
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from ..ast import Compare, Op, Query, and_
from ..errors import Diagnostic, first_line
from ..memory.compile import Compiled
from ..page import Page
from ..schema import CONTACT_COMMUNICATIONS, FieldType, Schema
from ..sql import DIALECTS, Dialect, EngineError, Statement, create_table, load_records, load_users, to_sql
from ..sql.dialects import require
from ..sql.run import answer, engine_errors, rows_of
from ..sql.sqlite import register
from ..sql.tables import record_row
from ..validate import validate
from .data import Contact, Folder, Team, read_folder
from .errors import DataError
from .store import Record, typed_record

__all__ = ["SCHEMA_VERSION", "Database", "DatabaseError", "SqlStore", "init", "load", "load_data"]

SCHEMA_VERSION = 1
"""The layout of the tables this querylang reads and writes; a database of another is refused."""

SCHEMA = CONTACT_COMMUNICATIONS
BUSY_TIMEOUT_MS = 30_000
"""How long a SQLite connection waits for another process's write to finish, in milliseconds."""

_Execute = Callable[[str, Sequence[object] | Mapping[str, object]], Sequence[Sequence[Any]]]


class DatabaseError(DataError):
    """The database is not one this querylang can use: not made by ``db init``, or by another version."""


class Database:
    """Where the service's data lives: one SQLite file, or one PostgreSQL database.

    Each thread gets its own connection, opened on first use; ``close`` closes them all.

    Attributes:
        url: what was given (a path, ``sqlite:///path`` or ``postgresql://...``).
        dialect: ``querylang.sql``'s dialect of the engine.
    """

    def __init__(self, url: str | Path) -> None:
        text = str(url)
        self.url = text
        self._postgres = text.startswith(("postgresql://", "postgres://"))
        self.dialect: Dialect = DIALECTS["postgres" if self._postgres else "sqlite"]
        self._path = text.removeprefix("sqlite:///") if text.startswith("sqlite:///") else text
        self._local = threading.local()
        self._opened: list[Any] = []
        self._lock = threading.Lock()
        # SQLite's writers wait for one another by sleeping and retrying (up to 100 ms at a time);
        # within one process they queue on this lock instead, and only other processes sleep.
        self._writer = threading.Lock()
        self.mark = "%s" if self._postgres else "?"  # the parameter placeholder

    def __repr__(self) -> str:
        return f"Database({'PostgreSQL' if self._postgres else self._path!r})"  # never a URL's password

    def connection(self) -> Any:
        """This thread's connection, in autocommit mode (transactions are explicit)."""
        connection = getattr(self._local, "connection", None)
        if connection is None:
            connection = self._connect()
            self._local.connection = connection
            with self._lock:
                self._opened.append(connection)
        return connection

    def _connect(self) -> Any:
        if self._postgres:
            psycopg = require("psycopg", "postgres")
            try:
                return psycopg.connect(self.url, autocommit=True, options="-c TimeZone=UTC")
            except psycopg.Error as error:
                raise DatabaseError(f"cannot connect to PostgreSQL: {first_line(error)}") from None
        try:
            connection = sqlite3.connect(self._path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None)
            connection.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            connection.execute("PRAGMA journal_mode = WAL")  # readers never wait for the writer
            connection.execute("PRAGMA synchronous = NORMAL")  # a commit survives a killed process
        except sqlite3.Error as error:
            raise DatabaseError(f"cannot open the SQLite database {self._path}: {first_line(error)}") from None
        register(connection)
        return connection

    def execute(self, sql: str, params: Sequence[object] | Mapping[str, object] = ()) -> list[Sequence[Any]]:
        """Run one statement on this thread's connection; the rows it returns."""
        with engine_errors(self.dialect):
            cursor = self.connection().cursor()
            cursor.execute(sql, params)
            return list(cursor.fetchall()) if cursor.description is not None else []

    @contextlib.contextmanager
    def transaction(self, *, write: bool = False) -> Iterator[_Execute]:
        """A transaction on this thread's connection, committed at the end of the block.

        ``write=True`` takes the write lock first on SQLite (``BEGIN IMMEDIATE``), so a
        read-then-write never fails half way for another writer; on PostgreSQL the reads that
        must not change take their row locks (``FOR UPDATE``).
        """
        connection = self.connection()
        if getattr(self._local, "open", False):  # a read inside a write (a clock that reads): one transaction
            yield self.execute
            return
        self._local.open = True
        try:
            if self._postgres:
                with _driver_errors(self.dialect), connection.transaction():
                    yield self.execute
                return
            with self._writer if write else contextlib.nullcontext():
                self.execute("BEGIN IMMEDIATE" if write else "BEGIN")
                try:
                    yield self.execute
                except BaseException:
                    connection.rollback()
                    raise
                self.execute("COMMIT")
        finally:
            self._local.open = False

    def version(self) -> int | None:
        """The schema version the database was made with; None for a database ``init`` never ran on."""
        try:
            rows = self.execute("SELECT value FROM querylang_meta WHERE key = 'schema_version'")
        except EngineError:  # no such table
            return None
        return int(rows[0][0]) if rows else None

    def check(self) -> None:
        """Refuse a database this querylang cannot read.

        Raises:
            DatabaseError: ``db init`` never ran on it, or another schema version made it.
        """
        found = self.version()
        if found is None:
            raise DatabaseError(f"{self!r} is not a querylang database: run 'querylang db init --db ...' first")
        if found != SCHEMA_VERSION:
            raise DatabaseError(
                f"{self!r} was made with schema version {found}; this querylang reads version "
                f"{SCHEMA_VERSION}: make a new database with 'querylang db load' (data is never converted in place)"
            )

    def close(self) -> None:
        """Close every connection this object opened."""
        with self._lock:
            opened, self._opened = self._opened, []
        for connection in opened:
            with contextlib.suppress(Exception):
                connection.close()
        self._local = threading.local()


@contextlib.contextmanager
def _driver_errors(d: Dialect) -> Iterator[None]:
    """The driver's own errors (a failed commit) as ``EngineError``; any other goes through as it is."""
    psycopg = require("psycopg", "postgres")
    try:
        yield
    except psycopg.Error as error:
        raise EngineError([Diagnostic("engine-error", f"{d.name}: {first_line(error)}")]) from error


# ---------------------------------------------------------------- making and filling


def _tables(db: Database) -> list[str]:
    big = db.dialect.types[FieldType.INTEGER]
    strict = " STRICT" if db.dialect.name == "sqlite" else ""
    return [
        f"CREATE TABLE querylang_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL){strict}",
        *create_table(SCHEMA, db.dialect),
        'CREATE INDEX IF NOT EXISTS "campaign_communications_contact_idx" '
        'ON "campaign_communications" ("contact_id", "_ordinal")',
        f"CREATE TABLE contacts (id {big} PRIMARY KEY, owner_user_id {big} NOT NULL, assigned_user_id {big}, "
        f"shared_with_user_ids TEXT NOT NULL){strict}",
        f"CREATE TABLE teams (id {big} PRIMARY KEY, name TEXT, member_user_ids TEXT NOT NULL){strict}",
        f"CREATE TABLE team_members (team_id {big} NOT NULL, user_id {big} NOT NULL, "
        f"PRIMARY KEY (user_id, team_id)){strict}",
        f"CREATE TABLE tokens (id TEXT PRIMARY KEY, digest TEXT NOT NULL UNIQUE, user_id {big} NOT NULL, "
        f"created_at TEXT NOT NULL, revoked_at TEXT){strict}",
    ]


def init(db: Database) -> bool:
    """Create the tables and record the schema version, in one transaction.

    Returns:
        True when it made them; False when the database holds them already (same version).

    Raises:
        DatabaseError: another schema version made the database.
    """
    if db.version() is not None:
        db.check()
        return False
    with db.transaction(write=True) as execute:
        for statement in _tables(db):
            execute(statement, ())
        execute(f"INSERT INTO querylang_meta (key, value) VALUES ('schema_version', {db.mark})", [str(SCHEMA_VERSION)])
    return True


def load(db: Database, folder: str | Path) -> dict[str, int]:
    """Import a data folder into a new or empty database, in one transaction.

    Every row is checked before anything is written; a bad one raises and nothing is loaded.

    Returns:
        How many ``records``, ``contacts``, ``teams`` and ``users`` were loaded.

    Raises:
        DataError: a file is missing or a row is not valid, naming the file and line (or item);
            or the database holds records already.
        DatabaseError: as ``init``.
    """
    return load_data(db, read_folder(folder))


def load_data(db: Database, data: Folder) -> dict[str, int]:
    """Import data read by ``read_folder`` (or made alike) into a new or empty database, as ``load``."""
    records: list[Record] = []
    seen: set[object] = set()
    for where, raw in data.records:
        typed = typed_record(SCHEMA, raw, where)
        if typed["id"] in seen:
            raise DataError(f"{where}: id {typed['id']} appears twice")
        seen.add(typed["id"])
        records.append(typed)
    contact_ids: set[int] = set()
    for where, contact in data.placed_contacts():
        if contact.id in contact_ids:
            raise DataError(f"{where}: id {contact.id} appears twice")
        contact_ids.add(contact.id)
    init(db)
    m = db.mark
    with db.transaction(write=True) as execute:
        if execute("SELECT COUNT(*) FROM campaign_communications", ())[0][0]:
            raise DataError(f"{db!r} holds records already: load a folder into a new database")
        cursor = db.connection().cursor()
        with engine_errors(db.dialect):
            cursor.executemany(
                f"INSERT INTO contacts (id, owner_user_id, assigned_user_id, shared_with_user_ids) "
                f"VALUES ({m}, {m}, {m}, {m})",
                [
                    [c.id, c.owner_user_id, c.assigned_user_id, json.dumps(sorted(c.shared_with_user_ids))]
                    for c in data.contacts
                ],
            )
            cursor.executemany(
                f"INSERT INTO teams (id, name, member_user_ids) VALUES ({m}, {m}, {m})",
                [[t.id, t.name, json.dumps(sorted(t.member_user_ids))] for t in data.teams],
            )
            cursor.executemany(
                f"INSERT INTO team_members (team_id, user_id) VALUES ({m}, {m})",
                [[t.id, u] for t in data.teams for u in sorted(t.member_user_ids)],
            )
        users = load_users(db.connection(), data.users, db.dialect)
        count = load_records(db.connection(), records, db.dialect)
    db.execute("ANALYZE")  # the planner's statistics: without them PostgreSQL walks send_at's index
    return {"records": count, "contacts": len(data.contacts), "teams": len(data.teams), "users": users}


# ---------------------------------------------------------------- the store


def _within(typed: Query, contact_id: int, id: int | None = None) -> Query:
    """The query with the route's contact (and one record's id) as conditions of its ``WHERE``."""
    record = None if id is None else Compare("id", Op.EQ, id)
    return replace(typed, where=and_(Compare("contact_id", Op.EQ, contact_id), record, typed.where))


STATEMENT_CACHE = 256
"""The most query shapes whose SQL a process keeps (the route's values are bound afresh each time)."""
_PROBES = (-7_001, -7_002)  # stand-ins for the route's values while a statement is built


@functools.lru_cache(maxsize=STATEMENT_CACHE)
def _shape(typed: Query, dialect: str, route_size: int, *, paginate: bool) -> Statement | None:
    """The statement of a query within a route, built once per shape; None where it cannot be reused.

    Rendering SQL through sqlglot costs more than running it on a contact's records, and only the
    route's values change from one request to the next: they come first among the parameters
    (the route's conditions open the ``WHERE``), which is checked here before the statement is kept.
    """
    statement = to_sql(_within(typed, *_PROBES[:route_size]), dialect=dialect, schema=SCHEMA, paginate=paginate)
    for params in (statement.params, statement.count_params):
        if not isinstance(params, Sequence) or tuple(params[:route_size]) != _PROBES[:route_size]:
            return None
    return statement


def _bound(typed: Query, d: Dialect, route: tuple[int, ...], *, paginate: bool = True) -> Statement:
    """The statement of a query within the route ``(contact_id[, id])``, its route values bound."""
    try:
        shape = _shape(typed, d.name, len(route), paginate=paginate)
    except TypeError:  # a value that cannot be a cache key
        shape = None
    if shape is None:
        return to_sql(_within(typed, *route), dialect=d, schema=SCHEMA, paginate=paginate)
    size = len(route)
    assert isinstance(shape.params, Sequence) and isinstance(shape.count_params, Sequence)
    return replace(shape, params=[*route, *shape.params[size:]], count_params=[*route, *shape.count_params[size:]])


class SqlStore:
    """The endpoint's data in a database: finds, locks and writes; ``rules.py`` decides.

    Attributes:
        schema: the records' schema (the contact-communication one).
        db: the database.
    """

    def __init__(self, db: Database) -> None:
        db.check()
        self.db = db
        self.schema: Schema = SCHEMA

    def prepare(self, query: Query | str | object, schema: Schema) -> Query:
        """The typed query: the database runs it, so nothing is compiled to Python."""
        return validate(query, schema)

    def route(self, contact_id: int) -> tuple[Contact | None, tuple[Team, ...]]:
        """The contact and the teams its owner is on; (None, ()) for no such contact.

        Both reads run for every contact, found or not, so that the time taken says nothing of
        whether it exists.
        """
        m = self.db.mark
        rows = self.db.execute(
            f"SELECT owner_user_id, assigned_user_id, shared_with_user_ids FROM contacts WHERE id = {m}", [contact_id]
        )
        owner = rows[0][0] if rows else -1
        teams = self.db.execute(
            "SELECT t.id, t.name, t.member_user_ids FROM teams t JOIN team_members m ON m.team_id = t.id "
            f"WHERE m.user_id = {m}",
            [owner],
        )
        if not rows:
            return None, ()
        assigned, shared = rows[0][1], rows[0][2]
        assigned_id = None if assigned is None else int(assigned)
        contact = Contact(contact_id, int(owner), assigned_id, frozenset(json.loads(shared)))
        return contact, tuple(Team(int(i), frozenset(json.loads(u)), n or "") for i, n, u in teams)

    def find(self, contact_id: int, prepared: Compiled | Query) -> Page:
        """The page of the contact's records the query asks for, counted and sorted by the database."""
        typed = prepared.query if isinstance(prepared, Compiled) else prepared
        statement = _bound(typed, self.db.dialect, (contact_id,))
        with self.db.transaction() as execute:  # the total and the page from one snapshot
            page = answer(statement, self.db.dialect, execute)
        assert isinstance(page, dict)
        return page

    def get(self, contact_id: int, id: int, typed: Query) -> Mapping[str, Any] | None:
        """Record ``id`` of the contact shaped by the query (``$select``, ``$load``), if it matches it."""
        one = replace(typed, limit=None, skip=None)
        statement = _bound(one, self.db.dialect, (contact_id, id), paginate=False)
        with self.db.transaction() as execute:
            rows = answer(statement, self.db.dialect, execute, paginate=False)
        assert isinstance(rows, list)
        return rows[0] if rows else None

    def update(self, contact_id: int, id: int, change: Callable[[Record], Mapping[str, object]]) -> Record | None:
        """Replace record ``id`` by ``change(record)`` in one transaction, committed before returning.

        Returns:
            The record as stored afterwards; None when the contact has no record ``id``.
        """
        d, m = self.db.dialect, self.db.mark
        statement = _bound(Query(), d, (contact_id, id), paginate=False)
        assert statement.sql is not None
        lock = " FOR UPDATE" if d.name == "postgres" else ""  # SQLite: BEGIN IMMEDIATE holds the file
        with self.db.transaction(write=True) as execute:
            rows = rows_of(statement, d, execute(statement.sql + lock, list(statement.params)))
            if not rows:
                return None
            current: Record = rows[0]
            updated = dict(change(current))
            changed = [f for f in self.schema.fields if updated.get(f.name) != current.get(f.name)]
            if changed:
                sets = ", ".join(f'"{f.name}" = {m}' for f in changed)
                execute(
                    f'UPDATE "campaign_communications" SET {sets} WHERE "contact_id" = {m} AND "id" = {m}',
                    [*record_row(updated, tuple(changed), d), contact_id, id],
                )
        return updated

    def ping(self) -> None:
        """Raise when the database does not answer."""
        self.db.execute("SELECT 1")

    def close(self) -> None:
        """Close the database's connections."""
        self.db.close()
