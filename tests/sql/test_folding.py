"""``$ilike`` folds case as PostgreSQL 15 does on every engine, checked over every code point.

``like.fold_case`` is the reference (docs/semantics.md section 4). PostgreSQL (ctype C.UTF-8)
and DuckDB fold with their own ``lower``: every code point is lowered by the engine and compared
with ``fold_case``. Then, on every engine, the compiled ``$ilike`` (SQLite: the registered
``querylang_ilike``) matches each cased character with its folded form and back.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import pytest

import querylang
from querylang import sql
from querylang.like import fold_case
from querylang.schema import Field, FieldType, Schema

_SURROGATES = range(0xD800, 0xE000)
_LOWER_ALL = {
    "postgres": "SELECT i, lower(chr(i)) FROM generate_series(1, 1114111) AS i WHERE i < 55296 OR i > 57343",
    "duckdb": "SELECT i, lower(chr(i::INTEGER)) FROM range(1, 1114112) AS t(i) WHERE i < 55296 OR i > 57343",
}
TEXT = Schema(name="texts", fields=(Field("id", FieldType.INTEGER), Field("t", FieldType.TEXT)))
CASED = [chr(i) for i in range(1, 0x110000) if i not in _SURROGATES and fold_case(chr(i)) != chr(i)]


def _escaped(text: str) -> str:
    return "".join("\\" + c if c in "%_\\" else c for c in text)


def test_the_engines_lower_every_code_point_as_fold_case(engine: str, fresh: Any) -> None:
    cursor = fresh().cursor()
    if engine not in _LOWER_ALL:
        # SQLite's own LIKE folds ASCII only: the reason $ilike calls querylang_ilike there.
        cursor.execute("SELECT 'E' LIKE 'e', 'É' LIKE 'é', 'Σ' LIKE 'σ'")
        assert cursor.fetchall() == [(1, 0, 0)]
        return
    cursor.execute(_LOWER_ALL[engine])
    lowered = cursor.fetchall()
    assert len(lowered) == 0x110000 - 1 - len(_SURROGATES)
    differ = [(hex(i), chr(i), low, fold_case(chr(i))) for i, low in lowered if low != fold_case(chr(i))]
    assert differ == []


def _batches(items: list[str], size: int) -> list[list[str]]:
    return [items[i : i + size] for i in range(0, len(items), size)]


@pytest.mark.parametrize("side", ["folded", "as written"])
def test_ilike_matches_each_cased_character_as_find_does(engine: str, fresh: Any, side: str) -> None:
    # Each record holds one cased character; each query ORs 40 patterns (the characters folded,
    # or as they are), so every pattern's matches are asked of the engine and of find.
    connection = fresh()
    for statement in sql.create_table(TEXT, engine, table="texts", users_table=None):
        connection.cursor().execute(statement)
    records = [{"id": i, "t": c} for i, c in enumerate(CASED)]
    sql.load_records(connection, records, engine, schema=TEXT, table="texts")
    for batch in _batches(CASED, 40):
        patterns = [fold_case(c) if side == "folded" else c for c in batch]
        query = "&".join(f"$or[{k}][t][$ilike]={quote(_escaped(p), safe='')}" for k, p in enumerate(patterns))
        mine = sql.find(connection, query, schema=TEXT, table="texts", paginate=False)
        expected = querylang.find(records, query, schema=TEXT, paginate=False)
        assert {r["t"] for r in batch_rows(expected)} >= set(batch)  # each character matches itself, folded or not
        assert [r["id"] for r in mine] == [r["id"] for r in batch_rows(expected)]


def batch_rows(rows: Any) -> list[Any]:
    assert isinstance(rows, list)
    return rows
