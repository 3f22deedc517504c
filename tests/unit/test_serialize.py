"""Query -> canonical text: exact output, round trips, value encoding, trees built in code.

tests/corpus/canonical.txt holds canonical strings one per line; each is a fixed point. Every line
of it also decodes, in the real qs 6.16, to what ``querylang.decode`` gives (checked by hand).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path

import pytest

import querylang
from querylang import Op, QueryError, QueryValidationError
from querylang.ast import AllOf, AnyOf, Compare, Expr, Membership, Query, Sort, and_, or_

CANONICAL = [
    line
    for line in (Path(__file__).resolve().parents[1] / "corpus" / "canonical.txt").read_text("utf-8").splitlines()
    if line
]


def _round_trip(query: Query) -> str:
    """Serialize, re-parse and compare; returns the text."""
    text = querylang.serialize(query)
    assert querylang.parse(text) == query
    assert querylang.serialize(querylang.parse(text)) == text
    return text


def _where(expr: Expr | None) -> str:
    return _round_trip(Query(expr))


def _eq(name: str, value: str) -> Compare:
    return Compare(name, Op.EQ, value)


# ---- canonical text


@pytest.mark.parametrize("text", CANONICAL)
def test_canonical_text_is_a_fixed_point(text: str) -> None:
    assert querylang.serialize(querylang.parse(text)) == text


@pytest.mark.parametrize(
    ("text", "canonical"),
    [
        pytest.param("?a=1", "a=1", id="question-mark-dropped"),
        pytest.param("&&a=1&&", "a=1", id="empty-parameters-dropped"),
        pytest.param("a", "a=", id="missing-equals-written"),
        pytest.param("a=x+y", "a=x%20y", id="plus-becomes-percent-20"),
        pytest.param("a+b=1", "a%20b=1", id="plus-in-key-becomes-percent-20"),
        pytest.param("a=%2b", "a=%2B", id="escape-upper-cased"),
        pytest.param("a=%7E%21%2A%27%28%29", "a=~!*'()", id="unreserved-unescaped"),
        pytest.param("a=%3A%2C%40%2F%24", "a=:,@/$", id="readable-punctuation-unescaped"),
        pytest.param("a=b=c", "a=b%3Dc", id="equals-in-value-escaped"),
        pytest.param("a=%New%", "a=%25New%25", id="raw-pattern-escaped"),
        pytest.param("a=%25New%ZZ", "a=%2525New%25ZZ", id="raw-value-escaped-as-written"),
        pytest.param("a=%", "a=%25", id="lone-percent-escaped"),
        pytest.param("%C3%A9=%C3%BC", "%C3%A9=%C3%BC", id="non-ascii-key-and-value"),
        pytest.param("é=ü", "%C3%A9=%C3%BC", id="raw-non-ascii-escaped"),
        pytest.param("a[%24gt]=1", "a[$gt]=1", id="escaped-operator-readable"),
        pytest.param("type%5B%24in%5D=x", "type[$in][]=x", id="escaped-brackets-readable"),
        pytest.param("type[$in]=x", "type[$in][]=x", id="single-in-value-appended"),
        pytest.param("type[$in][1]=y&type[$in][0]=x", "type[$in][]=x&type[$in][]=y", id="in-indices-appended"),
        pytest.param("$select=id", "$select[]=id", id="single-select-appended"),
        pytest.param("$load[]=a&$load[]=b", "$load=a,b", id="load-list-joined"),
        pytest.param("$skip=2&$limit=2&$sort[id]=1&a=1", "a=1&$sort[id]=1&$limit=2&$skip=2", id="filters-ordered"),
        pytest.param("b=2&a=1", "b=2&a=1", id="condition-order-kept"),
        pytest.param("$or[1][b]=2&$or[0][a]=1", "$or[0][a]=1&$or[1][b]=2", id="or-index-order"),
        pytest.param("$or[][a]=1&$or[][b]=2", "a=1&b=2", id="pushed-or-merged"),
        pytest.param("$or[0][a]=1", "a=1", id="single-or-unwrapped"),
        pytest.param("$and[0][a]=1&$and[1][b]=2", "a=1&b=2", id="and-flattened"),
        pytest.param("$and[0][a]=1&$and[1][a]=2", "a=1&$and[0][a]=2", id="and-repeat-kept"),
        pytest.param(
            "$and[0][$or][0][a]=1&$and[0][$or][1][b]=2&$and[1][c]=3", "c=3&$or[0][a]=1&$or[1][b]=2", id="and-or-lifted"
        ),
        pytest.param("a[$gt]=1&b=2&a[$lt]=5", "a[$gt]=1&a[$lt]=5&b=2", id="operators-grouped-by-field"),
    ],
)
def test_canonical_output(text: str, canonical: str) -> None:
    assert querylang.serialize(querylang.parse(text)) == canonical
    assert querylang.parse(canonical) == querylang.parse(text)


def test_empty_query_is_empty_text() -> None:
    assert querylang.serialize(Query()) == ""


# ---- value and key encoding


@pytest.mark.parametrize(
    ("value", "written"),
    [
        pytest.param(" ", "%20", id="space"),
        pytest.param("%", "%25", id="percent"),
        pytest.param("+", "%2B", id="plus"),
        pytest.param("&", "%26", id="ampersand"),
        pytest.param("#", "%23", id="hash"),
        pytest.param("=", "%3D", id="equals"),
        pytest.param("?", "%3F", id="question-mark"),
        pytest.param("é", "%C3%A9", id="latin-letter"),
        pytest.param("😀", "%F0%9F%98%80", id="astral"),
        pytest.param("[", "%5B", id="open-bracket"),
        pytest.param("]", "%5D", id="close-bracket"),
        pytest.param("x]=y", "x%5D%3Dy", id="bracket-equals"),
        pytest.param("\\", "%5C", id="backslash"),
        pytest.param("\n", "%0A", id="newline"),
        pytest.param('"<>^`{|}', "%22%3C%3E%5E%60%7B%7C%7D", id="unsafe-ascii"),
        pytest.param("%New%", "%25New%25", id="like-pattern"),
        pytest.param("", "", id="empty"),
    ],
)
def test_value_is_percent_encoded(value: str, written: str) -> None:
    assert _where(_eq("f", value)) == f"f={written}"
    assert _where(Compare("f", Op.NE, value)) == f"f[$ne]={written}"
    assert _where(Membership("f", Op.IN, (value,))) == f"f[$in][]={written}"


@pytest.mark.parametrize(
    ("name", "written"),
    [
        pytest.param("a b", "a%20b", id="space"),
        pytest.param("a+b", "a%2Bb", id="plus"),
        pytest.param("a&b", "a%26b", id="ampersand"),
        pytest.param("a=b", "a%3Db", id="equals"),
        pytest.param("a#b", "a%23b", id="hash"),
        pytest.param("a%b", "a%25b", id="percent"),
        pytest.param("%5B", "%255B", id="escaped-bracket-text"),
        pytest.param("?a", "%3Fa", id="leading-question-mark"),
        pytest.param("été", "%C3%A9t%C3%A9", id="non-ascii"),
    ],
)
def test_field_name_is_percent_encoded(name: str, written: str) -> None:
    assert _where(_eq(name, "1")) == f"{written}=1"
    assert _where(or_(_eq(name, "1"), _eq("z", "2"))) == f"$or[0][{written}]=1&$or[1][z]=2"


def test_sort_select_and_load_names_are_encoded() -> None:
    query = Query(sort=(Sort("a b", "1"),), select=("c&d",), load=("e f",))
    assert _round_trip(query) == "$sort[a%20b]=1&$select[]=c%26d&$load=e%20f"


# ---- trees built in code


def test_two_gt_on_one_field_go_through_and() -> None:
    assert _where(and_(Compare("a", Op.GT, "1"), Compare("a", Op.GT, "2"))) == "a[$gt]=1&$and[0][a][$gt]=2"


def test_plain_value_beside_operator_goes_through_and() -> None:
    assert _where(and_(_eq("a", "1"), Compare("a", Op.GT, "2"))) == "a=1&$and[0][a][$gt]=2"
    assert _where(and_(Compare("a", Op.GT, "2"), _eq("a", "1"))) == "a[$gt]=2&$and[0][a]=1"


def test_two_plain_values_on_one_field_go_through_and() -> None:
    assert _where(and_(_eq("a", "1"), _eq("a", "2"), _eq("a", "3"))) == "a=1&$and[0][a]=2&$and[1][a]=3"


def test_two_memberships_on_one_field_go_through_and() -> None:
    tree = and_(Membership("a", Op.IN, ("x",)), Membership("a", Op.IN, ("y", "z")))
    assert _where(tree) == "a[$in][]=x&$and[0][a][$in][]=y&$and[0][a][$in][]=z"


def test_second_or_group_goes_through_and() -> None:
    tree = and_(or_(_eq("a", "1"), _eq("b", "2")), or_(_eq("c", "3"), _eq("d", "4")))
    assert _where(tree) == "$or[0][a]=1&$or[1][b]=2&$and[0][$or][0][c]=3&$and[0][$or][1][d]=4"


def test_membership_in_second_or_group_stays_within_five_bracket_levels() -> None:
    # $and[0][$or][0][c][$in][] would be six levels, past qs's depth: the values repeat the key.
    tree = and_(or_(_eq("a", "1"), _eq("b", "2")), or_(Membership("c", Op.IN, ("x", "y")), _eq("d", "4")))
    assert _where(tree) == (
        "$or[0][a]=1&$or[1][b]=2&$and[0][$or][0][c][$in]=x&$and[0][$or][0][c][$in]=y&$and[0][$or][1][d]=4"
    )
    assert querylang.decode(querylang.serialize(Query(tree)))["$and"] == [
        {"$or": [{"c": {"$in": ["x", "y"]}}, {"d": "4"}]}
    ]


def test_single_membership_value_in_second_or_group_round_trips() -> None:
    tree = and_(or_(_eq("a", "1"), _eq("b", "2")), or_(Membership("c", Op.NIN, ("x",)), _eq("d", "4")))
    assert _where(tree) == "$or[0][a]=1&$or[1][b]=2&$and[0][$or][0][c][$nin]=x&$and[0][$or][1][d]=4"


def test_three_or_groups_and_fields_round_trip() -> None:
    tree = and_(
        _eq("x", "0"),
        or_(_eq("a", "1"), _eq("b", "2")),
        or_(_eq("c", "3"), _eq("d", "4")),
        Compare("x", Op.GT, "9"),
        or_(_eq("e", "5"), AllOf((_eq("f", "6"), Compare("g", Op.LT, "7")))),
    )
    _where(tree)


def test_or_alternative_with_several_operators_on_one_field() -> None:
    tree = or_(and_(Compare("a", Op.GT, "1"), Compare("a", Op.LT, "5")), _eq("b", "x"))
    assert _where(tree) == "$or[0][a][$gt]=1&$or[0][a][$lt]=5&$or[1][b]=x"


def test_duplicate_condition_survives_the_round_trip() -> None:
    assert _where(AllOf((_eq("a", "1"), _eq("a", "1")))) == "a=1&$and[0][a]=1"


def test_whole_query_built_in_code() -> None:
    query = Query(
        and_(Membership("type", Op.IN, ("Text Contact",)), Compare("send_at", Op.GTE, "2019-01-01T11:00:00Z")),
        limit="10",
        skip="0",
        sort=(Sort("send_at", "-1"),),
        select=("id", "type"),
        load=("send_from_user",),
    )
    assert _round_trip(query) == (
        "type[$in][]=Text%20Contact&send_at[$gte]=2019-01-01T11:00:00Z"
        "&$sort[send_at]=-1&$limit=10&$skip=0&$select[]=id&$select[]=type&$load=send_from_user"
    )


def test_serialize_is_unchanged_by_spans() -> None:
    text = "b[$gt]=1&a=2&$or[0][c]=3&$or[1][d]=4"
    parsed = querylang.parse(text)
    built = Query(and_(Compare("b", Op.GT, "1"), _eq("a", "2"), AnyOf((_eq("c", "3"), _eq("d", "4")))))
    assert parsed == built
    assert querylang.serialize(parsed) == querylang.serialize(built) == text


# ---- typed values


@pytest.mark.parametrize(
    ("value", "written"),
    [
        pytest.param(True, "true", id="true"),
        pytest.param(False, "false", id="false"),
        pytest.param(5, "5", id="int"),
        pytest.param(0, "0", id="zero"),
        pytest.param(-7, "-7", id="negative-int"),
        pytest.param(datetime(2019, 1, 1, 11, tzinfo=UTC), "2019-01-01T11:00:00Z", id="utc"),
        pytest.param(datetime(2019, 1, 1, 11, tzinfo=timezone(timedelta(0))), "2019-01-01T11:00:00Z", id="zero-offset"),
        pytest.param(datetime(2019, 1, 1, 11, 0, 0, 500, tzinfo=UTC), "2019-01-01T11:00:00.000500Z", id="microseconds"),
        pytest.param(
            datetime(2019, 1, 1, 11, tzinfo=timezone(timedelta(hours=5, minutes=30))),
            "2019-01-01T11:00:00%2B05:30",
            id="positive-offset-escapes-plus",
        ),
        pytest.param(
            datetime(2019, 1, 1, 11, tzinfo=timezone(timedelta(hours=-7))), "2019-01-01T11:00:00-07:00", id="negative"
        ),
        pytest.param(
            datetime(2019, 1, 1, 11, tzinfo=timezone(timedelta(seconds=30))),
            "2019-01-01T10:59:30Z",
            id="sub-minute-offset-in-utc",
        ),
        pytest.param(date(2012, 9, 27), "2012-09-27", id="date"),
        pytest.param(None, "", id="none"),
    ],
)
def test_typed_value_is_formatted(value: object, written: str) -> None:
    assert querylang.serialize(Query(Compare("f", Op.EQ, value))) == f"f={written}"  # type: ignore[arg-type]
    assert querylang.serialize(Query(Membership("f", Op.IN, (value,)))) == f"f[$in][]={written}"  # type: ignore[arg-type]


def test_typed_paging_and_sort_are_formatted() -> None:
    query = Query(limit=5, skip=0, sort=(Sort("send_at", -1), Sort("id", 1)))
    assert querylang.serialize(query) == "$sort[send_at]=-1&$sort[id]=1&$limit=5&$skip=0"


def test_typed_tree_reads_back_as_its_text() -> None:
    typed = Query(and_(Compare("is_active", Op.EQ, True), Compare("completed_at", Op.NE, None)), limit=2)
    assert querylang.parse(querylang.serialize(typed)) == Query(
        and_(_eq("is_active", "true"), Compare("completed_at", Op.NE, "")), limit="2"
    )


@pytest.mark.parametrize(
    "query",
    [
        pytest.param(Query(Compare("send_at", Op.GTE, datetime(2019, 1, 1))), id="compare"),
        pytest.param(Query(Membership("send_at", Op.IN, (datetime(2019, 1, 1, 1),))), id="membership"),
        pytest.param(Query(or_(_eq("a", "1"), Compare("send_at", Op.LT, datetime(2019, 1, 1)))), id="inside-or"),
    ],
)
def test_naive_datetime_is_refused(query: Query) -> None:
    with pytest.raises(QueryError) as info:
        querylang.serialize(query)
    assert info.value.diagnostic.code == "naive-datetime"
    assert "2019-01-01T" in info.value.diagnostic.message


# ---- what text cannot carry


@pytest.mark.parametrize(
    "query",
    [
        pytest.param(Query(_eq("a", "\ud800")), id="value"),
        pytest.param(Query(_eq("\ud800", "1")), id="field"),
        pytest.param(Query(select=("\udfff",)), id="select"),
    ],
)
def test_text_that_is_not_unicode_raises_query_error(query: Query) -> None:
    with pytest.raises(QueryError):
        querylang.serialize(query)


@pytest.mark.parametrize(
    "build",
    [
        pytest.param(lambda: Query(or_(_eq("0", "1"), _eq("b", "2"))), id="index-field-in-or"),
        pytest.param(lambda: Query(and_(_eq("7", "1"), _eq("7", "2"))), id="index-field-in-and"),
        pytest.param(lambda: Query(sort=(Sort("0", "1"),)), id="index-field-in-sort"),
        pytest.param(lambda: Query(sort=(Sort("a", "1"), Sort("a", "-1"))), id="field-sorted-twice"),
    ],
)
def test_tree_that_can_be_built_can_be_written_back(build: object) -> None:
    try:
        query = build()  # type: ignore[operator]
    except QueryError:
        return  # refusing the tree at construction keeps the promise too
    _round_trip(query)


def test_index_like_field_name_is_refused_everywhere() -> None:
    # Inside brackets qs reads a plain number as an array index, so no tree may hold one.
    with pytest.raises(QueryError):
        Compare("0", Op.EQ, "1")
    with pytest.raises(QueryValidationError) as info:
        querylang.parse("0=1")
    assert info.value.diagnostic.code == "bad-field-name"


def test_float_value_is_refused_with_query_error() -> None:
    with pytest.raises(QueryError) as info:
        querylang.serialize(Query(Compare("a", Op.EQ, 1.5)))
    assert info.value.diagnostic.code == "cannot-encode"
