"""querylang.compile: the predicate, sort key, projection and generated source of a query."""

from __future__ import annotations

import heapq
import itertools
import time
from datetime import UTC, datetime, timedelta, timezone

import pytest

import querylang
from querylang import QueryValidationError, ast
from querylang.like import EscapeAtEnd, ends_with_lone_escape, fold_case, like_matcher, postgres_like
from querylang.memory.compile import Compiled
from querylang.schema import RecordError


def _like(text: str, pattern: str) -> bool:
    """SQL LIKE by brute force over where each % ends (fine for the short strings here)."""
    if not pattern:
        return not text
    c, rest = pattern[0], pattern[1:]
    if c == "\\" and rest:
        return bool(text) and text[0] == rest[0] and _like(text[1:], rest[1:])
    if c == "%":
        return any(_like(text[i:], rest) for i in range(len(text) + 1))
    if c == "_":
        return bool(text) and _like(text[1:], rest)
    return bool(text) and text[0] == c and _like(text[1:], rest)


# ---- $like


@pytest.mark.parametrize(
    ("pattern", "text", "matches"),
    [
        ("%New%", "New Contact Campaign", True),
        ("%New%", "new contact", False),
        ("New", "New Contact", False),
        ("New%", "New Contact", True),
        ("%Campaign", "New Contact Campaign", True),
        ("a_b", "axb", True),
        ("a_b", "ab", False),
        ("a\\_b", "axb", False),
        ("a\\_b", "a_b", True),
        ("100\\%%", "100% Match", True),
        ("100\\%%", "1000", False),
        ("a\\\\b", "a\\b", True),
        ("\\a", "a", True),
        ("", "", True),
        ("", "a", False),
        ("%", "", True),
        ("%%%", "anything", True),
        ("_", "ü", True),
        ("_", "", False),
        ("%a_c%", "xxabcxx", True),
        ("a%b%c", "abbbc", True),
        ("a%b%c", "acb", False),
        ("%a%a%b", "aab", True),
        ("%a%a%b", "ab", False),
        ("_%_", "a", False),
        ("_%_", "ab", True),
        ("%ab_d%", "abcabxd", True),
    ],
)
def test_like_matcher(pattern: str, text: str, matches: bool) -> None:
    assert like_matcher(pattern)(text) is matches
    assert _like(text, pattern) is matches


def test_like_matcher_agrees_with_brute_force_on_every_small_case() -> None:
    alphabet = ["a", "b", "%", "_", "\\"]
    texts = ["".join(t) for n in range(5) for t in itertools.product("ab\\%_", repeat=n)]
    for n in range(5):
        for chars in itertools.product(alphabet, repeat=n):
            pattern = "".join(chars)
            if ends_with_lone_escape(pattern):
                continue  # PostgreSQL's own error: test_trailing_lone_backslash_runs_as_postgresql_does
            match = like_matcher(pattern)
            for text in texts:
                assert match(text) is _like(text, pattern), (pattern, text)
                assert postgres_like(text, pattern) is _like(text, pattern), (pattern, text)


# Checked in PostgreSQL 15 ('ERROR' is "LIKE pattern must not end with escape character"): the
# error comes only when matching reaches the backslash with text left, or right after a '%'.
POSTGRES_TRAILING_ESCAPE = [
    ("abc", "a\\", "ERROR"),
    ("b", "a\\", False),
    ("", "\\", False),
    ("x", "\\", "ERROR"),
    ("abc", "%\\", "ERROR"),
    ("", "%\\", False),
    ("ab", "ab%\\", False),
    ("abc", "ab%\\", "ERROR"),
    ("a", "%_\\", "ERROR"),
    ("abc\\", "abc\\", "ERROR"),
    ("abc", "abc\\", False),
    ("a\\", "a\\\\\\", False),  # an escaped backslash, then the lone one with no text left
    ("a\\x", "a\\\\\\", "ERROR"),
]


@pytest.mark.parametrize(("text", "pattern", "expected"), POSTGRES_TRAILING_ESCAPE)
def test_trailing_lone_backslash_runs_as_postgresql_does(text: str, pattern: str, expected: object) -> None:
    assert ends_with_lone_escape(pattern)
    for run in (lambda: postgres_like(text, pattern), lambda: like_matcher(pattern)(text)):
        if expected == "ERROR":
            with pytest.raises(EscapeAtEnd):
                run()
        else:
            assert run() is expected


def test_find_stops_where_postgresql_stops_on_a_trailing_lone_backslash() -> None:
    records = [{"id": 1, "campaign_name": "abc"}, {"id": 2, "campaign_name": "xyz"}]
    assert querylang.find(records, "campaign_name[$like]=q%5C")["total"] == 0
    assert querylang.find(records, "campaign_name[$notlike]=q%5C")["total"] == 2
    with pytest.raises(QueryValidationError) as raised:
        querylang.find(records, "id=1&campaign_name[$like]=a%5C")
    assert raised.value.diagnostic.code == "bad-pattern"
    assert raised.value.text == "id=1&campaign_name[$like]=a%5C"
    assert "a%5C" in str(raised.value)
    # Every record meets the pattern, whatever the other conditions, as every row does in the
    # reference (id=1&campaign_name[$like]=100%5C stops it with no record of id 1).
    with pytest.raises(QueryValidationError):
        querylang.find(records, "id=2&campaign_name[$like]=a%5C")
    with pytest.raises(QueryValidationError):
        querylang.find(records, "campaign_name[$in][]=xyz&$or[0][id]=2&$or[1][campaign_name][$ilike]=A%5C")


@pytest.mark.parametrize(
    ("records", "named"),
    [
        ([{"id": 1, "campaign_name": "xyz"}, {"id": 7, "campaign_name": "secret text"}], "the record with id 7"),
        ([{"id": "8", "campaign_name": "secret text"}], "the record with id 8"),  # CSV text
        ([{"id": 2, "campaign_name": "q"}, {"campaign_name": "secret text"}], "record 1"),
        ([{"id": "secret id", "campaign_name": "secret text"}], "record 0"),
        ([{"id": 10**30, "campaign_name": "secret text"}], "record 0"),
        ([{"id": True, "campaign_name": "secret text"}], "record 0"),
    ],
)
def test_bad_pattern_from_find_names_the_field_and_the_record_but_not_the_value(
    records: list[dict[str, object]], named: str
) -> None:
    for query in ("campaign_name[$like]=se%5C", "campaign_name[$ilike]=SE%5C", "campaign_name[$notlike]=s%25%5C"):
        for given in (records, iter(records)):  # a list is scanned without enumerate
            with pytest.raises(QueryValidationError) as raised:
                querylang.find(given, query, on_error=lambda index, error: None)
            message = str(raised.value)
            assert raised.value.diagnostic.code == "bad-pattern"
            assert f"'campaign_name' {query.split('[')[1].split(']')[0]}" in message
            assert named in message
            assert "secret" not in message, message
            assert raised.value.diagnostic.span == querylang.Span(len(query.split("=")[0]) + 1, len(query))


def test_bad_pattern_from_the_predicate_names_the_field_and_the_record() -> None:
    predicate = querylang.compile("campaign_name[$like]=se%5C").predicate
    assert predicate({"campaign_name": "other"}) is False
    named_records = [
        ({"id": 3, "campaign_name": "secret"}, "the record with id 3"),
        ({"campaign_name": "secret"}, "a record"),
    ]
    for record, named in named_records:
        with pytest.raises(QueryValidationError) as raised:
            predicate(record)
        assert raised.value.diagnostic.code == "bad-pattern"
        assert named in str(raised.value) and "secret" not in str(raised.value)


def test_bad_pattern_with_a_sort_names_the_record() -> None:
    records = [{"id": 4, "campaign_name": "b"}, {"id": 5, "campaign_name": "secret"}]
    with pytest.raises(QueryValidationError) as raised:
        querylang.find(records, "campaign_name[$like]=s%5C&$sort[id]=-1&$limit=1")
    assert "the record with id 5" in str(raised.value) and "secret" not in str(raised.value)


def test_ilike_lowers_both_sides() -> None:
    assert like_matcher("%ÜBER%", ignore_case=True)("Zu über Buyers")
    assert like_matcher("gro%", ignore_case=True)("GROSSER")
    assert not like_matcher("groß%", ignore_case=True)("GROSSER")  # ß is not ss


def test_ilike_lowers_one_character_at_a_time_as_postgresql_does() -> None:
    # str.lower() makes 'İ' two characters ('i̇') and a word-final 'Σ' 'ς'; PostgreSQL does neither.
    assert fold_case("İSTANBUL ΟΔΟΣ") == "istanbul οδοσ"
    assert like_matcher("_stanbul", ignore_case=True)("İstanbul")
    assert like_matcher("%σ", ignore_case=True)("ΟΔΟΣ")
    assert not like_matcher("%ς", ignore_case=True)("ΟΔΟΣ")
    assert like_matcher("%ς", ignore_case=True)("οδος")
    page = querylang.find([{"campaign_name": "İstanbul"}, {"campaign_name": "ΟΔΟΣ"}], "campaign_name[$ilike]=_stanbul")
    assert page["total"] == 1
    assert querylang.find([{"campaign_name": "ΟΔΟΣ"}], "campaign_name[$ilike]=%25%CF%82")["total"] == 0


def test_like_is_linear_on_a_pathological_pattern() -> None:
    text = "a" * 100_000
    start = time.perf_counter()
    assert not like_matcher("%a%a%a%a%a%b")(text)
    assert not like_matcher("%a_a%a_a%a%a%a%_b")(text)
    assert like_matcher("%a%a%a%a%a%")(text)
    elapsed = time.perf_counter() - start
    assert elapsed < 1.0, f"took {elapsed:.2f} s"  # a backtracking matcher takes hours


def test_like_in_a_query_is_linear_too() -> None:
    records = [{"campaign_name": "a" * 100_000}] * 20
    start = time.perf_counter()
    page = querylang.find(records, "campaign_name[$like]=%25a%25a%25a%25a%25a%25b")
    assert page["total"] == 0
    assert time.perf_counter() - start < 2.0


# ---- predicate


def test_predicate_tests_one_record() -> None:
    pred = querylang.compile("send_at[$gte]=2019-01-01").predicate
    assert pred({"send_at": "2019-01-01T00:00:00Z"})
    assert pred({"send_at": "2018-12-31T20:00:00-05:00"})  # 2019-01-01T01:00Z
    assert not pred({"send_at": "2018-12-31T23:00:00Z"})
    assert not pred({"send_at": None})
    assert not pred({})


def test_predicate_compares_datetime_objects_as_instants() -> None:
    pred = querylang.compile("send_at=2020-01-01T00:00:00Z").predicate
    assert pred({"send_at": datetime(2019, 12, 31, 19, tzinfo=timezone(timedelta(hours=-5)))})
    assert not pred({"send_at": datetime(2020, 1, 1, 0, 0, 1, tzinfo=UTC)})


def test_predicate_names_the_field_of_a_bad_value() -> None:
    pred = querylang.compile("is_active=true&send_at[$gt]=2019-01-01").predicate
    with pytest.raises(RecordError) as caught:
        pred({"is_active": True, "send_at": "soon"})
    assert caught.value.diagnostic.code == "not-a-date"
    assert "field 'send_at'" in caught.value.diagnostic.message


def test_a_naive_datetime_in_a_record_is_an_error() -> None:
    with pytest.raises(RecordError, match="send_at"):
        querylang.compile("send_at[$gt]=2019-01-01").predicate({"send_at": "2020-01-01T00:00:00"})


def test_a_date_alone_in_a_record_is_midnight_utc() -> None:
    assert querylang.compile("send_at=2020-01-01T00:00:00Z").predicate({"send_at": "2020-01-01"})


def test_a_seven_digit_fraction_in_a_record_is_rounded() -> None:
    pred = querylang.compile("send_at=2020-01-01T00:00:00.000001Z").predicate
    assert pred({"send_at": "2020-01-01T00:00:00.0000006Z"})
    assert not pred({"send_at": "2020-01-01T00:00:00.0000004Z"})


@pytest.mark.parametrize(
    ("query", "record", "matches"),
    [
        ("is_active=true", {"is_active": "true"}, True),
        ("is_active=true", {"is_active": "false"}, False),
        ("completing_user_id=", {"completing_user_id": ""}, True),
        ("completing_user_id[$ne]=", {"completing_user_id": ""}, False),
        ("completing_user_id=8", {"completing_user_id": "8"}, True),
        ("id[$gt]=9", {"id": "10"}, True),  # a number, not text: "10" > "9" would be false
        ("campaign_name=", {"campaign_name": ""}, True),
        ("completed_at=", {"completed_at": ""}, True),
        ("type[$in][]=Text%20Contact", {"type": "Text Contact"}, True),
    ],
)
def test_csv_text_is_coerced_through_the_schema(query: str, record: dict[str, object], matches: bool) -> None:
    assert querylang.compile(query).predicate(record) is matches


@pytest.mark.parametrize(
    ("query", "record"),
    [
        ("id=1", {"id": True}),  # a boolean is not a number
        ("id=1", {"id": 1.0}),
        ("is_active=true", {"is_active": 1}),
        ("type=Text%20Contact", {"type": "Fax"}),
        ("type[$ne]=Text%20Contact", {"type": "Fax"}),
        ("campaign_name=a", {"campaign_name": 5}),
        ("campaign_name[$like]=a", {"campaign_name": ["a"]}),
        ("type[$in][]=Text%20Contact&type[$in][]=Call%20Contact", {"type": ["x"]}),
    ],
)
def test_a_value_of_the_wrong_type_is_an_error(query: str, record: dict[str, object]) -> None:
    with pytest.raises(RecordError):
        querylang.compile(query).predicate(record)
    with pytest.raises(RecordError, match="record 1: field"):
        querylang.find([{}, record], query)


def test_booleans_are_not_numbers() -> None:
    assert not querylang.compile("is_active[$gt]=false").predicate({"is_active": False})
    assert querylang.compile("is_active[$gt]=false").predicate({"is_active": True})


# ---- sort key and projection


def test_sort_key_serves_sorted_and_nsmallest() -> None:
    compiled = querylang.compile("$sort[completed_at]=-1&$sort[id]=1")
    assert compiled.sort_key is not None
    records = [
        {"id": 3, "completed_at": "2020-01-02T00:00:00Z"},
        {"id": 2, "completed_at": None},
        {"id": 1, "completed_at": "2020-01-02T00:00:00Z"},
        {"id": 4, "completed_at": "2020-01-01T00:00:00-05:00"},
    ]
    ordered = [r["id"] for r in sorted(records, key=compiled.sort_key)]
    assert ordered == [2, 1, 3, 4]  # nulls first descending, then newest, ties by id
    assert [r["id"] for r in heapq.nsmallest(2, records, key=compiled.sort_key)] == [2, 1]


def test_no_sort_key_without_sort() -> None:
    assert querylang.compile("is_active=true").sort_key is None


def test_projection_holds_exactly_the_selected_fields() -> None:
    project = querylang.compile("$select[]=id&$select[]=completed_at&$select[]=id").project
    assert project is not None
    assert project({"id": 1, "type": "Text Contact"}) == {"id": 1, "completed_at": None}


# ---- compiling


def test_compile_takes_text_asts_builder_queries_and_compiled_queries() -> None:
    from_text = querylang.compile("is_active=true&$limit=2")
    from_ast = querylang.compile(ast.Query(where=ast.Compare("is_active", ast.Op.EQ, True), limit=2))
    assert from_text.query == from_ast.query
    assert querylang.compile(from_text) is from_text
    assert isinstance(from_text, Compiled)
    assert from_text.fields == ("is_active",)


def test_compile_caches_text() -> None:
    assert querylang.compile("id=1") is querylang.compile("id=1")


def test_compile_raises_every_problem_of_a_bad_query() -> None:
    with pytest.raises(querylang.QueryValidationError) as caught:
        querylang.compile("sendat=1&id=x")
    assert [d.code for d in caught.value.diagnostics] == ["unknown-field", "not-an-integer"]


def test_compile_keeps_the_written_limit_for_unpaginated_use() -> None:
    compiled = querylang.compile("$limit=500")
    assert compiled.query.limit == 100
    assert compiled.written_limit == 500


@pytest.mark.parametrize(
    "text",
    [
        "$limit=500",
        "$limit=50",
        "$limit=100",
        "",
        "id=1&$limit=101&$skip=3",
        "campaign_name[$like]=%New%&type=Text%20Contact&$limit=5000&$sort[send_at]=-1&template_name=undefined",
        "is_stopped_on_text_reply=true&template_name[$like]=a%5C&$limit=%35%30%30",
        "$or[0][id]=1&$or[1][send_at][$gt]=2030-01-01&$or[1][send_at][$lt]=2020-01-01&$limit=999",
    ],
)
def test_compile_types_the_query_as_validate_does(text: str) -> None:
    # compile reads the text once, with no maximum, and lowers $limit from the typed query.
    typed = querylang.validate(text)
    compiled = querylang.compile(text)
    assert compiled.query == typed
    assert compiled.query.warnings == typed.warnings
    assert compiled.query.limit_span == typed.limit_span


def test_generated_source_holds_no_value_from_the_query() -> None:
    evil = "x'); import os; os._exit(3); ('"
    compiled = querylang.compile(
        "campaign_name="
        + evil.replace("&", "%26").replace(";", "%3B").replace(" ", "%20")
        + "&template_name[$like]=%25"
        + "zz%22%22%22"
        + "%25&type=Text%20Contact"
    )
    assert "import os" not in compiled.source
    assert "zz" not in compiled.source
    assert "Text Contact" not in compiled.source
    assert "campaign_name" not in compiled.source  # field names are bound too
    assert compiled.predicate({"campaign_name": evil, "template_name": 'zz"""', "type": "Text Contact"})


def test_cheap_tests_run_first() -> None:
    source = querylang.compile(
        "campaign_name[$like]=%25a%25&send_at[$gt]=2019-01-01&type=Text%20Contact&is_active=true"
    ).source
    body = source[source.index("def predicate") :]
    positions = [body.index(f"v{n} = r[") for n in range(4)]
    assert positions == sorted(positions)
    # is_active (boolean), type (enum), send_at (date), campaign_name ($like): in that order
    compiled = querylang.compile("campaign_name[$like]=%25a%25&send_at[$gt]=2019-01-01&is_active=true")
    with pytest.raises(RecordError, match="is_active"):
        compiled.predicate({"is_active": "maybe", "send_at": "soon", "campaign_name": 1})


def test_date_bounds_are_normalised_to_utc() -> None:
    compiled = querylang.compile("send_at[$gte]=2019-01-01T00:00:00-07:00")
    assert compiled.query.where is not None
    assert isinstance(compiled.query.where, ast.Compare)
    bound = compiled.query.where.value
    assert isinstance(bound, datetime) and bound.tzinfo is UTC and bound.hour == 7
