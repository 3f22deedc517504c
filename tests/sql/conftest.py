"""Databases for the tests of ``querylang.sql``: SQLite, DuckDB and PostgreSQL 15, each loaded with the same records.

- ``engine``: each engine in turn (``sqlite``, ``duckdb``, ``postgres``); a test that takes it,
  or a fixture below, runs once per engine. An engine whose driver (duckdb, psycopg) or server
  (PostgreSQL 15) is missing skips with the reason; without sqlglot every test here skips.
- ``loaded``: a ``databases.Database`` of that engine holding the bundled export
  (``examples/campaign-communications.jsonl``, 400 records) and then ``edge_records.EDGE_RECORDS``,
  with ``examples/users.json`` for ``$load``. Made once per session; tests only read it.
- ``edge``: the same with only the edge records.
- ``fresh``: ``fresh()`` opens a new, empty connection of the engine for a test that makes its
  own tables; it is closed when the test ends.
- ``postgres_cluster`` (tests/conftest.py): the session's one cluster (``support.postgres``: UTC,
  collation C, ctype C.UTF-8), shared with the reference servers; each connection here works in
  a schema of its own.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from databases import ENGINES, Database, bundled_records, bundled_users, connect
from edge_records import EDGE_RECORDS


@pytest.fixture(scope="session", params=ENGINES)
def engine(request: pytest.FixtureRequest) -> str:
    """Each engine's name in turn."""
    name: str = request.param
    return name


@pytest.fixture(scope="session")
def loaded(engine: str, request: pytest.FixtureRequest) -> Database:
    """The bundled export and the edge records, with the bundled users, in ``engine``."""
    database = Database(engine, connect(engine, request))
    return database.load([*bundled_records(), *EDGE_RECORDS], bundled_users())


@pytest.fixture(scope="session")
def edge(engine: str, request: pytest.FixtureRequest) -> Database:
    """Only the edge records, with the bundled users, in ``engine``."""
    return Database(engine, connect(engine, request)).load(list(EDGE_RECORDS), bundled_users())


@pytest.fixture
def fresh(engine: str, request: pytest.FixtureRequest) -> Callable[[], Any]:
    """``fresh()``: a new, empty connection of ``engine``, closed when the test ends."""
    return lambda: connect(engine, request)
