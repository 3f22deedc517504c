"""Properties of find: pages are windows of the full answer, streaming changes nothing, records stay as they were."""

from __future__ import annotations

import copy
import dataclasses
import itertools
import sys
from pathlib import Path
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "differential"))
from reference_eval import TEXT_FIELDS, USERS, lone_backslash_free, records, typed_queries

import querylang
from querylang import ast
from querylang.ast import Query

record_lists = st.lists(records(), max_size=10)


@given(typed_queries(), record_lists)
def test_a_page_is_a_window_of_the_whole_answer(query: Query, recs: list[dict[str, Any]]) -> None:
    page = querylang.find(recs, query, users=USERS)
    whole = querylang.find(recs, dataclasses.replace(query, limit=None, skip=None), users=USERS, paginate=False)
    skip = query.skip if isinstance(query.skip, int) else 0
    limit = min(10 if query.limit is None else int(query.limit), 100)
    assert page["total"] == len(whole)
    assert (page["limit"], page["skip"]) == (limit, skip)
    assert page["data"] == whole[skip : skip + limit]


@given(typed_queries(), record_lists, st.integers(1, 4))
def test_pages_cover_the_answer_once(query: Query, recs: list[dict[str, Any]], size: int) -> None:
    query = dataclasses.replace(query, limit=None, skip=None)
    whole = querylang.find(recs, query, users=USERS, paginate=False)
    pages: list[Any] = []
    for skip in range(0, len(whole) + 1, size):
        pages += querylang.find(recs, dataclasses.replace(query, limit=size, skip=skip), users=USERS)["data"]
    assert pages == whole


@given(typed_queries(), record_lists)
def test_streaming_changes_nothing_and_records_stay_as_they_were(query: Query, recs: list[dict[str, Any]]) -> None:
    before = copy.deepcopy(recs)
    from_list = querylang.find(recs, query, users=USERS)
    from_stream = querylang.find((r for r in recs), query, users=USERS)
    from_tuple = querylang.find(tuple(recs), query, users=USERS)
    assert from_list == from_stream == from_tuple
    assert recs == before


@given(typed_queries(), record_lists)
def test_unsorted_answers_keep_input_order_and_match_the_predicate(query: Query, recs: list[dict[str, Any]]) -> None:
    query = Query(where=query.where)
    rows = querylang.find(recs, query, paginate=False)
    predicate = querylang.compile(query).predicate
    expected = [r for r in recs if predicate(r)]
    assert len(rows) == len(expected)
    assert all(a is b for a, b in zip(rows, expected, strict=True))


@given(typed_queries(), record_lists)
def test_sorted_answers_are_in_sort_key_order(query: Query, recs: list[dict[str, Any]]) -> None:
    compiled = querylang.compile(Query(where=query.where, sort=query.sort))
    rows = querylang.find(recs, compiled, paginate=False)
    if compiled.sort_key is not None:
        keys = [compiled.sort_key(r) for r in rows]
        assert all(not b < a for a, b in itertools.pairwise(keys))


@given(record_lists, st.sampled_from(TEXT_FIELDS), st.text("ab%_\\A", max_size=4))
def test_like_and_notlike_split_the_non_null_values(recs: list[dict[str, Any]], name: str, pattern: str) -> None:
    pattern = lone_backslash_free(pattern)

    def count(op: ast.Op) -> int:
        return querylang.find(recs, Query(where=ast.Compare(name, op, pattern)), paginate=False).__len__()

    nulls = sum(1 for r in recs if r.get(name) is None)
    assert count(ast.Op.LIKE) + count(ast.Op.NOTLIKE) + nulls == len(recs)


@given(record_lists, st.sampled_from(["completing_user_id", "send_from_user_id", "type", "campaign_name"]))
def test_in_is_an_or_of_equalities(recs: list[dict[str, Any]], name: str) -> None:
    values = [r.get(name) for r in recs if r.get(name) not in (None, "")][:2]
    if not values:
        return
    field = querylang.CONTACT_COMMUNICATIONS.field(name)
    assert field is not None
    typed = [field.from_record(v) for v in values]
    membership = querylang.find(recs, Query(where=ast.Membership(name, ast.Op.IN, tuple(typed))), paginate=False)
    equalities = [querylang.compile(Query(where=ast.Compare(name, ast.Op.EQ, v))).predicate for v in typed]
    either = [r for r in recs if any(equal(r) for equal in equalities)]
    assert membership == either
