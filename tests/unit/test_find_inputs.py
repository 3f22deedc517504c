"""What ``find`` and ``Compiled.window`` are given (issue 11 item 9): the same bad input, the same error.

Records must be an iterable of mappings and users a list (or mapping) of users whose ids fit
their relation's field. Whatever the query, what is not a record is ``not-a-record``, what is
not records ``not-records``, a bad user ``bad-user``, bad users ``not-users``: a ``RecordError``
(a ``QueryError``), never ``TypeError``.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import querylang
from querylang import find
from querylang.errors import RecordError

QUERIES = [
    "",
    "$limit=0",
    "$limit=1",
    "$skip=1",
    "$select[]=id",
    "id=1",
    "id[$ne]=1",
    "campaign_name[$like]=%25",
    "$or[0][id]=1&$or[1][is_active]=true",
    "$sort[id]=1",
    "$sort[send_at]=-1&$limit=1",
    "completed_at=",
]
NOT_RECORDS = [None, 1, 1.5, True, "x", b"x", ["x"], (1, 2), object()]
RECORD = {"id": 1, "is_active": True, "campaign_name": "A", "send_at": "2020-01-01T00:00:00Z"}


def _sources(records: list[Any]) -> list[Iterable[Any]]:
    """The same records as a list, a tuple and an iterator: the scans walk each its own way."""
    return [records, tuple(records), iter(records)]


def _code(query: str, records: Iterable[Any], **kwargs: Any) -> tuple[str, str]:
    with pytest.raises(RecordError) as error:
        find(records, query, **kwargs)
    return error.value.diagnostic.code, error.value.diagnostic.message


# ---- records


@pytest.mark.parametrize("query", QUERIES)
@pytest.mark.parametrize("item", NOT_RECORDS, ids=repr)
def test_an_item_that_is_not_a_mapping_is_not_a_record_whatever_the_query(query: str, item: object) -> None:
    for records in _sources([RECORD, item]):
        code, message = _code(query, records)
        assert code == "not-a-record"
        assert message == f"record 1: {type(item).__name__} is not a record (a JSON object)"


@pytest.mark.parametrize("query", ["", "$limit=0", "$sort[id]=1"])
def test_on_error_can_skip_what_is_not_a_record_in_a_query_that_reads_no_field(query: str) -> None:
    seen: list[tuple[int, str]] = []

    def skip(index: int, error: RecordError) -> None:
        seen.append((index, error.diagnostic.code))

    for records in _sources([None, RECORD, 7]):
        seen.clear()
        page = find(records, query, on_error=skip)
        assert page["total"] == 1
        assert seen == [(0, "not-a-record"), (2, "not-a-record")]


@pytest.mark.parametrize("query", QUERIES)
@pytest.mark.parametrize("records", [None, 1, 2.5, True, object(), "abc", "", b"ab", RECORD, {}], ids=repr)
def test_what_is_not_an_iterable_of_records_is_not_records_whatever_the_query(query: str, records: object) -> None:
    code, message = _code(query, records)  # type: ignore[arg-type]
    assert code == "not-records"
    assert message.startswith("the records must be a list or another iterable of records, not ")


def test_compiled_window_refuses_the_same_input() -> None:
    for query in ("", "id=1", "$sort[id]=1"):
        compiled = querylang.compile(query)
        with pytest.raises(RecordError) as error:
            compiled.window(None)  # type: ignore[arg-type]
        assert error.value.diagnostic.code == "not-records"
        for records in _sources([RECORD, None]):
            with pytest.raises(RecordError) as error:
                compiled.window(records, 0, 10)
            assert error.value.diagnostic.code == "not-a-record"


def test_other_mappings_and_iterables_are_records() -> None:
    class Row(dict[str, Any]):
        pass

    def rows() -> Iterator[Any]:
        yield Row(RECORD)
        yield {"id": 2}

    for query in ("", "id[$gt]=0"):
        assert find(rows(), query)["total"] == 2
        assert find({"a": RECORD}.values(), query)["total"] == 1


@given(st.lists(st.one_of(st.just(RECORD), st.none(), st.integers(), st.text(), st.lists(st.integers())), max_size=5))
def test_every_query_gives_the_same_answer_or_the_same_error(records: list[Any]) -> None:
    outcomes = set()
    for query in ("", "$limit=0", "id=1", "$sort[id]=1", "campaign_name[$like]=%25"):
        try:
            find(records, query)
        except RecordError as error:
            outcomes.add(error.diagnostic.message)
        else:
            outcomes.add("answered")
    assert len(outcomes) == 1, outcomes


# ---- users


USER_RECORDS = [{"id": 1, "send_from_user_id": 3, "completing_user_id": None}]
LOAD = "$load=send_from_user"


@pytest.mark.parametrize(
    ("users", "message"),
    [
        ([{"id": [1]}], "user 0: its id [1] is not a whole number"),
        ([{"id": {"a": 1}}], "user 0: its id {'a': 1} is not a whole number"),
        ([{"id": True}], "user 0: its id True is not a whole number"),
        ([{"id": 3.0}], "user 0: its id 3.0 is not a whole number"),
        ([{"id": "three"}], "user 0: its id 'three' is not a whole number"),
        ([{"id": "9" * 5000}], "user 0: its id 99999999999999999999...999999 (5000 digits) is outside"),
        ([{"id": None}], "user 0: a user must be an object with an 'id', not {'id': None}"),
        ([{"first_name": "A"}], "user 0: a user must be an object with an 'id'"),
        ([{"id": 3}, None], "user 1: a user must be an object with an 'id', not None"),
        ({3: "Ana"}, "user 3: a user must be an object with an 'id', not 'Ana'"),
        ({"x": {"id": 3}}, "user 'x': its id 'x' is not a whole number"),
    ],
    ids=repr,
)
def test_a_user_whose_id_does_not_fit_is_bad_user(users: object, message: str) -> None:
    code, found = _code(LOAD, USER_RECORDS, users=users)
    assert code == "bad-user"
    assert found.startswith(message)


@pytest.mark.parametrize("users", [1, 2.5, True, "users", b"users", object()], ids=repr)
@pytest.mark.parametrize("query", ["", "id=1", LOAD])
def test_what_is_not_users_is_not_users_whatever_the_query(users: object, query: str) -> None:
    code, message = _code(query, USER_RECORDS, users=users)
    assert code == "not-users"
    assert message.startswith("users must be a list of users or a mapping of id to user, not ")


def test_users_are_read_once_and_their_ids_as_the_field_reads_them() -> None:
    users = iter([{"id": "3", "first_name": "Ana"}, {"id": 4, "first_name": "Bo"}])
    rows = find(
        [{"id": 1, "send_from_user_id": "3", "completing_user_id": "4"}],
        "$load=send_from_user,completing_user",
        users=users,
        paginate=False,
    )
    assert [(r["send_from_user"]["first_name"], r["completing_user"]["first_name"]) for r in rows] == [("Ana", "Bo")]


def test_a_bad_user_is_refused_even_when_no_row_loads_it() -> None:
    assert _code(LOAD + "&id=99", USER_RECORDS, users=[{"id": [1]}])[0] == "bad-user"
    assert _code(LOAD, [], users=[{"id": [1]}])[0] == "bad-user"
