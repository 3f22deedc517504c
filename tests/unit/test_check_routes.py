"""The check routes (``/_querylang/check``, ``/_querylang/sql/{dialect}``) and the playground's files.

The routes' answers must be what the library says of the same text (``check``, ``parse``,
``serialize``, ``to_url``, ``validate``, ``to_sql``): the tests compare the two paths, on chosen
queries and on generated text.
"""

from __future__ import annotations

import io
import json
import re
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from support.tokens import stand_in

from querylang import check, parse, serialize, to_url, validate
from querylang.errors import MAX_SHOWN_DIAGNOSTICS, QueryError
from querylang.service import CampaignCommunications
from querylang.service.check import CONTACT_PLACEHOLDER
from querylang.service.http import MAX_QUERY_STRING, make_app
from querylang.sql import DIALECTS, to_sql
from querylang.text.show import outline, to_data

sys.path.insert(0, str(Path(__file__).resolve().parent))
from test_service import CONTACTS, TEAMS, USERS, _records

STATIC = Path(__file__).resolve().parents[2] / "querylang" / "service" / "static"
VALID = (
    "type[$in][]=Text%20Contact&send_at[$gte]=2019-01-01&campaign_name[$ilike]=%25new%25&$sort[send_at]=-1&$limit=10"
)
INVALID = "sendat[$gte]=2019&$limit=abc&is_active=maybe"


class Reply:
    def __init__(self, status: str, headers: dict[str, str], body: bytes) -> None:
        self.status = int(status.split()[0])
        self.headers = headers
        self.raw = body
        self.json: Any = json.loads(body) if body and headers["Content-Type"].startswith("application/json") else None


def _get(path: str, query: str = "", *, method: str = "GET", service: CampaignCommunications | None = None) -> Reply:
    environ: dict[str, Any] = {
        "REQUEST_METHOD": method,
        "PATH_INFO": path,
        # PEP 3333: the raw bytes of the query string, as latin-1 text
        "QUERY_STRING": query.encode("utf-8").decode("latin-1"),
        "wsgi.input": io.BytesIO(b""),
        "wsgi.errors": io.StringIO(),
    }
    seen: dict[str, Any] = {}

    def start_response(status: str, headers: list[tuple[str, str]]) -> None:
        seen["status"], seen["headers"] = status, dict(headers)

    service = service or CampaignCommunications(_records(), contacts=CONTACTS, users=USERS, teams=TEAMS)
    body = b"".join(make_app(service, stand_in)(environ, start_response))
    return Reply(seen["status"], seen["headers"], body)


def _expected_check(text: str) -> dict[str, object]:
    found = check(text)
    valid = not any(d.severity == "error" for d in found)
    expected: dict[str, object] = {
        "query": text,
        "valid": valid,
        "diagnostics": [d.to_dict() for d in found[:MAX_SHOWN_DIAGNOSTICS]],
        "more": max(len(found) - MAX_SHOWN_DIAGNOSTICS, 0),
        "canonical": None,
        "url": None,
        "ast": None,
        "outline": None,
    }
    try:
        parsed = parse(text)
        expected["canonical"] = serialize(parsed)
    except QueryError:
        return expected
    expected["url"] = to_url(parsed, contact_id=123456).replace("/123456/", "/" + CONTACT_PLACEHOLDER + "/")
    if valid:
        typed = validate(text)
        expected["ast"] = json.loads(json.dumps(to_data(typed)))
        expected["outline"] = outline(typed)
    return expected


# ---------------------------------------------------------------- /_querylang/check


def test_check_of_a_valid_query_says_what_the_library_says() -> None:
    reply = _get("/_querylang/check", VALID)
    assert reply.status == 200
    assert reply.headers["Content-Type"] == "application/json; charset=utf-8"
    assert reply.json == _expected_check(VALID)
    assert reply.json["valid"] is True
    assert reply.json["canonical"] == serialize(parse(VALID))
    assert reply.json["url"].startswith("https://api-v2.liondesk.com/contacts/{contact_id}/campaign-communications?")
    assert reply.json["ast"]["where"] is not None
    assert reply.json["ast"]["limit"] == 10


def test_check_of_an_invalid_query_answers_200_with_every_diagnostic_at_its_span() -> None:
    reply = _get("/_querylang/check", INVALID)
    assert reply.status == 200  # the check worked; the query is what is invalid
    assert reply.json == _expected_check(INVALID)
    assert reply.json["valid"] is False
    assert reply.json["ast"] is None and reply.json["outline"] is None
    assert reply.json["canonical"] == serialize(parse(INVALID))  # readable text, though not valid
    spans = [(d["code"], INVALID[d["start"] : d["end"]]) for d in reply.json["diagnostics"]]
    assert ("unknown-field", "sendat") in spans
    assert ("not-an-integer", "abc") in spans
    assert ("not-a-boolean", "maybe") in spans


def test_check_spans_point_into_the_query_string_as_sent_even_with_raw_utf8() -> None:
    text = "campaign_name=é x&sendat=1"
    reply = _get("/_querylang/check", text)
    assert reply.json == _expected_check(text)
    (unknown,) = [d for d in reply.json["diagnostics"] if d["code"] == "unknown-field"]
    assert text[unknown["start"] : unknown["end"]] == "sendat"


def test_check_of_text_that_cannot_be_read_has_no_canonical_form() -> None:
    text = "a[b][c][d][e][f][g]=1&$limit=1&$limit=2"
    reply = _get("/_querylang/check", text)
    expected = _expected_check(text)
    assert reply.json == expected
    with pytest.raises(QueryError):
        parse(text)
    assert reply.json["canonical"] is None and reply.json["url"] is None


def test_check_shows_at_most_the_bounded_number_of_diagnostics_and_counts_the_rest() -> None:
    text = "&".join(f"unknown{i}=1" for i in range(MAX_SHOWN_DIAGNOSTICS + 5))
    reply = _get("/_querylang/check", text)
    assert len(reply.json["diagnostics"]) == MAX_SHOWN_DIAGNOSTICS
    assert reply.json["more"] == 5


def test_check_of_the_empty_query_is_valid() -> None:
    reply = _get("/_querylang/check", "")
    assert reply.json == _expected_check("")
    assert reply.json["valid"] is True and reply.json["canonical"] == ""


@settings(max_examples=150, deadline=None)
@given(st.text(alphabet=st.sampled_from("ab_[]$=&%2019-:.,incltegorsdkmp é"), max_size=40))
def test_check_route_agrees_with_the_library_on_any_text(text: str) -> None:
    assert _get("/_querylang/check", text).json == _expected_check(text)


def test_check_routes_read_no_records_and_need_no_token() -> None:
    empty = CampaignCommunications(())
    for path in ("/_querylang/check", "/_querylang/sql/postgres"):
        full, bare = _get(path, VALID), _get(path, VALID, service=empty)
        assert full.status == bare.status == 200
        assert full.json == bare.json
        assert full.headers["Access-Control-Allow-Origin"] == "*"


def test_check_routes_take_only_get_and_head() -> None:
    reply = _get("/_querylang/check", VALID, method="PATCH")
    assert reply.status == 405
    assert reply.headers["Allow"] == "GET, HEAD"
    assert reply.json["name"] == "MethodNotAllowed"
    head = _get("/_querylang/check", VALID, method="HEAD")
    assert head.status == 200 and head.raw == b""


@pytest.mark.parametrize("path", ["/_querylang/check", "/_querylang/sql/sqlite", "/playground"])
def test_a_query_string_over_the_limit_is_refused_as_the_endpoint_refuses_it(path: str) -> None:
    text = "campaign_name=" + "x" * MAX_QUERY_STRING
    reply = _get(path, text)
    assert reply.status == 431
    assert reply.json["name"] == "RequestHeaderFieldsTooLarge"
    assert str(MAX_QUERY_STRING) in reply.json["message"]
    endpoint = _get("/contacts/76/campaign-communications", text)
    assert endpoint.status == 431 and endpoint.json["message"] == reply.json["message"]


def test_a_query_string_at_the_limit_is_answered() -> None:
    text = "campaign_name=" + "x" * (MAX_QUERY_STRING - len("campaign_name="))
    assert _get("/_querylang/check", text).status == 200


# ---------------------------------------------------------------- /_querylang/sql/{dialect}


@pytest.mark.parametrize("dialect", sorted(DIALECTS))
def test_sql_route_answers_what_querylang_sql_json_prints(dialect: str) -> None:
    reply = _get(f"/_querylang/sql/{dialect}", VALID)
    assert reply.status == 200
    assert reply.json == json.loads(json.dumps(to_sql(VALID, dialect=dialect).to_data()))
    assert reply.json["dialect"] == dialect
    assert reply.json["page"]["sql"].startswith("SELECT")
    assert "%new%" in json.dumps(reply.json["page"]["params"])  # bound, not in the SQL text
    assert "new" not in reply.json["page"]["sql"]


def test_sql_route_with_limit_zero_has_no_page_query() -> None:
    reply = _get("/_querylang/sql/postgres", "is_active=true&$limit=0")
    assert reply.json["page"]["sql"] is None
    assert reply.json["total"]["sql"].startswith("SELECT")


def test_sql_route_refuses_an_invalid_query_with_every_diagnostic() -> None:
    reply = _get("/_querylang/sql/duckdb", INVALID)
    assert reply.status == 400
    assert reply.json["name"] == "BadRequest"
    with pytest.raises(QueryError) as refused:
        to_sql(INVALID, dialect="duckdb")
    assert reply.json["data"] == [d.to_dict() for d in refused.value.diagnostics]
    assert {d["code"] for d in reply.json["data"]} == {"unknown-field", "not-an-integer", "not-a-boolean"}


def test_sql_route_refuses_a_pattern_ending_in_a_lone_backslash() -> None:
    reply = _get("/_querylang/sql/sqlite", "campaign_name[$like]=a%5C")
    assert reply.status == 400
    assert [d["code"] for d in reply.json["data"]] == ["bad-pattern"]


def test_sql_route_of_an_unknown_dialect_is_not_found_and_names_the_known_ones() -> None:
    reply = _get("/_querylang/sql/oracle", VALID)
    assert reply.status == 404
    assert "oracle" in reply.json["message"]
    for name in DIALECTS:
        assert name in reply.json["message"]


def test_sql_route_without_sqlglot_answers_501_naming_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "sqlglot", None)  # import sqlglot now fails
    reply = _get("/_querylang/sql/postgres", VALID)
    assert reply.status == 501
    assert reply.json["name"] == "NotImplemented"
    assert "querylang[sql]" in reply.json["message"]


# ---------------------------------------------------------------- the playground's files


@pytest.mark.parametrize(
    ("path", "kind"),
    [
        ("/playground", "text/html"),
        ("/playground/", "text/html"),
        ("/playground/playground.js", "text/javascript"),
        ("/playground/playground.css", "text/css"),
    ],
)
def test_playground_files_are_served_with_a_policy_that_allows_only_this_server(path: str, kind: str) -> None:
    reply = _get(path)
    assert reply.status == 200
    assert reply.headers["Content-Type"] == f"{kind}; charset=utf-8"
    assert reply.headers["X-Content-Type-Options"] == "nosniff"
    policy = reply.headers["Content-Security-Policy"]
    assert "default-src 'none'" in policy and "connect-src 'self'" in policy and "script-src 'self'" in policy
    assert int(reply.headers["Content-Length"]) == len(reply.raw) > 0
    assert _get(path, method="HEAD").raw == b""
    assert _get(path, method="POST").status == 405


def test_playground_page_loads_its_script_and_style_from_this_server_only() -> None:
    page = _get("/playground").raw.decode()
    assert '<script src="/playground/playground.js" defer></script>' in page
    assert '<link rel="stylesheet" href="/playground/playground.css">' in page
    assert "<script>" not in page  # no inline script: the policy would block it


def test_playground_files_name_no_other_host() -> None:
    for path in STATIC.iterdir():
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"(https?:)?//[a-z0-9.-]+\.[a-z]{2,}", text, re.IGNORECASE), path.name


def test_playground_script_asks_only_the_check_routes_and_the_endpoint() -> None:
    script = (STATIC / "playground.js").read_text(encoding="utf-8")
    asked = re.findall(r"getJSON\(`([^`$]*)", script)
    assert sorted(set(asked)) == ["/_querylang/check", "/_querylang/sql/", "/contacts/"]


def test_an_unknown_file_under_playground_is_not_found() -> None:
    reply = _get("/playground/secret.py")
    assert reply.status == 404
    assert reply.json["name"] == "NotFound"


def test_the_serve_extra_pulls_in_the_sql_extra() -> None:
    pyproject = Path(__file__).resolve().parents[2] / "pyproject.toml"
    extras = tomllib.loads(pyproject.read_text(encoding="utf-8"))["project"]["optional-dependencies"]
    assert set(extras["sql"]) <= set(extras["serve"])
