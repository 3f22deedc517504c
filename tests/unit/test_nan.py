"""NaN in a ``number`` field compares as PostgreSQL compares it: equal to itself, above every number.

Python's NaN equals nothing and is neither above nor below anything; PostgreSQL's float8 NaN
sorts after every number (and before the nulls, ascending) and matches ``$gt`` but not ``$lt``.
Both of ``find``'s engines (generated code and closures) read it so.
"""

from __future__ import annotations

import math
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import querylang
from querylang.memory.compile import _compile
from querylang.schema import Schema
from querylang.values import NAN

SCHEMA = Schema.from_dict(
    {"name": "n", "fields": [{"name": "id", "type": "integer"}, {"name": "n", "type": "number", "nullable": True}]}
)
RECORDS = [{"id": 1, "n": float("nan")}, {"id": 2, "n": 5}, {"id": 3, "n": None}, {"id": 4, "n": -1.5}]

EXPECTED = {
    "n[$lt]=1": [4],
    "n[$gt]=1": [1, 2],
    "n[$gte]=5": [1, 2],
    "n[$lte]=5": [2, 4],
    "n=5": [2],
    "n[$ne]=5": [1, 4],
    "n[$in][]=5&n[$in][]=-1.5": [2, 4],
    "n[$nin][]=5": [1, 4],
    "n[$ne]=": [1, 2, 4],
    "$sort[n]=1": [4, 2, 1, 3],
    "$sort[n]=-1": [3, 1, 2, 4],
}


@pytest.mark.parametrize("engine", ["generated", "closures"])
@pytest.mark.parametrize(("query", "ids"), EXPECTED.items())
def test_find_orders_nan_as_postgresql(engine: str, query: str, ids: list[int]) -> None:
    page: Any = querylang.find(RECORDS, _compile(query, SCHEMA, engine=engine), schema=SCHEMA)
    assert [r["id"] for r in page["data"]] == ids
    assert math.isnan(RECORDS[0]["n"])  # the records are given back as they are


def test_from_record_reads_nan_as_the_one_nan() -> None:
    f = SCHEMA.field("n")
    assert f is not None
    assert f.from_record(float("nan")) is NAN
    assert f.from_record(NAN) is NAN
    assert f.from_record(2.5) == 2.5


@given(st.one_of(st.integers(), st.floats(allow_nan=False)))
def test_nan_is_above_every_number_and_equals_only_itself(x: float) -> None:
    # Both operand orders on purpose: NaN's own methods, and a float's reflected to them.
    assert NAN > x and x < NAN and NAN >= x and x <= NAN  # noqa: SIM300
    assert not (NAN < x) and not (x > NAN) and not (NAN <= x)  # noqa: SIM300
    assert NAN != x and x != NAN  # noqa: SIM300
    assert NAN == NAN and NAN == float("nan")  # noqa: SIM300
    assert sorted([NAN, x]) == [x, NAN]
    assert NAN in {NAN}
