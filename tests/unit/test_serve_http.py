"""Serve: the endpoint over real HTTP (waitress on a free loopback port, urllib as the client).

The server tests are skipped when waitress (the ``serve`` extra) is not installed; the WSGI
tests call the application directly and always run.
"""

from __future__ import annotations

import importlib.util
import io
import json
import signal
import subprocess
import sys
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from support.tokens import stand_in

from querylang.errors import MAX_SHOWN_DIAGNOSTICS
from querylang.service import CampaignCommunications
from querylang.service.http import MAX_QUERY_STRING, MAX_WARNINGS_HEADER, make_app
from querylang.service.server import Server, ServeUnavailable, create_server
from querylang.source import Span

sys.path.insert(0, str(Path(__file__).resolve().parent))
from test_service import ASSIGNED, CONTACTS, OWNER, SHARED, STRANGER, TEAMS, USERS, _records

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
NOW = datetime(2025, 1, 2, 3, 4, 5, 678901, tzinfo=UTC)
needs_waitress = pytest.mark.skipif(
    importlib.util.find_spec("waitress") is None, reason="waitress (the serve extra) is not installed"
)


def _service() -> CampaignCommunications:
    return CampaignCommunications(_records(), contacts=CONTACTS, users=USERS, teams=TEAMS, clock=lambda: NOW)


@pytest.fixture
def server() -> Iterator[Server]:
    with create_server(_service(), tokens=stand_in, port=0).start() as running:
        yield running


class Reply:
    def __init__(self, status: int, headers: Any, body: bytes) -> None:
        self.status = status
        self.headers = headers
        self.raw = body
        self.json: Any = json.loads(body) if body else None


def _call(
    server: Server,
    path: str,
    *,
    method: str = "GET",
    body: object = None,
    user: int | None = OWNER,
    headers: dict[str, str] | None = None,
) -> Reply:
    sent = dict(headers or {})
    data = None
    if body is not None:
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        sent.setdefault("Content-Type", "application/json")
    if user is not None:
        sent["Authorization"] = f"Bearer token-{user}"
    request = urllib.request.Request(server.url + path, data=data, method=method, headers=sent)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return Reply(response.status, response.headers, response.read())
    except urllib.error.HTTPError as error:
        with error:
            return Reply(error.code, error.headers, error.read())


BASE = "/contacts/76/campaign-communications"


# ---------------------------------------------------------------- over HTTP


@needs_waitress
def test_find_answers_a_feathers_page_with_loaded_users(server: Server) -> None:
    reply = _call(server, BASE + "?$load=send_from_user,completing_user&$limit=2", user=ASSIGNED)
    assert reply.status == 200
    assert reply.headers["Content-Type"] == "application/json; charset=utf-8"
    page = reply.json
    assert (page["total"], page["limit"], page["skip"]) == (4, 2, 0)
    first, second = page["data"]
    assert first["send_at"] == "2028-09-12T18:31:35.000Z"
    assert first["send_from_user"] == {"id": 3, "first_name": "Angela", "last_name": "Ziegler"}
    assert second["completed_at"] == "2017-12-06T22:11:02.000Z"
    assert second["completing_user"] is None


@needs_waitress
def test_the_query_string_reaches_querylang_raw(server: Server) -> None:
    # the documentation's unescaped %New% (an invalid escape kept as written) and its %25 form
    for query in ("campaign_name[$like]=%Old%", "campaign_name[$like]=%25Old%25", "campaign%5Bname=x"):
        reply = _call(server, f"{BASE}?{query}")
        if "%5B" in query:
            assert reply.status == 400
        else:
            assert [r["id"] for r in reply.json["data"]] == [10]
    # spans point into the text the client sent, escapes and all
    query = "type%5B%24in%5D=Text%20Contakt&sendat[$gte]=2019-01-01T11:00:00Z&$limit=x"
    reply = _call(server, f"{BASE}?{query}")
    assert reply.status == 400
    assert reply.json["name"] == "BadRequest"
    assert reply.json["className"] == "bad-request"
    assert reply.json["code"] == 400
    found = [(d["code"], query[d["start"] : d["end"]]) for d in reply.json["data"]]
    assert found == [("not-in-enum", "Text%20Contakt"), ("unknown-field", "sendat"), ("not-an-integer", "x")]
    assert all(d["severity"] == "error" and "message" in d and "hint" in d for d in reply.json["data"])


@needs_waitress
def test_get_one_with_select(server: Server) -> None:
    reply = _call(server, BASE + "/10?$select[]=is_active&$select[]=completed_at", user=SHARED)
    assert (reply.status, reply.json) == (200, {"is_active": False, "completed_at": "2017-12-06T22:11:02.000Z"})


@needs_waitress
def test_not_found_for_another_contacts_record_an_unknown_contact_and_an_unknown_path(server: Server) -> None:
    reply = _call(server, BASE + "/20")
    assert reply.status == 404
    assert reply.json == {
        "name": "NotFound",
        "message": "No record found for id '20'",
        "code": 404,
        "className": "not-found",
    }
    # A contact that does not exist is refused as one the user may not read: nothing is revealed.
    assert _call(server, "/contacts/99/campaign-communications").json["className"] == "forbidden"
    assert _call(server, "/contacts/99/campaign-communications").json == _call(server, BASE, user=STRANGER).json | {
        "message": f"user {OWNER} may not access the communications of contact 99"
    }
    for path in ("/", "/contacts/76", "/contacts/x/campaign-communications", BASE + "/10/extra", "/favicon.ico"):
        reply = _call(server, path)
        assert (reply.status, reply.json["name"]) == (404, "NotFound"), path


@needs_waitress
def test_documentation_patch_example_over_http(server: Server) -> None:
    # PATCH https://api-v2.liondesk.com//contacts/76/campaign-communications/10, as documented
    reply = _call(
        server,
        BASE + "/10",
        method="PATCH",
        body={"template_name": "Text Template", "is_active": "true"},
        user=ASSIGNED,
    )
    assert reply.status == 200
    assert reply.json["is_active"] is True
    assert (reply.json["completing_user_id"], reply.json["completed_at"]) == (None, None)
    assert reply.json["template_name"] == "Email Template"
    warnings = json.loads(reply.headers["X-Querylang-Warnings"])
    assert [(w["code"], w["severity"]) for w in warnings] == [("read-only-field", "warning")]
    assert _call(server, BASE + "/10").json == reply.json
    done = _call(server, BASE + "/10", method="PATCH", body={"is_active": False}, user=OWNER)
    assert (done.json["completing_user_id"], done.json["completed_at"]) == (OWNER, "2025-01-02T03:04:05.678Z")
    assert "X-Querylang-Warnings" not in done.headers


@needs_waitress
def test_access_over_http(server: Server) -> None:
    refused = _call(server, BASE + "/11", method="PATCH", body={"is_active": False}, user=STRANGER)
    assert refused.status == 403
    assert refused.json["name"] == "Forbidden" and refused.json["className"] == "forbidden"
    assert "data" not in refused.json
    assert _call(server, BASE + "/11").json["is_active"] is True
    assert _call(server, BASE, user=STRANGER).status == 403
    assert _call(server, BASE + "/11", user=STRANGER).status == 403
    assert _call(server, BASE + "/11", user=SHARED).status == 200
    assert _call(server, BASE + "/11", method="PATCH", body={"is_active": False}, user=SHARED).status == 200


@needs_waitress
def test_the_acting_user_is_the_bearer_token(server: Server) -> None:
    anonymous = _call(server, BASE + "/11", method="PATCH", body={"is_active": False}, user=None)
    assert (anonymous.status, anonymous.json["name"], anonymous.json["className"]) == (
        401,
        "NotAuthenticated",
        "not-authenticated",
    )
    assert _call(server, BASE, user=None).status == 401  # a read too: every request to the records
    for header in ("Bearer", "Bearer abc", "Basic MzpzZWNyZXQ=", "3", "Bearer 3", "Bearer token-3 x"):
        reply = _call(server, BASE, user=None, headers={"Authorization": header})
        assert reply.status == 401, header
        assert header.split()[-1] not in reply.json["message"]  # the token is never quoted
    assert _call(server, BASE, user=None, headers={"Authorization": "bearer  token-4"}).status == 200


@needs_waitress
def test_bad_bodies_over_http(server: Server) -> None:
    path = BASE + "/11"
    unknown = _call(server, path, method="PATCH", body={"is_active": False, "colour": "red"}, user=OWNER)
    assert unknown.status == 400
    assert [d["code"] for d in unknown.json["data"]] == ["unknown-field"]
    assert _call(server, path, method="PATCH", body={"is_active": "yes"}, user=OWNER).json["data"][0]["code"] == (
        "not-a-boolean"
    )
    assert _call(server, path, method="PATCH", body=[1], user=OWNER).json["data"][0]["code"] == "not-an-object"
    for raw in (b"{", b"", b"\xff"):
        reply = _call(server, path, method="PATCH", body=raw, user=OWNER)
        assert (reply.status, reply.json["name"]) == (400, "BadRequest"), raw
    form = _call(
        server,
        path,
        method="PATCH",
        body=b"is_active=false",
        user=OWNER,
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert (form.status, form.json["name"]) == (415, "UnsupportedMediaType")
    assert "application/json" in form.json["message"]
    with_query = _call(server, path + "?$select[]=id", method="PATCH", body={"is_active": False}, user=OWNER)
    assert with_query.status == 400
    assert _call(server, path).json["is_active"] is True  # every refused patch changed nothing


@needs_waitress
def test_other_methods_are_not_allowed(server: Server) -> None:
    for method, path, allow in (
        ("POST", BASE, "GET, HEAD"),
        ("PATCH", BASE, "GET, HEAD"),
        ("DELETE", BASE + "/10", "GET, HEAD, PATCH"),
        ("PUT", BASE + "/10", "GET, HEAD, PATCH"),
    ):
        reply = _call(server, path, method=method, body={"is_active": False}, user=OWNER)
        assert (reply.status, reply.json["className"], reply.headers["Allow"]) == (405, "method-not-allowed", allow)


@needs_waitress
def test_head_answers_headers_only(server: Server) -> None:
    reply = _call(server, BASE + "/10", method="HEAD")
    assert reply.status == 200 and reply.raw == b""
    assert int(reply.headers["Content-Length"]) > 0


@needs_waitress
def test_concurrent_patches_over_http(server: Server) -> None:
    statuses: list[int] = []

    def work(user: int) -> None:
        for n in range(10):
            reply = _call(server, BASE + "/12", method="PATCH", body={"is_active": n % 2 == 1}, user=user)
            statuses.append(reply.status)

    threads = [threading.Thread(target=work, args=(u,)) for u in (OWNER, ASSIGNED, SHARED, OWNER)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert statuses == [200] * 40
    final = _call(server, BASE + "/12").json
    assert final["is_active"] is True and final["completed_at"] is None  # every thread ended with true


@needs_waitress
def test_close_releases_the_port_and_may_be_repeated() -> None:
    server = create_server(_service(), tokens=stand_in, port=0).start()
    url = server.url
    assert _call(server, BASE + "?$limit=0").json["total"] == 4
    server.close()
    server.close()
    with pytest.raises(urllib.error.URLError):
        urllib.request.urlopen(url + BASE, timeout=5)
    create_server(_service(), tokens=stand_in, port=0).close()  # never started


@needs_waitress
def test_bad_ports_are_refused() -> None:
    with pytest.raises(ValueError, match="outside"):
        create_server(_service(), tokens=stand_in, port=70000)
    with create_server(_service(), tokens=stand_in, port=0) as taken, pytest.raises(OSError):
        create_server(_service(), tokens=stand_in, port=int(taken.url.rsplit(":", 1)[1]))


# ---------------------------------------------------------------- the command


def _serve(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "querylang", "serve", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        encoding="utf-8",
    )


@needs_waitress
def test_querylang_serve_on_a_free_port() -> None:
    process = _serve("--data", str(EXAMPLES), "--port", "0")
    try:
        assert process.stdout is not None
        url = process.stdout.readline().strip()
        assert url.startswith("http://127.0.0.1:")
        assert process.stdout.readline().strip() == f"playground: {url}/playground"
        assert process.stdout.readline().startswith("demo: ")
        tokens = {}
        while (line := process.stdout.readline().strip()).startswith("user "):
            user, _, token = line.removeprefix("user ").partition(": ")
            tokens[int(user)] = token
            if len(tokens) == 12:
                break
        assert len(tokens) == 12 and len(set(tokens.values())) == 12
        assert all(len(token) == 43 for token in tokens.values())  # 256 random bits, URL-safe base64
        with pytest.raises(urllib.error.HTTPError) as anonymous:
            urllib.request.urlopen(url + "/contacts/78/campaign-communications", timeout=10)
        assert anonymous.value.code == 401
        with urllib.request.urlopen(url + "/playground", timeout=10) as reply:
            assert reply.headers["Content-Type"] == "text/html; charset=utf-8"
            assert b"querylang playground" in reply.read()
        request = urllib.request.Request(
            url + "/contacts/78/campaign-communications?$limit=1", headers={"Authorization": f"Bearer {tokens[15]}"}
        )
        with urllib.request.urlopen(request, timeout=10) as reply:
            page = json.loads(reply.read())
        assert page["limit"] == 1 and page["data"][0]["contact_id"] == 78
        request = urllib.request.Request(
            url + f"/contacts/78/campaign-communications/{page['data'][0]['id']}",
            data=b'{"is_active": false}',
            method="PATCH",
            headers={"Authorization": f"Bearer {tokens[15]}", "Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=10) as reply:
            assert json.loads(reply.read())["is_active"] is False
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=10) == 0
    finally:
        if process.poll() is None:
            process.kill()
        _, err = process.communicate(timeout=10)
    assert "Traceback" not in err


def test_querylang_serve_reports_bad_data(tmp_path: Path) -> None:
    process = _serve("--data", str(tmp_path / "missing"), "--port", "0")
    out, err = process.communicate(timeout=60)
    assert process.returncode == 2
    assert out == ""
    assert err.startswith("querylang serve: ") and "not a folder" in err
    assert "Traceback" not in err


def test_without_waitress_the_error_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "waitress.server", None)  # import fails as if not installed
    with pytest.raises(ServeUnavailable, match=r"pip install 'querylang\[serve\]'"):
        create_server(_service(), tokens=stand_in, port=0)


# ---------------------------------------------------------------- the WSGI application itself


def _wsgi(environ: dict[str, Any]) -> tuple[str, dict[str, str], Any]:
    base: dict[str, Any] = {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": BASE,
        "QUERY_STRING": "",
        "HTTP_AUTHORIZATION": f"Bearer token-{OWNER}",
        "wsgi.input": io.BytesIO(b""),
        "wsgi.errors": io.StringIO(),
    }
    base.update(environ)
    seen: dict[str, Any] = {}

    def start_response(status: str, headers: list[tuple[str, str]]) -> None:
        seen["status"], seen["headers"] = status, dict(headers)

    body = b"".join(make_app(_service(), stand_in)(base, start_response))
    return seen["status"], seen["headers"], json.loads(body) if body else None


def test_wsgi_reads_an_unencoded_utf8_query() -> None:
    # PEP 3333: the raw bytes arrive as latin-1 text; "Über" sent unencoded is read as UTF-8
    raw = "campaign_name=Über Buyers".encode().decode("latin-1")
    status, _, page = _wsgi({"QUERY_STRING": raw})
    assert status == "200 OK" and page["total"] == 0
    status, _, error = _wsgi({"QUERY_STRING": "campaign_name=\xff"})
    assert status == "400 Bad Request" and "UTF-8" in error["message"]


def test_wsgi_a_bug_is_a_general_error() -> None:
    errors = io.StringIO()
    status, _, body = _wsgi(
        {
            "wsgi.errors": errors,
            "wsgi.input": None,
            "REQUEST_METHOD": "PATCH",
            "PATH_INFO": BASE + "/10",
            "HTTP_AUTHORIZATION": "Bearer token-1",
            "CONTENT_LENGTH": "5",
            "CONTENT_TYPE": "application/json",
        }
    )
    assert status == "500 Internal Server Error"
    assert body == {"name": "GeneralError", "message": "internal error", "code": 500, "className": "general-error"}
    assert "Traceback" in errors.getvalue()


def test_wsgi_a_body_over_the_limit_is_refused() -> None:
    status, _, body = _wsgi(
        {
            "REQUEST_METHOD": "PATCH",
            "PATH_INFO": BASE + "/10",
            "HTTP_AUTHORIZATION": "Bearer token-1",
            "CONTENT_LENGTH": str(2 << 20),
            "CONTENT_TYPE": "application/json",
        }
    )
    assert status == "400 Bad Request" and "larger than" in body["message"]


# ---------------------------------------------------------------- the query's warnings in a header


def _warning_codes(headers: dict[str, str]) -> list[str]:
    return [d["code"] for d in json.loads(headers.get("X-Querylang-Warnings", "[]"))]


@pytest.mark.parametrize(
    ("path", "query", "codes"),
    [
        (BASE, "campaign_name=undefined", ["placeholder-value"]),
        (BASE, "$limit=500", ["limit-lowered"]),
        (BASE, "campaign_name=%ZZ&$limit=101", ["raw-value", "limit-lowered"]),
        (BASE + "/10", "$limit=500", ["limit-lowered"]),
        (BASE + "/10", "is_stopped_on_text_reply=false", ["text-reply-without-type"]),
    ],
)
def test_get_responses_send_the_querys_warnings(path: str, query: str, codes: list[str]) -> None:
    for method in ("GET", "HEAD"):
        status, headers, _ = _wsgi({"REQUEST_METHOD": method, "PATH_INFO": path, "QUERY_STRING": query})
        assert (status, _warning_codes(headers)) == ("200 OK", codes)
        starts = [d["start"] for d in json.loads(headers["X-Querylang-Warnings"])]
        assert all(0 <= s < len(query) for s in starts)


def test_a_query_without_warnings_sends_no_warnings_header() -> None:
    for path in (BASE, BASE + "/10"):
        status, headers, _ = _wsgi({"PATH_INFO": path, "QUERY_STRING": "$limit=5"})
        assert status == "200 OK" and "X-Querylang-Warnings" not in headers


def test_the_warnings_come_from_the_one_validation(monkeypatch: pytest.MonkeyPatch) -> None:
    # The text is read and validated once; its warnings are those of that validation. (get's
    # engine re-checks the typed query it is given, which reads no text.)
    validation = sys.modules["querylang.validate"]  # the module; querylang.validate is the function
    texts: list[str] = []
    collect = validation._collect

    def counted(query: object, schema: object) -> Any:
        if isinstance(query, str):
            texts.append(query)
        return collect(query, schema)

    monkeypatch.setattr(validation, "_collect", counted)
    for path in (BASE, BASE + "/10"):
        query = f"template_folder_name[$ne]=None&template_name[$ne]={path[-2:]}-seen-once"  # not in any cache
        status, headers, _ = _wsgi({"PATH_INFO": path, "QUERY_STRING": query})
        assert (status, _warning_codes(headers)) == ("200 OK", ["placeholder-value"])
        assert texts == [query]
        texts.clear()


def test_the_library_gives_the_warnings_beside_the_answer() -> None:
    svc = _service()
    page, warnings = svc.find_with_warnings(76, "campaign_name[$ne]=NaN&$limit=500")
    assert (page["limit"], [w.code for w in warnings]) == (100, ["placeholder-value", "limit-lowered"])
    record, warnings = svc.get_with_warnings(76, 10, "template_name[$ne]=null")
    assert (record["id"], [w.code for w in warnings]) == (10, ["placeholder-value"])
    assert svc.find_with_warnings(76, "$limit=1")[1] == ()


# ---------------------------------------------------------------- limits: the query string


def test_a_query_string_over_the_limit_is_431_before_anything_else() -> None:
    assert MAX_QUERY_STRING == 16_384
    long = "a" * (MAX_QUERY_STRING + 1)
    for environ in (
        {"QUERY_STRING": long},
        {"QUERY_STRING": long, "PATH_INFO": BASE + "/10"},
        {"QUERY_STRING": long, "PATH_INFO": "/nowhere"},  # before routing
        {"QUERY_STRING": long, "REQUEST_METHOD": "DELETE"},  # before the method
        {"QUERY_STRING": long, "HTTP_AUTHORIZATION": "Basic x"},  # before the user
        {"QUERY_STRING": long, "REQUEST_METHOD": "PATCH", "PATH_INFO": BASE + "/10", "HTTP_AUTHORIZATION": "Bearer x"},
    ):
        status, _, body = _wsgi(environ)
        assert status == "431 Request Header Fields Too Large", environ
        assert {k: body[k] for k in ("name", "code", "className")} == {
            "name": "RequestHeaderFieldsTooLarge",
            "code": 431,
            "className": "request-header-fields-too-large",
        }
        assert sorted(body) == ["className", "code", "message", "name"]
        assert "16385" in body["message"] and "16384" in body["message"] and long[:100] not in body["message"]


def test_the_query_string_limit_counts_bytes() -> None:
    # PEP 3333: QUERY_STRING is the raw bytes as latin-1 text, so one character is one byte.
    at_limit = "campaign_name=" + "é" * ((MAX_QUERY_STRING - 14) // 2)  # 16,384 bytes of UTF-8
    raw = at_limit.encode().decode("latin-1")
    assert len(raw) == MAX_QUERY_STRING
    assert _wsgi({"QUERY_STRING": raw})[0] == "200 OK"
    assert _wsgi({"QUERY_STRING": raw + "x"})[0].startswith("431")
    assert _wsgi({"QUERY_STRING": "a" * MAX_QUERY_STRING})[0] == "400 Bad Request"  # an unknown field
    # a server that hands over text beyond latin-1 is measured in UTF-8
    assert _wsgi({"QUERY_STRING": "campaign_name=" + "€" * 5457})[0].startswith("431")


@needs_waitress
def test_a_long_query_string_over_http(server: Server) -> None:
    reply = _call(server, BASE + "?campaign_name=" + "x" * MAX_QUERY_STRING)
    assert (reply.status, reply.json["name"]) == (431, "RequestHeaderFieldsTooLarge")
    assert _call(server, BASE + "?campaign_name=" + "x" * (MAX_QUERY_STRING - 14)).status == 200


# ---------------------------------------------------------------- PATCH bodies: media type, encoding, shape


def _patch(body: bytes, content_type: str | None = "application/json") -> tuple[str, dict[str, str], Any]:
    environ = {
        "REQUEST_METHOD": "PATCH",
        "PATH_INFO": BASE + "/11",
        "HTTP_AUTHORIZATION": f"Bearer token-{OWNER}",
        "CONTENT_LENGTH": str(len(body)),
        "wsgi.input": io.BytesIO(body),
    }
    if content_type is not None:
        environ["CONTENT_TYPE"] = content_type
    return _wsgi(environ)


FALSE = b'{"is_active": false}'


@pytest.mark.parametrize(
    "content_type",
    [
        None,
        "",
        "text/plain",
        "text/plain; charset=utf-8",
        "application/merge-patch+json",
        "application/x-www-form-urlencoded",
        "application/json; charset=latin-1",
        "application/json; charset=utf-16",
        'application/json; charset="iso-8859-1"',
        "application/jsonx",
    ],
)
def test_a_body_that_is_not_json_in_utf8_by_its_media_type_is_415(content_type: str | None) -> None:
    status, _, body = _patch(FALSE, content_type)
    assert status == "415 Unsupported Media Type"
    assert {k: body[k] for k in ("name", "code", "className")} == {
        "name": "UnsupportedMediaType",
        "code": 415,
        "className": "unsupported-media-type",
    }
    assert "application/json" in body["message"]
    assert _wsgi({"PATH_INFO": BASE + "/11"})[2]["is_active"] is True  # nothing changed


@pytest.mark.parametrize(
    "content_type",
    [
        "application/json",
        "Application/JSON",
        "application/json; charset=utf-8",
        "application/json;charset=UTF-8",
        'application/json; charset="utf-8"',
        "application/json; foo=bar",
        "application/json ; charset = utf-8 ",
    ],
)
def test_json_in_utf8_is_read(content_type: str) -> None:
    status, _, record = _patch(FALSE, content_type)
    assert (status, record["is_active"]) == ("200 OK", False)


@pytest.mark.parametrize(
    ("body", "says"),
    [
        (b'{"is_active": "\xe9"}', "UTF-8"),
        ('{"is_active": false}'.encode("utf-16"), "UTF-8"),  # json.loads would guess UTF-16
        (b"\xef\xbb\xbf" + FALSE, "not JSON"),  # a byte order mark: JSON has none
        (b"[" * 100_000 + b"]" * 100_000, "nested"),
        (b'{"is_active": ' + b"[" * 5_000 + b"]" * 5_000 + b"}", "nested"),
        (b'{"is_active": ' + b"9" * 5_000 + b"}", "digits"),
        (b'{"is_active": -' + b"9" * 5_000 + b"}", "digits"),
        (b'{"is_active": false, "x": ' + b"1" * 4_301 + b"}", "digits"),
    ],
)
def test_a_body_that_cannot_be_read_is_a_bad_request(body: bytes, says: str) -> None:
    status, _, answer = _patch(body)
    assert (status, answer["name"]) == ("400 Bad Request", "BadRequest")
    assert says in answer["message"]
    assert len(json.dumps(answer)) < 1000


def test_a_readable_but_odd_value_is_shown_briefly() -> None:
    for value in (b"9" * 4_000, b"[" * 300 + b"]" * 300, b'"' + b"x" * 100_000 + b'"', b"1e999", b"NaN"):
        status, _, answer = _patch(b'{"is_active": ' + value + b"}")
        assert (status, [d["code"] for d in answer["data"]]) == ("400 Bad Request", ["not-a-boolean"])
        assert len(json.dumps(answer)) < 1000


# ---------------------------------------------------------------- bounded answers: error bodies, the warnings header


def test_a_patch_with_60k_unknown_keys_answers_20_diagnostics_and_counts_the_rest() -> None:
    body = json.dumps({f"k{i}": 1 for i in range(60_000)}).encode()
    status, _, answer = _patch(body)
    assert status == "400 Bad Request"
    assert len(answer["data"]) == MAX_SHOWN_DIAGNOSTICS == 20
    assert answer["data"][1]["message"] == "unknown field 'k1' in the body"
    assert answer["message"].endswith("(data: the first 20 diagnostics, and 59980 more)")
    assert len(json.dumps(answer)) < 10_000  # was 9.8 MB


def test_the_warnings_header_holds_at_most_20_and_counts_the_rest() -> None:
    query = "&".join(f"$or[{i}][campaign_name]=undefined" for i in range(30))
    status, headers, _ = _wsgi({"QUERY_STRING": query})
    assert status == "200 OK"
    assert _warning_codes(headers) == ["placeholder-value"] * 20
    assert headers["X-Querylang-Warnings-More"] == "10"
    few = _wsgi({"QUERY_STRING": "campaign_name=undefined"})[1]
    assert "X-Querylang-Warnings-More" not in few


def test_the_warnings_header_stays_small_whatever_the_warnings_quote() -> None:
    query = "&".join(f"$or[{i}][campaign_name]=%ZZ" + "é" * 1000 for i in range(7))
    raw = query.encode().decode("latin-1")  # 14k bytes sent unencoded
    status, headers, _ = _wsgi({"QUERY_STRING": raw})
    assert status == "200 OK"
    value = headers["X-Querylang-Warnings"]
    assert len(value.encode("latin-1")) <= MAX_WARNINGS_HEADER
    shown = json.loads(value)
    assert 1 <= len(shown) < 7 and int(headers["X-Querylang-Warnings-More"]) == 7 - len(shown)
    assert all(d["code"] == "raw-value" and d["start"] is not None for d in shown)
    assert all(len(d["message"]) <= 203 for d in shown)  # cut, with an ellipsis


def test_one_long_warning_is_cut_to_fit_not_left_out() -> None:
    from querylang.errors import Diagnostic
    from querylang.service.http import _warnings_header

    long = Diagnostic("list-for-value", "é" * 5000, Span(0, 5000), hint="use " + "x" * 10_000, severity="warning")
    (name, value), *rest = _warnings_header([long] * 3)
    (shown,) = {json.dumps(d) for d in json.loads(value)}
    assert name == "X-Querylang-Warnings" and rest == [] and len(json.loads(value)) == 3
    assert len(value) <= MAX_WARNINGS_HEADER and value.isascii()
    assert json.loads(shown)["hint"].endswith("…") and len(json.loads(shown)["hint"]) == 201
