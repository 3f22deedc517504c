"""Spark in local mode gives the page ``find`` gives in memory (``make test-spark``).

The same generated queries and records as the SQLite, DuckDB and PostgreSQL tests
(``tests/sql``), a table of Spark's own traps, and ``$ilike`` over every cased character.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import pytest
from compare import assert_same_answer
from conftest import SparkDatabase
from hypothesis import given, settings
from test_sql_differential import check, queries

import querylang
from querylang.errors import QueryValidationError
from querylang.like import fold_case
from querylang.schema import Field, FieldType, Schema
from querylang.sql import EngineError, to_sql
from querylang.sql import spark as on_spark
from querylang.validate import validate

EXAMPLES = max(150, settings().max_examples)


@settings(max_examples=EXAMPLES)
@given(query=queries())
def test_spark_find_agrees_with_memory(loaded: SparkDatabase, query: Any) -> None:
    check(loaded, query, paginate=True)


@settings(max_examples=EXAMPLES // 3)
@given(query=queries())
def test_spark_find_agrees_with_memory_unpaginated(loaded: SparkDatabase, query: Any) -> None:
    check(loaded, query, paginate=False)


TRAPS = [
    "campaign_name[$like]=%25New%25&$sort[id]=1",
    "campaign_name[$like]=new%25",  # case-sensitive
    "campaign_name[$ilike]=%25new%25&$sort[send_at]=-1",
    "template_name[$like]=%25%5C%25%25",  # \% is a literal %
    "template_name[$like]=%25%5Cx%25",  # \x is x: Spark refuses the escape, querylang drops it
    "template_name[$notlike]=%25a%25&$limit=100",
    "completed_at=&$sort[completed_at]=-1&$limit=50",
    "completed_at[$ne]=&$sort[completed_at]=1&$limit=50",
    "completing_user_id[$nin][]=&completing_user_id[$nin][]=3",
    "completing_user_id[$in][]=&completing_user_id[$in][]=3&$limit=100",
    "send_at[$gte]=2019-01-01T00:00:00-07:00&send_at[$lt]=2024-01-01&$sort[send_at]=1&$limit=100",
    "send_at[$gte]=0001-01-01T00:00:00%2B01:00&$limit=5",
    "send_at[$lt]=9999-12-31T23:59:59-01:00&$sort[send_at]=-1&$limit=5",
    "$sort[campaign_name]=1&$sort[send_at]=-1&$limit=100",
    "$select[]=send_at&$select[]=id&$skip=390&$limit=100",
    "$load=completing_user&$load=send_from_user&$select[]=id&$limit=100",
    "$limit=0&is_active=true",
]


@pytest.mark.parametrize("query", TRAPS)
def test_spark_traps_agree_with_memory(loaded: SparkDatabase, query: str) -> None:
    assert_same_answer(
        loaded.find(query), loaded.expected(query), loaded.schema, selected=validate(query).select is not None
    )


def test_spark_lower_differs_from_postgresql_which_is_why_ilike_is_registered(spark: Any) -> None:
    # Spark lowers İ to two characters and a final Σ to ς; PostgreSQL (fold_case) does neither.
    row = spark.sql("SELECT lower('İ'), lower('ΑΣ'), 'ΑΣ' ILIKE 'ασ'").collect()[0]
    assert (row[0], row[1], row[2]) == ("i̇", "ας", False)
    assert (fold_case("İ"), fold_case("ΑΣ")) == ("i", "ασ")


TEXT = Schema(name="texts", fields=(Field("id", FieldType.INTEGER), Field("t", FieldType.TEXT)))
CASED = [chr(i) for i in range(1, 0x110000) if not 0xD800 <= i < 0xE000 and fold_case(chr(i)) != chr(i)]


def test_ilike_matches_each_cased_character_as_find_does(spark: Any) -> None:
    # Each record holds one cased character; each query ORs 200 patterns (characters folded,
    # or as they are), so every pattern's matches are asked of Spark and of find.
    records = [{"id": i, "t": c} for i, c in enumerate(CASED)] + [{"id": -1, "t": "ΟΔΟΣ"}, {"id": -2, "t": "İstanbul"}]
    assert on_spark.load(spark, records, schema=TEXT, table="texts") == len(records)
    patterns = [fold_case(c) for c in CASED] + CASED + ["οδοσ", "istanbul"]
    for start in range(0, len(patterns), 200):
        batch = patterns[start : start + 200]
        query = "&".join(f"$or[{k}][t][$ilike]={quote(_escaped(p), safe='')}" for k, p in enumerate(batch))
        mine = on_spark.find(spark, "texts", query, schema=TEXT, paginate=False)
        expected = querylang.find(records, query, schema=TEXT, paginate=False)
        assert isinstance(mine, list) and isinstance(expected, list)
        assert [r["id"] for r in mine] == [r["id"] for r in expected]


def _escaped(text: str) -> str:
    return "".join("\\" + c if c in "%_\\" else c for c in text)


def test_every_value_is_a_named_parameter() -> None:
    stmt = to_sql("campaign_name[$like]=MARKER%25&id[$in][]=424242&$limit=7", dialect="spark")
    assert stmt.sql is not None and "MARKER" not in stmt.sql and "424242" not in stmt.sql
    assert stmt.params == {"p1": "MARKER%", "p2": 424242, "p3": 7}


def test_a_lone_backslash_is_refused_before_spark_runs(loaded: SparkDatabase) -> None:
    with pytest.raises(QueryValidationError) as caught:
        loaded.find("campaign_name[$like]=a%5C")
    assert caught.value.diagnostic.code == "bad-pattern"


def test_a_missing_table_is_an_engine_error_naming_spark(spark: Any) -> None:
    with pytest.raises(EngineError) as caught:
        on_spark.find(spark, "no_such_table", "id=1")
    assert str(caught.value).startswith("spark:")
