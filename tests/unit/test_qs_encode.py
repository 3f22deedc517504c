"""``querylang.encode``: nested data -> query text that ``decode`` (and qs) read back unchanged.

The expected texts were decoded with the real qs 6.16 (Express's options) and gave the input back.
"""

from __future__ import annotations

from datetime import date, datetime

import pytest

import querylang
from querylang import QueryError

CASES = [
    pytest.param({}, "", id="empty"),
    pytest.param({"a": "1"}, "a=1", id="string"),
    pytest.param({"a": ""}, "a=", id="empty-string"),
    pytest.param({"a": "1", "b": "2"}, "a=1&b=2", id="two-keys-in-order"),
    pytest.param({"a": ["x", "y"]}, "a[]=x&a[]=y", id="list-of-strings"),
    pytest.param({"a": [""]}, "a[]=", id="list-of-empty-string"),
    pytest.param({"a": {"b": "1"}}, "a[b]=1", id="dict"),
    pytest.param({"a": {"b": ["1", "2"]}}, "a[b][]=1&a[b][]=2", id="list-in-dict"),
    pytest.param({"$or": [{"a": "1"}, {"b": "2"}]}, "$or[0][a]=1&$or[1][b]=2", id="list-of-dicts-indexed"),
    pytest.param({"a": [["x"], ["y"]]}, "a[0][]=x&a[1][]=y", id="list-of-lists"),
    pytest.param({"a": [["x", "y"]]}, "a[0][]=x&a[0][]=y", id="list-of-one-list"),
    pytest.param({"a": ["x", {"b": "1"}]}, "a[0]=x&a[1][b]=1", id="mixed-list-indexed"),
    pytest.param({"a": ["", {"b": "1"}]}, "a[0]=&a[1][b]=1", id="mixed-list-with-empty-string"),
    pytest.param({"a": {"b": {"c": {"d": {"e": "1"}}}}}, "a[b][c][d][e]=1", id="four-levels"),
    pytest.param({"a": {"b": {"c": {"d": {"e": {"f": "1"}}}}}}, "a[b][c][d][e][f]=1", id="five-levels"),
    pytest.param({"a": [[["x"]]]}, "a[0][0][]=x", id="nested-lists"),
    pytest.param(
        {"a": {"b": {"c": {"d": {"e": {"f": ["x", "y"]}}}}}},
        "a[b][c][d][e][f]=x&a[b][c][d][e][f]=y",
        id="list-at-fifth-level-repeats-the-key",
    ),
    pytest.param({"$sort": {"send_at": "-1"}}, "$sort[send_at]=-1", id="dollar-readable"),
    pytest.param({"type": {"$in": ["Text Contact"]}}, "type[$in][]=Text%20Contact", id="space-in-value"),
    pytest.param({"a": "x y+&=#%é[]"}, "a=x%20y%2B%26%3D%23%25%C3%A9%5B%5D", id="value-escapes"),
    pytest.param({"a": "x]=y"}, "a=x%5D%3Dy", id="bracket-equals-in-value"),
    pytest.param({"a b": "1"}, "a%20b=1", id="space-in-key"),
    pytest.param({"a=b": "1"}, "a%3Db=1", id="equals-in-key"),
    pytest.param({"?a": "1"}, "%3Fa=1", id="question-mark-in-key"),
    pytest.param({"a": {"b c": "1"}}, "a[b%20c]=1", id="space-in-segment"),
    pytest.param({"0": "1"}, "0=1", id="digit-key-at-top"),
    pytest.param({"a": {"01": "1"}}, "a[01]=1", id="leading-zero-segment"),
    pytest.param({"a": {"0x": "1"}}, "a[0x]=1", id="digit-prefixed-segment"),
    pytest.param({"constructor": {"toString": "1"}}, "constructor[toString]=1", id="prototype-names"),
]


@pytest.mark.parametrize(("data", "text"), CASES)
def test_encode_writes_the_expected_text(data: dict[str, object], text: str) -> None:
    assert querylang.encode(data) == text


@pytest.mark.parametrize(("data", "text"), CASES)
def test_decode_reads_encoded_text_back(data: dict[str, object], text: str) -> None:
    assert querylang.decode(querylang.encode(data)) == data


def test_tuple_encodes_like_a_list() -> None:
    assert querylang.encode({"a": ("x", "y")}) == querylang.encode({"a": ["x", "y"]})


def test_thousand_items_are_allowed() -> None:
    data = {"a": ["x"] * 1000}
    assert querylang.decode(querylang.encode(data)) == data


def test_encode_of_decoded_query_round_trips() -> None:
    text = "type[$in][]=Text%20Contact&$or[0][id]=1&$or[1][is_active]=false&$sort[send_at]=-1&$limit=2"
    decoded = querylang.decode(text)
    assert querylang.decode(querylang.encode(decoded)) == decoded


@pytest.mark.parametrize(
    "data",
    [
        pytest.param({"a": []}, id="empty-list"),
        pytest.param({"a": {}}, id="empty-dict"),
        pytest.param({"a": [{}]}, id="empty-dict-in-list"),
        pytest.param({"a": [[]]}, id="empty-list-in-list"),
        pytest.param({"a": 1}, id="int"),
        pytest.param({"a": 1.5}, id="float"),
        pytest.param({"a": True}, id="bool"),
        pytest.param({"a": date(2020, 1, 1)}, id="date"),
        pytest.param({"a": datetime(2020, 1, 1)}, id="datetime"),
        pytest.param({"a": None}, id="none"),
        pytest.param({"a": {"x"}}, id="set"),
        pytest.param({"a": ["x", 1]}, id="int-in-list"),
        pytest.param({"a[b]": "1"}, id="key-with-brackets"),
        pytest.param({"a]": "1"}, id="key-with-closing-bracket"),
        pytest.param({"a": {"b[": "1"}}, id="segment-with-bracket"),
        pytest.param({"__proto__": "1"}, id="proto-key"),
        pytest.param({"a": {"__proto__": "1"}}, id="proto-segment"),
        pytest.param({"a": {"0": "1"}}, id="digit-key-inside-brackets"),
        pytest.param({"a": {"999": "1"}}, id="index-key-inside-brackets"),
        pytest.param({"": "1"}, id="empty-key"),
        pytest.param({"a": {"": "1"}}, id="empty-segment"),
        pytest.param({1: "x"}, id="int-key"),
        pytest.param({"a": {"b": {"c": {"d": {"e": {"f": {"g": "1"}}}}}}}, id="six-levels"),
        pytest.param({"a": {"b": {"c": {"d": {"e": {"f": ["x"]}}}}}}, id="list-of-one-at-fifth-level"),
        pytest.param({"a": ["x"] * 1001}, id="list-of-1001"),
        pytest.param({f"k{i}": "1" for i in range(1001)}, id="1001-parameters"),
        pytest.param([("a", "1")], id="list-at-top"),
        pytest.param("a=1", id="string-at-top"),
    ],
)
def test_what_text_cannot_carry_is_refused(data: object) -> None:
    with pytest.raises(QueryError) as info:
        querylang.encode(data)  # type: ignore[arg-type]
    assert [d.code for d in info.value.diagnostics] == ["cannot-encode"]
    assert info.value.diagnostic.message


def test_cannot_encode_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="empty list"):
        querylang.encode({"a": []})


@pytest.mark.parametrize(
    "data",
    [pytest.param({"a": "\ud800"}, id="value"), pytest.param({"\udfff": "1"}, id="key")],
)
def test_text_that_is_not_unicode_is_refused(data: dict[str, object]) -> None:
    with pytest.raises(QueryError) as info:
        querylang.encode(data)
    assert info.value.diagnostic.code == "cannot-encode"
