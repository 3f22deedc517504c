"""Transport (SEMANTICS.md section 1): query text -> what qs decodes, or a positioned syntax error.

The table is tests/corpus/transport.json; its ``decoded`` values were taken from the real qs 6.16
with Express's options. The limits need texts too long for the table and are generated here.
"""

from __future__ import annotations

import contextlib
import json
from pathlib import Path

import pytest

import querylang
from querylang import Op, QueryError, QuerySyntaxError, QueryValidationError, Span
from querylang.ast import Compare, Query
from querylang.text.params import Piece, read_params

CORPUS = Path(__file__).resolve().parents[1] / "corpus" / "transport.json"
CASES = json.loads(CORPUS.read_text(encoding="utf-8"))["cases"]

# Cases where querylang contradicts qs today, by case name. Strict: a fix turns them into XPASS,
# and the entry must go.
KNOWN_BROKEN: dict[str, str] = {}


def _param(case: dict[str, object]) -> object:
    name = str(case["name"])
    marks = [pytest.mark.xfail(strict=True, reason=KNOWN_BROKEN[name])] if name in KNOWN_BROKEN else []
    return pytest.param(case, id=name, marks=marks)


ALL = [_param(case) for case in CASES]
DECODED = [_param(case) for case in CASES if "decoded" in case]
ERRORS = [_param(case) for case in CASES if "error" in case]
# parse() does not look for __proto__ (field names are plain data); every other error is shared.
PARSE_ERRORS = [_param(case) for case in CASES if "error" in case and case["error"]["code"] != "proto-key"]


def _params(count: int, prefix: str = "a") -> list[str]:
    return [f"{prefix}{i}=1" for i in range(count)]


def _syntax_error(text: str) -> QuerySyntaxError:
    with pytest.raises(QuerySyntaxError) as info:
        querylang.decode(text)
    return info.value


# ---- the table


def test_corpus_names_are_unique() -> None:
    names = [case["name"] for case in CASES]
    assert len(names) == len(set(names))


@pytest.mark.parametrize("case", DECODED)
def test_decode_builds_what_qs_builds(case: dict[str, object]) -> None:
    assert querylang.decode(str(case["query"])) == case["decoded"]


@pytest.mark.parametrize("case", DECODED)
def test_text_that_qs_reads_is_no_syntax_error_for_parse(case: dict[str, object]) -> None:
    # Shape rules may still refuse it (a[b]=1 has an unknown operator), but never the transport.
    with contextlib.suppress(QueryValidationError):
        querylang.parse(str(case["query"]))


@pytest.mark.parametrize("case", ERRORS)
def test_decode_error_has_code_and_span(case: dict[str, object]) -> None:
    query = str(case["query"])
    expected = case["error"]
    assert isinstance(expected, dict)
    error = _syntax_error(query)
    assert len(error.diagnostics) == 1
    diagnostic = error.diagnostic
    assert (diagnostic.code, diagnostic.span) == (expected["code"], Span(expected["start"], expected["end"]))
    assert diagnostic.severity == "error"
    assert error.text == query


@pytest.mark.parametrize("case", PARSE_ERRORS)
def test_parse_reports_transport_error_like_decode(case: dict[str, object]) -> None:
    query = str(case["query"])
    expected = case["error"]
    assert isinstance(expected, dict)
    with pytest.raises(QuerySyntaxError) as info:
        querylang.parse(query)
    diagnostic = info.value.diagnostic
    assert (diagnostic.code, diagnostic.span) == (expected["code"], Span(expected["start"], expected["end"]))


@pytest.mark.parametrize("case", ERRORS)
def test_rendered_syntax_error_underlines_the_span(case: dict[str, object]) -> None:
    query = str(case["query"])
    expected = case["error"]
    assert isinstance(expected, dict)
    start, end = int(expected["start"]), int(expected["end"])
    carets = "  " + query + "\n  " + " " * start + "^" * max(end - start, 1)
    rendered = str(_syntax_error(query))
    assert rendered.endswith("\n" + carets)
    assert rendered.count("\n") == 2


@pytest.mark.parametrize("case", ALL)
def test_fast_and_parser_reading_agree(case: dict[str, object]) -> None:
    # read_params reads valid text with a compiled expression and the rest with Lark's
    # parser; both must give the same parameters, or the same error.
    query = str(case["query"])
    outcomes = []
    for fast in (True, False):
        try:
            outcomes.append(read_params(query, fast=fast))
        except QuerySyntaxError as error:
            outcomes.append([(d.code, d.span) for d in error.diagnostics])
    assert outcomes[0] == outcomes[1]


def test_rendered_unclosed_bracket_error() -> None:
    assert str(_syntax_error("x=1&a[b=1")) == "'[' is never closed (close it with ']')\n  x=1&a[b=1\n       ^"


def test_syntax_error_is_a_query_error_and_a_value_error() -> None:
    error = _syntax_error("a]")
    assert isinstance(error, QueryError)
    assert isinstance(error, ValueError)


def test_nested_bracket_span_stops_at_the_key() -> None:
    assert _syntax_error("a[[b]]=1").diagnostic.span == Span(1, 6)


# ---- percent-decoding all or nothing, and the warning for a value kept raw


def test_documented_pattern_and_escaped_pattern_decode_alike() -> None:
    assert querylang.decode("a=%New%") == querylang.decode("a=%25New%25") == {"a": "%New%"}


def test_value_kept_raw_gives_a_warning_at_the_value() -> None:
    query = querylang.parse("campaign_name[$like]=%New%")
    assert [(w.code, w.severity, w.span) for w in query.warnings] == [("raw-value", "warning", Span(21, 26))]


def test_each_raw_value_gets_its_own_warning() -> None:
    query = querylang.parse("a=%ZZ&b=ok&c[$in][]=%E9")
    assert [(w.code, w.span) for w in query.warnings] == [("raw-value", Span(2, 5)), ("raw-value", Span(20, 23))]


def test_decoded_value_gives_no_warning() -> None:
    assert querylang.parse("campaign_name[$like]=%25New%25").warnings == ()


def test_raw_value_is_used_as_written() -> None:
    assert querylang.parse("campaign_name[$like]=%25New%ZZ").where == Compare("campaign_name", Op.LIKE, "%25New%ZZ")


# ---- a key that fails percent-decoding is one plain key, kept as written (SEMANTICS.md section 1)


@pytest.mark.parametrize(
    ("text", "key", "value"),
    [
        ("x=1&a%ZZ[b]=2", "a%ZZ[b]", "2"),
        ("xc__proto__%5D$in%ZZ=1", "xc__proto__%5D$in%ZZ", "1"),
        (".%C3%A9__proto__%ZZ%5B=1", ".%C3%A9__proto__%ZZ%5B", "1"),
        ("a[b%ZZ", "a[b%ZZ", ""),
        ("a+b%ZZ[c]=d+e", "a b%ZZ[c]", "d e"),
        ("a%ZZ=x]=y", "a%ZZ=x]", "y"),
        ("a%ZZ%5D=x%5D=y", "a%ZZ%5D", "x]=y"),
        ("?a[%E9]=%C3%A9", "a[%E9]", "é"),
    ],
)
def test_key_that_fails_to_decode_is_one_name_spanning_the_key(text: str, key: str, value: str) -> None:
    param = read_params(text)[-1]
    start = text.index(key.replace(" ", "+"))
    assert param.name == Piece(key, Span(start, start + len(key)), raw=True)
    assert (param.segments, param.key_span, param.value.text) == ((), Span(start, start + len(key)), value)
    assert param.value_span == Span(min(start + len(key) + 1, len(text)), len(text))


@pytest.mark.parametrize("fast", [True, False])
def test_key_that_fails_to_decode_raises_no_bracket_error(fast: bool) -> None:
    for text in ("a%ZZ]=1", "a[%ZZ=1", "a[b]%ZZ[c]=1", "a%5B%ZZ", "a[[%ZZ]]=1", "%ZZ[b]c=1"):
        assert [p.name.text for p in read_params(text, fast=fast) if p.name is not None] == [text.split("=")[0]]


def test_bracket_error_elsewhere_is_found_where_it_is_beside_a_key_that_fails_to_decode() -> None:
    error = _syntax_error("a%ZZ[b]=1&c]=2")
    assert (error.diagnostic.code, error.diagnostic.span) == ("stray-bracket", Span(11, 12))
    error = _syntax_error("a[b=%ZZ]")  # no value: qs cuts the key at '=', where it decodes
    assert (error.diagnostic.code, error.diagnostic.span) == ("bracket-equals", Span(3, 4))


@pytest.mark.parametrize(
    ("text", "code", "start", "end"),
    [
        ("xc__proto__%5D$in%ZZ=1", "unknown-field", 0, 20),
        ("a%ZZ[b]=1", "unknown-field", 0, 7),
        (".%C3%A9__proto__%ZZ%5B=1", "unknown-field", 0, 22),
        ("id[%ZZ]=1", "unknown-field", 0, 7),
        ("is_active=true&a%ZZ[b]=1&a%ZZ[b]=2", "unknown-field", 15, 22),
        ("$sort[%ZZ]=1", "unknown-filter", 0, 10),
        ("$or[0][%ZZ]=1", "unknown-filter", 0, 11),
    ],
)
def test_check_reports_a_key_that_fails_to_decode_once(text: str, code: str, start: int, end: int) -> None:
    assert [(d.code, d.span.start, d.span.end) for d in querylang.check(text)] == [(code, start, end)]


def test_a_field_name_with_brackets_is_a_validation_error_of_parse_with_a_hint() -> None:
    with pytest.raises(QueryValidationError) as info:
        querylang.parse("a%ZZ[b]=1")
    diagnostic = info.value.diagnostic
    assert (diagnostic.code, diagnostic.span) == ("unknown-field", Span(0, 7))
    assert diagnostic.message == (
        "unknown field 'a%ZZ[b]': an invalid percent escape keeps its key whole, brackets included"
    )
    assert diagnostic.hint is not None and "%25" in diagnostic.hint


def test_a_field_that_failed_to_decode_serializes_and_reads_back() -> None:
    query = querylang.parse("xc__proto__%5D$in%ZZ=1&.%C3%A9__proto__%ZZ%5B=2")
    text = querylang.serialize(query)
    assert text == "xc__proto__%255D$in%25ZZ=1&.%25C3%25A9__proto__%25ZZ%255B=2"
    assert querylang.parse(text) == query
    assert querylang.decode(text) == {"xc__proto__%5D$in%ZZ": "1", ".%C3%A9__proto__%ZZ%5B": "2"}
    # With an operator, which text can only give such a name once it is written decodably.
    ne = Query(Compare(".%C3%A9__proto__%ZZ%5B", Op.NE, "2"))
    assert querylang.parse(querylang.serialize(ne)) == ne


def test_a_value_that_fails_to_decode_still_reads_encoded_brackets() -> None:
    # Values are unchanged: qs turns %5B/%5D into brackets in the whole text before decoding.
    assert querylang.decode("a%ZZ=%5B%ZZ&b=%5D%E9") == {"a%ZZ": "[%ZZ", "b": "]%E9"}


# ---- limits: 1000 parameters, counting empty ones


def test_thousand_parameters_are_read() -> None:
    assert len(querylang.decode("&".join(_params(1000)))) == 1000


def test_thousand_and_first_parameter_is_too_many() -> None:
    params = _params(1001)
    text = "&".join(params)
    error = _syntax_error(text)
    assert error.diagnostic.code == "too-many-parameters"
    assert error.diagnostic.span == Span(len(text) - len(params[-1]), len(text))


def test_empty_parameters_count_toward_the_limit() -> None:
    # qs splits on '&' with a limit of 1000 pieces: 999 empty pieces and a=1 make 1000.
    assert querylang.decode("&" * 999 + "a=1") == {"a": "1"}


def test_parameter_after_thousand_empty_ones_is_too_many() -> None:
    error = _syntax_error("&" * 1000 + "a=1")
    assert (error.diagnostic.code, error.diagnostic.span) == ("too-many-parameters", Span(1000, 1003))


def test_double_ampersand_counts_as_an_empty_parameter() -> None:
    # a=1, "", b0..b997 are 1000 pieces; b998 would be the 1001st.
    assert len(querylang.decode("a=1&&" + "&".join(_params(998, "b")))) == 999
    text = "a=1&&" + "&".join(_params(999, "b"))
    error = _syntax_error(text)
    assert (error.diagnostic.code, error.diagnostic.span) == ("too-many-parameters", Span(len(text) - 6, len(text)))


def test_leading_question_mark_does_not_count_as_a_parameter() -> None:
    assert querylang.decode("?" + "&" * 999 + "a=1") == {"a": "1"}


def test_ampersand_after_question_mark_counts_as_a_parameter() -> None:
    text = "?&" + "&".join(_params(1000))
    assert _syntax_error(text).diagnostic.code == "too-many-parameters"


def test_trailing_ampersands_after_thousand_parameters_are_ignored() -> None:
    assert len(querylang.decode("&".join(_params(1000)) + "&&&")) == 1000


def test_thousand_appended_values_make_one_list() -> None:
    assert querylang.decode("&".join(["a[]=x"] * 1000)) == {"a": ["x"] * 1000}


def test_parse_reports_too_many_parameters() -> None:
    with pytest.raises(QuerySyntaxError) as info:
        querylang.parse("&".join(_params(1001)))
    assert info.value.diagnostic.code == "too-many-parameters"


# ---- field names are plain data


def test_parse_reads_proto_as_a_plain_field() -> None:
    assert querylang.parse("__proto__=1").where == Compare("__proto__", Op.EQ, "1")


def test_decode_refuses_proto_that_qs_would_drop() -> None:
    error = _syntax_error("x=1&__proto__=1")
    assert (error.diagnostic.code, error.diagnostic.span) == ("proto-key", Span(4, 13))


def test_decode_returns_plain_python_data() -> None:
    decoded = querylang.decode("a[b][]=1&c=2&d[0][e]=3")
    assert decoded == {"a": {"b": ["1"]}, "c": "2", "d": [{"e": "3"}]}
    assert type(decoded) is dict
    assert type(decoded["a"]["b"]) is list  # type: ignore[index]


def test_decode_lists_integer_keys_first_at_the_top_like_javascript() -> None:
    assert list(querylang.decode("b=1&1=2&a=3&0=4")) == ["0", "1", "b", "a"]


def test_decode_lists_integer_keys_first_in_nested_objects_like_javascript() -> None:
    assert list(querylang.decode("a[b]=1&a[]=2")["a"]) == ["0", "b"]  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("text", "at"),
    [("a=\ud800", 2), ("a=\udcff%20", 2), ("a\udcff[b]=1", 1), ("é=1&b[\udfff]=2", 6), ("\ud83d=x", 0)],
)
def test_lone_surrogate_is_a_syntax_error_at_the_character(text: str, at: int) -> None:
    # Python makes lone surrogates of command-line bytes that are not UTF-8; no URL carries one.
    # Once a UnicodeEncodeError from urllib when the text also held an escape.
    for read in (querylang.decode, querylang.parse):
        with pytest.raises(QuerySyntaxError) as raised:
            read(text)
        assert (raised.value.diagnostic.code, raised.value.diagnostic.span) == ("bad-character", Span(at, at + 1))
        assert raised.value.text == text
        str(raised.value).encode("utf-8")  # printable: the caret line shows U+FFFD in its place


def test_escapes_of_ascii_characters_decode_in_either_case() -> None:
    assert querylang.decode("a=%2f%2F%7e%7E%41%61%00") == {"a": "//~~Aa\x00"}


def test_non_ascii_escapes_decode_as_utf8_and_invalid_ones_stay_raw() -> None:
    assert querylang.decode("a=caf%C3%A9%20x&b=%E9&c=%2&d=100%") == {"a": "café x", "b": "%E9", "c": "%2", "d": "100%"}


def test_what_keys_say_is_kept_for_short_keys_only_and_boundedly() -> None:
    from querylang.text import keys as text_keys

    text_keys.KEYS.clear()
    long_key = "a" * 300
    read_params(f"{long_key}[$gt]=1&b[$lt]=2")
    assert f"{long_key}[$gt]" not in text_keys.KEYS
    assert "b[$lt]" in text_keys.KEYS
    for i in range(5000):
        read_params(f"f{i}[$in][]=x")
    assert 0 < len(text_keys.KEYS) <= 4096


@pytest.mark.parametrize(
    "text",
    ["a[b][c]=1&a[b][c]=2", "type%5B%24in%5D%5B0%5D=x", "%zz[a]=1", "[a]=1&[b][c]=2", "a+b[c+d]=1"],
)
def test_a_kept_key_reads_as_a_new_one(text: str) -> None:
    from querylang.text import keys as text_keys

    text_keys.KEYS.clear()
    first = read_params(text)
    again = read_params(text)  # from the kept keys
    assert [(p.key, p.start, p.key_end, p.end, p.segments, p.name) for p in again] == [
        (p.key, p.start, p.key_end, p.end, p.segments, p.name) for p in first
    ]
    shifted = read_params("x=0&" + text)[1:]  # the same keys elsewhere: spans move with them
    assert [p.key_span for p in shifted] == [Span(s.start + 4, s.end + 4) for s in (p.key_span for p in first)]
    assert [p.segments for p in shifted] == [
        tuple(seg._replace(span=Span(seg.span.start + 4, seg.span.end + 4)) for seg in p.segments) for p in first
    ]
