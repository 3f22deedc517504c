"""Generated queries against the reference server: the same verdict, the same page.

Runs against each reference server of conftest.py (``reference_each``): the sample records and
the edge-case records of ``tests/corpus/reference-edge-records.json``; skipped without node, npm
or PostgreSQL. ``QUERYLANG_REFERENCE_EXAMPLES`` sets how many queries (200 by default).

The queries combine every field with every operator and with values that either side might
read differently: integer bounds and spellings, booleans, enum spellings, text with pattern
characters and case, date-times in the RFC 3339 spellings of SEMANTICS.md section 3 and a few
just outside them, empty values, ``$in`` lists, ``$or``, ``$and`` (with an ``$or`` or not),
sorting, paging and ``$select``.
They leave out what SEMANTICS.md lists as deliberate differences (JavaScript's ``Number()``
accidents, sort directions other than 1 and -1, ``__proto__``, stray brackets) and the
unvalidated conditions beside an ``$or`` inside ``$and``, which the fixed lists of
``test_reference_validation.py`` cover. Every sort ends with ``id``, so that the order of the
rows is the reference's own and comparable; each query is asked for every contact.
"""

from __future__ import annotations

import os
import urllib.parse

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from reference_server import Reference, assert_same_answer, server, service

from querylang import CONTACT_COMMUNICATIONS, Field, FieldType, Op

EXAMPLES = int(os.environ.get("QUERYLANG_REFERENCE_EXAMPLES", "200"))


def _value(text: str) -> str:
    return urllib.parse.quote(text, safe="")


VALUES: dict[FieldType, list[str]] = {
    FieldType.INTEGER: [
        "0",
        "-0",
        "0311",
        "733",
        "5120",
        "234966",
        "2147483647",
        "-2147483648",
        "2147483648",
        "-2147483649",
        "x",
        "1.5",
        "",
        "null",
        "12a",
    ],
    FieldType.BOOLEAN: ["true", "false", "TRUE", "False", "", "yes", "null"],
    FieldType.ENUM: ["Text Contact", "Email Contact", "Call Contact", "text contact", "Fax", ""],
    FieldType.TEXT: [
        "",
        "a",
        "Z",
        "null",
        "Match 100%",
        "%",
        "%a%",
        "%New%",
        "_",
        "__%",
        "%\\%%",
        "%\\_%",
        "%i%",
        "%İ%",
        "%É%",
        "über%",
        "%ς",
        "%Σ",
        "first_time_buyer",
        "Über Buyers",
        "zeta",
        "%e",
    ],
    FieldType.DATETIME: [
        "2022-01-01",
        "2022-01-01T00:00:00Z",
        "2021-12-31T23:59:59.9999995Z",
        "2021-12-31T17:00:00-07",
        "2022-01-01T05:30:00+05:30",
        "2022-01-01T05:30:00+0530",
        "2022-01-01t00:00:00z",
        "2022-01-01 00:00:00Z",
        "2021-12-31T23:59:60Z",
        "2023-04-10T00:00:00.000Z",
        "0001-01-01T00:00:00+01:00",
        "2100-01-01",
        "2019-13-01",
        "2019-02-29",
        "2019-01-01T11:00",
        "2019-01-01T11:00:00",
        "yesterday",
        "",
    ],
}
FIELDS = [f for f in CONTACT_COMMUNICATIONS.fields if f.name != "contact_id"]
ALL_OPS = [op for op in Op]


@st.composite
def conditions(draw: st.DrawFn, f: Field, where: str = "") -> list[str]:
    """Parameters for the conditions on one field; ``where`` is a key prefix such as ``$or[0]``."""
    ops = draw(st.lists(st.sampled_from(ALL_OPS), min_size=1, max_size=2, unique=True))
    if Op.EQ in ops:
        ops = [Op.EQ]  # a plain value beside operators is a shape error on both sides
    values = VALUES[f.type]
    name = f"{where}[{f.name}]" if where else f.name
    params = []
    for op in ops:
        key = name if op is Op.EQ else f"{name}[{op.spelling}]"
        if op in (Op.IN, Op.NIN):
            items = draw(st.lists(st.sampled_from(values), min_size=1, max_size=3))
            params += [f"{key}[]={_value(v)}" for v in items]
        else:
            params.append(f"{key}={_value(draw(st.sampled_from(values)))}")
    return params


@st.composite
def queries(draw: st.DrawFn) -> str:
    params: list[str] = []
    # One set of conditions per field: the same field twice in a set is a shape error (or a
    # value qs drops) on both sides, which test_reference_validation.py covers.
    for f in draw(st.lists(st.sampled_from(FIELDS), max_size=3, unique=True)):
        params += draw(conditions(f))
    if draw(st.booleans()):
        for i in range(draw(st.integers(1, 3))):
            for f in draw(st.lists(st.sampled_from(FIELDS), min_size=1, max_size=2, unique=True)):
                params += draw(conditions(f, f"$or[{i}]"))
    if draw(st.booleans()):
        for i in range(draw(st.integers(1, 2))):
            # An element with an $or holds nothing else here: the reference validates nothing
            # beside it (test_reference_validation.py covers that place).
            inner = (
                [f"$and[{i}][$or][{j}]" for j in range(draw(st.integers(1, 2)))]
                if draw(st.booleans())
                else [f"$and[{i}]"]
            )
            for where in inner:
                for f in draw(st.lists(st.sampled_from(FIELDS), min_size=1, max_size=2, unique=True)):
                    params += draw(conditions(f, where))
    names = [f.name for f in FIELDS]
    for name in [*draw(st.lists(st.sampled_from(names[1:]), max_size=2, unique=True)), "id"]:
        params.append(f"$sort[{name}]={draw(st.sampled_from(['1', '-1']))}")
    params.append(f"$limit={draw(st.sampled_from(['0', '1', '5', '100', '101']))}")
    params.append(f"$skip={draw(st.sampled_from(['0', '3', '44']))}")
    if draw(st.booleans()):
        params += [f"$select[]={n}" for n in draw(st.lists(st.sampled_from(names), min_size=1, max_size=3))]
    return "&".join(draw(st.permutations(params)))


def test_generated_queries_agree_with_the_reference(reference_each: Reference) -> None:
    url, records = server(reference_each)
    mine = service(records)
    contacts = sorted({r["contact_id"] for r in records})

    @settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow], database=None)
    @given(queries())
    def agree(query: str) -> None:
        for contact in contacts:
            assert_same_answer(url, mine, contact, query)

    agree()
