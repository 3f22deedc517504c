"""URLs both ways (issue 5, SEMANTICS.md section 7): ``to_url``, ``to_params``, ``from_url``, ``querylang url``.

Base ``https://api-v2.liondesk.com``, path ``/contacts/{contact_id}/campaign-communications`` and
``/{id}`` for one record, never a double slash. The query part is ``serialize``'s canonical text:
brackets and ``$`` readable, values percent-encoded (``%20``, ``%25``, ``%2B``, ``%26``). ``from_url``
reads the documentation's double slash and percent-encoded brackets.
"""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, date, datetime, timedelta, timezone
from urllib.parse import quote, urlencode, urlsplit

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

import querylang
from querylang import ContactCommunicationsURL, F, Query, QueryError
from querylang.url import BASE_URL

HOST = "https://api-v2.liondesk.com"
LIST = f"{HOST}/contacts/76/campaign-communications"
IST = timezone(timedelta(hours=5, minutes=30))
PDT = timezone(timedelta(hours=-7))
PLUS_14 = timezone(timedelta(hours=14))
P = "/contacts/76/campaign-communications"


def query_part(url: str) -> str:
    return urlsplit(url).query


def no_double_slash(url: str) -> bool:
    scheme, _, rest = url.partition("://")
    return bool(scheme) and "//" not in rest


# ---- base URL and path parameters


def test_base_url_constant() -> None:
    assert BASE_URL == HOST


def test_empty_query_has_no_question_mark() -> None:
    assert querylang.to_url(Query(), contact_id=76) == LIST
    assert querylang.to_url(querylang.parse(""), contact_id=76) == LIST


def test_list_url() -> None:
    q = querylang.parse("is_active=true&$limit=2")
    assert querylang.to_url(q, contact_id=76) == f"{LIST}?is_active=true&$limit=2"


def test_one_record_url() -> None:
    assert querylang.to_url(Query(), contact_id=76, id=10) == f"{LIST}/10"
    assert querylang.to_url(Query.limit(1), contact_id=76, id=10) == f"{LIST}/10?$limit=1"


@pytest.mark.parametrize(
    ("contact_id", "id_", "path"),
    [
        (0, None, "/contacts/0/campaign-communications"),
        (76, 0, "/contacts/76/campaign-communications/0"),
        (2**40, 2**33, f"/contacts/{2**40}/campaign-communications/{2**33}"),
    ],
)
def test_path_parameters(contact_id: int, id_: int | None, path: str) -> None:
    url = querylang.to_url(Query(), contact_id=contact_id, id=id_)
    assert urlsplit(url).path == path
    assert ContactCommunicationsURL(contact_id, id_).path == path


def test_contact_id_is_keyword_only() -> None:
    with pytest.raises(TypeError):
        querylang.to_url(Query(), 76)  # type: ignore[misc]


@pytest.mark.parametrize(
    "base",
    [
        "https://api-v2.liondesk.com",
        "https://api-v2.liondesk.com/",
        "https://api-v2.liondesk.com//",
        "http://localhost:3030",
        "http://localhost:3030/",
        "http://127.0.0.1:8080///",
    ],
)
@pytest.mark.parametrize("id_", [None, 10])
def test_no_double_slash_whatever_the_base_url(base: str, id_: int | None) -> None:
    q = Query.where(F.campaign_name == "a//b", F.template_name.like("//x")).limit(2)
    url = querylang.to_url(q, contact_id=76, id=id_, base_url=base)
    # The value's own '//' is data inside the query part; the URL up to '?' holds none.
    head = url.split("?", 1)[0]
    assert no_double_slash(head), url
    assert url.startswith(base.rstrip("/") + "/contacts/76/campaign-communications")
    assert querylang.from_url(url)[1] == q


def test_base_url_is_kept_by_from_url() -> None:
    url = querylang.to_url(Query.limit(2), contact_id=5, id=7, base_url="http://localhost:3030/")
    where, query = querylang.from_url(url)
    assert where == ContactCommunicationsURL(5, 7, "http://localhost:3030")
    assert query == Query.limit(2)
    assert querylang.to_url(query, contact_id=where.contact_id, id=where.id, base_url=where.base_url) == url


@pytest.mark.parametrize("base", ["api-v2.liondesk.com", "https://api-v2.liondesk.com/v2", "", "https://"])
def test_base_url_that_is_not_an_origin_is_refused(base: str) -> None:
    with pytest.raises(QueryError) as error:
        querylang.to_url(Query(), contact_id=76, base_url=base)
    assert error.value.diagnostic.code == "bad-url"


@pytest.mark.parametrize(
    "kwargs",
    [
        {"contact_id": -1},
        {"contact_id": -76},
        {"contact_id": 76, "id": -1},
        {"contact_id": True},
        {"contact_id": 76.0},
        {"contact_id": None},
        {"contact_id": "76/../1"},
        {"contact_id": "-1"},
        {"contact_id": 76, "id": "10?x=1"},
        {"contact_id": 76, "id": 1.5},
    ],
    ids=repr,
)
def test_bad_path_parameters_are_bad_url(kwargs: dict[str, object]) -> None:
    with pytest.raises(QueryError) as error:
        querylang.to_url(Query(), **kwargs)  # type: ignore[arg-type]
    assert [d.code for d in error.value.diagnostics] == ["bad-url"]


# ---- the query part is serialize's text


QUERIES = [
    Query.where(F.is_active == True, F.type.in_(["Text Contact", "Email Contact"]))  # noqa: E712
    .where(F.send_at >= datetime(2019, 1, 1, 11, tzinfo=UTC))
    .where(F.campaign_name.like("%New%") | F.template_name.ilike("welcome%"))
    .sort(-F.send_at, F.id)
    .limit(25)
    .skip(50)
    .select("id", "send_at")
    .load("send_from_user"),
    Query.where((F.a == 1) | (F.b == 2)).where((F.c == 3) | (F.d.in_(["x", "y"]))),
    Query.where(F.completed_at.is_null(), F.completing_user_id.is_not_null()),
    querylang.parse("type[$in]=Text%20Contact&campaign_name[$like]=%New%"),
]


@pytest.mark.parametrize("q", QUERIES, ids=range(len(QUERIES)))
def test_query_part_is_the_canonical_serialization(q: Query) -> None:
    url = querylang.to_url(q, contact_id=76)
    assert url == f"{LIST}?{querylang.serialize(q)}"
    parts = urlsplit(url)
    assert parts.query == querylang.serialize(q)
    assert parts.fragment == ""
    assert querylang.parse(parts.query) == q
    assert querylang.from_url(url)[1] == q


def test_the_issue_example_url() -> None:
    url = querylang.to_url(QUERIES[0], contact_id=76)
    assert url == (
        "https://api-v2.liondesk.com/contacts/76/campaign-communications?is_active=true"
        "&type[$in][]=Text%20Contact&type[$in][]=Email%20Contact&send_at[$gte]=2019-01-01T11:00:00Z"
        "&$or[0][campaign_name][$like]=%25New%25&$or[1][template_name][$ilike]=welcome%25"
        "&$sort[send_at]=-1&$sort[id]=1&$limit=25&$skip=50&$select[]=id&$select[]=send_at&$load=send_from_user"
    )


# ---- encodings


@pytest.mark.parametrize(
    ("value", "written"),
    [
        pytest.param("a+b", "a%2Bb", id="plus"),
        pytest.param("50%", "50%25", id="percent"),
        pytest.param("%New%", "%25New%25", id="like-pattern"),
        pytest.param("%25", "%2525", id="percent-escape-as-text"),
        pytest.param("a&b", "a%26b", id="ampersand"),
        pytest.param("#1", "%231", id="hash"),
        pytest.param("a=b", "a%3Db", id="equals"),
        pytest.param("a b", "a%20b", id="space"),
        pytest.param("x]=y", "x%5D%3Dy", id="bracket-equals"),
        pytest.param("[0]", "%5B0%5D", id="brackets"),
        pytest.param("a?b", "a%3Fb", id="question-mark"),
        pytest.param("é", "%C3%A9", id="e-acute"),
        pytest.param("日本", "%E6%97%A5%E6%9C%AC", id="cjk"),
        pytest.param("😀", "%F0%9F%98%80", id="emoji"),
        pytest.param("Straße", "Stra%C3%9Fe", id="sharp-s"),
        pytest.param("a\nb\tc", "a%0Ab%09c", id="control"),
        pytest.param("", "", id="empty"),
        pytest.param("10:30,a/b", "10:30,a/b", id="readable-punctuation"),
    ],
)
def test_value_encodings(value: str, written: str) -> None:
    q = Query.where(F.campaign_name == value)
    url = querylang.to_url(q, contact_id=76)
    assert url == f"{LIST}?campaign_name={written}"
    assert url.isascii()
    assert querylang.from_url(url)[1] == q
    assert querylang.parse(query_part(url)).where == querylang.ast.Compare("campaign_name", querylang.Op.EQ, value)


@pytest.mark.parametrize(
    ("value", "written"),
    [
        pytest.param(datetime(2019, 1, 1, 11, tzinfo=IST), "2019-01-01T11:00:00%2B05:30", id="plus-0530"),
        pytest.param(datetime(2019, 1, 1, 11, tzinfo=PLUS_14), "2019-01-01T11:00:00%2B14:00", id="plus-14"),
        pytest.param(datetime(2012, 9, 27, 9, 15, tzinfo=PDT), "2012-09-27T09:15:00-07:00", id="minus-07"),
        pytest.param(datetime(2019, 1, 1, 11, tzinfo=UTC), "2019-01-01T11:00:00Z", id="utc"),
        pytest.param(date(2019, 1, 1), "2019-01-01", id="date"),
    ],
)  # fmt: skip
def test_date_offsets_are_encoded(value: object, written: str) -> None:
    q = Query.where(F.send_at >= value)
    url = querylang.to_url(q, contact_id=76)
    assert url == f"{LIST}?send_at[$gte]={written}"
    assert "+" not in url
    assert querylang.from_url(url)[1] == q
    assert querylang.validate(querylang.from_url(url)[1]) == querylang.validate(q)


def test_unencoded_plus_offset_is_the_documented_error() -> None:
    # What a client that forgets to encode sends: the '+' arrives as a space.
    text = query_part(querylang.to_url(Query.where(F.send_at >= datetime(2019, 1, 1, tzinfo=IST)), contact_id=76))
    with pytest.raises(QueryError) as error:
        querylang.validate(text.replace("%2B", "+"))
    assert "%2B" in (error.value.diagnostic.hint or "")


@pytest.mark.parametrize(
    ("name", "written"),
    [
        pytest.param("a b", "a%20b", id="space"),
        pytest.param("a+b", "a%2Bb", id="plus"),
        pytest.param("a&b", "a%26b", id="ampersand"),
        pytest.param("a#b", "a%23b", id="hash"),
        pytest.param("a=b", "a%3Db", id="equals"),
        pytest.param("50%", "50%25", id="percent"),
        pytest.param("é", "%C3%A9", id="non-ascii"),
    ],
)
def test_key_encodings(name: str, written: str) -> None:
    q = Query.where(F(name) == "x").sort(-F(name))
    url = querylang.to_url(q, contact_id=76)
    assert url == f"{LIST}?{written}=x&$sort[{written}]=-1"
    assert querylang.from_url(url)[1] == q


def test_url_is_ascii_without_spaces_or_fragment() -> None:
    q = Query.where(F("é x#") == "ü &#=+%", F.type.in_(["日 本", "#"])).load("send from")
    url = querylang.to_url(q, contact_id=76)
    assert url.isascii()
    assert " " not in url and "#" not in url and "+" not in url
    assert urlsplit(url).fragment == ""
    assert querylang.from_url(url)[1] == q


def test_brackets_and_dollar_stay_readable() -> None:
    url = querylang.to_url(Query.where(F.type.in_(["Text Contact"])).sort(-F.send_at), contact_id=76)
    assert "type[$in][]=Text%20Contact" in url
    assert "$sort[send_at]=-1" in url
    assert "%5B" not in url and "%24" not in url


# ---- from_url


@pytest.mark.parametrize(
    ("url", "contact_id", "id_", "text"),
    [
        (f"{HOST}/{P}?$limit=2", 76, None, "$limit=2"),
        (f"{HOST}/{P}/10", 76, 10, ""),
        (f"{HOST}{P}/", 76, None, ""),
        (f"{HOST}{P}/10/", 76, 10, ""),
        (f"{P}?$limit=2", 76, None, "$limit=2"),
        (f"{P}/10?$select[]=id", 76, 10, "$select=id"),
        (f"{P}?", 76, None, ""),
        (f"{HOST}{P}?", 76, None, ""),
        (f"{P}#top", 76, None, ""),
        (f"{P}?$limit=2#top", 76, None, "$limit=2"),
        (f"{P}?$limit=2#&$skip=5", 76, None, "$limit=2"),
        (f"{P}?#x", 76, None, ""),
        (f"{P}?type%5B%24in%5D=Text%20Contact", 76, None, "type[$in]=Text%20Contact"),
        (f"{P}?type%5b%24in%5d%5b%5d=Text+Contact", 76, None, "type[$in][]=Text%20Contact"),
        (f"{P}?%24limit=2&%24sort%5Bsend_at%5D=-1", 76, None, "$limit=2&$sort[send_at]=-1"),
        (f"{P}?campaign_name[$like]=%New%", 76, None, "campaign_name[$like]=%25New%25"),
        (f"  {HOST}{P}?$limit=2\n", 76, None, "$limit=2"),
        ("http://localhost:3030/contacts/0/campaign-communications/0", 0, 0, ""),
    ],
)  # fmt: skip
def test_from_url(url: str, contact_id: int, id_: int | None, text: str) -> None:
    where, query = querylang.from_url(url)
    assert (where.contact_id, where.id) == (contact_id, id_)
    assert query == querylang.parse(text)
    assert "//" not in where.path


def test_from_url_without_host_uses_the_liondesk_base() -> None:
    where, _ = querylang.from_url("/contacts/76/campaign-communications")
    assert where.base_url == HOST
    assert where == ContactCommunicationsURL(76)


def test_from_url_keeps_warnings_of_the_query() -> None:
    _, query = querylang.from_url("/contacts/76/campaign-communications?campaign_name[$like]=%New%")
    assert [w.code for w in query.warnings] == ["raw-value"]


def test_from_url_reads_what_requests_sends() -> None:
    requests = pytest.importorskip("requests")
    for q in QUERIES:
        sent = requests.Request("GET", LIST, params=querylang.to_params(q)).prepare().url
        where, again = querylang.from_url(sent)
        assert (where.contact_id, where.id) == (76, None)
        assert again == q


@pytest.mark.parametrize(
    "url",
    [
        "",
        "/",
        "https://api-v2.liondesk.com",
        "https://api-v2.liondesk.com/contacts/76",
        "https://api-v2.liondesk.com/contacts/76/campaign-communication",
        "https://api-v2.liondesk.com/contacts/76/campaigns",
        "https://api-v2.liondesk.com/Contacts/76/campaign-communications",
        "https://api-v2.liondesk.com/contacts/abc/campaign-communications",
        "https://api-v2.liondesk.com/contacts/-1/campaign-communications",
        "https://api-v2.liondesk.com/contacts/+1/campaign-communications",
        "https://api-v2.liondesk.com/contacts/7 6/campaign-communications",
        "https://api-v2.liondesk.com/contacts/٧٦/campaign-communications",
        "https://api-v2.liondesk.com/contacts/76/campaign-communications/-3",
        "https://api-v2.liondesk.com/contacts/76/campaign-communications/x",
        "https://api-v2.liondesk.com/contacts/76/campaign-communications/10/extra",
        "https://api-v2.liondesk.com/api/contacts/76/campaign-communications",
        "contacts/76/campaign-communications",
    ],
)
def test_from_url_refuses_other_paths(url: str) -> None:
    with pytest.raises(QueryError) as error:
        querylang.from_url(url)
    assert [d.code for d in error.value.diagnostics] == ["bad-url"]
    assert error.value.diagnostic.hint


def test_from_url_with_a_bad_query_raises_the_query_error() -> None:
    with pytest.raises(querylang.QuerySyntaxError) as error:
        querylang.from_url("/contacts/76/campaign-communications?a[b=1")
    assert error.value.diagnostic.code == "unclosed-bracket"
    # The span points into the query part, which the error carries for rendering.
    assert error.value.text == "a[b=1"
    assert error.value.text[error.value.diagnostic.span.start] == "["


def test_from_url_then_to_url_is_canonical() -> None:
    documented = (
        "https://api-v2.liondesk.com//contacts/76/campaign-communications?type%5B%24in%5D=Text+Contact&$limit=2"
    )
    where, query = querylang.from_url(documented)
    assert querylang.to_url(query, contact_id=where.contact_id, id=where.id, base_url=where.base_url) == (
        f"{LIST}?type[$in][]=Text%20Contact&$limit=2"
    )


# ---- to_params: ordered pairs for HTTP clients


def test_to_params_pairs() -> None:
    q = (
        Query.where(F.campaign_name.like("%New%"), F.send_at >= datetime(2019, 1, 1, 11, tzinfo=IST))
        .where(F.type.in_(["Text Contact", "Email Contact"]))
        .where((F.a == "x y") | (F.b == "a&b"))
        .sort(-F.send_at)
        .limit(2)
        .skip(4)
        .select("id", "type")
        .load("send_from_user", "completing_user")
    )
    assert querylang.to_params(q) == [
        ("campaign_name[$like]", "%New%"),
        ("send_at[$gte]", "2019-01-01T11:00:00+05:30"),
        ("type[$in][]", "Text Contact"),
        ("type[$in][]", "Email Contact"),
        ("$or[0][a]", "x y"),
        ("$or[1][b]", "a&b"),
        ("$sort[send_at]", "-1"),
        ("$limit", "2"),
        ("$skip", "4"),
        ("$select[]", "id"),
        ("$select[]", "type"),
        ("$load", "send_from_user,completing_user"),
    ]


def test_to_params_of_an_empty_query() -> None:
    assert querylang.to_params(Query()) == []


def test_to_params_follows_the_serialization_order() -> None:
    for q in QUERIES:
        keys = [k for k, _ in querylang.to_params(q)]
        assert keys == [part.split("=", 1)[0] for part in querylang.serialize(q).split("&")]


def test_to_params_values_are_decoded_text() -> None:
    q = Query.where(F.x == "a+b %c&d#e=f é", F.y.in_(["1", "2"]))
    assert querylang.to_params(q) == [("x", "a+b %c&d#e=f é"), ("y[$in][]", "1"), ("y[$in][]", "2")]


@pytest.mark.parametrize("q", QUERIES, ids=range(len(QUERIES)))
@pytest.mark.parametrize(
    "encode",
    [
        pytest.param(urlencode, id="urlencode"),
        pytest.param(lambda pairs: urlencode(pairs, quote_via=quote), id="urlencode-quote"),
        pytest.param(lambda pairs: urlencode(pairs, doseq=True), id="urlencode-doseq"),
    ],
)
def test_urlencode_of_to_params_reads_back_equal(q: Query, encode) -> None:
    text = encode(querylang.to_params(q))
    assert querylang.parse(text) == q
    assert querylang.parse("?" + text) == q


def test_urlencode_of_to_params_with_every_special_character() -> None:
    q = Query.where(
        F("k é+&=#%") == "v é+&=#%[]",
        F.send_at >= datetime(2019, 1, 1, 11, tzinfo=IST),
        F.type.in_(["a b", "c+d"]),
    ).where((F.p == "1") | (F.q.not_in(["%", "&"])))
    assert querylang.parse(urlencode(querylang.to_params(q))) == q


def test_to_params_takes_parsed_and_built_queries() -> None:
    text = "type[$in]=Text%20Contact&$limit=2"
    assert querylang.to_params(querylang.parse(text)) == querylang.to_params(
        Query.where(F.type.in_(["Text Contact"])).limit(2)
    )


def test_to_params_refuses_what_is_not_a_query() -> None:
    with pytest.raises(QueryError):
        querylang.to_params("type=x")  # type: ignore[arg-type]


# ---- the command line


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "querylang", *args], capture_output=True, text=True, timeout=60, check=False
    )


def test_cli_url() -> None:
    done = run_cli("url", "is_active=true&$limit=2", "--contact-id", "76")
    assert done.returncode == 0, done.stderr
    assert done.stdout == f"{LIST}?is_active=true&$limit=2\n"


def test_cli_url_is_canonical() -> None:
    done = run_cli(
        "url", "?type%5B%24in%5D=Text+Contact&send_at[$gte]=2019-01-01T11:00:00%2B05:30", "--contact-id", "76"
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == f"{LIST}?type[$in][]=Text%20Contact&send_at[$gte]=2019-01-01T11:00:00%2B05:30\n"


def test_cli_url_with_id_and_base_url() -> None:
    done = run_cli("url", "$limit=1", "--contact-id", "76", "--id", "10", "--base-url", "http://localhost:3030/")
    assert done.returncode == 0, done.stderr
    assert done.stdout == "http://localhost:3030/contacts/76/campaign-communications/10?$limit=1\n"


def test_cli_url_needs_a_contact_id() -> None:
    done = run_cli("url", "$limit=2")
    assert done.returncode == 2
    assert "--contact-id" in done.stderr
    assert done.stdout == ""


def test_cli_url_negative_contact_id() -> None:
    done = run_cli("url", "$limit=2", "--contact-id", "-1")
    assert done.returncode == 1
    assert "bad-url" in done.stderr
    assert "Traceback" not in done.stderr


def test_cli_url_bad_query() -> None:
    done = run_cli("url", "a[b=1", "--contact-id", "76")
    assert done.returncode == 1
    assert "unclosed-bracket" in done.stderr
    assert "Traceback" not in done.stderr


def test_cli_url_parse() -> None:
    done = run_cli("url", "--parse", "https://api-v2.liondesk.com//contacts/76/campaign-communications?$limit=2")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {
        "contact_id": 76,
        "id": None,
        "query": "$limit=2",
        "url": f"{LIST}?$limit=2",
    }


def test_cli_url_parse_one_record_with_encoded_brackets() -> None:
    done = run_cli("url", "--parse", "/contacts/76/campaign-communications/10?type%5B%24in%5D=Text+Contact#frag")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {
        "contact_id": 76,
        "id": 10,
        "query": "type[$in][]=Text%20Contact",
        "url": f"{LIST}/10?type[$in][]=Text%20Contact",
    }


def test_cli_url_parse_keeps_the_base_url() -> None:
    done = run_cli("url", "--parse", "http://localhost:3030/contacts/1/campaign-communications")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["url"] == "http://localhost:3030/contacts/1/campaign-communications"


def test_cli_url_parse_bad_path() -> None:
    done = run_cli("url", "--parse", "https://api-v2.liondesk.com/contacts/-1/campaign-communications")
    assert done.returncode == 1
    assert "bad-url" in done.stderr
    assert "Traceback" not in done.stderr


def test_cli_output_round_trips_through_cli_parse() -> None:
    made = run_cli("url", "send_at[$gte]=2019-01-01T11:00:00%2B05:30&campaign_name[$like]=%New%", "--contact-id", "9")
    assert made.returncode == 0, made.stderr
    url = made.stdout.strip()
    read = run_cli("url", "--parse", url)
    assert read.returncode == 0, read.stderr
    assert json.loads(read.stdout)["url"] == url


# ---- what text cannot carry: to_url must refuse it rather than write a URL that reads otherwise


def _url_reads_back_or_is_refused(q: Query) -> None:
    try:
        url = querylang.to_url(q, contact_id=76)
    except QueryError:
        return
    assert querylang.from_url(url)[1] == q


def test_more_than_a_thousand_parameters_are_refused_by_to_url() -> None:
    _url_reads_back_or_is_refused(Query.where(F.id.in_(range(1001))))


def test_to_params_refuses_more_than_a_thousand_parameters() -> None:
    with pytest.raises(QueryError) as error:
        querylang.to_params(Query.where(F.id.in_(range(1001))))
    assert error.value.diagnostic.code == "too-many-parameters"


def test_a_thousand_parameters_are_fine() -> None:
    q = Query.where(F.id.in_(range(999))).limit(1)
    _url_reads_back_or_is_refused(q)
    assert len(querylang.to_params(q)) == 1000


def test_numeric_field_names_are_refused_or_read_back() -> None:
    # '7' inside $or would be an array index: it is refused, at build time or by to_url.
    with pytest.raises(QueryError):
        querylang.to_url(Query.where((F("7") == 1) | (F.id == 2)), contact_id=76)
    # '07' is no array index in qs: plain data, everywhere.
    _url_reads_back_or_is_refused(Query.where((F("07") == 1) | (F.id == 2)))
    _url_reads_back_or_is_refused(Query.where(F("07") == 1).sort(-F("07")))


# ---- any text given to from_url: bad-url, never Python's ValueError (issue 11 item 6)


BAD_URLS = {
    "unclosed-ipv6-bracket": "http://[/contacts/1/campaign-communications",
    "bracket-in-host": "https://a[b]/contacts/1/campaign-communications",
    "close-bracket-in-host": "https://a]b/contacts/1/campaign-communications",
    "not-ipv6-in-brackets": "http://[zz]/contacts/1/campaign-communications",
    "text-after-ipv6": "http://[::1]x/contacts/1/campaign-communications",
    "port-out-of-range": "http://a:99999/contacts/1/campaign-communications",
    "port-not-a-number": "http://a:x/contacts/1/campaign-communications",
    "port-of-5000-digits": "http://a:" + "9" * 5000 + "/contacts/1/campaign-communications",
    "empty-host-with-port": "http://:80/contacts/1/campaign-communications",
    "space-in-host": "http://a b/contacts/1/campaign-communications",
    "nfkc-at-sign": "http://a\uff20b/contacts/1/campaign-communications",
    "tab-in-query": "/contacts/1/campaign-communications?campaign_name=a\tb",
    "newline-in-path": "/contacts/1/campaign-\ncommunications",
    "nul": "/contacts/1/campaign-communications?a=\x00",
    "protocol-relative-bad-host": "//[/contacts/1/campaign-communications",
}


@pytest.mark.parametrize("url", BAD_URLS.values(), ids=list(BAD_URLS))
def test_from_url_refuses_what_is_not_a_url_with_bad_url(url: str) -> None:
    with pytest.raises(QueryError) as error:
        querylang.from_url(url)
    assert [d.code for d in error.value.diagnostics] == ["bad-url"]
    assert len(error.value.diagnostic.headline) < 300


def test_from_url_says_what_is_wrong_with_the_host_and_port() -> None:
    def message(url: str) -> str:
        with pytest.raises(QueryError) as error:
            querylang.from_url(url)
        return error.value.diagnostic.message

    assert "the host '[' has a '[' without its ']'" in message(BAD_URLS["unclosed-ipv6-bracket"])
    assert "the host 'a[b]' holds '['" in message(BAD_URLS["bracket-in-host"])
    assert "the port 99999 is out of range (0 to 65535)" in message(BAD_URLS["port-out-of-range"])
    assert "the port 'x' is not a number" in message(BAD_URLS["port-not-a-number"])
    assert message(BAD_URLS["tab-in-query"]) == "the URL holds a control character ('\\t') at offset 51"
    assert message("  " + BAD_URLS["tab-in-query"] + "\n") == "the URL holds a control character ('\\t') at offset 53"


@pytest.mark.parametrize("url", [None, 76, b"/contacts/76/campaign-communications"], ids=repr)
def test_from_url_of_what_is_not_text_is_bad_url(url: object) -> None:
    with pytest.raises(QueryError) as error:
        querylang.from_url(url)  # type: ignore[arg-type]
    assert error.value.diagnostic.code == "bad-url"


@pytest.mark.parametrize(
    "base",
    [
        "http://[::1]:3030",
        "http://[2001:db8::1]",
        "http://user:secret@localhost:3030",
        "http://localhost:",
        "http://xn--bcher-kva.example",
        "http://bücher.example",
    ],
)
def test_good_hosts_and_ports_read_back(base: str) -> None:
    url = querylang.to_url(Query.limit(2), contact_id=76, id=3, base_url=base)
    assert querylang.from_url(url) == (ContactCommunicationsURL(76, 3, base), Query.limit(2))


@pytest.mark.parametrize(
    "base",
    ["http://[::1", "http://a:99999", "http://a:x", "http://a b", "http://a\tb", "http://a\n", "http://:80"],
)
def test_to_url_refuses_a_base_url_from_url_would_refuse(base: str) -> None:
    with pytest.raises(QueryError) as error:
        querylang.to_url(Query(), contact_id=76, base_url=base)
    assert error.value.diagnostic.code == "bad-url"


@pytest.mark.parametrize("base", [None, 3030, b"http://a"], ids=repr)
def test_to_url_refuses_a_base_url_that_is_not_text(base: object) -> None:
    with pytest.raises(QueryError) as error:
        querylang.to_url(Query(), contact_id=76, base_url=base)  # type: ignore[arg-type]
    assert error.value.diagnostic.code == "bad-url"


URL_PIECES = st.one_of(
    st.sampled_from(
        ["http://", "https://", "//", "/contacts/", "76", "/campaign-communications", "/1", "?", "$limit=2", "[::1]"]
    ),
    st.text(alphabet="[]:/?#@%.0123456789ab \t\n\x00-", max_size=6),
    st.integers(4290, 4400).map(lambda n: "9" * n),
)
hostile_urls = st.lists(URL_PIECES, max_size=10).map("".join)


@given(hostile_urls)
@example("http://[/contacts/1/campaign-communications")
@example("https://a[b]/contacts/1/campaign-communications")
@example("http://a:99999/contacts/1/campaign-communications")
@example("http://[::1]:" + "9" * 4301 + "/contacts/1/campaign-communications")
def test_from_url_lets_only_query_errors_escape_and_what_it_reads_reads_back(url: str) -> None:
    try:
        where, query = querylang.from_url(url)
    except QueryError as error:
        assert error.diagnostics
        return
    again = querylang.to_url(query, contact_id=where.contact_id, id=where.id, base_url=where.base_url)
    assert querylang.from_url(again) == (where, query)


@given(
    st.one_of(st.integers(), st.integers(10**4300, 10**4400), st.text(alphabet="0123456789-x ", max_size=30)),
    st.one_of(st.none(), st.integers(), st.text(alphabet="0123456789", max_size=20)),
    st.one_of(st.just(BASE_URL), hostile_urls),
)
def test_to_url_lets_only_query_errors_escape_and_what_it_writes_reads_back(
    contact_id: object, id_: object, base_url: str
) -> None:
    try:
        url = querylang.to_url(Query.limit(2), contact_id=contact_id, id=id_, base_url=base_url)  # type: ignore[arg-type]
    except QueryError:
        return
    where, query = querylang.from_url(url)
    assert where.contact_id == int(str(contact_id))
    assert where.id == (None if id_ is None else int(str(id_)))
    assert query == Query.limit(2)


@pytest.mark.parametrize(
    "url",
    [BAD_URLS["unclosed-ipv6-bracket"], BAD_URLS["port-out-of-range"], "http://a\x7f/contacts/1/campaign-communications"],
)
def test_cli_url_parse_of_a_bad_url_prints_the_message_and_exits_1(url: str) -> None:
    done = run_cli("url", "--parse", url)
    assert done.returncode == 1
    assert done.stderr.startswith("error[bad-url]: ")
    assert "Traceback" not in done.stderr
    assert done.stdout == ""
