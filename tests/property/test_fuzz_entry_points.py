"""Every public entry point, fed hostile text: only QueryError (or the service's errors) escapes.

The inputs lean on what breaks parsers of this language: brackets, ``$``, ``%`` escapes good and
bad, ``&``, ``=``, ``.``, ``,``, backslashes, and runs of digits long enough to pass Python's
4,300-digit limit for ``int()``. Where an entry point succeeds, its round trip must hold.
About 300 examples each in the default profile; the ``fuzz`` profile runs many more
(``QUERYLANG_HYPOTHESIS_PROFILE=fuzz``).
"""

from __future__ import annotations

import contextlib
import json
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from strategies import LIONDESK_FIELDS, structures

import querylang
from querylang import QueryError
from querylang.service import CampaignCommunications, ServiceError, jsonable

EXAMPLES = max(300, settings.default.max_examples)
fuzz = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large],
)

BIASED = "[]$%&=.,\\" + "0123456789" + "ab_-+ ?#:/@é"
FRAGMENTS = (
    "[", "]", "[]", "[0]", "[999]", "[1000]", "%5B", "%5D", "%5C", "%5C%5C", "%25", "%ZZ", "%E9", "%C3%A9", "%2B",
    "%26", "%3D", "%", "\\", "$in", "$nin", "$ne", "$lt", "$gte", "$like", "$notlike", "$ilike", "$or", "$and",
    "$limit", "$skip", "$sort", "$select", "$load", "$eq", "=", "&", ",", ".", "-", "true", "false", "null",
    "undefined", "send_from_user", "completing_user", "__proto__", "constructor", "Text%20Contact",
    "2019-01-01T11:00:00Z", "2019-01-01", "-1", "1", *LIONDESK_FIELDS,
)  # fmt: skip

digit_runs = st.integers(1, 6000).map(lambda n: "9" * n) | st.integers(4290, 4400).map(lambda n: "1" * n)
pieces = st.one_of(
    st.sampled_from(FRAGMENTS),
    st.text(alphabet=BIASED, min_size=1, max_size=6),
    digit_runs,
    st.text(max_size=3),
)
hostile = st.lists(pieces, max_size=24).map("".join)
"""Text biased to the characters and runs that break query readers."""

RECORDS: list[dict[str, Any]] = [
    {
        "id": 1,
        "contact_id": 76,
        "campaign_name": "New Listings",
        "type": "Text Contact",
        "is_stopped_on_text_reply": True,
        "template_subject": "Hi",
        "template_name": "Welcome",
        "template_folder_name": "Main",
        "is_active": True,
        "send_at": "2019-01-01T11:00:00.000Z",
        "completed_at": None,
        "send_from_user_id": 3,
        "completing_user_id": None,
    },
    {
        "id": 2,
        "contact_id": 76,
        "campaign_name": "back\\slash 100%_off",
        "type": "Email Contact",
        "is_stopped_on_text_reply": False,
        "template_subject": "",
        "template_name": "Ünïcode İ",
        "template_folder_name": "x",
        "is_active": False,
        "send_at": "2020-06-01T00:00:00+02:00",
        "completed_at": "2020-06-02T00:00:00Z",
        "send_from_user_id": 3,
        "completing_user_id": 4,
    },
]
USERS = [{"id": 3, "first_name": "Ana"}, {"id": 4, "first_name": "Bo"}]

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.integers(10**4300, 10**4400) | st.floats() | st.text(BIASED),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(BIASED, max_size=6), inner, max_size=3),
    max_leaves=8,
)
records = st.lists(
    st.one_of(
        st.sampled_from(RECORDS),
        st.fixed_dictionaries({}, optional={name: json_values for name in LIONDESK_FIELDS}),
        json_values,
    ),
    max_size=4,
)


def _service() -> CampaignCommunications:
    return CampaignCommunications(
        RECORDS,
        contacts=[{"id": 76, "owner_user_id": 3}, {"id": 77, "owner_user_id": 4}],
        users=USERS,
        clock=lambda: datetime(2025, 1, 1, tzinfo=UTC),
    )


SERVICE = _service()


# ---- text in: decode, parse, check, validate


@fuzz
@given(hostile)
@example("a[" + "9" * 4301 + "]=1")
@example("xc__proto__%5D$in%ZZ=1")
@example("campaign_name[$like]=B%25%5C")
def test_decode_raises_only_query_errors_and_encode_reads_back(text: str) -> None:
    try:
        decoded = querylang.decode(text)
    except QueryError:
        return
    try:
        again = querylang.encode(decoded)
    except QueryError:
        return  # not every structure qs builds can be written (an empty key, say)
    assert querylang.decode(again) == decoded


@fuzz
@given(hostile)
@example("id=" + "9" * 5000)
@example("$limit=" + "9" * 4301 + "&$skip=" + "9" * 4301)
@example("id[$in][]=1&id[$in][]=" + "9" * 4400)
@example("is_active[]=true&$skip[]=1&$limit[]=5&id[0]=1&type[$ne][]=x")
def test_parse_check_and_validate_raise_only_query_errors_and_round_trip(text: str) -> None:
    found = querylang.check(text)  # documented never to raise
    assert all(0 <= d.span.start <= d.span.end <= len(text) for d in found if d.span.known)
    try:
        query = querylang.parse(text)
    except QueryError:
        query = None
    if query is not None:
        try:
            written = querylang.serialize(query)
        except QueryError:
            written = None  # a name no text can carry (checked by the serializer's own tests)
        if written is not None:
            assert querylang.parse(written) == query
            assert querylang.serialize(querylang.parse(written)) == written
    try:
        typed = querylang.validate(text)
    except QueryError as error:
        assert any(d.severity == "error" for d in found) or not found or error.diagnostics
        return
    assert not any(d.severity == "error" for d in found)
    assert querylang.validate(querylang.serialize(typed)) == typed


@fuzz
@given(structures | st.dictionaries(st.text(BIASED, max_size=5), json_values, max_size=3))
def test_encode_raises_only_query_errors_and_decode_reads_back(obj: dict[str, Any]) -> None:
    try:
        text = querylang.encode(obj)
    except QueryError:
        return
    assert querylang.decode(text) == obj


# ---- records in: find


@fuzz
@given(hostile, records, st.booleans())
@example("campaign_name[$like]=%25a%25%5C", RECORDS, True)
@example("", [None], True)
@example("id=1", [1], False)
def test_find_raises_only_query_errors(text: str, rows: list[Any], paginate: bool) -> None:
    try:
        result = querylang.find(rows, text, paginate=paginate, users=USERS)
    except QueryError:
        return
    rows_out = result["data"] if isinstance(result, dict) else result
    assert all(isinstance(row, dict) for row in rows_out)


not_records = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(),
    st.text(BIASED),
    st.dictionaries(st.text(max_size=3), json_values),
)
not_users = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.text(BIASED, min_size=1),
    st.lists(st.one_of(st.none(), st.integers(), st.text(max_size=3)), min_size=1, max_size=3),
    st.lists(
        st.fixed_dictionaries({"id": st.lists(json_values, max_size=2) | st.text("[]$%&=.,\\ab", min_size=1)}),
        min_size=1,
    ),
)


@fuzz
@given(not_records, hostile)
@example(None, "")
def test_find_refuses_what_is_not_records_with_a_query_error(rows: object, text: str) -> None:
    with pytest.raises(QueryError):
        querylang.find(rows, text)  # type: ignore[arg-type]


@fuzz
@given(not_users)
@example([{"id": [1]}])
def test_find_refuses_users_that_are_not_users_with_a_query_error(users: object) -> None:
    with pytest.raises(QueryError):
        querylang.find(RECORDS, "$load=send_from_user", users=users)  # type: ignore[arg-type]


# ---- URLs


url_text = st.lists(
    st.one_of(
        st.sampled_from(("http://", "https://", "//", "/contacts/", "76", "/campaign-communications", "/1", "?")),
        st.sampled_from(("a", ":", "@", "#", "%", "%ZZ", "::1", "[::1]", ":99999", ":x", "\x00", " ", "\n")),
        pieces,
    ),
    max_size=12,
).map("".join)


@fuzz
@given(url_text)
@example("http://[/contacts/1/campaign-communications")
@example("https://a[b]/contacts/1/campaign-communications")
@example("https://api-v2.liondesk.com/contacts/" + "9" * 5000 + "/campaign-communications")
def test_from_url_raises_only_query_errors_and_to_url_reads_back(url: str) -> None:
    try:
        where, query = querylang.from_url(url)
    except QueryError:
        return
    again = querylang.to_url(query, contact_id=where.contact_id, id=where.id, base_url=where.base_url)
    where2, query2 = querylang.from_url(again)
    assert (where2, query2) == (where, query)


@fuzz
@given(
    st.one_of(st.integers(), st.integers(10**4300, 10**4400), st.text(BIASED, max_size=8)),
    st.one_of(st.none(), st.integers(), st.text(BIASED, max_size=8)),
    st.one_of(st.just("https://api-v2.liondesk.com"), url_text),
)
def test_to_url_raises_only_query_errors(contact_id: object, id: object, base_url: str) -> None:
    try:
        url = querylang.to_url(querylang.parse("$limit=2"), contact_id=contact_id, id=id, base_url=base_url)  # type: ignore[arg-type]
    except QueryError:
        return
    assert querylang.from_url(url)[1] == querylang.parse("$limit=2")


# ---- the service


@fuzz
@given(hostile, st.sampled_from([None, 3, 4, 99]), st.sampled_from([76, 77, 78]), st.sampled_from([1, 2, 3]))
@example("campaign_name[$like]=B%25%5C", 4, 77, 1)
def test_service_reads_raise_only_service_errors(text: str, user: int | None, contact: int, id: int) -> None:
    try:
        page = SERVICE.find(contact, text, user_id=user)
    except ServiceError:
        pass
    else:
        json.dumps(jsonable(page))
    with contextlib.suppress(ServiceError):
        SERVICE.get(contact, id, text, user_id=user)


@fuzz
@given(json_values | st.dictionaries(st.sampled_from(("is_active", "id", *FRAGMENTS)), json_values, max_size=4))
@example({"is_active": 10**5000})
@example({"is_active": "true", "template_name": "x"})
def test_service_patch_raises_only_service_errors_and_changes_only_what_it_may(data: object) -> None:
    service = _service()
    before = service.get(76, 1)
    try:
        record, warnings = service.patch(76, 1, data, user_id=3)
    except ServiceError:
        assert service.get(76, 1) == before  # a refused patch changes nothing
        return
    changed = {k for k in record if record[k] != before.get(k)}
    assert changed <= {"is_active", "completing_user_id", "completed_at"}
    assert all(w.severity == "warning" for w in warnings)
