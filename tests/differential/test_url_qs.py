"""``to_url`` output against the real qs (issue 5 item 2, SEMANTICS.md section 7).

Express 4.22 hands a Feathers app ``qs.parse(query, {allowPrototypes: true, arrayLimit: 1000})``
of the part of the URL after the first ``?``. For about a hundred generated builder queries (and
a few hand-picked ones), the real qs must decode the query part of ``to_url`` to exactly what
``querylang.decode`` returns, and so must it decode what an HTTP client sends from ``to_params``
(``urllib.parse.urlencode``, as ``requests`` does); ``querylang.parse`` must read the same part
back to the built query.

All strings go through Node in one batch with ``qs_decode.js``, to the qs of conftest.py's
``qs_path`` fixture (``QUERYLANG_QS_PATH``, else the one ``npm ci`` installs beside the reference
server). Without ``node`` or ``npm`` on PATH, or when qs cannot be installed or required, the
tests skip.
"""

from __future__ import annotations

import contextlib
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path
from urllib.parse import unquote, urlencode

import pytest
from qs_node import run_qs

import querylang
from querylang import F, Query
from querylang.builder import Cond, FieldRef

SEED = 20240605
COUNT = 100

# ---- generated builder queries

LIONDESK = (
    "id", "contact_id", "send_from_user_id", "completing_user_id", "campaign_name", "template_subject",
    "template_name", "template_folder_name", "type", "is_stopped_on_text_reply", "is_active", "send_at",
    "completed_at",
)  # fmt: skip
ODD_NAMES = ("a b", "é", "日本", "x&y", "x=y", "x#y", "x+y", "50%", "%5Bx%5D", "constructor", "toString", "a.b", "-1")
TEXTS = (
    "Text Contact", "Email Contact", "%New%", "50% off", "a+b", "a&b", "a=b", "x]=y", "[1]", "%5B%5D", "#frag",
    "é", "日本", "😀", "", " ", "null", "undefined", "a\\%b", "?x=1", "%25", "%ZZ", "Straße", "tab\there",
)  # fmt: skip
OFFSETS = (UTC, timezone(timedelta(hours=5, minutes=30)), timezone(timedelta(hours=-7)), timezone(timedelta(hours=14)))


def _value(rng: random.Random) -> object:
    roll = rng.random()
    if roll < 0.45:
        return rng.choice(TEXTS)
    if roll < 0.6:
        return rng.choice([0, 1, -1, 42, 311, 2**31 - 1, -(2**31)])
    if roll < 0.7:
        return rng.choice([True, False])
    if roll < 0.75:
        return None
    if roll < 0.82:
        return date(rng.randint(1990, 2030), rng.randint(1, 12), rng.randint(1, 28))
    return datetime(
        rng.randint(1990, 2030), rng.randint(1, 12), rng.randint(1, 28), rng.randint(0, 23), rng.randint(0, 59),
        rng.randint(0, 59), rng.choice([0, 0, 123456]), tzinfo=rng.choice(OFFSETS),
    )  # fmt: skip


def _ref(rng: random.Random, names: tuple[str, ...] | None = None) -> FieldRef:
    if names is None:
        names = LIONDESK if rng.random() < 0.8 else ODD_NAMES
    return F(rng.choice(names))


def _condition(rng: random.Random, names: tuple[str, ...] | None = None) -> Cond:
    ref = _ref(rng, names)
    kind = rng.randrange(14)
    if kind < 6:
        return [ref.__eq__, ref.__ne__, ref.__lt__, ref.__le__, ref.__gt__, ref.__ge__][kind](_value(rng))
    if kind < 9:
        return [ref.like, ref.notlike, ref.ilike][kind - 6](rng.choice(TEXTS))
    if kind < 12:
        values = [_value(rng) for _ in range(rng.randint(1, 4))]
        cond = ref.in_(values) if kind < 11 else ref.not_in(values)
        return ~cond if rng.random() < 0.2 else cond
    return ref.is_null() if kind == 12 else ref.is_not_null()


def _alternative(rng: random.Random) -> Cond:
    """Conditions on distinct fields (an $or alternative holds a field once per operator)."""
    names = rng.sample(LIONDESK + ODD_NAMES[:3], rng.randint(1, 3))
    cond = _condition(rng, (names[0],))
    for name in names[1:]:
        cond = cond & _condition(rng, (name,))
    return cond


def _or_group(rng: random.Random) -> Cond:
    cond = _alternative(rng)
    for _ in range(rng.randint(1, 3)):
        cond = cond | _alternative(rng)
    return cond


def generated_query(rng: random.Random) -> Query:
    q = Query()
    for _ in range(rng.randint(1, 5)):
        roll = rng.random()
        if roll < 0.45:
            q = q.where(*(_condition(rng) for _ in range(rng.randint(1, 3))))
        elif roll < 0.65:
            q = q.where(_or_group(rng))  # a second $or goes to $and[i][$or]
        elif roll < 0.75:
            used = {s.field for s in q.ast.sort}
            name = rng.choice([n for n in LIONDESK if n not in used])
            q = q.sort(-F(name) if rng.random() < 0.5 else F(name))
        elif roll < 0.82:
            q = q.limit(rng.choice([0, 2, 10, 100, 500]))
        elif roll < 0.88:
            q = q.skip(rng.choice([0, 2, 50]))
        elif roll < 0.94:
            q = q.select(*rng.sample(LIONDESK, rng.randint(1, 3)))
        else:
            q = q.load(*rng.sample(["send_from_user", "completing_user"], rng.randint(1, 2)))
    return q


HAND_PICKED = [
    Query.where(F.is_active == True, F.type.in_(["Text Contact", "Email Contact"]))  # noqa: E712
    .where(F.send_at >= datetime(2019, 1, 1, 11, tzinfo=timezone(timedelta(hours=5, minutes=30))))
    .where(F.campaign_name.like("%New%") | F.template_name.ilike("welcome%"))
    .sort(-F.send_at, F.id)
    .limit(25)
    .skip(50)
    .select("id", "send_at")
    .load("send_from_user", "completing_user"),
    # $in at the deepest place: $and[0][$or][1][type][$in] is five bracket levels already.
    Query.where((F.a == 1) | (F.b == 2)).where((F.c == 3) | F.type.in_(["Text Contact", "Call Contact"])),
    Query.where((F.a == 1) | (F.b == 2)).where((F.c == 3) | F.type.in_(["Text Contact"])),
    Query.where((F.id == 1) & (F.id == 2) & (F.id > 0) & (F.id > 1)),
    Query.where(F.id.in_(range(1000))),
    Query.where(*(F(f"f{i}") == i for i in range(990))),
    Query.where(F("x=y") == "x]=y"),
    Query.where(F("%5B") == "%5D", F("a%5Bb%5D") == "[b]"),
    Query.where(F.campaign_name == "+" * 5, F.template_name == "%" * 5, F.template_subject == "&=#?" * 3),
]


def queries() -> list[Query]:
    rng = random.Random(SEED)
    return HAND_PICKED + [generated_query(rng) for _ in range(COUNT)]


# ---- qs


def _run_qs(texts: list[str], qs: Path) -> dict[str, object]:
    return run_qs(texts, qs)


@dataclass
class Case:
    query: Query
    url: str
    part: str
    sent: str


# Built lazily: once the builder refuses them, building them must not break the module.
def proto_query() -> Query:
    return Query.where(F("__proto__") == "x", F.id == 1)


def too_many_values() -> Query:
    return Query.where(F.id.in_(range(1001)))


def too_many_parameters() -> Query:
    return Query.where(F.id.in_(range(600)), F.type.in_([str(i) for i in range(401)]))


def _built(make: Callable[[], Query]) -> Query | None:
    try:
        return make()
    except querylang.QueryError:
        return None


def _url_part(q: Query, contact_id: int = 76, id_: int | None = None) -> str:
    url = querylang.to_url(q, contact_id=contact_id, id=id_)
    # Express hands qs what follows the first '?' (to_url writes none in the path).
    return url.split("?", 1)[1] if "?" in url else ""


def _case(q: Query, contact_id: int = 76, id_: int | None = None) -> Case:
    url = querylang.to_url(q, contact_id=contact_id, id=id_)
    return Case(q, url, _url_part(q, contact_id, id_), urlencode(querylang.to_params(q)))


@pytest.fixture(scope="module")
def oracle(qs_path: Path) -> tuple[list[Case], dict[str, object]]:
    cases = [_case(q, 76, None if i % 3 else i) for i, q in enumerate(queries())]
    extra = []
    for make in (proto_query, too_many_values, too_many_parameters):
        q = _built(make)
        with contextlib.suppress(querylang.QueryError):  # to_url may refuse it: fine
            if q is not None:
                extra.append(_url_part(q))
    reference = _run_qs([c.part for c in cases] + [c.sent for c in cases] + extra, qs_path)
    return cases, reference


def test_enough_queries_were_generated(oracle: tuple[list[Case], dict[str, object]]) -> None:
    cases, _ = oracle
    assert len(cases) >= COUNT
    parts = [c.part for c in cases]
    assert len(set(parts)) > COUNT * 0.9
    joined = "&".join(parts)
    for needle in ("$or[", "$and[0][$or]", "[$in][]=", "[$nin]", "%2B", "%25", "%26", "%23", "%3D", "%C3%A9", "$sort["):
        assert needle in joined, f"no generated query exercises {needle!r}"


def test_qs_decodes_the_url_query_part_as_querylang_does(oracle: tuple[list[Case], dict[str, object]]) -> None:
    cases, reference = oracle
    wrong = [(c.part, querylang.decode(c.part), reference[c.part]) for c in cases]
    wrong = [w for w in wrong if w[1] != w[2]]
    assert not wrong, f"{len(wrong)} of {len(cases)} differ; first: {wrong[0]}"


def test_qs_decodes_what_a_client_sends_from_to_params_the_same(oracle: tuple[list[Case], dict[str, object]]) -> None:
    cases, reference = oracle
    wrong = [(c.sent, c.part) for c in cases if reference[c.sent] != querylang.decode(c.part)]
    assert not wrong, f"{len(wrong)} of {len(cases)} differ; first: {wrong[0]}"


def test_querylang_reads_the_url_back_to_the_built_query(oracle: tuple[list[Case], dict[str, object]]) -> None:
    cases, _ = oracle
    for case in cases:
        assert querylang.parse(case.part) == case.query, case.part
        assert querylang.from_url(case.url)[1] == case.query, case.url
        assert querylang.parse(case.sent) == case.query, case.sent


def test_url_has_no_double_slash_and_no_fragment(oracle: tuple[list[Case], dict[str, object]]) -> None:
    cases, _ = oracle
    for case in cases:
        assert "//" not in case.url.removeprefix("https://"), case.url
        assert "#" not in case.url and " " not in case.url and case.url.isascii(), case.url


def test_qs_result_is_never_empty_for_a_nonempty_query(oracle: tuple[list[Case], dict[str, object]]) -> None:
    # A guard against a vacuous comparison: qs must see every top-level key the text has.
    cases, reference = oracle
    for case in cases:
        result = reference[case.part]
        assert isinstance(result, dict)
        keys = {unquote(p.split("=", 1)[0].split("[", 1)[0]) for p in case.part.split("&") if p}
        assert set(result) == keys, case.part


# ---- queries once written wrong (each is refused now, or decodes the same in qs)


@pytest.mark.parametrize(
    "make",
    [proto_query, too_many_values, too_many_parameters],
    ids=["proto-field", "1001-values", "1001-parameters"],
)
def test_refused_or_decodes_the_same_in_qs(
    make: Callable[[], Query], oracle: tuple[list[Case], dict[str, object]]
) -> None:
    _, reference = oracle
    q = _built(make)
    if q is None:
        return  # refused at build time: what it should do
    try:
        part = _url_part(q)
    except querylang.QueryError:
        return  # refused by to_url: also fine
    assert querylang.decode(part) == reference[part]
