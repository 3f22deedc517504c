"""Round-trip properties: AST -> text -> AST, serialize's fixed point, encode/decode, parse vs decode."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from strategies import (
    aware_datetimes,
    is_known_crash,
    queries,
    structures,
    typed_queries,
    values,
)

import querylang
from querylang import QueryError, QuerySyntaxError, QueryValidationError, ast
from querylang.ast import Op, Query
from querylang.text.write import format_value


def assert_roundtrip(query: Query) -> str:
    """Serialize, re-parse, compare; the one helper every round-trip property goes through."""
    text = querylang.serialize(query)
    again = querylang.parse(text)
    assert again == query, f"{text!r} reads back as {again!r}"
    assert querylang.serialize(again) == text, "the canonical text changed on the second trip"
    return text


# ---- AST -> text -> AST


@given(queries())
def test_parse_inverts_serialize(query: Query) -> None:
    assert_roundtrip(query)


@given(queries())
def test_serialized_text_decodes_without_complaint(query: Query) -> None:
    # SEMANTICS.md section 7: the canonical text decodes back in querylang (and in qs, see
    # tests/differential), so decode must not refuse anything serialize writes.
    text = querylang.serialize(query)
    querylang.decode(text)
    raw = [w for w in querylang.parse(text).warnings if w.code == "raw-value"]
    assert not raw, "serialize wrote a value that reads back raw"


_ESCAPE_OR_CHAR = re.compile(r"%[0-9A-Fa-f]{2}|.", re.DOTALL)


@st.composite
def respellings(draw: st.DrawFn) -> tuple[Query, str]:
    """A query and its canonical text written another way that SEMANTICS.md section 1 reads alike.

    Brackets as %5B/%5D, '$' as %24, a space as '+', escapes in lower case, '[]' as explicit
    indices; each chosen independently.
    """
    query = draw(queries())
    tokens = _ESCAPE_OR_CHAR.findall(querylang.serialize(query))
    escape_brackets, escape_dollar, plus, lower, index = (draw(st.booleans()) for _ in range(5))
    out = []
    for token in tokens:
        if token in "[]" and escape_brackets:
            token = "%5B" if token == "[" else "%5D"
        elif token == "$" and escape_dollar:
            token = "%24"
        elif token == "%20" and plus:
            token = "+"
        if lower and token.startswith("%"):
            token = token.lower()
        out.append(token)
    text = "".join(out)
    if index:
        counts: dict[str, int] = {}
        params = []
        for param in text.split("&"):
            key, sep, value = param.partition("=")
            for empty in ("[]", "%5B%5D", "%5b%5d"):
                if key.endswith(empty):
                    stem = key[: -len(empty)]
                    counts[stem] = counts.get(stem, -1) + 1
                    key = f"{stem}[{counts[stem]}]"
            params.append(key + sep + value)
        text = "&".join(params)
    return query, text


@given(respellings())
def test_equivalent_spellings_parse_alike(case: tuple[Query, str]) -> None:
    query, text = case
    assert querylang.parse(text) == query


@given(typed_queries)
def test_serialize_is_a_fixed_point(query: Query) -> None:
    text = querylang.serialize(query)
    assert querylang.serialize(querylang.parse(text)) == text


@given(queries())
def test_decoding_canonical_text_is_idempotent(query: Query) -> None:
    text = querylang.serialize(query)
    decoded = querylang.decode(text)
    reserialized = querylang.serialize(querylang.parse(text))
    assert querylang.decode(reserialized) == decoded
    # encode writes the structure back in a form that decodes to the same structure.
    assert querylang.decode(querylang.encode(decoded)) == decoded


@given(aware_datetimes)
@example(datetime(2020, 1, 1, 12, tzinfo=timezone(timedelta(hours=1, seconds=30))))
def test_datetime_values_keep_their_instant(value: datetime) -> None:
    if value.utcoffset() is not None and value.utcoffset() % timedelta(seconds=1):  # type: ignore[operator]
        return  # sub-second offsets: see test_sub_second_utc_offset_keeps_its_instant
    text = format_value(value)
    assert datetime.fromisoformat(text.replace("Z", "+00:00")) == value


def test_sub_second_utc_offset_keeps_its_instant() -> None:
    value = datetime(2020, 1, 1, 12, tzinfo=timezone(timedelta(hours=1, microseconds=500000)))
    text = format_value(value)
    assert datetime.fromisoformat(text.replace("Z", "+00:00")) == value


# ---- what text cannot carry: serialize refuses it rather than writing something else


@given(
    st.lists(
        st.tuples(st.from_regex(r"0|[1-9][0-9]{0,3}", fullmatch=True), st.sampled_from([Op.EQ, Op.GT]), values),
        min_size=1,
        max_size=4,
    )
)
def test_numeric_field_names_roundtrip_or_are_refused(items: list[tuple[str, Op, str]]) -> None:
    # A plain number is an array index inside $or/$and brackets, so text cannot always carry it
    # as a field: the tree must refuse it (bad-node) or serialize must (cannot-encode), or it
    # comes back unchanged. Never different text.
    try:
        query = Query(ast.and_(*(ast.Compare(name, op, value) for name, op, value in items)))
        text = querylang.serialize(query)
    except QueryError as error:
        assert error.diagnostic.code in ("bad-node", "cannot-encode")
        return
    assert querylang.parse(text) == query


def _roundtrips_or_is_refused(query: Query) -> None:
    try:
        text = querylang.serialize(query)
    except QueryError:
        return
    assert querylang.parse(text) == query
    querylang.decode(text)


def test_sorting_a_field_twice_is_refused_by_serialize() -> None:
    with pytest.raises(QueryError):  # refused when the tree is made: text could not carry it
        _roundtrips_or_is_refused(Query(sort=(ast.Sort("a", "1"), ast.Sort("a", "-1"))))


def test_proto_field_is_refused_by_serialize() -> None:
    _roundtrips_or_is_refused(Query(ast.Compare("__proto__", Op.EQ, "x")))


def test_lone_surrogate_value_is_refused_with_a_query_error() -> None:
    _roundtrips_or_is_refused(Query(ast.Compare("a", Op.EQ, "\ud800")))


def test_encode_refuses_a_lone_surrogate_with_a_query_error() -> None:
    with pytest.raises(QueryError):
        querylang.encode({"a": "\ud800"})


# ---- encode / decode


@given(structures)
def test_decode_inverts_encode(structure: dict[str, object]) -> None:
    text = querylang.encode(structure)
    assert querylang.decode(text) == structure


@given(structures)
def test_encode_reaches_a_fixed_point_after_one_decode(structure: dict[str, object]) -> None:
    # Not after zero: decode lists integer-like keys first, as JavaScript objects do
    # ({"1": "", "0": ""} encodes as 1=&0= and comes back as {"0": "", "1": ""}).
    text = querylang.encode(querylang.decode(querylang.encode(structure)))
    assert querylang.encode(querylang.decode(text)) == text


# ---- parse and decode agree on what can be read

FRAGMENTS = (
    "a", "b", "id", "type", "$or", "$and", "$in", "$limit", "$sort", "__proto__", "constructor", "0", "1",
    "999", "1000", "[", "]", "%5B", "%5d", "[]", "[0]", "[1]", "[a]", "[$in]", "[$or]", "[__proto__]", "=",
    "&", "&&", "%", "%ZZ", "%E9", "%C3%A9", "%20", "+", "?", "]=", "%26", "%3D", "x", "é", " ",
)  # fmt: skip
query_ish = st.one_of(
    st.lists(st.sampled_from(FRAGMENTS), max_size=16).map("".join),
    st.text(st.sampled_from("ab0[]=&%5BD?$+_"), max_size=24),
    queries().map(querylang.serialize),
).filter(lambda text: not is_known_crash(text))


@given(query_ish)
def test_parse_and_decode_agree_on_what_is_readable(text: str) -> None:
    """The legitimate combinations, exactly.

    - decode reads it: parse reads it, or refuses it with QueryValidationError (shape rules).
    - decode refuses it with a syntax error other than proto-key: parse refuses it with the
      same diagnostic.
    - decode refuses it with proto-key (qs would drop the key): parse, which treats
      ``__proto__`` as a field name like any other, reads it or raises QueryValidationError.
    """
    try:
        querylang.decode(text)
    except QuerySyntaxError as error:
        decode_error: QuerySyntaxError | None = error
        assert error.text == text
    else:
        decode_error = None
    try:
        querylang.parse(text)
    except QuerySyntaxError as error:
        assert error.text == text
        assert decode_error is not None, f"parse refuses what decode reads: {error.diagnostics}"
        assert decode_error.diagnostic.code != "proto-key"
        assert error.diagnostics == decode_error.diagnostics
        return
    except QueryValidationError as error:
        assert error.text == text
        assert error.diagnostics, "a validation error without a diagnostic"
    if decode_error is not None:
        assert decode_error.diagnostic.code == "proto-key", (
            f"parse reads what decode refuses: {decode_error.diagnostics}"
        )


@given(query_ish)
def test_encode_writes_back_whatever_decode_reads(text: str) -> None:
    try:
        decoded = querylang.decode(text)
        again = querylang.encode(decoded)
    except QueryError:
        return  # unreadable, or holds what encode refuses to write (an empty key, "0" in brackets)
    assert querylang.decode(again) == decoded
