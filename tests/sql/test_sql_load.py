"""``create_table``/``load_records``/``load_users`` on each engine: what a column cannot hold is a ``RecordError``.

A value ``find`` reads but an engine cannot store (an integer past 64 bits, a lone surrogate, a
NUL character where the engine refuses or cannot match it) is refused naming the record and
the field, and nothing of its batch is inserted; any other failure of the database (a missing
table) is an ``EngineError`` naming the engine, never the driver's own exception.
"""

from __future__ import annotations

import csv
import urllib.parse
from collections.abc import Callable
from typing import Any

import pytest
from compare import assert_same_answer
from databases import EXAMPLES, Database, bundled_users

from querylang.errors import RecordError, SchemaError
from querylang.schema import Schema

pytest.importorskip("sqlglot", reason="querylang.sql needs sqlglot (the 'sql' extra)")

from querylang import sql


@pytest.mark.parametrize(
    ("bad", "code"),
    [
        ({"id": 2**70}, "out-of-range"),
        ({"completing_user_id": -(2**63) - 1}, "out-of-range"),
        ({"contact_id": 10**5000}, "out-of-range"),  # past the digits Python writes out
        ({"campaign_name": "a\ud800b"}, "bad-character"),
        ({"template_name": "\udfff"}, "bad-character"),
    ],
)
def test_a_value_no_column_holds_is_a_record_error(
    engine: str, fresh: Callable[[], Any], bad: dict[str, Any], code: str
) -> None:
    database = Database(engine, fresh()).load([])
    records = [{"id": 1, "campaign_name": "ok"}, {"id": 2, **bad}]
    with pytest.raises(RecordError) as caught:
        sql.load_records(database.connection, records, engine)
    [diagnostic] = caught.value.diagnostics
    assert diagnostic.code == code
    assert diagnostic.message.startswith(f"record 1: field '{next(iter(bad))}'")
    assert database.find("$limit=0")["total"] == 0  # nothing of the batch


def test_nul_in_text(engine: str, fresh: Callable[[], Any]) -> None:
    records = [
        {"id": 1, "campaign_name": "a\x00b"},
        {"id": 2, "campaign_name": "a"},
        {"id": 3, "campaign_name": "a\x00"},
    ]
    database = Database(engine, fresh()).load([])
    if not sql.DIALECTS[engine].text_holds_nul:  # PostgreSQL refuses it; SQLite's GLOB stops at it
        with pytest.raises(RecordError) as caught:
            sql.load_records(database.connection, records, engine)
        assert [d.code for d in caught.value.diagnostics] == ["nul-character"]
        return
    database.load(records)
    for query in ("campaign_name[$like]=%25b", "campaign_name[$like]=a_", "$sort[campaign_name]=-1"):
        assert_same_answer(database.find(query), database.expected(query), database.schema, selected=False)


def test_a_number_past_64_bits_is_stored_as_a_float(engine: str, fresh: Callable[[], Any]) -> None:
    fields = [{"name": "id", "type": "integer"}, {"name": "n", "type": "number"}]
    schema = Schema.from_dict({"name": "n", "fields": fields})
    database = Database(engine, fresh(), schema=schema).load([{"id": 1, "n": 10**30}, {"id": 2, "n": 2**63 - 1}])
    assert [row["n"] for row in database.find("$sort[n]=-1")["data"]] == [float(10**30), float(2**63 - 1)]
    with pytest.raises(RecordError) as caught:
        sql.load_records(database.connection, [{"id": 3, "n": 10**400}], engine, schema=schema)
    assert [d.code for d in caught.value.diagnostics] == ["out-of-range"]


@pytest.mark.parametrize("load", ["records", "users"])
def test_loading_into_a_missing_table_is_an_engine_error(engine: str, fresh: Callable[[], Any], load: str) -> None:
    connection = fresh()
    with pytest.raises(sql.EngineError) as caught:
        if load == "records":
            sql.load_records(connection, [{"id": 1}], engine)
        else:
            sql.load_users(connection, [{"id": 1}], engine)
    [diagnostic] = caught.value.diagnostics
    assert diagnostic.code == "engine-error"
    assert diagnostic.message.startswith(f"{engine}: ")


@pytest.mark.parametrize(
    ("names", "one_column"),
    [
        (["Name", "name"], True),
        (["_ORDINAL"], True),
        (["_ordinal"], None),  # on every engine: the load order's column
        (["É", "é"], False),
        (["STRASSE", "Straße"], False),
    ],
)
def test_fields_that_would_be_one_column(
    engine: str, fresh: Callable[[], Any], names: list[str], one_column: bool | None
) -> None:
    fields = [{"name": "id", "type": "integer"}, *({"name": n, "type": "text"} for n in names)]
    schema = Schema.from_dict({"name": "n", "fields": fields})
    if one_column is None or (one_column and sql.DIALECTS[engine].case_blind_names):
        with pytest.raises(SchemaError) as caught:
            sql.create_table(schema, engine)
        assert {d.code for d in caught.value.diagnostics} == {"bad-schema"}
        return
    records = [{"id": i, **{n: f"{n}{i}" for n in names}} for i in range(3)]
    database = Database(engine, fresh(), schema=schema).load(records)
    for n in names:
        key = urllib.parse.quote(n)
        text = f"{key}={key}1&$sort[{key}]=-1"
        assert [r["id"] for r in database.find(text)["data"]] == [1]
        assert [r["id"] for r in database.expected(text)["data"]] == [1]


def test_a_user_given_twice_counts_as_the_last_as_in_find(engine: str, fresh: Callable[[], Any]) -> None:
    users = [{"id": 3, "first_name": "first"}, {"id": 4, "first_name": "other"}, {"id": 3, "first_name": "last"}]
    database = Database(engine, fresh()).load([{"id": 1, "send_from_user_id": 3}], users)
    query = "$select[]=id&$load=send_from_user"
    assert database.find(query)["data"] == [{"id": 1, "send_from_user": {"id": 3, "first_name": "last"}}]
    assert database.find(query) == database.expected(query)
    with pytest.raises(sql.EngineError):  # a second load of the same id: the table keeps one user per id
        sql.load_users(database.connection, [{"id": 4, "first_name": "again"}], engine)


def test_nan_is_kept_or_refused_never_null(engine: str, fresh: Callable[[], Any]) -> None:
    fields = [{"name": "id", "type": "integer"}, {"name": "n", "type": "number", "nullable": True}]
    database = Database(engine, fresh(), schema=Schema.from_dict({"name": "n", "fields": fields})).load([])
    records = [{"id": 1, "n": float("nan")}, {"id": 2, "n": 5}, {"id": 3, "n": None}]
    if not sql.DIALECTS[engine].holds_nan:  # SQLite would store null
        with pytest.raises(RecordError) as caught:
            sql.load_records(database.connection, records, engine, schema=database.schema)
        assert [d.code for d in caught.value.diagnostics] == ["not-a-number"]
        return
    database.load(records)
    assert [r["id"] for r in database.find("n=")["data"]] == [3]
    assert [r["id"] for r in database.find("n[$gt]=1")["data"]] == [1, 2]  # NaN is above every number, as in find


CSV_QUERIES = [
    "completed_at=&$sort[send_at]=-1",
    "is_active=false&completing_user_id[$in][]=3&completing_user_id[$in][]=&$sort[completed_at]=1",
    "template_subject=&$select[]=id&$select[]=template_subject&$load=send_from_user&$limit=20",
    "is_stopped_on_text_reply[$lt]=true&$sort[is_stopped_on_text_reply]=-1&$sort[id]=1&$skip=50",
    "campaign_name[$like]=100%5C%25%25&$select[]=campaign_name",
]


def test_csv_text_loads_as_find_reads_it(engine: str, fresh: Callable[[], Any]) -> None:
    with (EXAMPLES / "campaign-communications.csv").open(encoding="utf-8", newline="") as lines:
        records = list(csv.DictReader(lines))
    assert all(isinstance(v, str) for v in records[0].values())
    database = Database(engine, fresh()).load(records, bundled_users())
    for query in CSV_QUERIES:
        mine, expected = database.find(query), database.expected(query)
        assert expected["total"] > 0
        assert_same_answer(mine, expected, database.schema, selected="$select" in query)


@pytest.mark.parametrize("query", ["$sort[n]=1", "n[$lt]=1"])
def test_nan_compares_as_postgresql_compares_it(engine: str, fresh: Callable[[], Any], query: str) -> None:
    fields = [{"name": "id", "type": "integer"}, {"name": "n", "type": "number", "nullable": True}]
    records = [{"id": 1, "n": float("nan")}, {"id": 2, "n": 5}, {"id": 3, "n": None}, {"id": 4, "n": -1}]
    database = Database(engine, fresh(), schema=Schema.from_dict({"name": "n", "fields": fields}))
    if not sql.DIALECTS[engine].holds_nan:  # SQLite would hold null: refused on load
        with pytest.raises(RecordError):
            database.load(records)
        return
    database.load(records)
    # PostgreSQL (and DuckDB): NaN is above every number and below null; it is not below 1.
    assert [r["id"] for r in database.find(query)["data"]] == {"$sort[n]=1": [4, 2, 1, 3], "n[$lt]=1": [4]}[query]
    assert [r["id"] for r in database.expected(query)["data"]] == [r["id"] for r in database.find(query)["data"]]
