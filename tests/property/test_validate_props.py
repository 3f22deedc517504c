"""Validation properties: typed queries survive serialize, and every diagnostic points into the text.

- For any valid text query over the contact-communication schema (drawn by the strategies
  below: each field with operators and values its type allows, written in every spelling that
  SEMANTICS.md section 3 reads), ``validate(serialize(validate(text))) == validate(text)``.
- For any text at all, valid or not, ``check`` never raises, every span lies inside the text,
  and a diagnostic about a value points at exactly the value as written.
"""

from __future__ import annotations

import re
from datetime import date
from urllib.parse import quote, quote_plus

from hypothesis import example, given
from hypothesis import strategies as st

import querylang
from querylang import CONTACT_COMMUNICATIONS, FieldType, Op, check, validate

SCHEMA = CONTACT_COMMUNICATIONS
FIELDS = SCHEMA.fields
RANGE_OPS = (Op.NE, Op.LT, Op.LTE, Op.GT, Op.GTE)
PATTERN_OPS = (Op.LIKE, Op.NOTLIKE, Op.ILIKE)

# ---- values, as decoded text, per type


def _spellings(text: str) -> st.SearchStrategy[str]:
    """Ways to percent-encode a decoded value on the wire."""
    return st.sampled_from([quote(text, safe=""), quote(text, safe=":,@!*'()"), quote_plus(text)])


integer_texts = st.one_of(
    st.integers(-(2**31), 2**31 - 1).map(str),
    st.integers(0, 99_999).map(lambda n: f"0{n}"),  # leading zeros: 0311 is 311
    st.just("-0"),
)
boolean_texts = st.sampled_from(["true", "false"])
enum_texts = st.sampled_from(["Email Contact", "Call Contact", "Text Contact"])


def _storable(text: str) -> bool:
    # PostgreSQL refuses NUL in text, and a pattern ending in a lone backslash (validation follows).
    return "\x00" not in text and (len(text) - len(text.rstrip("\\"))) % 2 == 0


text_texts = st.one_of(
    st.text(max_size=8).filter(_storable),
    st.sampled_from(["", "null", "undefined", "100%_Match Listings", "Über Buyers", "a+b", "x]=y", "%", "&="]),
)
# Kept raw by the decoder (an invalid escape): written exactly so, with a raw-value warning.
raw_text_values = st.sampled_from(["%New%", "%ZZ", "%E9", "50%25off%", "%2"])


@st.composite
def datetime_texts(draw: st.DrawFn) -> str:
    """An RFC 3339 date-time in one of the spellings querylang reads, or a date alone."""
    day = draw(st.dates(min_value=date(2, 1, 1), max_value=date(9998, 12, 31)))
    if draw(st.integers(0, 5)) == 0:
        return day.isoformat()
    sep = draw(st.sampled_from("Tt "))
    if draw(st.integers(0, 20)) == 0:
        return f"{day.isoformat()}{sep}23:59:60{draw(st.sampled_from(['Z', 'z', '+00:00', '-00']))}"
    clock = f"{draw(st.integers(0, 23)):02d}:{draw(st.integers(0, 59)):02d}:{draw(st.integers(0, 59)):02d}"
    digits = draw(st.text("0123456789", min_size=1, max_size=12))
    fraction = draw(st.sampled_from(["", "." + digits]))
    sign = draw(st.sampled_from("+-"))
    hours, minutes = draw(st.integers(0, 15)), draw(st.integers(0, 59))
    zone = draw(
        st.sampled_from(
            ["Z", "z", f"{sign}{hours:02d}:{minutes:02d}", f"{sign}{hours:02d}{minutes:02d}", f"{sign}{hours:02d}"]
        )
    )
    return f"{day.isoformat()}{sep}{clock}{fraction}{zone}"


def value_texts(name: str) -> st.SearchStrategy[str]:
    """Wire spellings of values that fit the field ``name``."""
    f = SCHEMA.field(name)
    assert f is not None
    if f.type is FieldType.TEXT:
        return st.one_of(text_texts.flatmap(_spellings), raw_text_values)
    base = {
        FieldType.INTEGER: integer_texts,
        FieldType.BOOLEAN: boolean_texts,
        FieldType.ENUM: enum_texts,
        FieldType.DATETIME: datetime_texts(),
    }[f.type]
    if f.nullable:
        base = st.one_of(base, st.just(""))
    return base.flatmap(_spellings)


# ---- conditions and queries, as lists of parameters


@st.composite
def field_conditions(draw: st.DrawFn, prefix: str, name: str) -> list[str]:
    """The parameters of one field in one condition set: a plain value, or distinct operators."""
    key = f"{prefix}[{name}]" if prefix else name
    f = SCHEMA.field(name)
    assert f is not None
    if draw(st.integers(0, 2)) == 0:
        value = draw(value_texts(name))
        return [f"{key}={value}"] if value or draw(st.booleans()) else [key]
    ops = list(RANGE_OPS) + [Op.IN, Op.NIN] + (list(PATTERN_OPS) if f.type is FieldType.TEXT else [])
    chosen = draw(st.lists(st.sampled_from(ops), min_size=1, max_size=3, unique=True))
    params: list[str] = []
    for op in chosen:
        if op in (Op.IN, Op.NIN):
            values = draw(st.lists(value_texts(name), min_size=1, max_size=3))
            form = draw(st.sampled_from(["[]", "", "index"]))
            if form == "index" or (form == "" and len(values) > 1 and draw(st.booleans())):
                params += [f"{key}[{op.spelling}][{i}]={v}" for i, v in enumerate(values)]
            elif form == "":
                params += [f"{key}[{op.spelling}]={v}" for v in values]
            else:
                params += [f"{key}[{op.spelling}][]={v}" for v in values]
        else:
            params.append(f"{key}[{op.spelling}]={draw(value_texts(name))}")
    return params


@st.composite
def condition_sets(draw: st.DrawFn, prefix: str, max_fields: int = 3) -> list[str]:
    names = draw(st.lists(st.sampled_from(SCHEMA.field_names), min_size=1, max_size=max_fields, unique=True))
    return [p for name in names for p in draw(field_conditions(prefix, name))]


@st.composite
def valid_queries(draw: st.DrawFn) -> str:
    """A query text the reference server answers and querylang types, parameters in any order."""
    params: list[str] = []
    if draw(st.booleans()):
        params += draw(condition_sets("", 4))
    if draw(st.integers(0, 2)) == 0:
        for i in range(draw(st.integers(1, 3))):
            params += draw(condition_sets(f"$or[{i}]", 2))
    if draw(st.integers(0, 3)) == 0:
        for i in range(draw(st.integers(1, 2))):
            params += draw(condition_sets(f"$and[{i}]", 2))
    tail: list[str] = []
    sort_fields = draw(st.lists(st.sampled_from(SCHEMA.field_names), max_size=3, unique=True))
    tail += [f"$sort[{n}]={draw(st.sampled_from(['1', '-1']))}" for n in sort_fields]
    if draw(st.booleans()):
        tail.append(f"$limit={draw(st.one_of(st.integers(0, 300).map(str), st.just('-0'), st.just('007')))}")
    if draw(st.booleans()):
        tail.append(f"$skip={draw(st.one_of(st.integers(0, 10**6).map(str), st.just('-0')))}")
    selected = draw(st.lists(st.sampled_from(SCHEMA.field_names), max_size=len(FIELDS)))
    if len(selected) == 1 and draw(st.booleans()):
        tail.append(f"$select={selected[0]}")
    else:
        tail += [f"$select[]={n}" for n in selected]
    relations = draw(st.lists(st.sampled_from(["send_from_user", "completing_user"]), max_size=2))
    if relations:
        if draw(st.booleans()):
            tail.append("$load=" + ",".join(relations))
        else:
            tail += [f"$load[]={r}" for r in relations]
    params = draw(st.permutations(params)) + tail
    return ("?" if draw(st.integers(0, 9)) == 0 else "") + "&".join(params)


@example("send_at[$gte]=2019-01-01T11:00:00%2B05:30&completed_at=&$limit=500&$sort[id]=-1")
@example("campaign_name[$like]=%New%&type[$in]=Text%20Contact&$or[0][id]=1&$or[1][completing_user_id][$ne]=")
@example("send_at=2021-12-31T23:59:59.9999995Z&is_stopped_on_text_reply=true&$select=id")
@given(valid_queries())
def test_typed_query_survives_serialize_and_validate(text: str) -> None:
    typed = validate(text)
    assert not [d for d in check(text) if d.severity == "error"]
    written = querylang.serialize(typed)
    again = validate(written)
    assert again == typed, f"{text!r} -> {written!r}"
    assert validate(typed) == typed
    assert querylang.serialize(again) == written


# ---- arbitrary text

KEYS = [
    *SCHEMA.field_names,
    *(
        f"{n}[{op}]"
        for n in ("id", "campaign_name", "send_at", "completed_at", "type")
        for op in ("$gt", "$in", "$like")
    ),
    "id[$in][]",
    "id[$in][0]",
    "id[$eq]",
    "sendat",
    "sendat[$gte]",
    "__proto__",
    "__proto__[x]",
    "$limit",
    "$skip",
    "$sort[send_at]",
    "$sort[sendat]",
    "$select",
    "$select[]",
    "$load",
    "$load[]",
    "$or[0][id]",
    "$or[1][type]",
    "$or[0][$or][0][id]",
    "$and[0][id][$gt]",
    "$and[0][$or][0][is_active]",
    "$populate",
    "a[b",
    "a]",
    "a[b]c",
    "type%5B%24in%5D",
    "",
]
VALUES = [
    "",
    "1",
    "-0",
    "0311",
    "abc",
    "1.5",
    "+1",
    "%2B1",
    "%20",
    "2147483648",
    "true",
    "True",
    "null",
    "undefined",
    "NaN",
    "Text",
    "Text%20Contact",
    "text+contact",
    "2019-13-01",
    "2019-01-01",
    "2019-01-01T11:00:00Z",
    "2019-01-01T11:00:00+05:30",
    "2019-01-01T11:00:00%2B05:30",
    "2019-01-01T11:00",
    "%New%",
    "%ZZ",
    "%E9",
    "%",
    "send_from_user,sender",
    "send_from_user,",
    ",",
    "x]=y",
    "-1",
    "1.0",
    "101",
    "99999999999999999999",
]

_noise = st.text(st.sampled_from("%+&=[]?$,.:_-aZ09é \t"), max_size=6)
parameters = st.one_of(
    st.tuples(st.sampled_from(KEYS), st.sampled_from(VALUES)).map(lambda kv: f"{kv[0]}={kv[1]}"),
    st.sampled_from(KEYS),
    st.tuples(st.sampled_from(KEYS), _noise).map(lambda kv: f"{kv[0]}={kv[1]}"),
    _noise,
)
any_queries = st.one_of(
    st.lists(parameters, max_size=6).map("&".join),
    st.tuples(st.sampled_from(["", "?"]), st.lists(parameters, max_size=4).map("&".join)).map("".join),
    st.text(max_size=40),
    valid_queries(),
)

VALUE_CODES = frozenset(
    {
        "not-an-integer",
        "not-a-boolean",
        "not-in-enum",
        "not-a-date",
        "not-a-number",
        "empty-value",
        "out-of-range",
        "placeholder-value",
        "raw-value",
        "bad-direction",
        "limit-lowered",
    }
)
PIECE_CODES = frozenset({"unknown-relation", "empty-relation"})  # a comma-separated piece of $load
_KEY_END = re.compile(r"(?:\]|%5[dD])=")


def value_spans(text: str) -> list[tuple[int, int]]:
    """Where each parameter's value is written, as qs splits a parameter (first ``]=``, else ``=``)."""
    spans: list[tuple[int, int]] = []
    offset = 1 if text.startswith("?") else 0
    for part in text[offset:].split("&"):
        found = _KEY_END.search(part)
        eq = found.end() - 1 if found else part.find("=")
        end = offset + len(part)
        spans.append((offset + eq + 1, end) if eq >= 0 else (end, end))
        offset = end + 1
    return spans


@example("sendat[$gte]=2019-13-01&type=Text&$limit=abc")
@example("$load=send_from_user,sender,&$sort[send_at]=+1&id")
@example("?campaign_name=%ZZ&$limit=101&completed_at=null")
@example("a=x]=y&id[$in]=1&id[$in]=x")
@given(any_queries)
def test_every_span_lies_in_the_text_and_value_codes_point_at_the_value(text: str) -> None:
    found = check(text)
    values = value_spans(text)
    for d in found:
        assert d.severity in ("error", "warning")
        assert re.fullmatch(r"[a-z]+(?:-[a-z]+)*", d.code), d.code
        assert d.message
        assert d.span.known, d
        assert 0 <= d.span.start <= d.span.end <= len(text), (d, len(text))
        where = (d.span.start, d.span.end)
        if d.code in VALUE_CODES:
            assert where in values, (d, text[d.span.start : d.span.end])
        elif d.code in PIECE_CODES:
            assert any(start <= where[0] <= where[1] <= end for start, end in values), d
            assert "&" not in text[d.span.start : d.span.end]
    errors = [d for d in found if d.severity == "error"]
    if not errors:
        validate(text)
