"""Databases of each engine for the tests of ``querylang.sql``: a fresh connection, the records in it, and the oracle.

``connect(engine, request)`` opens an empty connection (SQLite ``:memory:``; DuckDB in memory
with ``SET TimeZone='UTC'``; PostgreSQL through ``psycopg``, autocommit, session
``TimeZone=UTC``, in a schema of its own that ``search_path`` names, on the session's cluster).
``Database`` holds a connection, the records loaded into it in load order and the users;
``find`` asks the database, ``expected`` asks ``querylang.find`` in memory (the oracle).
"""

from __future__ import annotations

import contextlib
import itertools
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from support import postgres

import querylang
from querylang.schema import CONTACT_COMMUNICATIONS, Schema

ENGINES = ("sqlite", "duckdb", "postgres")
EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
_DRIVERS = {"duckdb": "duckdb", "postgres": "psycopg"}
_schemas = itertools.count(1)


def bundled_records() -> list[dict[str, Any]]:
    """The bundled export, as ``find`` reads it (JSON lines)."""
    with (EXAMPLES / "campaign-communications.jsonl").open(encoding="utf-8") as lines:
        return [json.loads(line) for line in lines if line.strip()]


def bundled_users() -> list[dict[str, Any]]:
    """The users of the bundled export."""
    users: list[dict[str, Any]] = json.loads((EXAMPLES / "users.json").read_text(encoding="utf-8"))
    return users


@dataclass
class Database:
    """A connection of one engine, the records loaded into it (in load order) and its users."""

    engine: str
    connection: Any
    records: list[dict[str, Any]] = field(default_factory=list)
    users: list[dict[str, Any]] = field(default_factory=list)
    schema: Schema = CONTACT_COMMUNICATIONS

    def find(self, query: object, **options: Any) -> Any:
        """``querylang.sql.find`` on this database."""
        from querylang import sql

        return sql.find(self.connection, query, schema=self.schema, **options)

    def expected(self, query: object, **options: Any) -> Any:
        """``querylang.find`` over the same records in memory: the oracle."""
        return querylang.find(self.records, query, schema=self.schema, users=self.users, **options)

    def load(self, records: list[dict[str, Any]], users: list[dict[str, Any]] | None = None) -> Database:
        """Create the tables (``create_table``) and load ``records`` and ``users`` into them."""
        from querylang import sql

        cursor = self.connection.cursor()
        for statement in sql.create_table(self.schema, self.engine):
            cursor.execute(statement)
        sql.load_records(self.connection, records, self.engine, schema=self.schema, start=len(self.records))
        self.records += records
        if users:
            sql.load_users(self.connection, users, self.engine)
            self.users += users
        return self


def connect(engine: str, request: pytest.FixtureRequest) -> Any:
    """A new, empty connection of ``engine`` (times in UTC), closed when ``request``'s scope ends."""
    pytest.importorskip("sqlglot", reason="querylang.sql needs sqlglot (the 'sql' extra)")
    if engine in _DRIVERS:
        pytest.importorskip(_DRIVERS[engine], reason=f"the {engine} tests need {_DRIVERS[engine]}")
    if engine == "sqlite":
        import sqlite3

        connection: Any = sqlite3.connect(":memory:")
    elif engine == "duckdb":
        import duckdb

        connection = duckdb.connect(":memory:")
        connection.execute("SET TimeZone='UTC'")
    else:
        import psycopg

        cluster: postgres.Cluster = request.getfixturevalue("postgres_cluster")
        connection = psycopg.connect(cluster.dsn(), autocommit=True)
        request.addfinalizer(connection.close)
        name = f"querylang_test_{next(_schemas)}"
        connection.execute("SET TimeZone='UTC'")
        connection.execute(f'CREATE SCHEMA "{name}"')
        connection.execute(f'SET search_path TO "{name}"')

        def drop() -> None:
            with contextlib.suppress(psycopg.Error):
                connection.execute(f'DROP SCHEMA "{name}" CASCADE')

        request.addfinalizer(drop)  # before the close: finalizers run last in, first out
        return connection
    request.addfinalizer(connection.close)
    return connection
