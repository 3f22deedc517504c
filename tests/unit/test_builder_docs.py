"""Every LionDesk documentation example (SEMANTICS.md source 1), rebuilt with the builder.

Each request is copied verbatim from ``/work/shared/reference/liondesk-contact-communications.txt``
(after ``GET``/``PATCH``; where the page glues an example to the next sentence, as in
``type[$in]=undefinedIf the column matches``, the query ends before ``If``). The builder's query
must equal the parse of the documentation's query string, read back from ``to_url`` to the same
query, and be what ``from_url`` reads from the documentation's own URL (double slash included).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from urllib.parse import urlsplit

import pytest

import querylang
from querylang import F, Query

HOST = "https://api-v2.liondesk.com"
PATH = "/contacts/76/campaign-communications"

# (case name, request as printed, the same query built in Python)
EXAMPLES = [
    (
        "load-relations",
        "https://api-v2.liondesk.com//contacts/76/campaign-communications?$load=send_from_user,completing_user",
        lambda: Query.load("send_from_user", "completing_user"),
    ),
    ("equality", f"{PATH}?template_name=undefined", lambda: Query.where(F.template_name == "undefined")),
    ("exclude-with-ne", f"{PATH}?is_active[$ne]=undefined", lambda: Query.where(F.is_active != "undefined")),
    ("limit", f"{PATH}?$limit=2", lambda: Query.limit(2)),
    (
        "skip-for-paging",
        f"{PATH}?is_active=undefined&$limit=2&$skip=2",
        lambda: Query.where(F.is_active == "undefined").limit(2).skip(2),
    ),
    ("sort-descending", f"{PATH}?$limit=10&$sort[send_at]=-1", lambda: Query.limit(10).sort(-F.send_at)),
    ("in", f"{PATH}?type[$in]=undefined", lambda: Query.where(F.type.in_(["undefined"]))),
    ("nin", f"{PATH}?type[$nin]=undefined", lambda: Query.where(F.type.not_in(["undefined"]))),
    (
        "less-than",
        f"{PATH}?send_at[$lt]=2020-01-01T00:00:00Z",
        lambda: Query.where(F.send_at < datetime(2020, 1, 1, tzinfo=UTC)),
    ),
    (
        "greater-or-equal",
        f"{PATH}?send_at[$gte]=2018-05-07T10:00:00Z",
        lambda: Query.where(F.send_at >= datetime(2018, 5, 7, 10, tzinfo=UTC)),
    ),
    (
        "range",
        f"{PATH}?send_at[$gte]=2019-01-01T11:00:00Z&send_at[$lte]=2019-01-31T00:00:00Z",
        lambda: Query.where(
            (F.send_at >= datetime(2019, 1, 1, 11, tzinfo=UTC)) & (F.send_at <= datetime(2019, 1, 31, tzinfo=UTC))
        ),
    ),
    ("like-unescaped", f"{PATH}?campaign_name[$like]=%New%", lambda: Query.where(F.campaign_name.like("%New%"))),
    ("like-escaped", f"{PATH}?campaign_name[$like]=%25New%25", lambda: Query.where(F.campaign_name.like("%New%"))),
]

CASES = [pytest.param(request, build, id=name) for name, request, build in EXAMPLES]


def _query_part(request: str) -> str:
    return request.split("?", 1)[1]


def _url(request: str) -> str:
    return request if request.startswith("https://") else HOST + request


@pytest.mark.parametrize(("request_line", "build"), CASES)
def test_builder_equals_the_parsed_documentation_query(request_line: str, build) -> None:
    built = build()
    parsed = querylang.parse(_query_part(request_line))
    assert built == parsed
    assert parsed == built
    assert built.ast == parsed


@pytest.mark.parametrize(("request_line", "build"), CASES)
def test_builder_serializes_to_the_canonical_documentation_query(request_line: str, build) -> None:
    canonical = querylang.serialize(querylang.parse(_query_part(request_line)))
    assert querylang.serialize(build()) == canonical


@pytest.mark.parametrize(("request_line", "build"), CASES)
def test_from_url_of_the_documentation_url_is_the_built_query(request_line: str, build) -> None:
    where, query = querylang.from_url(_url(request_line))
    assert (where.contact_id, where.id) == (76, None)
    assert query == build()
    assert build() == query


@pytest.mark.parametrize(("request_line", "build"), CASES)
def test_to_url_of_the_built_query_is_the_documentation_url_without_double_slash(request_line: str, build) -> None:
    url = querylang.to_url(build(), contact_id=76)
    parts = urlsplit(url)
    assert f"{parts.scheme}://{parts.netloc}" == HOST
    assert parts.path == PATH
    assert "//" not in url.removeprefix("https://")
    assert querylang.parse(parts.query) == querylang.parse(_query_part(request_line))
    where, query = querylang.from_url(url)
    assert (where.contact_id, where.id, where.base_url) == (76, None, HOST)
    assert query == build()


@pytest.mark.parametrize(("request_line", "build"), CASES)
def test_built_documentation_query_checks_like_the_documentation_text(request_line: str, build) -> None:
    # The page's `undefined` placeholders make some examples invalid for the schema (is_active)
    # and others warn (template_name); the builder's query must be judged exactly the same.
    # Only `raw-value` is about how the text was written (`%New%` unescaped), so a built query,
    # which has no text, does not get it.
    def found(query: object) -> list[tuple[str, str, str | None, str]]:
        return [(d.code, d.message, d.hint, d.severity) for d in querylang.check(query) if d.code != "raw-value"]

    assert found(build()) == found(_query_part(request_line))


def test_like_examples_written_raw_and_escaped_are_the_same_builder_query() -> None:
    raw = querylang.parse("campaign_name[$like]=%New%")
    escaped = querylang.parse("campaign_name[$like]=%25New%25")
    built = Query.where(F.campaign_name.like("%New%"))
    assert built == raw == escaped
    assert querylang.serialize(built) == "campaign_name[$like]=%25New%25"


def test_range_example_built_three_ways() -> None:
    low = F.send_at >= datetime(2019, 1, 1, 11, tzinfo=UTC)
    high = F.send_at <= datetime(2019, 1, 31, tzinfo=UTC)
    text = "send_at[$gte]=2019-01-01T11:00:00Z&send_at[$lte]=2019-01-31T00:00:00Z"
    assert Query.where(low & high) == Query.where(low, high) == Query.where(low).where(high) == querylang.parse(text)
    assert querylang.serialize(Query.where(low, high)) == text


def test_sort_example_built_in_either_order() -> None:
    text = "$limit=10&$sort[send_at]=-1"
    assert Query.sort(-F.send_at).limit(10) == Query.limit(10).sort(-F.send_at) == querylang.parse(text)
    assert Query.sort("-send_at").limit(10) == querylang.parse(text)


@pytest.mark.parametrize(
    ("value", "text"),
    [
        pytest.param(date(2012, 9, 27), "2012-09-27", id="date"),
        pytest.param(datetime(2012, 9, 27, 9, 15, tzinfo=UTC), "2012-09-27T09:15:00Z", id="utc"),
        pytest.param(
            datetime(2012, 9, 27, 9, 15, tzinfo=timezone(timedelta(hours=-7))), "2012-09-27T09:15:00-07:00", id="pdt"
        ),
    ],
)
def test_documented_date_forms_are_what_python_values_become(value: object, text: str) -> None:
    # "Examples: 2012-09-27, 2012-09-27T09:15:00Z (UTC), 2012-09-27T09:15:00-07:00 (PDT)"
    for build, op in ((lambda v: F.send_at == v, ""), (lambda v: F.send_at >= v, "[$gte]")):
        built = Query.where(build(value))
        assert built == querylang.parse(f"send_at{op}={text}")
        assert querylang.serialize(built) == f"send_at{op}={text}"
        assert querylang.check(built) == []


def test_documented_base_endpoint_url() -> None:
    # "GET https://api-v2.liondesk.com//contacts/76/campaign-communications"
    documented = "https://api-v2.liondesk.com//contacts/76/campaign-communications"
    assert querylang.to_url(Query(), contact_id=76) == "https://api-v2.liondesk.com/contacts/76/campaign-communications"
    where, query = querylang.from_url(documented)
    assert (where.contact_id, where.id) == (76, None)
    assert query == Query()


def test_documented_patch_url_for_one_record() -> None:
    # "PATCH https://api-v2.liondesk.com//contacts/76/campaign-communications/10"
    documented = "https://api-v2.liondesk.com//contacts/76/campaign-communications/10"
    url = querylang.to_url(Query(), contact_id=76, id=10)
    assert url == "https://api-v2.liondesk.com/contacts/76/campaign-communications/10"
    where, query = querylang.from_url(documented)
    assert (where.contact_id, where.id) == (76, 10)
    assert where.path == "/contacts/76/campaign-communications/10"
    assert query == Query()


def test_documented_load_url_round_trips_through_to_url() -> None:
    documented = "https://api-v2.liondesk.com//contacts/76/campaign-communications?$load=send_from_user,completing_user"
    built = Query.load("send_from_user", "completing_user")
    assert querylang.to_url(built, contact_id=76) == documented.replace("//contacts", "/contacts")


def test_documented_response_sample_matches_the_built_load_query_shape() -> None:
    # The documented fields of a record are the schema's: a built select of all of them is valid.
    names = [
        "campaign_name", "type", "is_stopped_on_text_reply", "template_subject", "template_name",
        "template_folder_name", "is_active", "send_at", "completed_at", "send_from_user_id", "completing_user_id",
    ]  # fmt: skip
    built = Query.for_schema(querylang.CONTACT_COMMUNICATIONS).select(*names).load("send_from_user", "completing_user")
    assert built == querylang.parse("&".join(f"$select[]={n}" for n in names) + "&$load=send_from_user,completing_user")
