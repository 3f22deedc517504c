"""Queries as SQL for PostgreSQL, SQLite, DuckDB and Spark, with the answers ``find`` gives in memory.

``to_sql(query, dialect=...)`` writes the page and the total as SQL with bound parameters;
``create_table`` and ``load_records`` make and fill a table; ``find(connection, query)`` runs a
query on a database and returns the Feathers page. Needs the ``sql`` extra (sqlglot), and the
driver of each engine (``duckdb``, ``postgres``, ``spark`` extras). docs/semantics.md section 4
is the meaning every engine keeps.
"""

from .compile import ORDINAL, TABLE, USERS_TABLE, Statement, to_sql
from .dialects import DIALECTS, Dialect, MissingExtra
from .run import EngineError, find
from .tables import create_table, load_records, load_users

__all__ = [
    "DIALECTS",
    "ORDINAL",
    "TABLE",
    "USERS_TABLE",
    "Dialect",
    "EngineError",
    "MissingExtra",
    "Statement",
    "create_table",
    "find",
    "load_records",
    "load_users",
    "to_sql",
]
