"""Parameters -> query (SEMANTICS.md sections 2 and 5): the shape rules, their codes and spans.

The table is tests/corpus/shape.json: each query gives its canonical text, or every shape error
at once. The tests below pin the trees themselves, the hints and the rendered diagnostics.
"""

from __future__ import annotations

import contextlib
import json
from pathlib import Path

import pytest

import querylang
from querylang import Op, QueryError, QuerySyntaxError, QueryValidationError, Span
from querylang.ast import AllOf, AnyOf, Compare, Membership, Query, Sort, and_, or_
from querylang.errors import render

CORPUS = Path(__file__).resolve().parents[1] / "corpus" / "shape.json"
CASES = json.loads(CORPUS.read_text(encoding="utf-8"))["cases"]
VALID = [pytest.param(case, id=case["name"]) for case in CASES if "canonical" in case]
INVALID = [pytest.param(case, id=case["name"]) for case in CASES if "errors" in case]


def _problems(text: str) -> QueryValidationError:
    with pytest.raises(QueryValidationError) as info:
        querylang.parse(text)
    return info.value


def _found(text: str) -> list[tuple[str, int, int]]:
    return [(d.code, d.span.start, d.span.end) for d in _problems(text).diagnostics]


def _eq(name: str, value: str) -> Compare:
    return Compare(name, Op.EQ, value)


# ---- the table


def test_corpus_names_are_unique() -> None:
    names = [case["name"] for case in CASES]
    assert len(names) == len(set(names))


@pytest.mark.parametrize("case", VALID)
def test_valid_shape_reads_to_its_canonical_text(case: dict[str, str]) -> None:
    query = querylang.parse(case["query"])
    if case["canonical"] is None:  # reads, but qs could not carry it back: no canonical text
        with pytest.raises(QueryError) as info:
            querylang.serialize(query)
        assert info.value.diagnostic.code == "cannot-encode"
        return
    assert querylang.serialize(query) == case["canonical"]
    assert querylang.parse(case["canonical"]) == query


@pytest.mark.parametrize("case", INVALID)
def test_invalid_shape_reports_every_problem_with_code_and_span(case: dict[str, object]) -> None:
    expected = [(e["code"], e["start"], e["end"]) for e in case["errors"]]  # type: ignore[attr-defined]
    assert _found(str(case["query"])) == expected


@pytest.mark.parametrize("case", INVALID)
def test_shape_errors_are_validation_errors_with_the_text(case: dict[str, object]) -> None:
    error = _problems(str(case["query"]))
    assert isinstance(error, QueryError)
    assert isinstance(error, ValueError)
    assert not isinstance(error, QuerySyntaxError)
    assert error.text == case["query"]
    assert all(d.severity == "error" and d.message for d in error.diagnostics)


# ---- filters and operators


@pytest.mark.parametrize("name", ["$populate", "$search", "$regex", "$foo"])
def test_unknown_filter_is_refused(name: str) -> None:
    assert _found(f"{name}=x") == [("unknown-filter", 0, len(name))]


@pytest.mark.parametrize("name", ["$eq", "$regex", "$exists"])
def test_unknown_operator_is_refused(name: str) -> None:
    assert _found(f"id[{name}]=1") == [("unknown-operator", 3, 3 + len(name))]


def test_eq_hint_says_to_write_plain_equality() -> None:
    assert _problems("id[$eq]=1").diagnostic.hint == "write id=value for equality"


def test_unknown_filter_hint_lists_the_filters() -> None:
    hint = _problems("$foo=1").diagnostic.hint
    assert hint is not None
    for name in ("$limit", "$skip", "$sort", "$select", "$or", "$and", "$load"):
        assert name in hint


def test_misspelt_filter_hint_suggests_the_nearest() -> None:
    assert _problems("$limt=1").diagnostic.hint == "did you mean '$limit'?"


def test_every_operator_reads_to_its_op() -> None:
    for op in Op:
        if op is Op.EQ:
            continue
        expected = Membership("f", op, ("v",)) if op in (Op.IN, Op.NIN) else Compare("f", op, "v")
        assert querylang.parse(f"f[{op.spelling}]=v").where == expected


def test_several_operators_on_one_field_all_apply() -> None:
    query = querylang.parse("id[$gt]=1&id[$lt]=5&id[$ne]=3")
    assert query.where == AllOf((Compare("id", Op.GT, "1"), Compare("id", Op.LT, "5"), Compare("id", Op.NE, "3")))


def test_in_single_value_is_a_list_of_one() -> None:
    assert querylang.parse("type[$in]=Text%20Contact").where == Membership("type", Op.IN, ("Text Contact",))


def test_nin_single_value_is_a_list_of_one() -> None:
    assert querylang.parse("type[$nin]=Text%20Contact").where == Membership("type", Op.NIN, ("Text Contact",))


def test_in_single_value_equals_in_list_of_one() -> None:
    assert querylang.parse("type[$in]=x") == querylang.parse("type[$in][]=x") == querylang.parse("type[$in][0]=x")


def test_in_values_keep_their_order() -> None:
    query = querylang.parse("type[$in][]=b&type[$in][]=a&type[$in][]=b")
    assert query.where == Membership("type", Op.IN, ("b", "a", "b"))
    assert query.where != Membership("type", Op.IN, ("a", "b", "b"))


# ---- mixed and repeated keys


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("id=1&id[$gt]=2", id="value-then-operator"),
        pytest.param("id[$gt]=2&id=1", id="operator-then-value"),
    ],
)
def test_field_with_value_and_operator_is_mixed(text: str) -> None:
    error = _problems(text)
    assert [(d.code, d.span) for d in error.diagnostics] == [("mixed-condition", Span(0, 14))]
    assert "$and" in (error.diagnostic.hint or "")


@pytest.mark.parametrize(
    ("text", "span"),
    [
        pytest.param("id=1&id=2", Span(5, 9), id="plain-key"),
        pytest.param("type[$ne]=A&type[$ne]=B", Span(12, 23), id="operator"),
        pytest.param("$or[0][id]=1&$or[0][id]=2", Span(13, 25), id="inside-or"),
    ],
)
def test_repeated_field_points_at_the_second_and_hints_in(text: str, span: Span) -> None:
    diagnostic = _problems(text).diagnostic
    assert (diagnostic.code, diagnostic.span) == ("repeated-key", span)
    assert "$in" in (diagnostic.hint or "")


def test_repeated_limit_is_refused() -> None:
    assert _found("$limit=5&$limit=6") == [("repeated-key", 9, 17)]


def test_repeated_key_counts_every_occurrence() -> None:
    assert "3 times" in _problems("id=1&id=2&id=3").diagnostic.message


# ---- $or and $and


def test_or_is_any_of_its_alternatives() -> None:
    query = querylang.parse("$or[0][a]=1&$or[1][b]=2&$or[1][c]=3")
    assert query.where == AnyOf((_eq("a", "1"), AllOf((_eq("b", "2"), _eq("c", "3")))))


def test_pushed_or_members_merge_into_one_alternative() -> None:
    assert querylang.parse("$or[][a]=1&$or[][b]=2").where == AllOf((_eq("a", "1"), _eq("b", "2")))


def test_or_beside_fields_is_anded_with_them() -> None:
    query = querylang.parse("c=3&$or[0][a]=1&$or[1][b]=2")
    assert query.where == AllOf((_eq("c", "3"), AnyOf((_eq("a", "1"), _eq("b", "2")))))


def test_and_elements_hold_fields_and_or() -> None:
    query = querylang.parse(
        "$and[0][$or][0][a]=1&$and[0][$or][1][b]=2&$and[0][c]=3&$and[1][$or][0][d]=4&$and[1][$or][1][e]=5"
    )
    assert query.where == AllOf(
        (
            AnyOf((_eq("a", "1"), _eq("b", "2"))),
            _eq("c", "3"),
            AnyOf((_eq("d", "4"), _eq("e", "5"))),
        )
    )


def test_and_lets_a_field_repeat() -> None:
    query = querylang.parse("$and[0][id][$ne]=1&$and[1][id][$ne]=2")
    assert query.where == AllOf((Compare("id", Op.NE, "1"), Compare("id", Op.NE, "2")))


def test_and_is_flat_not_nested() -> None:
    query = querylang.parse("a=1&$and[0][b]=2&$and[1][c]=3")
    assert query.where == and_(_eq("a", "1"), _eq("b", "2"), _eq("c", "3"))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("$or=1", [("expected-list", 0, 5)], id="or-not-a-list"),
        pytest.param("$or[a]=1", [("expected-list", 0, 8)], id="or-object"),
        pytest.param("$or[0]=1", [("expected-object", 0, 8)], id="or-element-not-an-object"),
        pytest.param("$or[0][$or][0][a]=1", [("nested-group", 7, 10)], id="or-inside-or"),
        pytest.param("$or[0][$and][0][a]=1", [("nested-group", 7, 11)], id="and-inside-or"),
        pytest.param("$and=1", [("expected-list", 0, 6)], id="and-not-a-list"),
        pytest.param("$and[0]=x", [("expected-object", 0, 9)], id="and-element-not-an-object"),
    ],
)
def test_group_shapes_are_checked(text: str, expected: list[tuple[str, int, int]]) -> None:
    assert _found(text) == expected


def test_every_bad_or_element_is_reported() -> None:
    assert _found("$or[0]=1&$or[1][a]=2&$or[2]=3") == [("expected-object", 0, 8), ("expected-object", 21, 29)]


# ---- $sort, $select, $load, $limit, $skip


def test_sort_keys_keep_the_order_written() -> None:
    assert querylang.parse("$sort[send_at]=-1&$sort[id]=1").sort == (Sort("send_at", "-1"), Sort("id", "1"))


def test_sort_directions_stay_text() -> None:
    assert querylang.parse("$sort[id]=0").sort == (Sort("id", "0"),)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("$sort=id", [("expected-object", 0, 8)], id="no-field"),
        pytest.param("$sort[id][x]=1", [("expected-value", 0, 14)], id="members"),
        pytest.param("$sort[id]=1&$sort[id]=-1", [("repeated-key", 12, 24)], id="field-twice"),
    ],
)
def test_sort_shapes_are_checked(text: str, expected: list[tuple[str, int, int]]) -> None:
    assert _found(text) == expected


def test_select_single_value_is_a_list_of_one() -> None:
    assert querylang.parse("$select=id").select == ("id",)


def test_select_list_keeps_order_and_duplicates() -> None:
    assert querylang.parse("$select[]=type&$select[]=id&$select[]=type").select == ("type", "id", "type")


def test_load_comma_list() -> None:
    query = querylang.parse("$load=send_from_user,completing_user")
    assert query.load == ("send_from_user", "completing_user")
    assert query.load_spans == (Span(6, 20), Span(21, 36))


def test_load_list_form_equals_comma_list() -> None:
    listed = querylang.parse("$load[]=send_from_user&$load[]=completing_user")
    assert listed == querylang.parse("$load=send_from_user,completing_user")
    assert listed.load_spans == (Span(8, 22), Span(31, 46))


def test_load_empty_name_is_reported_where_it_is_missing() -> None:
    assert _found("$load=a,,b") == [("empty-relation", 8, 8)]
    assert _found("$load=a,") == [("empty-relation", 8, 8)]


def test_limit_and_skip_stay_text_with_spans() -> None:
    query = querylang.parse("$limit=10&$skip=20")
    assert (query.limit, query.skip) == ("10", "20")
    assert (query.limit_span, query.skip_span) == (Span(7, 9), Span(16, 18))


def test_absent_parts_are_none() -> None:
    assert querylang.parse("") == Query()
    assert querylang.parse("?") == Query(where=None, limit=None, skip=None, sort=(), select=None, load=None)


# ---- the single value a list of one stands for


@pytest.mark.parametrize(
    ("text", "plain"),
    [
        pytest.param("$limit[]=2", "$limit=2", id="limit"),
        pytest.param("$skip[]=1", "$skip=1", id="skip"),
        pytest.param("$sort[id][]=1", "$sort[id]=1", id="sort"),
        pytest.param("type[$ne][]=Text%20Contact", "type[$ne]=Text%20Contact", id="operator"),
        pytest.param("is_active[]=true", "is_active=true", id="field"),
        pytest.param("id[0]=1", "id=1", id="field-index"),
    ],
)
def test_list_of_one_where_one_value_is_expected_is_that_value(text: str, plain: str) -> None:
    assert querylang.parse(text) == querylang.parse(plain)


def test_sort_field_given_as_list_of_one_raises_only_query_errors() -> None:
    with contextlib.suppress(QueryError):
        querylang.parse("$sort[id][]=1")


# Each form the reference's ajv (coerceTypes "array") reads as its one value: the warning's span
# is the brackets that make the list, from the list's first bracket to the end of the key (what
# to delete for the plain form the hint shows).
LIST_FOR_VALUE = [
    pytest.param("is_active[]=true", "[]", "write is_active=true", id="field"),
    pytest.param("$skip[]=1", "[]", "write $skip=1", id="skip"),
    pytest.param("$limit[]=5", "[]", "write $limit=5", id="limit"),
    pytest.param("id[0]=1", "[0]", "write id=1", id="field-index"),
    pytest.param("id[3]=1", "[3]", "write id=1", id="field-index-with-a-gap"),
    pytest.param("type[$ne][]=x", "[]", "write type[$ne]=x", id="operator"),
    pytest.param("type[$ne][]=Text%20Contact", "[]", "write type[$ne]=Text%20Contact", id="operator-encoded-value"),
    pytest.param("id[$gt][0]=1", "[0]", "write id[$gt]=1", id="operator-index"),
    pytest.param("$sort[id][]=-1", "[]", "write $sort[id]=-1", id="sort"),
    pytest.param("$sort[id][0]=1", "[0]", "write $sort[id]=1", id="sort-index"),
    pytest.param("is_active[][]=true", "[][]", "write is_active=true", id="flattened-appends"),
    pytest.param("is_active[][0]=true", "[][0]", "write is_active=true", id="append-then-index"),
    pytest.param("is_active%5B%5D=true", "%5B%5D", "write is_active=true", id="encoded-brackets"),
    pytest.param("is_active[%5D=true", "[%5D", "write is_active=true", id="mixed-brackets"),
    pytest.param("[is_active][]=true", "[]", "write is_active=true", id="key-starting-with-a-bracket"),
    pytest.param("$or[0][id][]=1", "[]", "write $or[0][id]=1", id="in-or"),
    pytest.param("$and[0][is_active][]=false", "[]", "write $and[0][is_active]=false", id="in-and"),
    pytest.param("$and[0][$or][0][id][]=1&$and[0][$or][1][id]=2", "[]", "write $and[0][$or][0][id]=1", id="or-in-and"),
    pytest.param("a+b[]=x+y", "[]", "write a%20b=x%20y", id="spaces"),
]


@pytest.mark.parametrize(("text", "brackets", "hint"), LIST_FOR_VALUE)
def test_list_of_one_read_as_a_value_warns_list_for_value_at_its_brackets(text: str, brackets: str, hint: str) -> None:
    query = querylang.parse(text)
    [warning] = query.warnings
    assert (warning.code, warning.severity, warning.hint) == ("list-for-value", "warning", hint)
    assert text[warning.span.start : warning.span.end] == brackets
    assert text.index(brackets) == warning.span.start
    assert "read as the value" in warning.message


def test_list_for_value_message_quotes_the_key_and_the_value() -> None:
    [warning] = querylang.parse("type[$ne][]=Text%20Contact").warnings
    assert warning.message == (
        "'type[$ne][]' is a list of one where one value is expected: read as the value 'Text Contact'"
    )


def test_list_for_value_renders_with_carets_under_the_brackets() -> None:
    [warning] = querylang.parse("send_at[$gte]=2019-01-01&is_active[]=true").warnings
    assert render("send_at[$gte]=2019-01-01&is_active[]=true", warning, prefix=True) == (
        "warning[list-for-value]: 'is_active[]' is a list of one where one value is expected: "
        "read as the value 'true' (write is_active=true)\n"
        "  send_at[$gte]=2019-01-01&is_active[]=true\n"
        "                                    ^^"
    )


def test_each_list_of_one_gets_its_own_warning() -> None:
    text = "is_active[]=true&id[$ne][0]=3&$limit[]=5"
    assert [(w.code, text[w.span.start : w.span.end]) for w in querylang.parse(text).warnings] == [
        ("list-for-value", "[]"),
        ("list-for-value", "[0]"),
        ("list-for-value", "[]"),
    ]


def test_raw_value_in_a_list_of_one_gets_both_warnings() -> None:
    assert [w.code for w in querylang.parse("campaign_name[]=%ZZ").warnings] == ["list-for-value", "raw-value"]


@pytest.mark.parametrize(
    "text",
    [
        "is_active=true",
        "type[$in][]=Text%20Contact",  # $in and $nin take lists
        "type[$nin][0]=Text%20Contact",
        "type[$in]=Text%20Contact",
        "$select[]=id",
        "$select[0]=id",
        "$load[]=send_from_user",
        "$sort[id]=1",
        "$or[0][id]=1",
        "[is_active]=true",
    ],
)
def test_no_list_for_value_where_a_list_is_taken_or_none_is_written(text: str) -> None:
    assert querylang.parse(text).warnings == ()


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("is_active[]=true&is_active[]=false", "repeated-key"),
        ("$limit[]=5&$limit[]=6", "repeated-key"),
        ("$sort[id][]=1&$sort[id][]=-1", "repeated-key"),
        ("id[0]=1&id[1]=2", "expected-value"),
        ("type[$ne][]=a&type[$ne][]=b", "repeated-key"),
        ("is_active[0][]=true", "expected-value"),
    ],
)
def test_a_list_of_two_or_more_where_one_value_is_expected_stays_an_error(text: str, code: str) -> None:
    error = _problems(text)
    assert [d.code for d in error.diagnostics] == [code]
    assert "list-for-value" not in [d.code for d in querylang.check(text)]


@pytest.mark.parametrize(
    "text",
    [
        "$and[0][$or][0][id]=1&$and[0][is_active][]=false",
        "$and[0][id][0]=1&$and[0][$or][0][id]=1",
        "$and[0][$or][0][id]=1&$and[0][campaign_name][$like][]=x",
    ],
)
def test_beside_an_or_in_and_a_list_of_one_is_an_error_without_a_warning(text: str) -> None:
    assert [(d.code, d.severity) for d in querylang.check(text)] == [("expected-value", "error")]


# ---- every problem at once, in order, rendered with carets


def test_three_problems_give_three_diagnostics() -> None:
    assert [code for code, _, _ in _found("$foo=1&a[$eq]=2&$limit=1&$limit=2")] == [
        "unknown-filter",
        "unknown-operator",
        "repeated-key",
    ]


def test_diagnostics_are_sorted_by_position() -> None:
    found = _found("z[$bad]=1&$or=1&a=1&a=2&$foo=1")
    assert found == sorted(found, key=lambda d: (d[1], d[2]))
    assert [code for code, _, _ in found] == ["unknown-operator", "expected-list", "repeated-key", "unknown-filter"]


def test_str_of_validation_error_shows_each_problem_with_carets() -> None:
    text = "$foo=1&a[$eq]=2"
    assert str(_problems(text)) == (
        "unknown filter '$foo' (filters are $limit, $skip, $sort, $select, $or, $and, $load)\n"
        "  $foo=1&a[$eq]=2\n"
        "  ^^^^\n"
        "unknown operator '$eq' on 'a' (write a=value for equality)\n"
        "  $foo=1&a[$eq]=2\n"
        "           ^^^"
    )


def test_str_of_repeated_key_error() -> None:
    assert str(_problems("id=1&id=2")) == (
        "field 'id' is given 2 times (use id[$in][]=… for any of several values)\n  id=1&id=2\n       ^^^^"
    )


def test_diagnostic_to_dict_is_plain_data() -> None:
    data = _problems("$foo=1").diagnostic.to_dict()
    assert data["code"] == "unknown-filter"
    assert (data["start"], data["end"], data["severity"]) == (0, 4, "error")
    json.dumps(data)


# ---- spans on the tree


def test_condition_spans_point_into_the_text() -> None:
    text = "a=1&send_at[$gte]=2019-01-01T11:00:00Z"
    where = querylang.parse(text).where
    assert isinstance(where, AllOf)
    compare = where.items[1]
    assert isinstance(compare, Compare)
    assert text[compare.span.start : compare.span.end] == "send_at[$gte]=2019-01-01T11:00:00Z"
    assert text[compare.field_span.start : compare.field_span.end] == "send_at"
    assert text[compare.value_span.start : compare.value_span.end] == "2019-01-01T11:00:00Z"


def test_membership_value_spans_point_at_each_value() -> None:
    text = "type[$in][]=Text%20Contact&type[$in][]=Call%20Contact"
    where = querylang.parse(text).where
    assert isinstance(where, Membership)
    assert [text[s.start : s.end] for s in where.value_spans] == ["Text%20Contact", "Call%20Contact"]


def test_or_of_one_alternative_is_that_alternative() -> None:
    assert querylang.parse("$or[0][a]=1&$or[0][b]=2") == querylang.parse("a=1&b=2")
    assert or_(_eq("a", "1")) == _eq("a", "1")


# ---- an $and element beside an $or: the reference validates its conditions not at all


@pytest.mark.parametrize(
    ("text", "code", "written"),
    [
        (
            "$and[0][$or][0][id]=1&$and[0][type][$in]=Text%20Contact",
            "expected-list",
            "$and[0][type][$in]=Text%20Contact",
        ),
        ("$and[0][$or][0][id]=1&$and[0][type][$nin]=x", "expected-list", "$and[0][type][$nin]=x"),
        ("$and[0][$or][0][id]=1&$and[0][is_active][]=false", "expected-value", "$and[0][is_active][]=false"),
        ("$and[0][id][0]=1&$and[0][$or][0][id]=1", "expected-value", "$and[0][id][0]=1"),
        (
            "$and[0][$or][0][id]=1&$and[0][campaign_name][$like][]=x",
            "expected-value",
            "$and[0][campaign_name][$like][]=x",
        ),
    ],
)
def test_beside_an_or_in_and_values_keep_the_shape_they_are_written_in(text: str, code: str, written: str) -> None:
    problem = _problems(text).diagnostic
    assert problem.code == code
    assert text[problem.span.start : problem.span.end] == written
    assert "$or inside $and" in problem.message


@pytest.mark.parametrize(
    "text",
    [
        "$and[0][type][$in]=Text%20Contact&$and[1][is_active][]=false",  # no $or beside: validated
        "$and[0][$or][0][type][$in]=Text%20Contact&$and[0][id]=1",  # the $or itself is validated
        "$and[0][$or][0][is_active][]=false&$and[0][id]=1",
        "type[$in]=Text%20Contact&is_active[]=false&$or[0][id]=1",  # at the top level
        "$and[0][$or][0][id]=1&$and[0][type][$in][]=Text%20Contact",
    ],
)
def test_elsewhere_one_value_is_a_list_of_one_and_a_list_of_one_a_value(text: str) -> None:
    querylang.parse(text)
