"""The query builder (issue 5): ``F``, ``Query``, conditions, values, grouping, schema-bound building.

Every built query is compared with ``querylang.parse`` of the text a user would write for it
(SEMANTICS.md sections 2 and 3): a built query must be the very AST the parser makes, in both
directions of ``==``. Errors are ``QueryError`` with a stable code.
"""

# The builder overloads `==`: `F.x == True` and `F.x == None` are conditions, not truth tests.
# ruff: noqa: E711, E712
from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo

import pytest

import querylang
from querylang import CONTACT_COMMUNICATIONS, F, Fields, Op, Query, QueryError, QueryValidationError, ast
from querylang.builder import Cond, FieldRef, SortKey
from querylang.values import FarInstant

IST = timezone(timedelta(hours=5, minutes=30))
PDT = timezone(timedelta(hours=-7))
G = F.bind(CONTACT_COMMUNICATIONS)


def parsed(text: str) -> ast.Query:
    return querylang.parse(text)


def assert_same(built: Query, text: str) -> None:
    """``built`` is the parse of ``text``, both ways round, and serializes back to a text that reads the same."""
    expected = parsed(text)
    assert built == expected
    assert expected == built
    assert not (built != expected)  # noqa: SIM202
    assert not (expected != built)  # noqa: SIM202
    assert built.ast == expected
    assert querylang.parse(querylang.serialize(built)) == built


def codes(error: pytest.ExceptionInfo[QueryError]) -> list[str]:
    return [d.code for d in error.value.diagnostics]


# ---- each operator against its text form

OPERATORS = [
    ("eq", lambda: F.campaign_name == "New", "campaign_name=New"),
    ("ne", lambda: F.campaign_name != "New", "campaign_name[$ne]=New"),
    ("lt", lambda: F.id < 5, "id[$lt]=5"),
    ("lte", lambda: F.id <= 5, "id[$lte]=5"),
    ("gt", lambda: F.id > 5, "id[$gt]=5"),
    ("gte", lambda: F.id >= 5, "id[$gte]=5"),
    (
        "in",
        lambda: F.type.in_(["Text Contact", "Email Contact"]),
        "type[$in][]=Text%20Contact&type[$in][]=Email%20Contact",
    ),
    ("in-one", lambda: F.type.in_(["Text Contact"]), "type[$in]=Text%20Contact"),
    ("in-tuple", lambda: F.id.in_((1, 2, 3)), "id[$in][0]=1&id[$in][1]=2&id[$in][2]=3"),
    ("in-generator", lambda: F.id.in_(i for i in (1, 2)), "id[$in][]=1&id[$in][]=2"),
    ("not-in", lambda: F.type.not_in(["Call Contact"]), "type[$nin][]=Call%20Contact"),
    (
        "nin",
        lambda: F.type.nin(["Call Contact", "Text Contact"]),
        "type[$nin][]=Call%20Contact&type[$nin][]=Text%20Contact",
    ),
    ("like", lambda: F.campaign_name.like("%New%"), "campaign_name[$like]=%25New%25"),
    ("notlike", lambda: F.campaign_name.notlike("Old%"), "campaign_name[$notlike]=Old%25"),
    ("not_like", lambda: F.campaign_name.not_like("Old%"), "campaign_name[$notlike]=Old%25"),
    ("ilike", lambda: F.template_name.ilike("welcome%"), "template_name[$ilike]=welcome%25"),
    ("is-null", lambda: F.completed_at.is_null(), "completed_at="),
    ("is-not-null", lambda: F.completed_at.is_not_null(), "completed_at[$ne]="),
    ("eq-none", lambda: F.completed_at == None, "completed_at="),
    ("ne-none", lambda: F.completed_at != None, "completed_at[$ne]="),
    ("reflected-lt", lambda: 5 > F.id, "id[$lt]=5"),  # noqa: SIM300
    ("reflected-gte", lambda: 5 <= F.id, "id[$gte]=5"),  # noqa: SIM300
]


@pytest.mark.parametrize(("make", "text"), [pytest.param(m, t, id=n) for n, m, t in OPERATORS])
def test_each_operator_is_its_text_form(make, text: str) -> None:
    cond = make()
    assert isinstance(cond, Cond)
    assert_same(Query.where(cond), text)


def test_operators_make_the_ast_nodes_the_parser_makes() -> None:
    assert (F.id >= 5).expr == ast.Compare("id", Op.GTE, "5")
    assert F.type.in_(["a", "b"]).expr == ast.Membership("type", Op.IN, ("a", "b"))
    assert F.type.nin(["a"]).expr == ast.Membership("type", Op.NIN, ("a",))
    assert F.completed_at.is_null().expr == ast.Compare("completed_at", Op.EQ, "")
    assert F.completed_at.is_not_null().expr == ast.Compare("completed_at", Op.NE, "")


def test_in_keeps_the_order_and_duplicates_of_its_values() -> None:
    assert_same(Query.where(F.id.in_([3, 1, 3])), "id[$in][]=3&id[$in][]=1&id[$in][]=3")


def test_in_refuses_a_string_instead_of_a_list() -> None:
    with pytest.raises(QueryError) as error:
        F.type.in_("Text Contact")
    assert codes(error) == ["not-a-list"]
    with pytest.raises(QueryError):
        F.type.not_in("Text Contact")


def test_in_refuses_an_empty_list() -> None:
    with pytest.raises(QueryError):
        F.type.in_([])


def test_like_pattern_is_written_escaped_and_reads_back_raw() -> None:
    q = Query.where(F.campaign_name.like("50%_off\\%"))
    assert querylang.serialize(q) == "campaign_name[$like]=50%25_off%5C%25"
    assert_same(q, "campaign_name[$like]=50%25_off%5C%25")


def test_several_operators_on_one_field() -> None:
    q = Query.where((F.id > 1) & (F.id < 9) & (F.id != 5))
    assert_same(q, "id[$gt]=1&id[$lt]=9&id[$ne]=5")


# ---- the F("name") form


def test_call_form_equals_attribute_form() -> None:
    assert Query.where(F("send_at") >= date(2019, 1, 1)) == Query.where(F.send_at >= date(2019, 1, 1))


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("a b", "a%20b=1"),
        ("x-y", "x-y=1"),
        ("é", "%C3%A9=1"),
        ("bind", "bind=1"),
        ("class", "class=1"),
        ("__proto__x", "__proto__x=1"),
    ],
)
def test_call_form_reaches_names_that_are_not_identifiers(name: str, text: str) -> None:
    assert_same(Query.where(F(name) == 1), text)


def test_attribute_names_that_shadow_python_are_fields() -> None:
    # `name`, `type` and `id` are attributes on many Python objects; on F they are fields.
    assert_same(Query.where(F.name == "x", F.type == "Text Contact", F.id == 1), "name=x&type=Text%20Contact&id=1")


def test_dunder_attributes_are_not_fields() -> None:
    with pytest.raises(AttributeError):
        _ = F.__wrapped__


@pytest.mark.parametrize("name", ["", "$or", "a[b]", "a]"])
def test_field_names_that_text_cannot_carry_are_refused(name: str) -> None:
    with pytest.raises(QueryError):
        Query.where(F(name) == 1)


def test_field_ref_repr() -> None:
    assert repr(F.send_at) == "F.send_at"
    assert repr(F("a b")) == "F('a b')"


# ---- & and |, and the nesting rules of SEMANTICS.md section 2

A, B, C, D = (F.a == 1), (F.b == 2), (F.c == 3), (F.d == 4)


@pytest.mark.parametrize(
    ("build", "text"),
    [
        pytest.param(lambda: A & B, "a=1&b=2", id="and"),
        pytest.param(lambda: A | B, "$or[0][a]=1&$or[1][b]=2", id="or"),
        pytest.param(lambda: A | B | C, "$or[0][a]=1&$or[1][b]=2&$or[2][c]=3", id="or-of-three"),
        pytest.param(lambda: A | (B | C), "$or[2][c]=3&$or[0][a]=1&$or[1][b]=2", id="or-flattened"),
        pytest.param(lambda: (A & B) | C, "$or[0][a]=1&$or[0][b]=2&$or[1][c]=3", id="and-inside-or"),
        pytest.param(lambda: C | (A & B), "$or[0][c]=3&$or[1][a]=1&$or[1][b]=2", id="and-inside-or-second"),
        pytest.param(lambda: (A | B) & C, "c=3&$or[0][a]=1&$or[1][b]=2", id="or-inside-and"),
        pytest.param(
            lambda: (A | B) & (C | D),
            "$or[0][a]=1&$or[1][b]=2&$and[0][$or][0][c]=3&$and[0][$or][1][d]=4",
            id="two-ors",
        ),
        pytest.param(
            lambda: (A | B) & (C | D),
            "$and[0][$or][0][a]=1&$and[0][$or][1][b]=2&$and[1][$or][0][c]=3&$and[1][$or][1][d]=4",
            id="two-ors-both-in-and",
        ),
        pytest.param(lambda: (F.id == 1) & (F.id == 2), "id=1&$and[0][id]=2", id="same-field-twice-in-and"),
        pytest.param(lambda: (F.id == 1) & (F.id > 0), "id=1&$and[0][id][$gt]=0", id="plain-beside-operator"),
        pytest.param(
            lambda: ((F.id > 1) & (F.id < 5)) | C,
            "$or[0][id][$gt]=1&$or[0][id][$lt]=5&$or[1][c]=3",
            id="range-inside-or",
        ),
        pytest.param(lambda: A & (B & C), "a=1&b=2&c=3", id="and-flattened"),
    ],
)
def test_grouping_is_its_text_form(build, text: str) -> None:
    assert_same(Query.where(build()), text)


def test_and_is_commutative_as_the_text_is() -> None:
    assert Query.where(A & B) == Query.where(B & A)
    assert Query.where(A | B) == Query.where(B | A)


@pytest.mark.parametrize(
    "build",
    [
        pytest.param(lambda: A | (B & (C | D)), id="or-in-and-in-or"),
        pytest.param(lambda: (B & (C | D)) | A, id="or-in-and-in-or-first"),
        pytest.param(lambda: ((C | D) & B) | A, id="or-first-in-and"),
        pytest.param(lambda: ((F.id == 1) & (F.id == 2)) | C, id="field-twice-in-an-alternative"),
    ],
)
def test_what_or_cannot_hold_is_a_clear_error(build) -> None:
    with pytest.raises(QueryError) as error:
        build()
    assert codes(error) == ["nested-group"]
    assert "$or" in str(error.value)


def test_or_inside_and_inside_or_is_refused_like_the_parser_refuses_its_text() -> None:
    with pytest.raises(QueryError) as error:
        parsed("$or[0][b]=2&$or[0][$or][0][c]=3&$or[1][a]=1")
    assert codes(error) == ["nested-group"]


def test_where_ands_its_conditions_and_its_calls() -> None:
    one = Query.where(A, B, C)
    assert one == Query.where(A & B & C)
    assert one == Query.where(A).where(B).where(C)
    assert one == Query.where(A, B).where(C)
    assert_same(one, "a=1&b=2&c=3")


def test_where_with_or_groups_across_calls() -> None:
    q = Query.where(A | B).where(C | D)
    assert_same(q, "$or[0][a]=1&$or[1][b]=2&$and[0][$or][0][c]=3&$and[0][$or][1][d]=4")


def test_where_without_conditions_is_every_record() -> None:
    assert_same(Query.where(), "")
    assert Query.where() == Query()


@pytest.mark.parametrize("thing", [True, None, 1, "id=1", F.id])
def test_where_refuses_what_is_not_a_condition(thing: object) -> None:
    with pytest.raises(QueryError) as error:
        Query.where(thing)  # type: ignore[arg-type]
    assert codes(error) == ["not-a-condition"]


def test_combining_with_what_is_not_a_condition_is_refused() -> None:
    with pytest.raises(QueryError):
        _ = A & True  # type: ignore[operator]
    with pytest.raises(QueryError):
        _ = A | "b=2"  # type: ignore[operator]


# ---- ~ on the operators that have a negated form


@pytest.mark.parametrize(
    ("build", "text"),
    [
        pytest.param(lambda: ~(F.campaign_name == "New"), "campaign_name[$ne]=New", id="eq"),
        pytest.param(lambda: ~(F.campaign_name != "New"), "campaign_name=New", id="ne"),
        pytest.param(lambda: ~F.type.in_(["Text Contact"]), "type[$nin][]=Text%20Contact", id="in"),
        pytest.param(lambda: ~F.type.not_in(["Text Contact"]), "type[$in][]=Text%20Contact", id="nin"),
        pytest.param(lambda: ~F.campaign_name.like("%New%"), "campaign_name[$notlike]=%25New%25", id="like"),
        pytest.param(lambda: ~F.campaign_name.notlike("%New%"), "campaign_name[$like]=%25New%25", id="notlike"),
        pytest.param(lambda: ~F.completed_at.is_null(), "completed_at[$ne]=", id="is-null"),
        pytest.param(lambda: ~F.completed_at.is_not_null(), "completed_at=", id="is-not-null"),
        pytest.param(lambda: ~~(F.id == 3), "id=3", id="double"),
    ],
)
def test_invert_is_the_negated_operator(build, text: str) -> None:
    assert_same(Query.where(build()), text)


def test_invert_leaves_the_original_condition_unchanged() -> None:
    cond = F.id == 3
    negated = ~cond
    assert cond.expr == ast.Compare("id", Op.EQ, "3")
    assert negated.expr == ast.Compare("id", Op.NE, "3")


@pytest.mark.parametrize(
    "build",
    [
        pytest.param(lambda: F.id < 3, id="lt"),
        pytest.param(lambda: F.id <= 3, id="lte"),
        pytest.param(lambda: F.id > 3, id="gt"),
        pytest.param(lambda: F.id >= 3, id="gte"),
        pytest.param(lambda: F.template_name.ilike("a%"), id="ilike"),
        pytest.param(lambda: A & B, id="and"),
        pytest.param(lambda: A | B, id="or"),
    ],
)
def test_invert_without_a_negated_form_is_a_clear_error(build) -> None:
    cond = build()
    with pytest.raises(QueryError) as error:
        ~cond  # noqa: B018
    assert codes(error) == ["cannot-negate"]
    assert error.value.diagnostic.hint


# ---- no truth value: `and`/`or`/`in`/chained comparisons are caught


def test_bool_of_a_condition_raises_type_error() -> None:
    with pytest.raises(TypeError):
        bool(F.id == 1)


def test_and_keyword_is_caught() -> None:
    with pytest.raises(TypeError):
        _ = (F.id == 1) and (F.id == 2)


def test_or_keyword_is_caught() -> None:
    with pytest.raises(TypeError):
        _ = (F.id == 1) or (F.id == 2)


def test_not_keyword_is_caught() -> None:
    with pytest.raises(TypeError):
        _ = not (F.id == 1)  # noqa: SIM201


def test_chained_comparison_is_caught() -> None:
    with pytest.raises(TypeError):
        _ = 1 < F.id < 5


def test_if_on_a_condition_is_caught() -> None:
    with pytest.raises(TypeError):
        if F.id == 1:
            pass


def test_field_refs_are_unhashable_as_they_overload_eq() -> None:
    with pytest.raises(TypeError):
        hash(F.id)


# ---- Python values in the forms of SEMANTICS.md section 3


@pytest.mark.parametrize(
    ("value", "written"),
    [
        pytest.param(True, "true", id="true"),
        pytest.param(False, "false", id="false"),
        pytest.param(0, "0", id="zero"),
        pytest.param(42, "42", id="int"),
        pytest.param(-7, "-7", id="negative"),
        pytest.param(2**31 - 1, "2147483647", id="int-max"),
        pytest.param("Text Contact", "Text%20Contact", id="text"),
        pytest.param("", "", id="empty-text"),
        pytest.param("null", "null", id="null-text"),
        pytest.param(None, "", id="none"),
        pytest.param(date(2012, 9, 27), "2012-09-27", id="date"),
        pytest.param(datetime(2019, 1, 1, 11, tzinfo=UTC), "2019-01-01T11:00:00Z", id="utc"),
        pytest.param(datetime(2019, 1, 1, 11, tzinfo=timezone.utc), "2019-01-01T11:00:00Z", id="timezone-utc"),  # noqa: UP017
        pytest.param(datetime(2019, 1, 1, 11, tzinfo=IST), "2019-01-01T11:00:00%2B05:30", id="plus-0530"),
        pytest.param(datetime(2012, 9, 27, 9, 15, tzinfo=PDT), "2012-09-27T09:15:00-07:00", id="minus-07"),
        pytest.param(datetime(2019, 1, 1, 11, 0, 0, 250000, tzinfo=UTC), "2019-01-01T11:00:00.250000Z", id="fraction"),
        pytest.param(
            datetime(2019, 7, 1, 12, tzinfo=ZoneInfo("America/Los_Angeles")),
            "2019-07-01T12:00:00-07:00",
            id="zoneinfo-dst",
        ),
        pytest.param(
            datetime(2019, 1, 1, 12, tzinfo=ZoneInfo("America/Los_Angeles")),
            "2019-01-01T12:00:00-08:00",
            id="zoneinfo-standard",
        ),
    ],
)
def test_python_values_are_written_in_their_text_forms(value: object, written: str) -> None:
    assert_same(Query.where(F.x == value), f"x={written}")
    assert querylang.serialize(Query.where(F.x == value)) == f"x={written}"


def test_datetime_text_names_the_same_instant() -> None:
    for value in (
        datetime(2019, 1, 1, 11, tzinfo=IST),
        datetime(2019, 1, 1, 11, tzinfo=PDT),
        datetime(2019, 1, 1, 11, 0, 0, 1, tzinfo=UTC),
    ):
        text = (F.send_at == value).expr.value
        assert isinstance(text, str)
        assert datetime.fromisoformat(text.replace("Z", "+00:00")) == value


def test_offset_with_seconds_is_written_as_the_same_instant_in_utc() -> None:
    value = datetime(2019, 1, 1, 12, tzinfo=timezone(timedelta(hours=1, seconds=30)))
    assert (F.send_at == value).expr.value == "2019-01-01T10:59:30Z"


def test_values_are_typed_by_validation_as_the_text_is() -> None:
    built = Query.where(F.send_at >= datetime(2019, 1, 1, 11, tzinfo=IST), F.is_active == True, F.id.in_([1, 2]))
    text = "send_at[$gte]=2019-01-01T11:00:00%2B05:30&is_active=true&id[$in][]=1&id[$in][]=2"
    assert querylang.validate(built) == querylang.validate(text)


class _NoOffset(tzinfo):
    def utcoffset(self, dt: datetime | None) -> timedelta | None:
        return None


@pytest.mark.parametrize(
    "value",
    [datetime(2019, 1, 1, 11), datetime(2019, 1, 1, 11, tzinfo=_NoOffset())],
    ids=["naive", "tzinfo-without-offset"],
)
@pytest.mark.parametrize(
    "build",
    [
        pytest.param(lambda v: F.send_at == v, id="eq"),
        pytest.param(lambda v: F.send_at >= v, id="gte"),
        pytest.param(lambda v: F.send_at.in_([v]), id="in"),
        pytest.param(lambda v: G.send_at < v, id="bound"),
    ],
)
def test_naive_datetime_is_refused(build, value: datetime) -> None:
    with pytest.raises(QueryError) as error:
        build(value)
    assert codes(error) == ["naive-datetime"]
    assert "time zone" in str(error.value)


@pytest.mark.parametrize("value", [b"x", [1], {"a": 1}, object(), F.id, 1j])
def test_values_without_a_text_form_are_refused(value: object) -> None:
    with pytest.raises(QueryError) as error:
        _ = F.x == value
    assert codes(error) == ["cannot-encode"]


def test_datetime_out_of_range_in_utc_is_a_query_error() -> None:
    with pytest.raises(QueryError):
        _ = F.send_at == datetime(1, 1, 1, tzinfo=timezone(timedelta(seconds=30)))


# ---- sort, limit, skip, select, load


@pytest.mark.parametrize(
    ("build", "text"),
    [
        pytest.param(lambda: Query.sort(-F.send_at), "$sort[send_at]=-1", id="descending"),
        pytest.param(lambda: Query.sort(F.send_at), "$sort[send_at]=1", id="field-is-ascending"),
        pytest.param(lambda: Query.sort(+F.send_at), "$sort[send_at]=1", id="plus"),
        pytest.param(lambda: Query.sort("-send_at", "id"), "$sort[send_at]=-1&$sort[id]=1", id="strings"),
        pytest.param(lambda: Query.sort(-F.send_at, F.id), "$sort[send_at]=-1&$sort[id]=1", id="two-keys"),
        pytest.param(lambda: Query.sort(-F.send_at).sort(F.id), "$sort[send_at]=-1&$sort[id]=1", id="two-calls"),
        pytest.param(lambda: Query.sort(-(-F.id)), "$sort[id]=1", id="double-negation"),  # noqa: B002
        pytest.param(lambda: Query.sort(SortKey("id", -1)), "$sort[id]=-1", id="sort-key"),
        pytest.param(lambda: Query.limit(10), "$limit=10", id="limit"),
        pytest.param(lambda: Query.limit(0), "$limit=0", id="limit-zero"),
        pytest.param(lambda: Query.skip(20), "$skip=20", id="skip"),
        pytest.param(lambda: Query.select("id", "send_at"), "$select[]=id&$select[]=send_at", id="select"),
        pytest.param(lambda: Query.select(F.id, "send_at"), "$select[]=id&$select[]=send_at", id="select-refs"),
        pytest.param(lambda: Query.select("id").select("type"), "$select[]=id&$select[]=type", id="select-twice"),
        pytest.param(lambda: Query.select("id"), "$select=id", id="select-one"),
        pytest.param(lambda: Query.load("send_from_user"), "$load=send_from_user", id="load"),
        pytest.param(
            lambda: Query.load("send_from_user", "completing_user"),
            "$load=send_from_user,completing_user",
            id="load-two",
        ),
        pytest.param(
            lambda: Query.load("send_from_user").load("completing_user"),
            "$load[]=send_from_user&$load[]=completing_user",
            id="load-two-calls",
        ),
    ],
)
def test_paging_sorting_projection_is_its_text_form(build, text: str) -> None:
    assert_same(build(), text)


def test_the_issue_example() -> None:
    q = (
        Query.where(F.is_active == True, F.type.in_(["Text Contact", "Email Contact"]))
        .where(F.send_at >= datetime(2019, 1, 1, 11, tzinfo=timezone.utc))  # noqa: UP017
        .where(F.campaign_name.like("%New%") | F.template_name.ilike("welcome%"))
        .sort(-F.send_at, F.id)
        .limit(25)
        .skip(50)
        .select("id", "send_at")
        .load("send_from_user")
    )
    assert_same(
        q,
        "is_active=true&type[$in][]=Text%20Contact&type[$in][]=Email%20Contact"
        "&send_at[$gte]=2019-01-01T11:00:00Z"
        "&$or[0][campaign_name][$like]=%25New%25&$or[1][template_name][$ilike]=welcome%25"
        "&$sort[send_at]=-1&$sort[id]=1&$limit=25&$skip=50&$select[]=id&$select[]=send_at&$load=send_from_user",
    )
    assert querylang.validate(q) == querylang.validate(querylang.serialize(q))


def test_class_and_instance_methods_start_from_the_same_place() -> None:
    assert Query.limit(5) == Query().limit(5)
    assert Query.where(A) == Query().where(A)
    assert Query.sort(F.id) == Query().sort(F.id)


def test_sorting_a_field_twice_is_refused() -> None:
    for build in (
        lambda: Query.sort(F.id, -F.id),
        lambda: Query.sort(F.id).sort("-id"),
        lambda: Query.sort("id", "id"),
    ):
        with pytest.raises(QueryError) as error:
            build()
        assert codes(error) == ["repeated-key"]


@pytest.mark.parametrize("key", [3, None, F.id == 1, ["id"]])
def test_sort_refuses_what_is_not_a_sort_key(key: object) -> None:
    with pytest.raises(QueryError) as error:
        Query.sort(key)  # type: ignore[arg-type]
    assert codes(error) == ["not-a-sort-key"]


@pytest.mark.parametrize("count", [-1, 1.5, "10", True, None, 10.0])
@pytest.mark.parametrize("method", ["limit", "skip"])
def test_limit_and_skip_take_non_negative_whole_numbers(method: str, count: object) -> None:
    with pytest.raises(QueryError) as error:
        getattr(Query, method)(count)
    assert codes(error) == ["not-an-integer"]


def test_limit_replaces_an_earlier_limit() -> None:
    assert_same(Query.limit(5).limit(7), "$limit=7")
    assert_same(Query.skip(5).skip(0), "$skip=0")


def test_built_query_from_a_parsed_one() -> None:
    start = Query(parsed("type[$in]=Text%20Contact&$limit=2"))
    assert_same(
        start.where(F.is_active == True).sort(-F.send_at),
        "type[$in]=Text%20Contact&is_active=true&$limit=2&$sort[send_at]=-1",
    )


def test_built_and_parsed_queries_hash_alike() -> None:
    built = Query.where(F.id == 1, F.type.in_(["a"])).sort(-F.send_at).limit(2)
    text = parsed("type[$in]=a&id=1&$sort[send_at]=-1&$limit=2")
    assert hash(built) == hash(text)
    assert len({built, text, Query(text)}) == 1


def test_every_function_that_takes_a_query_takes_a_built_one() -> None:
    q = Query.where(F.id == 1).limit(2)
    assert querylang.serialize(q) == "id=1&$limit=2"
    assert querylang.check(q) == []
    assert querylang.validate(q) == querylang.validate("id=1&$limit=2")


def test_repr_shows_the_text() -> None:
    assert repr(Query.where(F.id == 1).limit(2)) == "Query('id=1&$limit=2')"


# ---- immutability: every method returns a new object, the original unchanged


def test_query_methods_return_new_queries_and_leave_the_original() -> None:
    base = Query.where(F.id == 1)
    before = querylang.serialize(base)
    derived = [
        base.where(F.type == "Text Contact"),
        base.sort(-F.send_at),
        base.limit(3),
        base.skip(4),
        base.select("id"),
        base.load("send_from_user"),
    ]
    for other in derived:
        assert other is not base
        assert other != base
    assert querylang.serialize(base) == before == "id=1"
    assert base == parsed("id=1")


def test_chains_from_a_shared_prefix_do_not_see_each_other() -> None:
    base = Query.select("id").load("send_from_user").sort(F.id)
    left = base.select("type").load("completing_user").sort(F.send_at)
    right = base.select("send_at")
    assert_same(base, "$sort[id]=1&$select[]=id&$load=send_from_user")
    assert_same(
        left, "$sort[id]=1&$sort[send_at]=1&$select[]=id&$select[]=type&$load[]=send_from_user&$load[]=completing_user"
    )
    assert_same(right, "$sort[id]=1&$select[]=id&$select[]=send_at&$load=send_from_user")


def test_combining_conditions_leaves_them_unchanged() -> None:
    a, b = F.a == 1, F.b == 2
    a_expr, b_expr = a.expr, b.expr
    _ = a & b
    _ = a | b
    _ = ~a
    assert a.expr is a_expr and b.expr is b_expr
    assert a.expr == ast.Compare("a", Op.EQ, "1")


def test_a_field_ref_is_reusable() -> None:
    ref = F.id
    first = ref == 1
    second = ref > 5
    assert first.expr == ast.Compare("id", Op.EQ, "1")
    assert second.expr == ast.Compare("id", Op.GT, "5")
    assert ref.name == "id"


def test_binding_does_not_change_f() -> None:
    bound = F.bind(CONTACT_COMMUNICATIONS)
    assert bound is not F
    _ = F.no_such_field == 1  # F stays unbound


def test_built_ast_is_frozen() -> None:
    q = Query.where(F.id == 1)
    with pytest.raises(AttributeError):
        q.ast.limit = "5"  # type: ignore[misc]
    with pytest.raises(AttributeError):
        (F.id == 1).expr.value = "2"  # type: ignore[misc]


IMMUTABLE_ATTRIBUTES = [
    pytest.param(lambda: Query.where(F.id == 1), "ast", Query.where(F.id == 2).ast, id="Query.ast"),
    pytest.param(lambda: F.id == 1, "expr", ast.Compare("id", Op.EQ, "2"), id="Cond.expr"),
    pytest.param(lambda: F.id, "name", "type", id="FieldRef.name"),
    pytest.param(lambda: -F.id, "direction", 1, id="SortKey.direction"),
    pytest.param(lambda: F.bind(CONTACT_COMMUNICATIONS), "_schema", None, id="Fields._schema"),
    pytest.param(lambda: Query.for_schema(CONTACT_COMMUNICATIONS), "_schema", None, id="Query._schema"),
]


@pytest.mark.parametrize(("make", "attribute", "value"), IMMUTABLE_ATTRIBUTES)
def test_builder_objects_refuse_assignment(make, attribute: str, value: object) -> None:
    obj = make()
    with pytest.raises(AttributeError):
        setattr(obj, attribute, value)


# ---- schema-bound building: the diagnostics of validation, at build time

S = CONTACT_COMMUNICATIONS


def diagnostics(error: QueryError) -> list[tuple[str, str, str | None, str]]:
    return [(d.code, d.message, d.hint, d.severity) for d in error.diagnostics]


def validation_errors(text: str) -> list[tuple[str, str, str | None, str]]:
    return [(d.code, d.message, d.hint, d.severity) for d in querylang.check(text, S) if d.severity == "error"]


# (case, build with a Fields object, the same condition as text)
BAD_CONDITIONS = [
    ("unknown-field", lambda f: f.sendat >= date(2019, 1, 1), "sendat[$gte]=2019-01-01"),
    ("unknown-field-call-form", lambda f: f("campaign") == "x", "campaign=x"),
    ("proto-field", lambda f: f("__proto__") == "x", "__proto__=x"),
    ("not-a-boolean", lambda f: f.is_active == "yes", "is_active=yes"),
    ("not-a-boolean-int", lambda f: f.is_active == 1, "is_active=1"),
    ("not-an-integer", lambda f: f.id == "abc", "id=abc"),
    ("bool-for-integer", lambda f: f.id == True, "id=true"),
    ("out-of-range", lambda f: f.id > 2**31, "id[$gt]=2147483648"),
    ("not-in-enum", lambda f: f.type == "text contact", "type=text%20contact"),
    (
        "not-in-enum-in-list",
        lambda f: f.type.in_(["Text Contact", "SMS"]),
        "type[$in][]=Text%20Contact&type[$in][]=SMS",
    ),
    ("not-a-date", lambda f: f.send_at < "yesterday", "send_at[$lt]=yesterday"),
    (
        "date-out-of-range",
        lambda f: f.send_at < "0000-12-31T23:00:00Z",
        "send_at[$lt]=0000-12-31T23:00:00Z",
    ),
    ("empty-value", lambda f: f.send_at == None, "send_at="),
    ("null-on-integer", lambda f: f.id.is_null(), "id="),
    ("like-on-boolean", lambda f: f.is_active.like("t%"), "is_active[$like]=t%25"),
    ("ilike-on-integer", lambda f: f.id.ilike("1%"), "id[$ilike]=1%25"),
]


@pytest.mark.parametrize(("build", "text"), [pytest.param(b, t, id=n) for n, b, t in BAD_CONDITIONS])
def test_bound_fields_raise_what_validation_reports(build, text: str) -> None:
    expected = validation_errors(text)
    assert expected, "the text form must be invalid"
    with pytest.raises(QueryValidationError) as error:
        build(G)
    assert diagnostics(error.value) == expected


@pytest.mark.parametrize(("build", "text"), [pytest.param(b, t, id=n) for n, b, t in BAD_CONDITIONS])
def test_query_for_schema_raises_what_validation_reports(build, text: str) -> None:
    expected = validation_errors(text)
    with pytest.raises(QueryValidationError) as error:
        Query.for_schema(S).where(build(F))
    assert diagnostics(error.value) == expected


def test_unknown_field_suggests_the_nearest() -> None:
    with pytest.raises(QueryValidationError) as error:
        _ = G.sendat
    assert error.value.diagnostic.code == "unknown-field"
    assert error.value.diagnostic.hint == "did you mean 'send_at'?"


def test_not_in_enum_suggests_the_nearest() -> None:
    with pytest.raises(QueryValidationError) as error:
        _ = G.type == "Text contact"
    assert error.value.diagnostic.code == "not-in-enum"
    assert "Text Contact" in (error.value.diagnostic.hint or "")


def test_query_for_schema_reports_every_problem_at_once() -> None:
    with pytest.raises(QueryValidationError) as error:
        Query.for_schema(S).where(F.sendat == 1, F.is_active == "yes")
    assert [d.code for d in error.value.diagnostics] == ["unknown-field", "not-a-boolean"]
    assert diagnostics(error.value) == validation_errors("sendat=1&is_active=yes")


@pytest.mark.parametrize(
    ("build", "text"),
    [
        pytest.param(lambda q: q.sort(-F.sendat), "$sort[sendat]=-1", id="sort"),
        pytest.param(lambda q: q.sort("-sendat"), "$sort[sendat]=-1", id="sort-string"),
        pytest.param(lambda q: q.select("id", "nme"), "$select[]=id&$select[]=nme", id="select"),
        pytest.param(lambda q: q.load("send_from"), "$load=send_from", id="load"),
        pytest.param(
            lambda q: q.select(*S.field_names).select(*S.field_names),
            "&".join(f"$select[]={n}" for n in S.field_names * 2),
            id="too-many-fields",
        ),
        pytest.param(
            lambda q: q.where(F.is_active == True).where(F.id == "x"), "is_active=true&id=x", id="second-where"
        ),
        pytest.param(lambda q: q.limit(5).where(F.type == "Sms"), "type=Sms&$limit=5", id="after-limit"),
    ],
)
def test_query_for_schema_checks_every_part(build, text: str) -> None:
    expected = validation_errors(text)
    assert expected
    with pytest.raises(QueryValidationError) as error:
        build(Query.for_schema(S))
    assert diagnostics(error.value) == expected


def test_query_from_a_parsed_query_with_a_schema_is_checked() -> None:
    with pytest.raises(QueryValidationError) as error:
        Query(parsed("is_active=maybe"), schema=S)
    assert diagnostics(error.value) == validation_errors("is_active=maybe")


def test_bound_building_accepts_valid_queries_and_builds_the_same_ast() -> None:
    bound = (
        Query.for_schema(S)
        .where(G.is_active == True, G.type.in_(["Text Contact"]), G.completed_at.is_null())
        .where(G.send_at >= datetime(2019, 1, 1, 11, tzinfo=IST))
        .where(G.campaign_name.like("%New%") | G.template_name.ilike("welcome%"))
        .sort(-G.send_at, "id")
        .limit(500)
        .skip(0)
        .select(G.id, "send_at")
        .load("send_from_user", "completing_user")
    )
    unbound = (
        Query.where(F.is_active == True, F.type.in_(["Text Contact"]), F.completed_at.is_null())
        .where(F.send_at >= datetime(2019, 1, 1, 11, tzinfo=IST))
        .where(F.campaign_name.like("%New%") | F.template_name.ilike("welcome%"))
        .sort(-F.send_at, "id")
        .limit(500)
        .skip(0)
        .select(F.id, "send_at")
        .load("send_from_user", "completing_user")
    )
    assert bound == unbound


def test_warnings_do_not_raise_at_build_time() -> None:
    # placeholder-value, text-reply-without-type and limit-lowered are warnings in validation.
    q = Query.for_schema(S).where(G.template_name == "undefined", G.is_stopped_on_text_reply == True).limit(500)
    warnings = {d.code for d in querylang.check(q, S)}
    assert {"placeholder-value", "text-reply-without-type", "limit-lowered"} <= warnings
    assert all(d.severity == "warning" for d in querylang.check(q, S))


def test_nullable_fields_take_none_when_bound() -> None:
    assert_same(
        Query.where(G.completed_at == None, G.completing_user_id.is_not_null()),
        "completed_at=&completing_user_id[$ne]=",
    )


def test_schema_bound_conditions_combine_with_and_and_or() -> None:
    q = Query.for_schema(S).where((G.id > 1) & (G.id < 9) | (G.type == "Call Contact"))
    assert_same(q, "$or[0][id][$gt]=1&$or[0][id][$lt]=9&$or[1][type]=Call%20Contact")


def test_fields_constructor_with_a_schema_binds() -> None:
    bound = Fields(S)
    with pytest.raises(QueryValidationError):
        _ = bound.sendat
    assert isinstance(bound.send_at, FieldRef)


def test_a_datetime_whose_utc_falls_before_year_1_is_a_far_instant() -> None:
    # 0001-01-01T00:00:00+05:30 is 0000-12-31T18:30:00Z: PostgreSQL holds it, and so does querylang.
    query = querylang.Query().where(F.send_at < datetime(1, 1, 1, tzinfo=IST))
    assert querylang.serialize(query) == "send_at[$lt]=0001-01-01T00:00:00%2B05:30"
    value = querylang.validate(query).where.value  # type: ignore[union-attr]
    assert isinstance(value, FarInstant)
    assert value < datetime(1, 1, 1, tzinfo=UTC)
    assert value.text() == "0001-01-01T00:00:00+05:30"
