"""Schema: value coercers per type (SEMANTICS.md section 3), records, the schema file, JSON Schema.

Each table was checked against the reference server (Feathers v5 + ajv + PostgreSQL 15): an
accepted spelling is one the server answers with the same instant or number; a rejected one is
refused by the server too, or is one of SEMANTICS.md's "Deliberate differences". Cases where
querylang and the reference disagree outside that list are strict xfails that name the evidence.
"""

from __future__ import annotations

import json
import operator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

import querylang
from querylang import CONTACT_COMMUNICATIONS, Field, FieldType, Relation, Schema
from querylang.ast import Op
from querylang.schema import RecordError, SchemaError, ValueProblem, parse_datetime, record_datetime
from querylang.values import FarInstant

S = CONTACT_COMMUNICATIONS


def _field(name: str) -> Field:
    f = S.field(name)
    assert f is not None
    return f


def _problem(name: str, text: str) -> ValueProblem:
    with pytest.raises(ValueProblem) as info:
        _field(name).from_query(text)
    return info.value


def _utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]


# ---- the built-in schema


def test_contact_communication_fields_and_types() -> None:
    types = {f.name: f.type for f in S.fields}
    assert types == {
        "id": FieldType.INTEGER,
        "contact_id": FieldType.INTEGER,
        "campaign_name": FieldType.TEXT,
        "type": FieldType.ENUM,
        "is_stopped_on_text_reply": FieldType.BOOLEAN,
        "template_subject": FieldType.TEXT,
        "template_name": FieldType.TEXT,
        "template_folder_name": FieldType.TEXT,
        "is_active": FieldType.BOOLEAN,
        "send_at": FieldType.DATETIME,
        "completed_at": FieldType.DATETIME,
        "send_from_user_id": FieldType.INTEGER,
        "completing_user_id": FieldType.INTEGER,
    }
    assert {f.name for f in S.fields if f.nullable} == {"completed_at", "completing_user_id"}
    assert {f.name for f in S.fields if f.writeable} == {"is_active"}
    assert _field("type").values == ("Email Contact", "Call Contact", "Text Contact")
    assert [r.name for r in S.relations] == ["send_from_user", "completing_user"]
    assert (S.default_limit, S.max_limit) == (10, 100)


def test_pattern_operators_belong_to_the_four_text_fields_only() -> None:
    patterns = {Op.LIKE, Op.NOTLIKE, Op.ILIKE}
    with_patterns = {f.name for f in S.fields if patterns <= f.operators}
    assert with_patterns == {"campaign_name", "template_subject", "template_name", "template_folder_name"}
    comparisons = {Op.EQ, Op.NE, Op.IN, Op.NIN, Op.LT, Op.LTE, Op.GT, Op.GTE}
    assert all(comparisons <= f.operators for f in S.fields)
    assert all(not (patterns & f.operators) for f in S.fields if f.type is not FieldType.TEXT)


def test_unknown_names_are_not_fields() -> None:
    for name in ("sendat", "__proto__", "constructor", "toString", "", "ID"):
        assert S.field(name) is None
    sender = S.relation("send_from_user")
    assert sender is not None
    assert (sender.field, sender.target) == ("send_from_user_id", "users")
    assert S.relation("users") is None


# ---- integers

INTEGERS_ACCEPTED = [
    ("0", 0),
    ("42", 42),
    ("0311", 311),
    ("-0", 0),
    ("-00", 0),
    ("-17", -17),
    ("2147483647", 2147483647),
    ("-2147483648", -2147483648),
    ("000000000002147483647", 2147483647),
]

INTEGERS_REJECTED = [
    ("2147483648", "out-of-range"),
    ("-2147483649", "out-of-range"),
    ("99999999999", "out-of-range"),
    ("0x15E46", "not-an-integer"),
    ("0b101", "not-an-integer"),
    ("0o17", "not-an-integer"),
    ("8.967e4", "not-an-integer"),
    ("1e3", "not-an-integer"),
    ("89670.0", "not-an-integer"),
    ("1.5", "not-an-integer"),
    (" 89670", "not-an-integer"),  # also what an unencoded +89670 becomes
    ("89670 ", "not-an-integer"),
    ("+89670", "not-an-integer"),
    ("Infinity", "not-an-integer"),
    ("-", "not-an-integer"),
    ("1_000", "not-an-integer"),
    ("١٢", "not-an-integer"),  # Arabic-Indic digits
    ("abc", "not-an-integer"),
    ("", "empty-value"),
]


@pytest.mark.parametrize(("text", "value"), INTEGERS_ACCEPTED, ids=[t for t, _ in INTEGERS_ACCEPTED])
def test_integer_spelling_is_read(text: str, value: int) -> None:
    typed = _field("id").from_query(text)
    assert typed == value
    assert type(typed) is int


@pytest.mark.parametrize(("text", "code"), INTEGERS_REJECTED, ids=[repr(t) for t, _ in INTEGERS_REJECTED])
def test_integer_spelling_is_refused(text: str, code: str) -> None:
    assert _problem("id", text).code == code


def test_integer_with_spaces_hints_at_the_unencoded_plus() -> None:
    hint = _problem("id", " 89670").hint or ""
    assert "%2B" in hint
    assert "space" in hint


def test_integer_out_of_range_names_the_range() -> None:
    problem = _problem("contact_id", "2147483648")
    assert "contact_id" in problem.message
    assert "2147483647" in (problem.hint or "")


def test_integer_placeholder_hint_names_the_unset_variable() -> None:
    assert "unset variable" in (_problem("id", "undefined").hint or "")


def test_nullable_integer_reads_empty_as_null_and_null_as_an_error() -> None:
    f = _field("completing_user_id")
    assert f.from_query("") is None
    assert f.from_query("5120") == 5120
    with pytest.raises(ValueProblem) as info:
        f.from_query("null")
    assert info.value.code == "not-an-integer"


# ---- booleans

BOOLEANS_REJECTED = ["True", "TRUE", "False", "1", "0", "yes", "no", "t", " true", "true ", "null", "undefined"]


@pytest.mark.parametrize(("text", "value"), [("true", True), ("false", False)])
def test_boolean_is_exactly_true_or_false(text: str, value: bool) -> None:
    assert _field("is_active").from_query(text) is value
    assert _field("is_stopped_on_text_reply").from_query(text) is value


@pytest.mark.parametrize("text", BOOLEANS_REJECTED)
def test_boolean_other_spelling_is_refused(text: str) -> None:
    assert _problem("is_active", text).code == "not-a-boolean"


def test_boolean_empty_is_refused_as_empty() -> None:
    problem = _problem("is_active", "")
    assert problem.code == "empty-value"
    assert "is_active" in problem.message


# ---- enums


@pytest.mark.parametrize("text", ["Email Contact", "Call Contact", "Text Contact"])
def test_enum_value_is_read_exactly(text: str) -> None:
    assert _field("type").from_query(text) == text


@pytest.mark.parametrize(
    ("text", "nearest"),
    [
        ("text contact", "Text Contact"),
        ("TEXT CONTACT", "Text Contact"),
        ("Text", "Text Contact"),
        ("Email", "Email Contact"),
        ("Text  Contact", "Text Contact"),
        ("Text Contact ", "Text Contact"),
        ("Emial Contact", "Email Contact"),
        ("call contact", "Call Contact"),
        ("null", None),
    ],
)
def test_enum_other_spelling_is_refused_with_the_nearest(text: str, nearest: str | None) -> None:
    problem = _problem("type", text)
    assert problem.code == "not-in-enum"
    if nearest is not None:
        assert problem.hint == f"did you mean '{nearest}'?"
    else:
        # Nothing close: the hint lists every value.
        assert all(v in (problem.hint or "") for v in ("Email Contact", "Call Contact", "Text Contact"))


def test_enum_empty_is_refused_as_empty() -> None:
    assert _problem("type", "").code == "empty-value"


# ---- text


@pytest.mark.parametrize(
    "text",
    ["", "null", "undefined", "None", "NaN", "%ZZ", "100%_Match Listings", "Über Buyers", " padded ", "a\\b", "😀"],
)
def test_text_is_the_decoded_string(text: str) -> None:
    for name in ("campaign_name", "template_subject", "template_name", "template_folder_name"):
        assert _field(name).from_query(text) == text


# ---- date-times

DATES_ACCEPTED = [
    ("2019-01-01T11:00:00Z", _utc(2019, 1, 1, 11)),
    ("2019-01-01T11:00:00+05:30", _utc(2019, 1, 1, 5, 30)),
    ("2019-01-01T11:00:00+0530", _utc(2019, 1, 1, 5, 30)),
    ("2019-01-01T11:00:00+05", _utc(2019, 1, 1, 6)),
    ("2019-01-01T11:00:00-07", _utc(2019, 1, 1, 18)),
    ("2019-01-01T11:00:00-0700", _utc(2019, 1, 1, 18)),
    ("2019-01-01T11:00:00-07:00", _utc(2019, 1, 1, 18)),
    ("2019-01-01T11:00:00-00:00", _utc(2019, 1, 1, 11)),
    ("2019-01-01T11:00:00+15:59", _utc(2018, 12, 31, 19, 1)),
    ("2019-01-01t11:00:00z", _utc(2019, 1, 1, 11)),
    ("2019-01-01 11:00:00Z", _utc(2019, 1, 1, 11)),
    ("2019-01-01 11:00:00+01:00", _utc(2019, 1, 1, 10)),
    ("2019-01-01T11:00:00.123Z", _utc(2019, 1, 1, 11, 0, 0, 123000)),
    ("2019-01-01T11:00:00.1234567890123Z", _utc(2019, 1, 1, 11, 0, 0, 123457)),
    # Fractions round to the microsecond half to even, as PostgreSQL's rint() does; each of
    # these was compared with the reference at a record's boundary (2022-01-01T00:00:00Z).
    ("2022-01-01T00:00:00.0000004Z", _utc(2022, 1, 1)),
    ("2022-01-01T00:00:00.0000005Z", _utc(2022, 1, 1)),
    ("2022-01-01T00:00:00.0000015Z", _utc(2022, 1, 1, 0, 0, 0, 2)),
    ("2022-01-01T00:00:00.0000025Z", _utc(2022, 1, 1, 0, 0, 0, 2)),
    ("2022-01-01T00:00:00.0000035Z", _utc(2022, 1, 1, 0, 0, 0, 4)),
    ("2021-12-31T23:59:59.9999994Z", _utc(2021, 12, 31, 23, 59, 59, 999999)),
    ("2021-12-31T23:59:59.99999949999Z", _utc(2021, 12, 31, 23, 59, 59, 999999)),
    ("2021-12-31T23:59:59.9999995Z", _utc(2022, 1, 1)),
    ("2021-12-31T23:59:59.9999985Z", _utc(2021, 12, 31, 23, 59, 59, 999998)),
    ("2021-12-31T23:59:59.99999999999999999999Z", _utc(2022, 1, 1)),
    # A leap second reads as the next second, but only at 23:59 UTC (ajv's rule).
    ("2016-12-31T23:59:60Z", _utc(2017, 1, 1)),
    ("2021-12-31T23:59:60.0000001Z", _utc(2022, 1, 1)),
    ("2019-01-01T23:59:60+00:00", _utc(2019, 1, 2)),
    ("2019-01-01T22:59:60-01:00", _utc(2019, 1, 2)),
    ("2019-01-02T00:59:60+01:00", _utc(2019, 1, 2)),
    ("2019-01-02T00:59:60.5+01:00", _utc(2019, 1, 2, 0, 0, 0, 500000)),
    # A date alone is midnight UTC.
    ("2012-09-27", _utc(2012, 9, 27)),
    ("2020-02-29", _utc(2020, 2, 29)),
    ("2000-02-29", _utc(2000, 2, 29)),
    ("0001-01-01T00:00:00Z", _utc(1, 1, 1)),
    ("0001-01-01", _utc(1, 1, 1)),
    ("9999-12-31T23:59:59Z", _utc(9999, 12, 31, 23, 59, 59)),
    ("9999-12-31", _utc(9999, 12, 31)),
]

DATES_REJECTED = [
    ("2019-01-01T11:00:00", "no time zone"),
    ("2019-01-01T11:00:00.5", "no time zone"),
    ("2019-01-01T11:00Z", "no seconds"),
    ("2019-01-01T11:00+01:00", "no seconds"),
    ("2019-01-01T11Z", None),
    ("0000-01-01T00:00:00Z", "1 to 9999"),
    ("0000-01-01", "1 to 9999"),
    ("10000-01-01T00:00:00Z", None),
    ("10000-01-01", None),
    ("2019-02-30", "no such day"),
    ("2019-02-30T00:00:00Z", "no such day"),
    ("2019-13-01", "no such day"),
    ("2019-00-10", "no such day"),
    ("1900-02-29", "no such day"),
    ("2019-04-31T00:00:00Z", "no such day"),
    ("2019-01-01T24:00:00Z", "out of range"),
    ("2019-01-01T23:60:00Z", "out of range"),
    ("2019-01-01T23:59:61Z", "out of range"),
    ("2019-01-01T12:59:60Z", "leap second"),
    ("2019-01-01T00:00:60Z", "leap second"),
    ("2019-01-01T23:59:60+01:00", "leap second"),
    ("2019-01-01T11:00:00+24:00", "offset out of range"),
    ("2019-01-01T11:00:00+05:60", "offset out of range"),
    ("2019-01-01T11:00:00+05:30:00", None),
    ("2019-01-01T11:00:00-7", None),
    ("2019-01-01T11:00:00-07:3", None),
    ("2019-01-01T11:00:00.Z", None),
    ("2019-01-01T11:00:00,5Z", None),
    ("2019-01-01T11:00:00ZZ", None),
    ("2019-01-01T1:00:00Z", None),
    ("20190101T110000Z", None),
    ("2019-1-1", None),
    ("2019-01-01T11:00:00Z ", None),
    (" 2019-01-01", None),
    ("2019-01-01Z", None),
    ("now", None),
    ("null", None),
]


@pytest.mark.parametrize(("text", "value"), DATES_ACCEPTED, ids=[t for t, _ in DATES_ACCEPTED])
def test_datetime_spelling_is_read_as_an_instant_in_utc(text: str, value: datetime) -> None:
    typed = parse_datetime(text)
    assert typed == value
    assert typed.utcoffset() == timedelta(0)
    assert _field("send_at").from_query(text) == value
    assert _field("completed_at").from_query(text) == value


@pytest.mark.parametrize(("text", "why"), DATES_REJECTED, ids=[repr(t) for t, _ in DATES_REJECTED])
def test_datetime_spelling_is_refused(text: str, why: str | None) -> None:
    problem = _problem("send_at", text)
    assert problem.code == "not-a-date"
    assert problem.hint
    if why is not None:
        assert why in problem.message


@pytest.mark.parametrize(
    "text",
    ["2019-01-01T12:00:00 02:00", "2019-01-01T12:00:00 0200", "2019-01-01T12:00:00 02", "2019-01-01 12:00:00 02:00"],
)
def test_datetime_offset_with_a_space_for_plus_hints_percent_2b(text: str) -> None:
    problem = _problem("send_at", text)
    assert problem.code == "not-a-date"
    assert "%2B" in (problem.hint or "")


def test_datetime_without_offset_hints_at_z() -> None:
    assert "Z" in (_problem("send_at", "2019-01-01T11:00:00").hint or "")


def test_datetime_placeholder_hint_names_the_unset_variable() -> None:
    assert "unset variable" in (_problem("completed_at", "null").hint or "")


def test_datetime_empty_is_null_only_on_the_nullable_field() -> None:
    assert _field("completed_at").from_query("") is None
    assert _problem("send_at", "").code == "empty-value"


@pytest.mark.parametrize(
    "text",
    ["٢٠١٩-01-01", "２０１９-01-01", "2019-01-01T１1:00:00Z", "2019-01-01T11:00:00.５Z", "2019-01-01T11:00:00+0５:30"],
)
def test_datetime_with_non_ascii_digits_is_refused(text: str) -> None:
    assert _problem("send_at", text).code == "not-a-date"


@pytest.mark.parametrize(
    "text", ["2019-01-01T11:00:00+16:00", "2019-01-01T11:00:00-16:00", "2019-01-01T11:00:00+23:59"]
)
def test_datetime_offset_postgresql_cannot_hold_is_refused(text: str) -> None:
    assert _problem("send_at", text).code == "not-a-date"


@pytest.mark.parametrize("text", ["2019-01-01T23:59:60.5Z", "2019-01-01T23:59:60.9999996Z"])
def test_datetime_leap_second_with_a_fraction_past_midnight_is_refused(text: str) -> None:
    assert _problem("send_at", text).code == "not-a-date"


# Written within years 1 to 9999, but just outside them in UTC: PostgreSQL (and the reference)
# holds these; datetime does not, so they are FarInstants, compared by microseconds.
FAR = [
    # (as written, microseconds before 0001-01-01T00:00:00Z (negative) or after
    # 10000-01-01T00:00:00Z, canonical text, as JavaScript writes it)
    ("0001-01-01T00:00:00+01:00", -3_600_000_000, "0001-01-01T00:00:00+01:00", "0000-12-31T23:00:00.000Z"),
    ("0001-01-01T15:00:00+15:59", -59 * 60_000_000, "0001-01-01T00:00:00+00:59", "0000-12-31T23:01:00.000Z"),
    ("0001-01-01T00:00:00.5+00:01", -59_500_000, "0001-01-01T00:00:00.500000+00:01", "0000-12-31T23:59:00.500Z"),
    ("9999-12-31T23:59:59-01:00", 3_599_000_000, "9999-12-31T23:59:59-01:00", "+010000-01-01T00:59:59.000Z"),
    ("9999-12-31T23:59:59.9999995Z", 0, "9999-12-31T23:59:00-00:01", "+010000-01-01T00:00:00.000Z"),
    ("9999-12-31T23:59:60Z", 0, "9999-12-31T23:59:00-00:01", "+010000-01-01T00:00:00.000Z"),
]
_YEAR_1 = datetime(1, 1, 1, tzinfo=UTC)
_LAST = datetime.max.replace(tzinfo=UTC)
_AFTER_LAST = (_LAST - _YEAR_1) // timedelta(microseconds=1) + 1


@pytest.mark.parametrize(("text", "micros", "canonical", "javascript"), FAR)
def test_datetime_just_outside_utc_range_is_a_far_instant(
    text: str, micros: int, canonical: str, javascript: str
) -> None:
    value = parse_datetime(text)
    assert isinstance(value, FarInstant)
    assert value.micros == (micros if micros < 0 else _AFTER_LAST + micros)
    assert (value.text(), value.js_text()) == (canonical, javascript)
    assert parse_datetime(value.text()) == value
    assert record_datetime(text) == value


def test_far_instants_order_with_datetimes_and_never_equal_them() -> None:
    before, after = parse_datetime("0001-01-01T00:00:00+01:00"), parse_datetime("9999-12-31T23:59:59-01:00")
    earlier = parse_datetime("0001-01-01T00:00:00+02:00")
    assert sorted([after, _LAST, _YEAR_1, before, earlier]) == [earlier, before, _YEAR_1, _LAST, after]
    # both ways round: a datetime hands the comparison to the far instant
    assert operator.lt(before, _YEAR_1) and operator.gt(_YEAR_1, before)
    assert operator.gt(after, _LAST) and operator.lt(_LAST, after)
    assert operator.ne(before, _YEAR_1) and operator.ne(_YEAR_1, before)
    assert before == parse_datetime("0001-01-01T01:00:00+02:00")
    assert len({before, earlier, parse_datetime("0001-01-01T01:00:00+02:00")}) == 2
    with pytest.raises(TypeError):
        operator.lt(before, "0001-01-01")


def test_far_instant_is_immutable() -> None:
    value = parse_datetime("0001-01-01T00:00:00+01:00")
    with pytest.raises(AttributeError):
        value.micros = 0  # type: ignore[union-attr]


def test_a_record_datetime_just_outside_utc_range_is_read_not_a_crash() -> None:
    # Once an OverflowError from astimezone, a stack trace out of find.
    records = [
        {"id": 1, "send_at": "0001-01-01T00:00:00+01:00"},
        {"id": 2, "send_at": datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=2)))},
        {"id": 3, "send_at": "0001-01-01T00:00:00Z"},
        {"id": 4, "send_at": "9999-12-31T23:59:59-01:00"},
    ]
    page = querylang.find(records, "send_at[$lt]=0001-01-01T00:00:00Z&$sort[send_at]=1")
    assert [row["id"] for row in page["data"]] == [2, 1]
    assert [row["id"] for row in querylang.find(records, "$sort[send_at]=-1")["data"]] == [4, 3, 1, 2]
    assert querylang.find(records, "send_at=0001-01-01T01:00:00%2B02:00")["total"] == 1


# ---- numbers (custom schemas)


@pytest.mark.parametrize(("text", "value"), [("1.5", 1.5), ("-2", -2), ("0", 0), (".5", 0.5), ("3.", 3.0)])
def test_number_field_reads_decimals(text: str, value: float) -> None:
    assert Field("price", FieldType.NUMBER).from_query(text) == value


@pytest.mark.parametrize("text", ["1e3", "abc", "Infinity", "NaN", " 1", "0x10"])
def test_number_field_refuses_other_spellings(text: str) -> None:
    with pytest.raises(ValueProblem) as info:
        Field("price", FieldType.NUMBER).from_query(text)
    assert info.value.code == "not-a-number"


# ---- records

JSON_RECORD = {
    "id": 234966,
    "contact_id": 76,
    "campaign_name": "100%_Match Listings",
    "type": "Email Contact",
    "is_stopped_on_text_reply": False,
    "template_subject": "",
    "template_name": "Match 100%",
    "template_folder_name": "Alerts",
    "is_active": False,
    "send_at": "2023-04-10T00:00:00.000Z",
    "completed_at": "2023-04-12T02:43:00.000+02:00",
    "send_from_user_id": 733,
    "completing_user_id": None,
}

CSV_RECORD = {
    "id": "234966",
    "contact_id": " 76 ",
    "campaign_name": "",
    "type": "Email Contact",
    "is_stopped_on_text_reply": "TRUE",
    "template_subject": "null",
    "template_name": "Match 100%",
    "template_folder_name": "Alerts",
    "is_active": "false",
    "send_at": "2023-04-10 00:00:00+00",
    "completed_at": "",
    "send_from_user_id": "733",
    "completing_user_id": "",
}


def test_coerce_json_record_types_every_field() -> None:
    record = dict(JSON_RECORD)
    typed = S.coerce_record(record)
    assert typed == {
        **JSON_RECORD,
        "send_at": _utc(2023, 4, 10),
        "completed_at": _utc(2023, 4, 12, 0, 43),
    }
    assert typed["completed_at"].utcoffset() == timedelta(0)  # type: ignore[union-attr]
    assert record == JSON_RECORD  # the input is not modified


def test_coerce_csv_record_reads_every_string() -> None:
    typed = S.coerce_record(CSV_RECORD)
    assert typed == {
        "id": 234966,
        "contact_id": 76,
        "campaign_name": "",  # text: empty stays the empty string
        "type": "Email Contact",
        "is_stopped_on_text_reply": True,
        "template_subject": "null",
        "template_name": "Match 100%",
        "template_folder_name": "Alerts",
        "is_active": False,
        "send_at": _utc(2023, 4, 10),
        "completed_at": None,  # nullable: empty is null
        "send_from_user_id": 733,
        "completing_user_id": None,
    }


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2023-04-10", _utc(2023, 4, 10)),
        ("2023-04-10T00:00:00.0000005Z", _utc(2023, 4, 10)),
        ("2023-04-10 00:00:00.1234567+00:00", _utc(2023, 4, 10, 0, 0, 0, 123457)),
        (datetime(2023, 4, 10, 2, tzinfo=timezone(timedelta(hours=2))), _utc(2023, 4, 10)),
    ],
)
def test_coerce_record_datetimes_become_utc_instants(value: object, expected: datetime) -> None:
    assert S.coerce_record({"send_at": value})["send_at"] == expected


def test_coerce_record_keeps_other_keys_and_missing_fields() -> None:
    assert S.coerce_record({"id": 5, "extra": [1]}) == {"id": 5, "extra": [1]}
    assert S.coerce_record({}) == {}
    assert S.coerce_record({"completed_at": None, "campaign_name": None}) == {
        "completed_at": None,
        "campaign_name": None,
    }


@pytest.mark.parametrize(
    ("record", "code"),
    [
        ({"id": "x"}, "not-an-integer"),
        ({"id": ""}, "not-an-integer"),
        ({"id": 1.5}, "wrong-type"),
        ({"id": True}, "wrong-type"),
        ({"id": "2147483648"}, "out-of-range"),
        ({"is_active": "yes"}, "wrong-type"),
        ({"is_active": 1}, "wrong-type"),
        ({"type": "Text"}, "wrong-type"),
        ({"campaign_name": 5}, "wrong-type"),
        ({"send_at": "junk"}, "not-a-date"),
        ({"send_at": ""}, "not-a-date"),
        ({"send_at": "2019-01-01T11:00:00"}, "naive-datetime"),
        ({"send_at": datetime(2019, 1, 1)}, "naive-datetime"),
    ],
    ids=lambda v: repr(v),
)
def test_coerce_record_error_names_record_and_field(record: dict[str, object], code: str) -> None:
    with pytest.raises(RecordError) as info:
        S.coerce_record(record, "line 12")
    (diagnostic,) = info.value.diagnostics
    assert diagnostic.code == code
    name = next(iter(record))
    assert diagnostic.message.startswith(f"line 12: field '{name}': ")
    assert "line 12" in str(info.value)
    assert isinstance(info.value, ValueError)


def test_coerce_record_error_default_name_is_record() -> None:
    with pytest.raises(RecordError, match=r"^record: field 'id'"):
        S.coerce_record({"id": "x"})


# ---- the schema file

CUSTOM = {
    "name": "listings",
    "fields": [
        {"name": "id", "type": "integer", "required": True},
        {"name": "price", "type": "number", "nullable": True, "description": "asking price"},
        {"name": "status", "type": "enum", "values": ["open", "sold"]},
        {"name": "title", "type": "text"},
        {"name": "listed_at", "type": "date-time", "writeable": True},
        {"name": "agent_id", "type": "integer", "nullable": True},
        {"name": "featured", "type": "boolean"},
    ],
    "relations": [{"name": "agent", "field": "agent_id", "target": "users"}],
    "default_limit": 20,
    "max_limit": 50,
}


def test_builtin_schema_round_trips_through_its_file_format() -> None:
    data = S.to_dict()
    again = Schema.from_dict(json.loads(json.dumps(data)))
    assert again == S
    assert again.to_dict() == data
    assert again.field_names == S.field_names
    assert again.relations == S.relations


def test_custom_schema_round_trips_and_reads_every_key() -> None:
    schema = Schema.from_dict(CUSTOM)
    assert Schema.from_dict(schema.to_dict()) == schema
    assert schema.to_dict() == CUSTOM
    price = schema.field("price")
    assert price is not None
    assert (price.type, price.nullable, price.description) == (FieldType.NUMBER, True, "asking price")
    status = schema.field("status")
    assert status is not None
    assert status.values == ("open", "sold")
    assert (schema.default_limit, schema.max_limit) == (20, 50)
    assert schema.relation("agent") == Relation("agent", "agent_id", "users")


def test_schema_load_reads_a_file(tmp_path: Path) -> None:
    path = tmp_path / "listings.json"
    path.write_text(json.dumps(CUSTOM), encoding="utf-8")
    assert Schema.load(path) == Schema.from_dict(CUSTOM)
    assert Schema.load(str(path)) == Schema.from_dict(CUSTOM)


def _schema_error(data: object) -> str:
    with pytest.raises(SchemaError) as info:
        Schema.from_dict(data, "listings.json")
    (diagnostic,) = info.value.diagnostics
    assert diagnostic.code == "bad-schema"
    return diagnostic.message


BAD_SCHEMAS = [
    ("not-an-object", [], ["listings.json", "JSON object"]),
    ("no-fields", {"name": "x"}, ["'fields'", "non-empty list"]),
    ("empty-fields", {"name": "x", "fields": []}, ["'fields'", "non-empty list"]),
    ("unknown-key", {"name": "x", "fields": [{"name": "a", "type": "text"}], "colour": 1}, ["unknown keys", "colour"]),
    ("field-without-name", {"fields": [{"type": "text"}]}, ["fields[0]", "'name'"]),
    ("field-not-object", {"fields": ["a"]}, ["fields[0]"]),
    ("unknown-type", {"fields": [{"name": "a", "type": "float"}]}, ["fields[0]", "'a'", "'float'", "integer"]),
    ("missing-type", {"fields": [{"name": "a"}]}, ["fields[0]", "'a'", "type"]),
    ("unknown-field-key", {"fields": [{"name": "a", "type": "text", "max": 3}]}, ["fields[0]", "unknown keys", "max"]),
    ("values-not-strings", {"fields": [{"name": "a", "type": "enum", "values": [1]}]}, ["'values'", "list of strings"]),
    ("flag-not-bool", {"fields": [{"name": "a", "type": "text", "nullable": "yes"}]}, ["'nullable'", "true or false"]),
    ("bad-relation", {"fields": [{"name": "a", "type": "text"}], "relations": [{"name": "r"}]}, ["relations[0]"]),
    ("negative-limit", {"fields": [{"name": "a", "type": "text"}], "max_limit": -1}, ["'max_limit'"]),
    ("limit-not-int", {"fields": [{"name": "a", "type": "text"}], "default_limit": "10"}, ["'default_limit'"]),
]


@pytest.mark.parametrize(("data", "words"), [pytest.param(d, w, id=n) for n, d, w in BAD_SCHEMAS])
def test_bad_schema_data_is_a_schema_error_naming_the_problem(data: object, words: list[str]) -> None:
    message = _schema_error(data)
    for word in words:
        assert word in message


@pytest.mark.parametrize(
    ("data", "words"),
    [
        ({"fields": [{"name": "a", "type": "text"}, {"name": "a", "type": "integer"}]}, ["'a'", "twice"]),
        ({"fields": [{"name": "$a", "type": "text"}]}, ["'$a'", "cannot be written"]),
        ({"fields": [{"name": "a[b]", "type": "text"}]}, ["'a[b]'"]),
        ({"fields": [{"name": "a", "type": "enum"}]}, ["enum", "'a'", "no values"]),
        (
            {"fields": [{"name": "a", "type": "text"}], "relations": [{"name": "r", "field": "b"}]},
            ["'r'", "unknown field 'b'"],
        ),
        ({"fields": [{"name": "a", "type": "text"}], "default_limit": 200, "max_limit": 100}, ["default_limit"]),
    ],
)
def test_inconsistent_schema_is_a_schema_error(data: object, words: list[str]) -> None:
    with pytest.raises(SchemaError) as info:
        Schema.from_dict(data)
    message = " ".join(d.message for d in info.value.diagnostics)
    assert all(d.code == "bad-schema" for d in info.value.diagnostics)
    for word in words:
        assert word in message


def test_schema_file_that_is_not_json_names_file_and_position(tmp_path: Path) -> None:
    path = tmp_path / "broken.json"
    path.write_text('{"name": "x",\n  "fields": [}\n', encoding="utf-8")
    with pytest.raises(SchemaError) as info:
        Schema.load(path)
    message = info.value.diagnostic.message
    assert str(path) in message
    assert "not JSON" in message
    assert "line 2" in message


def test_missing_schema_file_is_a_schema_error(tmp_path: Path) -> None:
    path = tmp_path / "absent.json"
    with pytest.raises(SchemaError) as info:
        Schema.load(path)
    assert str(path) in info.value.diagnostic.message
    assert "cannot read" in info.value.diagnostic.message


def test_schema_error_is_a_query_error_and_a_value_error() -> None:
    from querylang import QueryError

    with pytest.raises(QueryError):
        Schema.from_dict({"fields": []})
    with pytest.raises(ValueError, match="non-empty list"):
        Schema.from_dict({"fields": []})


# ---- JSON Schema


def test_json_schema_is_json_and_closed_at_the_top() -> None:
    doc = S.json_schema()
    assert json.loads(json.dumps(doc)) == doc
    assert doc["type"] == "object"
    assert doc["additionalProperties"] is False
    assert doc["$schema"].startswith("https://json-schema.org/")
    props = doc["properties"]
    assert set(props) == {"$limit", "$skip", "$sort", "$select", "$load", "$or", "$and", *S.field_names}


def test_json_schema_filters() -> None:
    props = S.json_schema()["properties"]
    assert props["$limit"] == {"type": "integer", "minimum": 0}
    assert props["$skip"] == {"type": "integer", "minimum": 0}
    assert props["$sort"]["additionalProperties"] is False
    assert props["$sort"]["properties"]["send_at"] == {"type": "integer", "enum": [-1, 1]}
    assert set(props["$sort"]["properties"]) == set(S.field_names)
    assert props["$select"]["maxItems"] == 13
    assert props["$select"]["items"]["enum"] == list(S.field_names)
    load_list = props["$load"]["anyOf"][1]
    assert load_list["items"]["enum"] == ["send_from_user", "completing_user"]
    assert props["$or"]["items"]["additionalProperties"] is False


def test_json_schema_field_types_and_operators() -> None:
    props = S.json_schema()["properties"]
    value, ops = props["id"]["anyOf"]
    assert value == {"type": "integer", "minimum": -(2**31), "maximum": 2**31 - 1}
    assert ops["additionalProperties"] is False
    assert set(ops["properties"]) == {"$gt", "$gte", "$lt", "$lte", "$ne", "$in", "$nin"}
    assert ops["properties"]["$in"] == {"type": "array", "items": value}

    text_ops = props["campaign_name"]["anyOf"][1]["properties"]
    assert {"$like", "$notlike", "$ilike"} <= set(text_ops)
    assert text_ops["$like"] == {"type": "string"}

    assert props["type"]["anyOf"][0] == {"type": "string", "enum": ["Email Contact", "Call Contact", "Text Contact"]}
    assert props["is_active"]["anyOf"][0] == {"type": "boolean"}

    completed = props["completed_at"]["anyOf"][0]
    assert {"type": "null"} in completed["anyOf"]
    formats = json.dumps(completed)
    assert '"date-time"' in formats
    assert '"date"' in formats
    assert "null" not in json.dumps(props["send_at"]["anyOf"][0])


def test_json_schema_of_a_custom_schema() -> None:
    doc = Schema.from_dict(CUSTOM).json_schema()
    props = doc["properties"]
    assert props["price"]["anyOf"][0] == {"anyOf": [{"type": "number"}, {"type": "null"}]}
    assert props["$select"]["maxItems"] == len(CUSTOM["fields"])  # type: ignore[arg-type]
    assert "listings" in doc["title"]
