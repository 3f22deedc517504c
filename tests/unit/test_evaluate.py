"""querylang.find: the corpus of tests/corpus/eval, and the page function's contract."""

from __future__ import annotations

import copy
import json
import tracemalloc
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

import querylang
from querylang import CONTACT_COMMUNICATIONS, QueryError, find
from querylang.schema import RecordError

CORPUS = Path(__file__).resolve().parents[1] / "corpus" / "eval"


def corpus_cases() -> Iterator[Any]:
    for path in sorted(CORPUS.glob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        defaults = data.get("defaults", {})
        records = [{**defaults, **r} for r in data["records"]]
        for case in data["cases"]:
            yield pytest.param(records, data.get("users"), case, id=f"{path.stem}/{case['name']}")


def expected(records: list[dict[str, Any]], case: dict[str, Any]) -> object:
    by_id = {str(r["id"]): r for r in records}
    rows = case["data"] if "data" in case else [by_id[str(i)] for i in case["ids"]]
    if case.get("paginate", True) is False:
        return rows
    return {"total": case["total"], "limit": case.get("limit", 10), "skip": case.get("skip", 0), "data": rows}


@pytest.mark.parametrize(("records", "users", "case"), list(corpus_cases()))
def test_corpus(records: list[dict[str, Any]], users: list[dict[str, Any]] | None, case: dict[str, Any]) -> None:
    paginate = case.get("paginate", True)
    assert find(records, case["query"], users=users, paginate=paginate) == expected(records, case)
    # the same from a one-pass iterator (the scan that enumerates)
    assert find(iter(records), case["query"], users=users, paginate=paginate) == expected(records, case)


def test_the_corpus_covers_every_file() -> None:
    names = {p.stem for p in CORPUS.glob("*.json")}
    assert {"nulls", "missing", "dates", "like", "order", "paging", "select-load", "logic", "csv-text"} <= names


# ---- the page


RECORDS = [
    {"id": i, "is_active": i % 3 == 0, "send_at": f"2020-01-{i:02d}T00:00:00Z", "completing_user_id": i % 4 or None}
    for i in range(1, 31)
]


def test_find_returns_the_feathers_page() -> None:
    page = find(RECORDS, "is_active=true&$sort[send_at]=-1&$limit=2")
    assert page == {"total": 10, "limit": 2, "skip": 0, "data": [RECORDS[29], RECORDS[26]]}


def test_rows_are_the_callers_records() -> None:
    page = find(RECORDS, "id[$lte]=3")
    assert all(row is RECORDS[i] for i, row in enumerate(page["data"]))


def test_records_are_never_modified() -> None:
    before = copy.deepcopy(RECORDS)
    users = [{"id": 1, "first_name": "A"}, {"id": 2, "first_name": "B"}]
    find(RECORDS, "$sort[completing_user_id]=-1&$select[]=id&$load=completing_user", users=users)
    find(RECORDS, "$load=completing_user", users=users)
    assert before == RECORDS


def test_paginate_false_gives_every_match() -> None:
    rows = find(RECORDS, "completing_user_id[$ne]=", paginate=False)
    assert isinstance(rows, list)
    assert len(rows) == 23


def test_default_and_maximum_limits_come_from_the_schema_or_the_call() -> None:
    assert find(RECORDS, "")["limit"] == 10
    assert find(RECORDS, "", default_limit=3)["data"] == RECORDS[:3]
    assert find(RECORDS, "$limit=20", max_limit=5)["limit"] == 5
    assert len(find(RECORDS, "$limit=20")["data"]) == 20
    small = querylang.Schema("small", CONTACT_COMMUNICATIONS.fields, default_limit=2, max_limit=4)
    assert find(RECORDS, "", schema=small)["limit"] == 2
    assert find(RECORDS, "$limit=50", schema=small)["limit"] == 4


def test_a_compiled_query_is_reused() -> None:
    compiled = querylang.compile("is_active=true&$sort[id]=-1&$limit=1")
    assert find(RECORDS, compiled)["data"] == [RECORDS[29]]
    assert find(RECORDS[:10], compiled)["data"] == [RECORDS[8]]


def test_load_from_a_mapping_or_a_list_of_users() -> None:
    users = {1: {"id": 1, "first_name": "A"}, "2": {"id": 2, "first_name": "B"}}
    rows = find(RECORDS[:4], "$select[]=id&$load=completing_user", users=users, paginate=False)
    assert rows == [
        {"id": 1, "completing_user": users[1]},
        {"id": 2, "completing_user": users["2"]},
        {"id": 3, "completing_user": None},  # id 3 is unknown
        {"id": 4, "completing_user": None},  # id null
    ]
    assert find(RECORDS[:4], "$select[]=id&$load=completing_user", users=list(users.values()), paginate=False) == rows


def test_load_needs_users() -> None:
    # Loading from nothing would make every relation null; a QueryError (a ValueError) at $load.
    text = "id=1&$load=completing_user,send_from_user"
    with pytest.raises(QueryError) as raised:
        find(RECORDS, text)
    assert raised.value.diagnostic.code == "missing-users"
    assert text[raised.value.diagnostic.span.start : raised.value.diagnostic.span.end] == (
        "completing_user,send_from_user"
    )
    assert isinstance(raised.value, ValueError)


def test_a_bad_query_raises_before_reading_records() -> None:
    def never() -> Iterator[dict[str, Any]]:
        raise AssertionError("read")
        yield {}

    with pytest.raises(querylang.QueryValidationError):
        find(never(), "sendat=1")


def test_a_bad_record_names_its_index_and_field() -> None:
    records = [{"id": 1, "send_at": "2020-01-01T00:00:00Z"}, {"id": 2, "send_at": "tomorrow"}]
    for source in (records, iter(records)):
        with pytest.raises(RecordError) as caught:
            find(source, "send_at[$gt]=2019-01-01&$sort[id]=1")
        assert caught.value.diagnostic.message.startswith("record 1: field 'send_at':")


def test_a_record_that_is_not_a_mapping_is_an_error() -> None:
    with pytest.raises(RecordError, match="record 1: list is not a record"):
        find([{"id": 1}, [1, 2]], "id=1")


def test_on_error_can_skip_bad_records() -> None:
    records = [{"id": 1}, {"id": "one"}, {"id": 3}, {"id": 4.5}]
    seen: list[tuple[int, str]] = []

    def skip(index: int, error: RecordError) -> None:
        seen.append((index, error.diagnostic.code))

    for source in (records, iter(records)):
        seen.clear()
        page = find(source, "id[$gt]=0&$sort[id]=-1", on_error=skip)
        assert page["data"] == [records[2], records[0]]
        assert page["total"] == 2
        assert seen == [(1, "not-an-integer"), (3, "wrong-type")]


def test_a_bad_sort_value_skipped_is_not_counted() -> None:
    records = [{"id": 1, "send_at": "2020-01-01T00:00:00Z"}, {"id": 2, "send_at": "soon"}, {"id": 3}]
    skipped: list[int] = []
    page = find(records, "$sort[send_at]=1", on_error=lambda index, _: skipped.append(index))
    assert skipped == [1]
    assert page["total"] == 2
    assert page["data"] == [records[0], records[2]]


def test_values_not_touched_by_the_query_are_not_checked() -> None:
    assert find([{"id": 1, "send_at": "soon"}], "id=1")["total"] == 1


def test_datetime_objects_in_records() -> None:
    zone = datetime(2020, 1, 1, tzinfo=UTC).astimezone().tzinfo
    records = [
        {"id": 1, "send_at": datetime(2020, 1, 1, 12, tzinfo=UTC)},
        {"id": 2, "send_at": datetime(2020, 1, 1, 11, tzinfo=UTC).astimezone(zone)},
        {"id": 3, "send_at": "2020-01-01T12:30:00+01:00"},
    ]
    page = find(records, "send_at[$gte]=2020-01-01T11:00:00Z&$sort[send_at]=1")
    assert [r["id"] for r in page["data"]] == [2, 3, 1]


def test_a_generator_is_read_once() -> None:
    reads = 0

    def records() -> Iterator[dict[str, Any]]:
        nonlocal reads
        for r in RECORDS:
            reads += 1
            yield r

    page = find(records(), "is_active=true&$sort[id]=1&$skip=2&$limit=3")
    assert reads == len(RECORDS)
    assert [r["id"] for r in page["data"]] == [9, 12, 15]


def test_a_large_skip_with_sort() -> None:
    records = [{"id": i % 7, "n": i} for i in range(5000)]
    page = find(records, "$sort[id]=-1&$skip=1500&$limit=100")
    expected = sorted(records, key=lambda r: -r["id"])[1500:1600]
    assert page["data"] == expected


# ---- streaming: memory does not grow with the input


DATES = [(datetime(2020, 1, 1, tzinfo=UTC) + timedelta(minutes=7 * i)).isoformat() for i in range(1009)]
NAMES = [f"Campaign {i}" for i in range(97)]


def _generated(n: int) -> Iterator[dict[str, Any]]:
    """Fresh records, one at a time: a scan that kept them would hold n dicts."""
    dates, names = DATES, NAMES
    for i in range(n):
        yield {
            "id": i,
            "is_active": i % 2 == 0,
            "type": "Text Contact" if i % 3 else "Email Contact",
            "campaign_name": names[i % 97],
            "send_at": dates[i % 1009],
        }


def _peak(query: str, n: int) -> tuple[int, Any]:
    tracemalloc.start()
    try:
        page = find(_generated(n), query)
        return tracemalloc.get_traced_memory()[1], page
    finally:
        tracemalloc.stop()


@pytest.mark.slow
def test_memory_stays_flat_over_a_million_records() -> None:
    query = "is_active=true&$sort[send_at]=-1&$limit=20"
    small, _ = _peak(query, 20_000)
    big, page = _peak(query, 1_000_000)
    assert page["total"] == 500_000
    # A million records of a few hundred bytes each would be hundreds of megabytes; the page
    # and the sort buffer need well under one.
    assert big < 1_000_000, f"peak {big:,} bytes"
    assert big < small + 200_000, f"{small:,} bytes for 20,000 records, {big:,} for 1,000,000"


@pytest.mark.parametrize(
    "query",
    [
        "is_active=true&$sort[send_at]=-1&$limit=20",
        "type=Text%20Contact&$skip=100&$limit=50",
        "campaign_name[$like]=%2542&$sort[campaign_name]=1&$sort[id]=-1&$skip=10",
    ],
)
def test_memory_stays_flat_over_many_records(query: str) -> None:
    small, _ = _peak(query, 5_000)
    big, page = _peak(query, 100_000)
    assert page["total"] > 1_000
    assert big < small + 200_000, f"{small:,} bytes for 5,000 records, {big:,} for 100,000"


def test_the_memory_check_sees_rows_that_are_kept() -> None:
    small, _ = _peak("is_active=true&$sort[send_at]=-1&$limit=1", 5_000)
    tracemalloc.start()
    try:
        rows = find(_generated(100_000), "is_active=true", paginate=False)  # every match, by request
        everything = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert len(rows) == 50_000
    assert everything > small + 2_000_000


def test_a_user_without_an_id_is_a_record_error() -> None:
    with pytest.raises(RecordError) as raised:
        find(RECORDS, "$load=completing_user", users=[{"id": 1}, {"name": "x"}])
    assert raised.value.diagnostic.code == "bad-user"
    assert "{'name': 'x'}" in str(raised.value)
