"""Validation (SEMANTICS.md sections 3 and 5): typed values, every problem at once, warnings.

Each rejection pins its code and its span (half-open offsets into the raw text); each acceptance
pins the typed value. The verdicts were checked against the reference server; the "Deliberate
differences" of SEMANTICS.md are rejected here where the reference accepts them.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

import pytest

import querylang
from querylang import (
    CONTACT_COMMUNICATIONS,
    Field,
    FieldType,
    Op,
    QueryError,
    QuerySyntaxError,
    QueryValidationError,
    Schema,
    check,
    validate,
)
from querylang.ast import AllOf, AnyOf, Compare, Membership, Query, Sort

TEXT_FIELDS = ("campaign_name", "template_subject", "template_name", "template_folder_name")
OTHER_FIELDS = tuple(n for n in CONTACT_COMMUNICATIONS.field_names if n not in TEXT_FIELDS)


def _utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]


def _errors(text: str, schema: Schema | None = None) -> list[tuple[str, int, int]]:
    return [(d.code, d.span.start, d.span.end) for d in check(text, schema) if d.severity == "error"]


def _warnings(text: str) -> list[tuple[str, int, int]]:
    return [(d.code, d.span.start, d.span.end) for d in check(text) if d.severity == "warning"]


def _where(text: str) -> object:
    """The typed condition tree of an accepted query."""
    return validate(text).where


def _single(text: str) -> Compare:
    where = validate(text).where
    assert isinstance(where, Compare), where
    return where


def _refused(text: str, code: str, start: int, end: int) -> None:
    """The query is refused with exactly this one error."""
    assert _errors(text) == [(code, start, end)]
    with pytest.raises(QueryValidationError) as info:
        validate(text)
    assert [(d.code, d.span.start, d.span.end) for d in info.value.diagnostics] == [(code, start, end)]
    assert info.value.text == text


# ---- typed values


@pytest.mark.parametrize(
    ("text", "field", "op", "value"),
    [
        ("id=0311", "id", Op.EQ, 311),
        ("id=-0", "id", Op.EQ, 0),
        ("contact_id[$gte]=-2147483648", "contact_id", Op.GTE, -(2**31)),
        ("send_from_user_id[$lt]=2147483647", "send_from_user_id", Op.LT, 2**31 - 1),
        ("is_active=true", "is_active", Op.EQ, True),
        ("is_stopped_on_text_reply[$ne]=false&type=Text%20Contact", "is_stopped_on_text_reply", Op.NE, False),
        ("type=Text%20Contact", "type", Op.EQ, "Text Contact"),
        ("type=Text+Contact", "type", Op.EQ, "Text Contact"),
        ("campaign_name=%C3%9Cber%20Buyers", "campaign_name", Op.EQ, "Über Buyers"),
        ("campaign_name[$like]=%25New%25", "campaign_name", Op.LIKE, "%New%"),
        ("send_at[$gte]=2019-01-01T11:00:00%2B05:30", "send_at", Op.GTE, _utc(2019, 1, 1, 5, 30)),
        ("send_at[$gte]=2019-01-01T11:00:00Z", "send_at", Op.GTE, _utc(2019, 1, 1, 11)),
        ("send_at=2019-01-01", "send_at", Op.EQ, _utc(2019, 1, 1)),
        ("send_at=2019-01-01%2011:00:00-07", "send_at", Op.EQ, _utc(2019, 1, 1, 18)),
        ("send_at=2021-12-31T23:59:59.9999995Z", "send_at", Op.EQ, _utc(2022, 1, 1)),
        ("send_at=2016-12-31T23:59:60Z", "send_at", Op.EQ, _utc(2017, 1, 1)),
        ("completed_at[$lt]=2019-01-01T11:00:00.0000005Z", "completed_at", Op.LT, _utc(2019, 1, 1, 11)),
    ],
)
def test_accepted_value_is_typed(text: str, field: str, op: Op, value: object) -> None:
    cond = [c for c in querylang.ast.conditions(_where(text)) if c.field == field]  # type: ignore[arg-type]
    assert len(cond) == 1
    assert isinstance(cond[0], Compare)
    assert cond[0].op is op
    assert cond[0].value == value
    assert type(cond[0].value) is type(value)
    if isinstance(value, datetime):
        assert cond[0].value.utcoffset() == timedelta(0)  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("is_active[]=true", Query(Compare("is_active", Op.EQ, True))),
        ("id[0]=0311", Query(Compare("id", Op.EQ, 311))),
        ("$limit[]=5", Query(limit=5)),
        ("$sort[id][]=-1", Query(sort=(Sort("id", -1),))),
    ],
)
def test_a_list_of_one_where_one_value_is_expected_is_that_value(text: str, expected: Query) -> None:
    assert validate(text) == expected


def test_membership_values_are_typed_in_order() -> None:
    where = _where("id[$in]=3&id[$in]=0311&id[$in]=-0")
    assert where == Membership("id", Op.IN, (3, 311, 0))
    where = _where("completed_at[$nin][]=2019-01-01&completed_at[$nin][]=")
    assert where == Membership("completed_at", Op.NIN, (_utc(2019, 1, 1), None))


def test_groups_are_typed_inside() -> None:
    where = _where("$or[0][id]=1&$or[1][is_active]=false&$and[0][send_at][$gt]=2020-01-01")
    assert isinstance(where, AllOf)
    assert AnyOf((Compare("id", Op.EQ, 1), Compare("is_active", Op.EQ, False))) in where.items
    assert Compare("send_at", Op.GT, _utc(2020, 1, 1)) in where.items


# ---- null


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("completed_at=", Compare("completed_at", Op.EQ, None)),
        ("completed_at[$ne]=", Compare("completed_at", Op.NE, None)),
        ("completing_user_id=", Compare("completing_user_id", Op.EQ, None)),
        ("completing_user_id[$ne]=", Compare("completing_user_id", Op.NE, None)),
        ("completed_at[$in]=", Membership("completed_at", Op.IN, (None,))),
        ("completed_at[$gt]=", Compare("completed_at", Op.GT, None)),
        ("completed_at", Compare("completed_at", Op.EQ, None)),
        ("campaign_name=", Compare("campaign_name", Op.EQ, "")),
        ("campaign_name[$ne]=", Compare("campaign_name", Op.NE, "")),
        ("template_subject=null", Compare("template_subject", Op.EQ, "null")),
    ],
)
def test_empty_value_is_null_on_nullable_fields_and_empty_on_text(text: str, expected: object) -> None:
    assert _where(text) == expected


@pytest.mark.parametrize(
    ("text", "code", "start", "end"),
    [
        ("completed_at=null", "not-a-date", 13, 17),
        ("completing_user_id=null", "not-an-integer", 19, 23),
        ("completing_user_id[$lt]=null", "not-an-integer", 24, 28),
        ("id=", "empty-value", 3, 3),
        ("id", "empty-value", 2, 2),
        ("contact_id=", "empty-value", 11, 11),
        ("send_from_user_id=", "empty-value", 18, 18),
        ("is_active=", "empty-value", 10, 10),
        ("is_active[$ne]=", "empty-value", 15, 15),
        ("is_active[$in]=", "empty-value", 15, 15),
        ("type=", "empty-value", 5, 5),
        ("type[$in]=", "empty-value", 10, 10),
        ("send_at=", "empty-value", 8, 8),
        ("id[$in]=", "empty-value", 8, 8),
        ("is_active=null", "not-a-boolean", 10, 14),
        ("type=null", "not-in-enum", 5, 9),
        ("send_at=null", "not-a-date", 8, 12),
    ],
)
def test_null_spellings_that_are_errors(text: str, code: str, start: int, end: int) -> None:
    _refused(text, code, start, end)


# ---- values per type

VALUE_ERRORS = [
    ("id=abc", "not-an-integer", 3, 6),
    ("id=1.5", "not-an-integer", 3, 6),
    ("id=-", "not-an-integer", 3, 4),
    ("id=0x15E46", "not-an-integer", 3, 10),
    ("id=0b101", "not-an-integer", 3, 8),
    ("id=0o17", "not-an-integer", 3, 7),
    ("id=8.967e4", "not-an-integer", 3, 10),
    ("id=89670.0", "not-an-integer", 3, 10),
    ("id=%2089670", "not-an-integer", 3, 11),
    ("id=+89670", "not-an-integer", 3, 9),
    ("id=%2B89670", "not-an-integer", 3, 11),
    ("id=%20", "not-an-integer", 3, 6),
    ("id=Infinity", "not-an-integer", 3, 11),
    ("id=2147483648", "out-of-range", 3, 13),
    ("contact_id=-2147483649", "out-of-range", 11, 22),
    ("completing_user_id=2147483648", "out-of-range", 19, 29),
    ("is_active=True", "not-a-boolean", 10, 14),
    ("is_active=1", "not-a-boolean", 10, 11),
    ("is_active=%20true", "not-a-boolean", 10, 17),
    ("type=text%20contact", "not-in-enum", 5, 19),
    ("type=Text", "not-in-enum", 5, 9),
    ("type[$gt]=Zzz", "not-in-enum", 10, 13),
    ("type[$nin]=Text", "not-in-enum", 11, 15),
    ("send_at=2019-13-01", "not-a-date", 8, 18),
    ("send_at=2019-02-30T00:00:00Z", "not-a-date", 8, 28),
    ("send_at=2019-01-01T11:00:00", "not-a-date", 8, 27),
    ("send_at=2019-01-01T11:00Z", "not-a-date", 8, 25),
    ("send_at=0000-01-01", "not-a-date", 8, 18),
    ("send_at=10000-01-01T00:00:00Z", "not-a-date", 8, 29),
    ("send_at=2019-01-01T12:59:60Z", "not-a-date", 8, 28),
    ("send_at=2019-01-01T12:00:00+02:00", "not-a-date", 8, 33),
    ("completed_at[$gte]=2019-01-01T12:00:00%2002:00", "not-a-date", 19, 46),
    ("id[$in][]=1&id[$in][]=x", "not-an-integer", 22, 23),
    ("$or[0][id]=x", "not-an-integer", 11, 12),
    ("$and[0][is_active]=yes", "not-a-boolean", 19, 22),
]


@pytest.mark.parametrize(("text", "code", "start", "end"), VALUE_ERRORS, ids=[c[0] for c in VALUE_ERRORS])
def test_value_that_does_not_fit_its_field(text: str, code: str, start: int, end: int) -> None:
    _refused(text, code, start, end)


def test_space_for_plus_in_an_offset_hints_percent_2b() -> None:
    (d,) = check("send_at=2019-01-01T12:00:00+02:00")
    assert d.code == "not-a-date"
    assert "%2B" in (d.hint or "")
    assert "send_at" in d.message


def test_space_for_plus_in_an_integer_hints_percent_2b() -> None:
    (d,) = check("id=+89670")
    assert "%2B" in (d.hint or "")


@pytest.mark.parametrize("text", ["id=undefined", "is_active=null", "send_at=NaN", "completed_at=None"])
def test_placeholder_on_a_non_text_field_is_an_error_naming_the_unset_variable(text: str) -> None:
    (d,) = check(text)
    assert d.severity == "error"
    assert "unset variable" in (d.hint or "")


# ---- operators per type


@pytest.mark.parametrize("field", TEXT_FIELDS)
@pytest.mark.parametrize("op", [Op.LIKE, Op.NOTLIKE, Op.ILIKE])
def test_pattern_operator_applies_to_text_fields(field: str, op: Op) -> None:
    assert _where(f"{field}[{op.spelling}]=%25a_b%25") == Compare(field, op, "%a_b%")


@pytest.mark.parametrize("field", OTHER_FIELDS)
@pytest.mark.parametrize("op", [Op.LIKE, Op.NOTLIKE, Op.ILIKE])
def test_pattern_operator_on_other_fields_is_refused(field: str, op: Op) -> None:
    text = f"{field}[{op.spelling}]=1"
    _refused(text, "operator-not-allowed", 0, len(text))
    (d,) = check(text)
    assert op.spelling in d.message
    assert field in d.message
    assert all(name in (d.hint or "") for name in TEXT_FIELDS)


def test_operator_not_allowed_span_covers_the_whole_parameter_inside_groups() -> None:
    assert _errors("$or[0][id][$like]=1&$or[1][id]=2") == [("operator-not-allowed", 0, 19)]


@pytest.mark.parametrize(
    "expected",
    [
        Compare("is_active", Op.GT, False),
        Compare("is_stopped_on_text_reply", Op.LTE, True),
        Compare("campaign_name", Op.LT, "m"),
        Compare("template_name", Op.GTE, ""),
        Compare("type", Op.GTE, "Call Contact"),
        Compare("send_at", Op.LTE, _utc(2019, 1, 1)),
        Compare("completing_user_id", Op.GT, 5),
        Compare("id", Op.NE, 5),
    ],
    ids=lambda c: f"{c.field}{c.op.spelling}",
)
def test_ranges_apply_to_every_field(expected: Compare) -> None:
    value = {True: "true", False: "false"}.get(expected.value, expected.value)  # type: ignore[call-overload]
    if isinstance(value, datetime):
        value = value.date().isoformat()
    text = f"{expected.field}[{expected.op.spelling}]={value}".replace(" ", "%20")
    assert _where(text) == expected


# ---- $limit and $skip


@pytest.mark.parametrize(
    ("text", "limit", "skip"),
    [
        ("", None, None),
        ("id=1", None, None),
        ("$limit=0", 0, None),
        ("$limit=-0", 0, None),
        ("$limit=05", 5, None),
        ("$limit=100", 100, None),
        ("$skip=0", None, 0),
        ("$skip=-0", None, 0),
        ("$skip=1000", None, 1000),
        ("$skip=9007199254740991", None, 2**53 - 1),
        ("$limit=7&$skip=3", 7, 3),
    ],
)
def test_limit_and_skip_are_non_negative_integers(text: str, limit: int | None, skip: int | None) -> None:
    query = validate(text)
    assert (query.limit, query.skip) == (limit, skip)
    assert not query.warnings


@pytest.mark.parametrize(("text", "start", "end"), [("$limit=101", 7, 10), ("$limit=1000000", 7, 14)])
def test_limit_above_the_maximum_is_lowered_with_a_warning(text: str, start: int, end: int) -> None:
    query = validate(text)
    assert query.limit == 100
    assert [(w.code, w.span.start, w.span.end) for w in query.warnings] == [("limit-lowered", start, end)]
    assert query.warnings[0].severity == "warning"


def test_huge_limit_is_lowered_too() -> None:
    assert validate("$limit=99999999999999999999").limit == 100


def test_limit_the_server_would_read_as_1_is_out_of_range() -> None:
    # The server's JavaScript writes a number from 1e21 up as "1e+21", which parseInt reads as 1.
    assert validate("$limit=999999999999999934463").limit == 100
    for text in ("$limit=999999999999999934464", "$limit=1000000000000000000000"):
        found = check(text)
        assert [d.code for d in found] == ["out-of-range"]
        assert found[0].hint == (
            "use a whole number up to 999999999999999934463, past which the server's JavaScript writes it "
            "1e+21 and reads that as 1"
        )


def test_limit_lowered_follows_a_custom_maximum() -> None:
    schema = Schema("small", (Field("id", FieldType.INTEGER),), default_limit=5, max_limit=20)
    query = validate("$limit=21", schema)
    assert query.limit == 20
    assert [w.code for w in query.warnings] == ["limit-lowered"]
    assert validate("$limit=20", schema).warnings == ()


LIMIT_ERRORS = [
    ("$limit=-1", "out-of-range", 7, 9),
    ("$skip=-1", "out-of-range", 6, 8),
    ("$skip=9223372036854775808", "out-of-range", 6, 25),
    ("$limit=", "not-an-integer", 7, 7),
    ("$skip=", "not-an-integer", 6, 6),
    ("$limit=%20", "not-an-integer", 7, 10),
    ("$limit=+5", "not-an-integer", 7, 9),
    ("$limit=%2B5", "not-an-integer", 7, 11),
    ("$limit=1.5", "not-an-integer", 7, 10),
    ("$limit=1.0", "not-an-integer", 7, 10),
    ("$limit=-1.5", "not-an-integer", 7, 11),
    ("$limit=1e2", "not-an-integer", 7, 10),
    ("$limit=Infinity", "not-an-integer", 7, 15),
    ("$limit=0x10", "not-an-integer", 7, 11),
    ("$limit=abc", "not-an-integer", 7, 10),
    ("$limit=null", "not-an-integer", 7, 11),
    ("$limit=%D9%A1", "not-an-integer", 7, 13),
    ("$skip=1.5", "not-an-integer", 6, 9),
    ("$skip=1e1", "not-an-integer", 6, 9),
    ("$skip=Infinity", "not-an-integer", 6, 14),
]


@pytest.mark.parametrize(("text", "code", "start", "end"), LIMIT_ERRORS, ids=[c[0] for c in LIMIT_ERRORS])
def test_limit_and_skip_other_spellings_are_refused(text: str, code: str, start: int, end: int) -> None:
    _refused(text, code, start, end)


def test_limit_hint_names_the_range_and_the_unencoded_plus() -> None:
    (d,) = check("$limit=+5")
    assert "0 to 100" in (d.hint or "")
    assert "+" in (d.hint or "")


# ---- $sort


def test_sort_directions_and_order_as_written() -> None:
    query = validate("$sort[send_at]=-1&$sort[id]=1&$sort[type]=-1")
    assert query.sort == (Sort("send_at", -1), Sort("id", 1), Sort("type", -1))
    assert all(type(s.direction) is int for s in query.sort)


@pytest.mark.parametrize(
    ("value", "end"),
    [
        ("0", 16),
        ("1.0", 18),
        ("+1", 17),  # arrives as " 1"
        ("%2B1", 19),
        ("-0", 17),
        ("01", 17),
        ("-1.0", 19),
        ("1e0", 18),
        ("2", 16),
        ("-2", 17),
        ("asc", 18),
        ("", 15),
        ("%201", 19),
    ],
)
def test_sort_direction_is_exactly_1_or_minus_1(value: str, end: int) -> None:
    _refused(f"$sort[send_at]={value}", "bad-direction", 15, end)


def test_sort_on_unknown_field_is_refused_with_a_hint() -> None:
    _refused("$sort[sendat]=1", "unknown-field", 6, 12)
    (d,) = check("$sort[sendat]=1")
    assert d.hint == "did you mean 'send_at'?"


def test_sort_on_unknown_field_with_bad_direction_reports_both() -> None:
    assert _errors("$sort[sendat]=up") == [("unknown-field", 6, 12), ("bad-direction", 14, 16)]


def test_sorting_a_field_twice_is_refused() -> None:
    _refused("$sort[send_at]=1&$sort[send_at]=-1", "repeated-key", 17, 34)


# ---- $select

ALL_FIELDS_SELECT = "&".join(f"$select[]={n}" for n in CONTACT_COMMUNICATIONS.field_names)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("$select=id", ("id",)),
        ("$select[]=id", ("id",)),
        ("$select[]=id&$select[]=id", ("id", "id")),
        ("$select[]=send_at&$select[]=id", ("send_at", "id")),
        (ALL_FIELDS_SELECT, CONTACT_COMMUNICATIONS.field_names),
        ("&".join(["$select[]=id"] * 13), ("id",) * 13),
    ],
)
def test_select_lists_schema_fields(text: str, expected: tuple[str, ...]) -> None:
    assert validate(text).select == expected


def test_select_of_fourteen_entries_is_refused_at_the_fourteenth() -> None:
    text = "&".join(["$select[]=id"] * 14)
    _refused(text, "too-many-fields", len(text) - 2, len(text))


def test_select_of_sixteen_entries_marks_the_surplus() -> None:
    text = "&".join(["$select[]=id"] * 16)
    start = text.index("id", 13 * len("$select[]=id&"))
    assert _errors(text) == [("too-many-fields", start, len(text))]


@pytest.mark.parametrize(
    ("text", "start", "end", "hint"),
    [
        ("$select[]=sendat", 10, 16, "did you mean 'send_at'?"),
        ("$select=typ", 8, 11, "did you mean 'type'?"),
        ("$select[]=id&$select[]=__proto__", 23, 32, None),
        ("$select[]=", 10, 10, None),
    ],
)
def test_select_of_unknown_field_is_refused(text: str, start: int, end: int, hint: str | None) -> None:
    _refused(text, "unknown-field", start, end)
    if hint is not None:
        assert check(text)[0].hint == hint


def test_select_reports_each_unknown_field() -> None:
    assert _errors("$select[]=id&$select[]=sendat&$select[]=typ") == [
        ("unknown-field", 23, 29),
        ("unknown-field", 40, 43),
    ]


# ---- $load


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("$load=send_from_user", ("send_from_user",)),
        ("$load=send_from_user,completing_user", ("send_from_user", "completing_user")),
        ("$load[]=completing_user&$load[]=send_from_user", ("completing_user", "send_from_user")),
        ("$load=send_from_user%2Ccompleting_user", ("send_from_user", "completing_user")),
    ],
)
def test_load_reads_a_comma_list_or_a_list(text: str, expected: tuple[str, ...]) -> None:
    assert validate(text).load == expected


@pytest.mark.parametrize(
    ("text", "code", "start", "end"),
    [
        ("$load=sender", "unknown-relation", 6, 12),
        ("$load=send_from_user,sender", "unknown-relation", 21, 27),
        ("$load[]=sender&$load[]=completing_user", "unknown-relation", 8, 14),
        ("$load=send_from_user_id", "unknown-relation", 6, 23),
        ("$load=", "empty-relation", 6, 6),
        ("$load=send_from_user,", "empty-relation", 21, 21),
        ("$load=send_from_user,,completing_user", "empty-relation", 21, 21),
    ],
)
def test_load_of_unknown_or_empty_relation_is_refused(text: str, code: str, start: int, end: int) -> None:
    _refused(text, code, start, end)


def test_unknown_relation_hint() -> None:
    (d,) = check("$load=sendfromuser")
    assert d.hint == "did you mean 'send_from_user'?"
    (d,) = check("$load=zzz")
    assert "send_from_user" in (d.hint or "")
    assert "completing_user" in (d.hint or "")


# ---- every problem at once


def test_issue_example_reports_all_three_problems() -> None:
    text = "sendat[$gte]=2019-13-01&type=Text&$limit=abc"
    found = check(text)
    assert [(d.code, d.span.start, d.span.end) for d in found] == [
        ("unknown-field", 0, 6),
        ("not-in-enum", 29, 33),
        ("not-an-integer", 41, 44),
    ]
    assert found[0].hint == "did you mean 'send_at'?"
    assert found[1].hint == "did you mean 'Text Contact'?"
    assert all(d.severity == "error" for d in found)
    with pytest.raises(QueryValidationError) as info:
        validate(text)
    assert [d.code for d in info.value.diagnostics] == ["unknown-field", "not-in-enum", "not-an-integer"]
    assert info.value.text == text
    rendered = str(info.value)
    assert "sendat[$gte]=2019-13-01&type=Text&$limit=abc\n  ^^^^^^" in rendered
    assert rendered.count(text) == 3


def test_problems_from_reading_and_from_validating_come_together_in_text_order() -> None:
    text = "$limit=x&type=Texts&foo[$regex]=1&id[$gt]=1&id[$gt]=2&is_active=yes"
    assert _errors(text) == [
        ("not-an-integer", 7, 8),
        ("not-in-enum", 14, 19),
        ("unknown-field", 20, 23),
        ("unknown-operator", 24, 30),
        ("repeated-key", 44, 53),
        ("not-a-boolean", 64, 67),
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("sendat[$foo]=1", [("unknown-field", 0, 6), ("unknown-operator", 7, 11)]),
        ("__proto__[x]=1", [("unknown-field", 0, 9), ("unknown-operator", 10, 11)]),
    ],
)
def test_unknown_field_with_unknown_operator_reports_both(text: str, expected: list[tuple[str, int, int]]) -> None:
    assert _errors(text) == expected


def test_check_never_raises_and_returns_the_syntax_error() -> None:
    assert [(d.code, d.span.start, d.span.end) for d in check("a[b")] == [("unclosed-bracket", 1, 2)]
    with pytest.raises(QuerySyntaxError) as info:
        validate("a[b")
    assert info.value.text == "a[b"
    assert isinstance(info.value, QueryError)
    assert isinstance(info.value, ValueError)


def test_valid_query_has_no_diagnostics() -> None:
    text = "type[$in]=Text%20Contact&send_at[$gte]=2019-01-01T11:00:00Z&$sort[send_at]=-1&$limit=10"
    assert check(text) == []
    assert check("") == []
    assert check("?") == []


# ---- hints


@pytest.mark.parametrize(
    ("text", "code", "hint"),
    [
        ("sendat=1", "unknown-field", "did you mean 'send_at'?"),
        ("send-at=1", "unknown-field", "did you mean 'send_at'?"),
        ("is_actve=true", "unknown-field", "did you mean 'is_active'?"),
        ("completedat=", "unknown-field", "did you mean 'completed_at'?"),
        ("type=text%20contact", "not-in-enum", "did you mean 'Text Contact'?"),
        ("type=Emial%20Contact", "not-in-enum", "did you mean 'Email Contact'?"),
        ("type[$in][]=Call%20contact", "not-in-enum", "did you mean 'Call Contact'?"),
        ("id[$gtee]=1", "unknown-operator", "did you mean '$gte'?"),
        ("id[$nim]=1", "unknown-operator", "did you mean '$nin'?"),
        ("campaign_name[$likee]=a", "unknown-operator", "did you mean '$like'?"),
        ("$limt=1", "unknown-filter", "did you mean '$limit'?"),
    ],
)
def test_did_you_mean_hints(text: str, code: str, hint: str) -> None:
    found = [d for d in check(text) if d.code == code]
    assert len(found) == 1
    assert found[0].hint == hint


def test_unknown_field_without_a_near_name_lists_the_fields() -> None:
    (d,) = check("zzz=1")
    assert all(name in (d.hint or "") for name in CONTACT_COMMUNICATIONS.field_names)


def test_eq_operator_hint_says_write_plain_equality() -> None:
    (d,) = check("id[$eq]=1")
    assert d.code == "unknown-operator"
    assert "id=value" in (d.hint or "")


@pytest.mark.parametrize(
    ("text", "start", "end"),
    [
        ("id=1&id=2", 5, 9),
        ("type=Text%20Contact&type=Call%20Contact", 20, 39),
        ("type[$ne]=Text%20Contact&type[$ne]=Call%20Contact", 25, 49),
        ("id[]=1&id[]=2", 7, 13),
    ],
)
def test_repeated_key_is_refused_with_an_in_hint(text: str, start: int, end: int) -> None:
    _refused(text, "repeated-key", start, end)
    (d,) = check(text)
    assert "[$in][]=" in (d.hint or "")


def test_repeated_limit_is_refused() -> None:
    _refused("$limit=5&$limit=6", "repeated-key", 9, 17)


# ---- warnings

WARNINGS = [
    ("campaign_name=%ZZ", "raw-value", 14, 17),
    ("campaign_name[$like]=%New%", "raw-value", 21, 26),
    ("template_name=%E9", "raw-value", 14, 17),
    ("campaign_name=undefined", "placeholder-value", 14, 23),
    ("campaign_name=null", "placeholder-value", 14, 18),
    ("template_subject=None", "placeholder-value", 17, 21),
    ("template_folder_name=NaN", "placeholder-value", 21, 24),
    ("campaign_name[$like]=undefined", "placeholder-value", 21, 30),
    ("campaign_name[$in]=null&campaign_name[$in]=x", "placeholder-value", 19, 23),
    ("is_stopped_on_text_reply=true", "text-reply-without-type", 0, 24),
    ("is_stopped_on_text_reply=false&type=Email%20Contact", "text-reply-without-type", 0, 24),
    ("$or[0][is_stopped_on_text_reply]=true&$or[1][id]=1", "text-reply-without-type", 7, 31),
    ("id[$gt]=5&id[$lt]=3", "empty-range", 10, 19),
    ("id[$gt]=5&id[$lte]=5", "empty-range", 10, 20),
    ("send_at[$gte]=2020-01-01&send_at[$lt]=2020-01-01", "empty-range", 25, 48),
    ("campaign_name[$gt]=b&campaign_name[$lte]=a", "empty-range", 21, 42),
    ("is_active[$gt]=true&is_active[$lt]=false", "empty-range", 20, 40),
    ("id=1&$and[0][id]=2", "contradiction", 5, 18),
    ("$and[0][type]=Text%20Contact&$and[1][type]=Call%20Contact", "contradiction", 29, 57),
    ("$limit=101", "limit-lowered", 7, 10),
    ("is_active[]=true", "list-for-value", 9, 11),
    ("$skip[]=1", "list-for-value", 5, 7),
    ("$limit[]=5", "list-for-value", 6, 8),
    ("id[0]=1", "list-for-value", 2, 5),
    ("type[$ne][]=Text%20Contact", "list-for-value", 9, 11),
    ("$sort[id][]=-1", "list-for-value", 9, 11),
]


@pytest.mark.parametrize(("text", "code", "start", "end"), WARNINGS, ids=[w[0] for w in WARNINGS])
def test_warning_never_raises(text: str, code: str, start: int, end: int) -> None:
    assert _errors(text) == []
    assert _warnings(text) == [(code, start, end)]
    query = validate(text)
    assert [(w.code, w.span.start, w.span.end) for w in query.warnings] == [(code, start, end)]
    assert all(w.severity == "warning" for w in query.warnings)


@pytest.mark.parametrize(
    "text",
    [
        "is_stopped_on_text_reply=true&type=Text%20Contact",
        "is_stopped_on_text_reply=true&type[$in]=Text%20Contact",
        "id[$gte]=5&id[$lte]=5",
        "id[$gt]=5&id[$lt]=7",
        "completed_at[$gt]=&completed_at[$lt]=",
        "$and[0][id]=1&$and[1][id]=1",
        "campaign_name=",
        "campaign_name=nullable",
        "$limit=100",
    ],
)
def test_no_warning_where_nothing_is_wrong(text: str) -> None:
    assert check(text) == []


def test_validating_a_parsed_query_keeps_the_warnings_reading_found() -> None:
    typed = validate(querylang.parse("is_active[]=true&campaign_name=undefined"))
    assert [(w.code, w.span.start, w.span.end) for w in typed.warnings] == [
        ("list-for-value", 9, 11),
        ("placeholder-value", 31, 40),
    ]


def test_list_for_value_comes_with_the_errors_of_the_same_query() -> None:
    assert [(d.code, d.severity) for d in check("$limit[]=5&id=x")] == [
        ("list-for-value", "warning"),
        ("not-an-integer", "error"),
    ]


def test_warnings_and_errors_together_raise_only_the_errors() -> None:
    text = "campaign_name=undefined&id=x"
    assert [(d.code, d.severity) for d in check(text)] == [
        ("placeholder-value", "warning"),
        ("not-an-integer", "error"),
    ]
    with pytest.raises(QueryValidationError) as info:
        validate(text)
    assert [d.code for d in info.value.diagnostics] == ["not-an-integer"]


# ---- idempotence

TYPED = [
    "id=0311&is_active=true",
    "completed_at=&completing_user_id[$ne]=",
    "send_at[$gte]=2019-01-01T11:00:00%2B05:30&send_at[$lt]=2019-01-01T23:59:60Z",
    "send_at=2021-12-31T23:59:59.9999995Z",
    "type[$in]=Text%20Contact&type[$in]=Call%20Contact&campaign_name[$ilike]=%25buyer%25",
    "$or[0][id]=1&$or[1][completed_at]=&$and[0][id][$gt]=3&$and[1][id][$gt]=4",
    "$limit=500&$skip=-0&$sort[send_at]=-1&$sort[id]=1&$select=id&$load=send_from_user,completing_user",
    "campaign_name=%ZZ&template_name=undefined",
    "is_stopped_on_text_reply=true",
]


@pytest.mark.parametrize("text", TYPED)
def test_validating_a_typed_query_gives_it_back(text: str) -> None:
    typed = validate(text)
    assert validate(typed) == typed
    assert validate(validate(typed)) == typed
    assert validate(querylang.serialize(typed)) == typed


# ---- trees built in code


def test_built_query_with_python_values_validates() -> None:
    query = Query(
        Compare("send_at", Op.GTE, datetime(2019, 1, 1, 11, tzinfo=timezone(timedelta(hours=5, minutes=30)))),
        limit=5,
        sort=(Sort("id", -1),),
    )
    typed = validate(query)
    assert typed.where == Compare("send_at", Op.GTE, _utc(2019, 1, 1, 5, 30))
    assert typed.where.value.tzinfo is UTC  # type: ignore[union-attr]
    assert validate(Query(Compare("send_at", Op.EQ, date(2019, 1, 1)))).where == Compare(
        "send_at", Op.EQ, _utc(2019, 1, 1)
    )


@pytest.mark.parametrize(
    ("query", "code"),
    [
        (Query(Compare("id", Op.EQ, True)), "wrong-type"),
        (Query(Compare("id", Op.EQ, 2**31)), "wrong-type"),
        (Query(Compare("is_active", Op.EQ, 1)), "wrong-type"),
        (Query(Compare("campaign_name", Op.EQ, 5)), "wrong-type"),
        (Query(Compare("id", Op.EQ, None)), "wrong-type"),
        (Query(Compare("send_at", Op.EQ, datetime(2019, 1, 1))), "naive-datetime"),
    ],
)
def test_built_query_with_wrong_python_values_is_refused(query: Query, code: str) -> None:
    with pytest.raises(QueryValidationError) as info:
        validate(query)
    assert [d.code for d in info.value.diagnostics] == [code]
    assert not info.value.diagnostics[0].span.known


# ---- custom schemas


def test_custom_schema_fields_and_number_type() -> None:
    schema = Schema.from_dict(
        {
            "name": "listings",
            "fields": [
                {"name": "price", "type": "number"},
                {"name": "status", "type": "enum", "values": ["open", "sold"]},
            ],
        }
    )
    assert validate("price[$gt]=1.5&status=open", schema).where == AllOf(
        (Compare("price", Op.GT, 1.5), Compare("status", Op.EQ, "open"))
    )
    assert _errors("price=abc&status=Open&id=1", schema) == [
        ("not-a-number", 6, 9),
        ("not-in-enum", 17, 21),
        ("unknown-field", 22, 24),
    ]
    # No 'type' field: nothing to say about is_stopped_on_text_reply.
    assert [d.code for d in check("$select[]=price&$select[]=status&$select[]=price", schema)] == ["too-many-fields"]


@pytest.mark.parametrize("text", ["?=", "?=1", "?=&id=1"])
def test_empty_key_after_the_question_mark_is_a_diagnostic(text: str) -> None:
    assert [d.code for d in check(text)][:1] == ["empty-key"]


def test_skip_beyond_javascripts_exact_integers_is_refused() -> None:
    # The server reads $skip as a JavaScript Number: 2**63 - 1 arrives rounded to 2**63.
    assert [d.code for d in check("$skip=9007199254740992")] == ["out-of-range"]
    assert [d.code for d in check("$skip=9223372036854775807")] == ["out-of-range"]


# ---- beside an $or inside $and the reference hands values to the database as written


@pytest.mark.parametrize(
    "text",
    [
        "$and[0][$or][0][id][$ne]=1&$and[0][completed_at]=",
        "$and[0][$or][0][id][$ne]=1&$and[0][completing_user_id][$ne]=",
        "$and[0][$or][0][id][$ne]=1&$and[0][completing_user_id][$in][]=8&$and[0][completing_user_id][$in][]=",
        "$and[0][completed_at][$lt]=&$and[0][$or][0][id]=1",
    ],
)
def test_beside_an_or_in_and_an_empty_value_is_not_null(text: str) -> None:
    # PostgreSQL refuses '' for a date-time or an integer (the reference answers 404).
    [(code, start, end)] = _errors(text)
    assert code == "empty-value"
    assert start == end  # at the empty value, right after its '='
    assert text[start - 1] == "=" and text[start : start + 1] in ("", "&")


@pytest.mark.parametrize(
    "text",
    [
        "$and[0][$or][0][id][$ne]=1&$and[0][campaign_name]=",  # '' is a text value there too
        "$and[0][$or][0][completed_at]=&$and[0][id][$ne]=1",  # the $or itself is validated
        "$and[0][completed_at]=&$and[1][$or][0][id]=1",  # an element without an $or is too
        "completed_at=&$or[0][id]=1&$or[1][completing_user_id][$ne]=",
    ],
)
def test_elsewhere_an_empty_value_on_a_nullable_field_is_null(text: str) -> None:
    assert querylang.validate(querylang.parse(text)) is not None


@pytest.mark.parametrize(
    ("text", "words", "hint"),
    [
        ("$select=", "the reference server ignores $select=", "leave $select out for whole records"),
        ("$select[]=id&$select[]=", "an empty field name in $select", "remove the empty item"),
        ("$select=id,campaign_name", "does not split at commas", "$select[]=id&$select[]=campaign_name"),
    ],
)
def test_select_errors_say_what_the_reference_does_with_the_spelling(text: str, words: str, hint: str) -> None:
    [problem] = [d for d in check(text) if d.severity == "error"]
    assert (problem.code, words in problem.message, hint in (problem.hint or "")) == ("unknown-field", True, True)


def test_spelling_hints_are_bounded_per_query_and_every_unknown_field_is_still_reported(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # difflib for every one of 999 unknown names made one check cost ~0.4 s; the hints are for
    # as many names as people are shown, and a name met twice is not looked up again.
    import importlib

    from querylang.errors import MAX_SHOWN_DIAGNOSTICS

    validate_module = importlib.import_module("querylang.validate")  # querylang.validate is the function

    calls: list[str] = []
    original = validate_module.suggest

    def counting(word: str, choices: Any) -> str | None:
        calls.append(word)
        return original(word, choices)

    monkeypatch.setattr(validate_module, "suggest", counting)
    text = "&".join(f"send_att{i}=1" for i in range(999))
    found = check(text)
    assert [d.code for d in found] == ["unknown-field"] * 999
    assert len(calls) == MAX_SHOWN_DIAGNOSTICS
    assert found[0].hint == "did you mean 'send_at'?"
    assert found[-1].hint is not None and found[-1].hint.startswith("fields are id, contact_id")
