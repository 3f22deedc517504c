r"""``querylang.sql`` beyond the ids of a page, on each engine: shapes, refusals, bound values, schemas, errors.

- ``$limit=0`` reads only the total (``stmt.sql is None``); ``$select`` rows hold exactly the
  selected fields; ``$load`` gives the user, or null for a null or unknown id.
- A pattern ending in a lone backslash is refused with ``bad-pattern`` before anything runs.
- Every value of a query is a bound parameter: marker values never appear in the SQL text.
- A custom schema (from a dict, with ``%`` and quotes in its field names) works as the built-in
  one; far instants (``0001-01-01T00:00:00+01:00``) work or fail with a ``QueryError``.
- A missing table is an ``EngineError`` naming the engine, never the driver's own exception.
"""

from __future__ import annotations

import os
import re
import sqlite3
import time
from collections.abc import Callable
from typing import Any

import pytest
from compare import assert_same_answer
from databases import Database, bundled_users
from edge_records import EDGE_RECORDS

from querylang import QueryError, QueryValidationError
from querylang.schema import Schema

pytest.importorskip("sqlglot", reason="querylang.sql needs sqlglot (the 'sql' extra)")

from querylang import sql

DIALECTS = ("postgres", "sqlite", "duckdb", "spark")


def test_limit_zero_reads_only_the_total(edge: Database) -> None:
    query = "campaign_name=Tie&$limit=0&$sort[send_at]=1&$select[]=id&$load=completing_user"
    stmt = sql.to_sql(query, dialect=edge.engine)
    assert stmt.sql is None
    assert stmt.limit == 0
    assert edge.find(query) == {"total": 6, "limit": 0, "skip": 0, "data": []} == edge.expected(query)
    assert edge.find(query, paginate=False) == [] == edge.expected(query, paginate=False)


@pytest.mark.parametrize(
    ("query", "keys"),
    [
        ("$select[]=template_name", ["template_name"]),
        ("$select=send_at", ["send_at"]),
        ("$select[]=id&$select[]=id&$select[]=completed_at", ["id", "completed_at"]),
        ("$select[]=completed_at&$select[]=is_active&$select[]=type", ["completed_at", "is_active", "type"]),
        ("$select[]=campaign_name&$load=completing_user", ["campaign_name", "completing_user"]),
        (
            "$select[]=id&$load[]=send_from_user&$load[]=completing_user&$load[]=send_from_user",
            ["id", "send_from_user", "completing_user"],
        ),
    ],
)
def test_select_gives_exactly_the_fields(edge: Database, query: str, keys: list[str]) -> None:
    text = f"campaign_name=Load&{query}"
    page = edge.find(text)
    assert page["total"] == 4
    assert [list(row) for row in page["data"]] == [keys] * 4
    assert_same_answer(page, edge.expected(text), edge.schema, selected=True)
    assert_same_answer(edge.find(text, paginate=False), edge.expected(text, paginate=False), edge.schema, selected=True)


def test_skip_without_limit_unpaginated(edge: Database) -> None:
    query = "campaign_name=Tie&$skip=4"
    assert [row["id"] for row in edge.find(query, paginate=False)] == [33, 32]
    assert [row["id"] for row in edge.expected(query, paginate=False)] == [33, 32]


def test_rows_without_select_hold_every_field_typed(edge: Database) -> None:
    row = edge.find("id=40")["data"][0]
    assert list(row) == list(edge.schema.field_names)
    assert row["is_active"] is True and row["is_stopped_on_text_reply"] is False
    assert type(row["id"]) is int and row["completing_user_id"] is None
    assert row["completed_at"].isoformat() == "2021-05-05T05:05:05.500000+00:00"
    assert row["completed_at"].utcoffset().total_seconds() == 0


def test_load_gives_the_user_or_null(edge: Database) -> None:
    query = "campaign_name=Load&$select[]=id&$load=completing_user,send_from_user&$sort[id]=1"
    users = {u["id"]: u for u in edge.users}
    data = edge.find(query)["data"]
    assert data == [
        {"id": 38, "completing_user": users[3], "send_from_user": users[4]},
        {"id": 39, "completing_user": None, "send_from_user": None},  # 12345: no such user
        {"id": 40, "completing_user": None, "send_from_user": users[76]},  # completing_user_id is null
        {"id": 41, "completing_user": users[76], "send_from_user": users[44]},
    ]
    assert data == edge.expected(query)["data"]


def test_load_on_rows_whose_ids_are_all_null_or_unknown(edge: Database) -> None:
    query = "id[$in][]=17&id[$in][]=18&id[$in][]=39&$load=completing_user,send_from_user&$select[]=id"
    data = edge.find(query)["data"]
    assert data == [{"id": i, "completing_user": None, "send_from_user": None} for i in (17, 18, 39)]
    assert data == edge.expected(query)["data"]


@pytest.mark.parametrize(
    "query",
    [
        "template_name[$like]=Wel%5C",
        "template_name[$notlike]=%25%5C%5C%5C",
        "$or[0][id]=1&$or[1][campaign_name][$ilike]=a%5C",
        "$and[0][template_subject][$like]=%5C",
    ],
)
def test_a_lone_trailing_backslash_is_refused_before_running(
    engine: str, fresh: Callable[[], Any], query: str
) -> None:
    connection = fresh()  # no tables: running anything would be an EngineError
    with pytest.raises(QueryValidationError) as caught:
        sql.find(connection, query, dialect=engine)
    assert [d.code for d in caught.value.diagnostics] == ["bad-pattern"]
    with pytest.raises(QueryValidationError):
        sql.to_sql(query, dialect=engine)


MARKED = (
    "campaign_name=QLMARKEQ'%3B--&template_name[$like]=%25QLMARKLIKE%25&template_subject[$ilike]=QLMARKILIKE%22"
    "&template_folder_name[$notlike]=QLMARKNOTLIKE%25s&$or[0][campaign_name][$in][]=QLMARKIN%3Fx"
    "&$or[0][campaign_name][$in][]=QLMARKIN2%3Ap1&$or[1][template_name][$nin][]=QLMARKNIN"
    "&$or[1][template_name][$gt]=QLMARKGT&$or[2][template_name][$lte]=QLMARKLTE"
    "&id=918273645&contact_id[$in][]=918273646&completing_user_id[$nin][]=918273647"
    "&send_from_user_id[$gt]=918273648&$and[0][completing_user_id][$ne]=918273649"
    "&send_at[$gte]=2031-07-19T01:02:03.456789Z&send_at[$lt]=2032-08-20&completed_at[$lt]=9999-12-31T23:59:59-01:00"
    "&$and[1][completed_at][$gt]=0001-01-01T00:00:00%2B01:00&type=Call%20Contact&is_active[$ne]=false"
    "&$limit=87&$skip=65&$sort[send_at]=-1&$select[]=id&$load=completing_user"
)
MARKERS = [
    "QLMARK",
    "918273",
    "2031",
    "2032",
    "456789",
    "9999",
    "0001",
    "Call Contact",
    r"\b87\b",
    r"\b65\b",
    "FALSE",
    "false",
]


@pytest.mark.parametrize("dialect", DIALECTS)
def test_every_value_is_bound(dialect: str) -> None:
    stmt = sql.to_sql(MARKED, dialect=dialect)
    assert stmt.sql is not None
    for text in (stmt.sql, stmt.count_sql):
        for marker in MARKERS:
            assert not re.search(marker, text), f"{marker!r} is in the SQL: {text}"
    params = list(stmt.params.values()) if isinstance(stmt.params, dict) else list(stmt.params)
    shown = repr(params)
    for marker in ("QLMARKEQ", "QLMARKLIKE", "QLMARKIN2", "QLMARKLTE", "918273645", "918273649", "87", "65"):
        assert marker in shown
    assert stmt.limit == 87 and stmt.skip == 65


def test_marked_query_runs_and_agrees(edge: Database) -> None:
    assert_same_answer(edge.find(MARKED), edge.expected(MARKED), edge.schema, selected=True)


CUSTOM = {
    "name": "listings",
    "fields": [
        {"name": "id", "type": "integer", "required": True},
        {"name": "100%_match", "type": "number", "nullable": True},
        {"name": "a%sb", "type": "text"},
        {"name": 'say "hi"', "type": "text"},
        {"name": "it's", "type": "boolean", "nullable": True},
        {"name": "kind", "type": "enum", "values": ["house", "flat"]},
        {"name": "listed at", "type": "date-time", "nullable": True},
        {"name": "agent_id", "type": "integer", "nullable": True},
        {"name": "what?", "type": "integer", "nullable": True},
    ],
    "relations": [{"name": "agent", "field": "agent_id"}],
    "default_limit": 3,
    "max_limit": 5,
}
CUSTOM_RECORDS = [
    {
        "id": 1,
        "100%_match": 0.5,
        "a%sb": "x%s",
        'say "hi"': "hi",
        "it's": True,
        "kind": "house",
        "listed at": "2020-01-01T00:00:00+01:00",
        "agent_id": 3,
        "what?": 7,
    },
    {"id": 2, "100%_match": 1, "a%sb": "%%", 'say "hi"': "", "it's": False, "kind": "flat", "agent_id": 4},
    {"id": 3, "100%_match": None, "a%sb": "%s", 'say "hi"': "HI", "kind": "flat", "listed at": "2019-12-31"},
    {"id": 4, "100%_match": -2.25, "a%sb": "", 'say "hi"': "Hi!", "it's": None, "kind": "house", "agent_id": 99},
    {"id": 5, "100%_match": 1.0, "a%sb": "%", "kind": "house", "listed at": "2019-12-31T23:00:00Z"},
    {"id": 6, "100%_match": 0, "a%sb": "a%sb", 'say "hi"': "hi", "it's": True, "kind": "flat", "what?": 7},
]
CUSTOM_QUERIES = {
    "percent-field-equal": ("100%25_match=1", [2, 5]),
    "percent-field-range": ("100%25_match[$gt]=0&$sort[100%25_match]=-1", [2, 5, 1]),
    "percent-s-field-like": ("a%25sb[$like]=%25%5C%25s", [1, 3]),
    "percent-s-field-sorted": ("$sort[a%25sb]=1&$limit=5", [4, 5, 2, 3, 6]),
    "quote-field-ilike": ("say%20%22hi%22[$ilike]=hi", [1, 3, 6]),
    "apostrophe-field-null": ("it's=&$select[]=id", [3, 4, 5]),
    "apostrophe-field-ne-null": ("it's[$ne]=", [1, 2, 6]),
    "enum-in": ("kind[$in][]=flat&$sort[id]=-1", [6, 3, 2]),
    "space-field-instants": ("listed%20at[$gte]=2019-12-31T23:00:00Z&$sort[listed%20at]=1", [1, 5]),
    "space-field-date-alone": ("listed%20at=2019-12-31", [3]),
    "default-limit": ("", [1, 2, 3]),
    "max-limit": ("$limit=50", [1, 2, 3, 4, 5]),
    "question-mark-field": ("what%3F=7&$sort[what%3F]=-1&$sort[id]=-1", [6, 1]),
    "load-custom-relation": ("$select[]=id&$load=agent&$sort[agent_id]=1", [1, 2, 4]),
}


@pytest.fixture
def custom(engine: str, fresh: Callable[[], Any]) -> Database:
    """The custom schema's table in a fresh connection, with the bundled users."""
    return Database(engine, fresh(), schema=Schema.from_dict(CUSTOM)).load(CUSTOM_RECORDS, bundled_users())


@pytest.mark.parametrize(("query", "ids"), CUSTOM_QUERIES.values(), ids=CUSTOM_QUERIES.keys())
def test_custom_schema(custom: Database, query: str, ids: list[int]) -> None:
    expected = custom.expected(query)
    assert [row["id"] for row in expected["data"]] == ids
    mine = custom.find(query)
    assert [row["id"] for row in mine["data"]] == ids
    assert_same_answer(mine, expected, custom.schema, selected="$select" in query)
    unpaged = custom.find(query, paginate=False)
    assert_same_answer(unpaged, custom.expected(query, paginate=False), custom.schema, selected="$select" in query)


FAR = {
    "far-gte-everything": (
        "send_at[$gte]=0001-01-01T00:00:00%2B01:00&contact_id=90&$sort[send_at]=1&$limit=3",
        [45, 42, 44],
    ),
    "far-lt-nothing": ("send_at[$lt]=0001-01-01T00:00:00%2B01:00", []),
    "far-lte-end": ("completed_at[$lte]=9999-12-31T23:59:59-01:00&campaign_name=Far", [42, 43, 44]),
    "far-gt-end": ("completed_at[$gt]=9999-12-31T23:59:59-01:00", [45]),
    "far-equal": ("send_at=0001-01-01T00:00:00%2B01:00", [45]),
    "far-ne": ("send_at[$ne]=0001-01-01T00:00:00%2B01:00&campaign_name=Far", [42, 43, 44]),
    "far-in": ("send_at[$in][]=0001-01-01T00:00:00%2B01:00&send_at[$in][]=0001-01-01T00:00:00Z", [42, 45]),
    "far-nin": ("send_at[$nin][]=0001-01-01T00:00:00%2B01:00&campaign_name=Far", [42, 43, 44]),
}


@pytest.mark.parametrize(("query", "ids"), FAR.values(), ids=FAR.keys())
def test_far_instants_in_queries(edge: Database, query: str, ids: list[int]) -> None:
    expected = edge.expected(query)
    assert [row["id"] for row in expected["data"]] == ids
    try:
        mine = edge.find(query)
    except QueryError:
        return  # allowed: an engine may refuse an instant it cannot hold, as a QueryError
    assert_same_answer(mine, expected, edge.schema, selected=False)


@pytest.mark.parametrize("query", ["id=1", "$limit=0", "$load=completing_user&$select[]=id"])
def test_a_missing_table_is_an_engine_error(engine: str, fresh: Callable[[], Any], query: str) -> None:
    with pytest.raises(sql.EngineError) as caught:
        sql.find(fresh(), query)
    [diagnostic] = caught.value.diagnostics
    assert diagnostic.code == "engine-error"
    assert diagnostic.message.startswith(f"{engine}: ")
    assert isinstance(caught.value, QueryError)


def test_percent_in_table_names(engine: str, fresh: Callable[[], Any]) -> None:
    connection = fresh()
    tables = {"table": "camp%saigns 100%", "users_table": "us%ers"}
    cursor = connection.cursor()
    for statement in sql.create_table(dialect=engine, **tables):
        cursor.execute(statement)
    sql.load_records(connection, EDGE_RECORDS[:3], engine, table=tables["table"])
    sql.load_users(connection, bundled_users(), engine, table=tables["users_table"])
    page = sql.find(connection, "$select[]=id&$load=send_from_user", **tables)
    assert [(row["id"], row["send_from_user"]["id"]) for row in page["data"]] == [(1, 3), (2, 4), (3, 3)]
    assert page["total"] == 3


def test_load_of_more_users_than_a_statement_takes_parameters(engine: str, fresh: Callable[[], Any]) -> None:
    connection = fresh()
    if engine == "sqlite":  # as SQLite before 3.32 (999), and lower: every $load batch must fit
        connection.setlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER, 600)
    records = [{"id": i, "send_from_user_id": 1000 + i, "completing_user_id": 1000 + i // 2} for i in range(650)]
    users = [{"id": 1000 + i, "first_name": f"user {i}"} for i in range(0, 650, 3)]
    database = Database(engine, connection).load(records, users)
    query = "$select[]=id&$load=send_from_user,completing_user&$sort[id]=-1"
    mine = database.find(query, paginate=False)
    assert len(mine) == 650
    assert mine[0] == {"id": 649, "send_from_user": None, "completing_user": {"id": 1324, "first_name": "user 324"}}
    assert mine == database.expected(query, paginate=False)


@pytest.mark.parametrize(
    "limits",
    [{"default_limit": 10**20, "max_limit": 10**20}, {"max_limit": 2**64}, {"default_limit": 0, "max_limit": 0}],
)
def test_limits_past_64_bits(edge: Database, limits: dict[str, int]) -> None:
    query = "campaign_name=Tie&$skip=1" + ("&$limit=99999999999999999999" if "default_limit" not in limits else "")
    for paginate in (True, False):
        mine = edge.find(query, paginate=paginate, **limits)
        assert_same_answer(mine, edge.expected(query, paginate=paginate, **limits), edge.schema, selected=False)


TIME_ZONED = [
    "send_at=2019-01-15T16:00:00Z",
    "send_at=2019-01-15",
    "completed_at[$lt]=1970-01-01&$sort[completed_at]=1",
    "campaign_name[$like]=Far%25&$sort[send_at]=-1",
    "send_at[$gte]=2019-01-15&send_at[$lt]=2019-01-16&$sort[send_at]=1",
    "campaign_name=Load&$sort[completed_at]=-1",
]


@pytest.mark.parametrize("zone", ["Asia/Kolkata", "America/Los_Angeles"])
def test_the_session_time_zone_changes_nothing(engine: str, fresh: Callable[[], Any], zone: str) -> None:
    connection = fresh()
    if engine != "sqlite":
        connection.execute(f"SET TimeZone='{zone}'")
    database = Database(engine, connection).load(list(EDGE_RECORDS))
    before = os.environ.get("TZ")
    os.environ["TZ"] = zone  # SQLite has no session time zone: the process's own changes nothing either
    time.tzset()
    try:
        for query in TIME_ZONED:
            assert_same_answer(database.find(query), database.expected(query), database.schema, selected=False)
    finally:
        if before is None:
            del os.environ["TZ"]
        else:
            os.environ["TZ"] = before
        time.tzset()


def test_a_relation_by_a_text_field_is_refused_not_answered_empty() -> None:
    # find in memory matches users by the field's own values; the users' table keys integers, so
    # a text relation would load nothing: refused instead of a silently different answer.
    from querylang.errors import SchemaError
    from querylang.schema import Field, FieldType, Relation

    schema = Schema(
        name="notes",
        fields=(Field("id", FieldType.INTEGER), Field("owner", FieldType.TEXT)),
        relations=(Relation("owner_user", "owner"),),
    )
    with pytest.raises(SchemaError) as caught:
        sql.to_sql("$load=owner_user", schema=schema)
    assert "integer id" in str(caught.value)
    assert sql.to_sql("id=1", schema=schema).sql is not None  # queries without $load still run


@pytest.mark.parametrize("dialect", ["postgres", "sqlite", "duckdb", "spark"])
def test_the_null_order_is_written_out(dialect: str) -> None:
    # Defaults differ per engine (PostgreSQL's match these, DuckDB's put nulls last both ways):
    # the SQL says it, so that it means the same wherever it runs.
    stmt = sql.to_sql("$sort[completed_at]=-1&$sort[campaign_name]=1", dialect=dialect)
    assert stmt.sql is not None
    order = stmt.sql.split("ORDER BY", 1)[1]
    assert re.search(r"completed_at\W* DESC NULLS FIRST", order)
    assert re.search(r"campaign_name\W*( COLLATE \"C\")? ASC NULLS LAST", order)
    assert order.index("completed_at") < order.index("campaign_name") < order.index("_ordinal")
