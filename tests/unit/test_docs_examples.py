"""Every query of the LionDesk documentation (SEMANTICS.md source 1): where it shows a form, it works.

The requests are copied verbatim from the "Contact Communications" page, after ``GET``. The page
glues one example to the next sentence (``type[$in]=undefinedIf the column matches``); the query
there ends before ``If``. The page's ``//contacts`` is kept as printed: only the query matters here.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

import querylang
from querylang import Op
from querylang.ast import AllOf, Compare, Membership, Query, Sort

PATH = "/contacts/76/campaign-communications"

# (case name, request as printed in the documentation, expected query, canonical text)
EXAMPLES = [
    (
        "load-relations",
        "https://api-v2.liondesk.com//contacts/76/campaign-communications?$load=send_from_user,completing_user",
        Query(load=("send_from_user", "completing_user")),
        "$load=send_from_user,completing_user",
    ),
    (
        "equality",
        f"{PATH}?template_name=undefined",
        Query(Compare("template_name", Op.EQ, "undefined")),
        "template_name=undefined",
    ),
    (
        "exclude-with-ne",
        f"{PATH}?is_active[$ne]=undefined",
        Query(Compare("is_active", Op.NE, "undefined")),
        "is_active[$ne]=undefined",
    ),
    ("limit", f"{PATH}?$limit=2", Query(limit="2"), "$limit=2"),
    (
        "skip-for-paging",
        f"{PATH}?is_active=undefined&$limit=2&$skip=2",
        Query(Compare("is_active", Op.EQ, "undefined"), limit="2", skip="2"),
        "is_active=undefined&$limit=2&$skip=2",
    ),
    (
        "sort-descending",
        f"{PATH}?$limit=10&$sort[send_at]=-1",
        Query(limit="10", sort=(Sort("send_at", "-1"),)),
        "$sort[send_at]=-1&$limit=10",
    ),
    (
        "in",
        f"{PATH}?type[$in]=undefined",
        Query(Membership("type", Op.IN, ("undefined",))),
        "type[$in][]=undefined",
    ),
    (
        "nin",
        f"{PATH}?type[$nin]=undefined",
        Query(Membership("type", Op.NIN, ("undefined",))),
        "type[$nin][]=undefined",
    ),
    (
        "less-than",
        f"{PATH}?send_at[$lt]=2020-01-01T00:00:00Z",
        Query(Compare("send_at", Op.LT, "2020-01-01T00:00:00Z")),
        "send_at[$lt]=2020-01-01T00:00:00Z",
    ),
    (
        "greater-or-equal",
        f"{PATH}?send_at[$gte]=2018-05-07T10:00:00Z",
        Query(Compare("send_at", Op.GTE, "2018-05-07T10:00:00Z")),
        "send_at[$gte]=2018-05-07T10:00:00Z",
    ),
    (
        "range",
        f"{PATH}?send_at[$gte]=2019-01-01T11:00:00Z&send_at[$lte]=2019-01-31T00:00:00Z",
        Query(
            AllOf(
                (
                    Compare("send_at", Op.GTE, "2019-01-01T11:00:00Z"),
                    Compare("send_at", Op.LTE, "2019-01-31T00:00:00Z"),
                )
            )
        ),
        "send_at[$gte]=2019-01-01T11:00:00Z&send_at[$lte]=2019-01-31T00:00:00Z",
    ),
    (
        "like-unescaped",
        f"{PATH}?campaign_name[$like]=%New%",
        Query(Compare("campaign_name", Op.LIKE, "%New%")),
        "campaign_name[$like]=%25New%25",
    ),
    (
        "like-escaped",
        f"{PATH}?campaign_name[$like]=%25New%25",
        Query(Compare("campaign_name", Op.LIKE, "%New%")),
        "campaign_name[$like]=%25New%25",
    ),
]

REQUESTS = [pytest.param(request, id=name) for name, request, _, _ in EXAMPLES]
EXPECTED = [pytest.param(request, query, canonical, id=name) for name, request, query, canonical in EXAMPLES]


def _query_part(request: str) -> str:
    return request.split("?", 1)[1]


@pytest.mark.parametrize("request_line", REQUESTS)
def test_documented_query_parses(request_line: str) -> None:
    querylang.parse(_query_part(request_line))


@pytest.mark.parametrize("request_line", REQUESTS)
def test_documented_query_parses_with_its_question_mark(request_line: str) -> None:
    text = _query_part(request_line)
    assert querylang.parse("?" + text) == querylang.parse(text)


@pytest.mark.parametrize(("request_line", "expected", "canonical"), EXPECTED)
def test_documented_query_means_what_the_documentation_says(request_line: str, expected: Query, canonical: str) -> None:
    assert querylang.parse(_query_part(request_line)) == expected


@pytest.mark.parametrize(("request_line", "expected", "canonical"), EXPECTED)
def test_documented_query_has_its_canonical_text(request_line: str, expected: Query, canonical: str) -> None:
    assert querylang.serialize(querylang.parse(_query_part(request_line))) == canonical


@pytest.mark.parametrize("request_line", REQUESTS)
def test_documented_query_round_trips(request_line: str) -> None:
    query = querylang.parse(_query_part(request_line))
    assert querylang.parse(querylang.serialize(query)) == query


@pytest.mark.parametrize("request_line", REQUESTS)
def test_serialize_of_documented_query_is_a_fixed_point(request_line: str) -> None:
    text = querylang.serialize(querylang.parse(_query_part(request_line)))
    assert querylang.serialize(querylang.parse(text)) == text


def test_like_pattern_written_raw_and_escaped_are_equal() -> None:
    raw = querylang.parse("campaign_name[$like]=%New%")
    escaped = querylang.parse("campaign_name[$like]=%25New%25")
    assert raw == escaped
    assert querylang.serialize(raw) == querylang.serialize(escaped)


def test_raw_like_pattern_warns_and_escaped_does_not() -> None:
    assert [w.code for w in querylang.parse("campaign_name[$like]=%New%").warnings] == ["raw-value"]
    assert querylang.parse("campaign_name[$like]=%25New%25").warnings == ()


@pytest.mark.parametrize("value", ["2012-09-27", "2012-09-27T09:15:00Z", "2012-09-27T09:15:00-07:00"])
def test_documented_date_forms_survive_as_values(value: str) -> None:
    query = querylang.parse(f"send_at[$gte]={value}")
    assert query.where == Compare("send_at", Op.GTE, value)
    assert querylang.serialize(query) == f"send_at[$gte]={value}"


def test_documented_pdt_example_is_how_a_datetime_serializes() -> None:
    when = datetime(2012, 9, 27, 9, 15, tzinfo=timezone(timedelta(hours=-7)))
    assert querylang.serialize(Query(Compare("send_at", Op.GTE, when))) == "send_at[$gte]=2012-09-27T09:15:00-07:00"
