"""HTTP requests (WSGI environ) -> the campaign-communications service -> Feathers-shaped JSON responses.

``make_app(service, tokens)`` is a plain WSGI application (``server.py`` runs it on waitress).
Routes:

- ``GET /contacts/{contact_id}/campaign-communications?<query>``: a page (``find``);
- ``GET /contacts/{contact_id}/campaign-communications/{id}?<query>``: one record (``get``);
- ``PATCH /contacts/{contact_id}/campaign-communications/{id}`` with a JSON body (``patch``);
- ``GET /_querylang/check?<query>`` and ``GET /_querylang/sql/{dialect}?<query>``: what querylang
  says of a query, as JSON (``check.py``); they read no records;
- ``GET /playground``: the query playground, one page with its script and stylesheet
  (``static/``), which calls only the routes above;
- ``GET /healthz`` and ``GET /openapi.json`` (``openapi.py``).

The acting user is the one of the token in ``Authorization: Bearer <token>`` (``tokens``, such
as ``auth.Tokens(db).user_for``); every request to the records needs one, else ``401
NotAuthenticated``. The order of refusals is fixed: 431, 404/405, 401, 403 (a contact the user
may not read, or that does not exist), 400, then data. ``/healthz`` and ``/openapi.json`` need
no token. One JSON line per request goes to the ``querylang.access`` logger. The query string is given
to querylang exactly as it arrived (``QUERY_STRING``), so diagnostics' spans point into the
text the client sent. Errors are Feathers' JSON: ``{"name", "message", "code", "className"}``,
plus ``"data"`` (the diagnostics) on a ``BadRequest``. A GET whose query drew warnings
(``raw-value``, ``placeholder-value``, ``limit-lowered``, ...), and a PATCH that ignored
read-only fields, send them, as a JSON list of diagnostics, in the ``X-Querylang-Warnings``
header.
"""

from __future__ import annotations

import importlib.resources
import json
import logging
import re
import sys
import time
import traceback
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from http import HTTPStatus
from typing import Any, TypeAlias

from ..errors import Diagnostic, split_shown
from .check import check_answer, sql_answer
from .endpoint import SCHEMA, CampaignCommunications
from .errors import (
    BadRequest,
    GeneralError,
    MethodNotAllowed,
    NotAuthenticated,
    NotFound,
    RequestHeaderFieldsTooLarge,
    ServiceError,
    Unavailable,
    UnsupportedMediaType,
)
from .openapi import document
from .render import jsonable

__all__ = ["ACCESS_LOG", "MAX_BODY", "MAX_QUERY_STRING", "MAX_WARNINGS_HEADER", "Authenticate", "WSGIApp", "make_app"]

StartResponse: TypeAlias = Callable[..., Any]
WSGIApp: TypeAlias = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]
Authenticate: TypeAlias = Callable[[str], "int | None"]
"""A bearer token -> the user it stands for, or None for a token that is unknown or revoked."""

ACCESS_LOG = logging.getLogger("querylang.access")
"""One line per request, a JSON object: method, path (never the query string), status, ms."""

MAX_BODY = 1 << 20
"""The largest PATCH body read, in bytes (1 MiB)."""

MAX_WARNINGS_HEADER = 8_192
"""The longest ``X-Querylang-Warnings`` header, in bytes; the warnings that do not fit are counted."""

MAX_QUERY_STRING = 16_384
"""The longest query string answered, in bytes: Node's default header limit, which clients of
the reference (a Node server) already live with; a longer one is ``431``."""

_ROUTE = re.compile(r"/contacts/([0-9]{1,10})/campaign-communications(?:/([0-9]{1,10}))?/?")
_CHECK = re.compile(r"/_querylang/(?:(check)|sql/([A-Za-z0-9_-]{1,40}))/?")
_STATIC = {
    "/playground": ("index.html", "text/html; charset=utf-8"),
    "/playground/": ("index.html", "text/html; charset=utf-8"),
    "/playground/playground.js": ("playground.js", "text/javascript; charset=utf-8"),
    "/playground/playground.css": ("playground.css", "text/css; charset=utf-8"),
}
_PAGE_HEADERS = [
    # The page asks nothing of another host, runs no inline script, and is framed nowhere.
    (
        "Content-Security-Policy",
        "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; "
        "base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
    ),
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "no-referrer"),
    ("Cache-Control", "no-cache"),
]
_BEARER = re.compile(r"Bearer[ \t]+([A-Za-z0-9._~+/=-]{1,256})[ \t]*", re.IGNORECASE)
_OPEN = {"/healthz", "/openapi.json"}
_JSON = "application/json; charset=utf-8"
_EXAMPLE = '{"is_active": false}'
_HEADER_MESSAGE = 200  # characters of a warning's message or hint in the header (they may quote a long value)


# ---------------------------------------------------------------- the WSGI application


def _user(environ: dict[str, Any], tokens: Authenticate) -> int:
    """The acting user of a request to the records: its bearer token's.

    Raises:
        NotAuthenticated: no ``Authorization`` header, one that is not ``Bearer <token>``, or a
            token that is unknown or revoked (the three say the same, quoting nothing).
    """
    header = environ.get("HTTP_AUTHORIZATION")
    if header is None:
        raise NotAuthenticated("no access token: send 'Authorization: Bearer <token>' ('querylang token create')")
    found = _BEARER.fullmatch(str(header))
    user = None if found is None else tokens(found.group(1))
    if user is None:
        raise NotAuthenticated("the access token is not valid: it is malformed, unknown or revoked")
    return user


def _check_query_length(environ: dict[str, Any]) -> None:
    raw = str(environ.get("QUERY_STRING", ""))
    try:
        size = len(raw.encode("latin-1"))  # PEP 3333: the raw bytes as latin-1 text
    except UnicodeEncodeError:  # a server that decoded them: count them as UTF-8
        size = len(raw.encode("utf-8", "surrogatepass"))
    if size > MAX_QUERY_STRING:
        raise RequestHeaderFieldsTooLarge(
            f"the query string is {size} bytes long; the limit is {MAX_QUERY_STRING} bytes "
            "(Node's default header limit): send a shorter query"
        )


def _query(environ: dict[str, Any]) -> str:
    # PEP 3333 gives QUERY_STRING as latin-1 text of the raw bytes; a client may send UTF-8
    # unencoded (curl does), so the bytes are read back as UTF-8 before querylang sees them.
    raw = str(environ.get("QUERY_STRING", ""))
    try:
        return raw.encode("latin-1").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        raise BadRequest("invalid query: the query string is not UTF-8; percent-encode its bytes") from None


def _check_media_type(environ: dict[str, Any]) -> None:
    """Refuse a body that is not ``application/json`` (parameters allowed) in UTF-8 (or no charset)."""
    header = str(environ.get("CONTENT_TYPE") or "")
    kind, *parameters = header.split(";")
    kind = kind.strip().lower()
    if kind != "application/json":
        said = f"the Content-Type is {_clip(kind)!r}" if kind else "there is no Content-Type"
        raise UnsupportedMediaType(f"a PATCH body must be JSON, and {said}: send Content-Type: application/json")
    for parameter in parameters:
        name, _, value = parameter.partition("=")
        charset = value.strip().strip('"').lower()
        if name.strip().lower() == "charset" and charset != "utf-8":
            raise UnsupportedMediaType(
                f"a PATCH body must be UTF-8, and the charset is {_clip(charset)!r}: send application/json "
                "in UTF-8 (with charset=utf-8 or none)"
            )


def _body(environ: dict[str, Any]) -> object:
    _check_media_type(environ)
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        raise BadRequest("invalid body: the Content-Length is not a number") from None
    if length > MAX_BODY:
        raise BadRequest(f"invalid body: larger than {MAX_BODY} bytes")
    data = environ["wsgi.input"].read(length) if length > 0 else b""
    if not data.strip():
        raise BadRequest(f"invalid body: it is empty; send a JSON object such as {_EXAMPLE}")
    try:
        # Decoded here, as UTF-8 only: json.loads would take bytes in UTF-16 or UTF-32 too.
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise BadRequest(f"invalid body: not UTF-8 (byte {error.start} cannot be read)") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise BadRequest(f"invalid body: not JSON: {error}") from None
    except RecursionError:
        raise BadRequest(f"invalid body: nested too deeply to read; send a JSON object such as {_EXAMPLE}") from None
    except ValueError:  # Python reads no integer of more digits than sys.get_int_max_str_digits()
        raise BadRequest(
            f"invalid body: it holds a number of more than {sys.get_int_max_str_digits()} digits; "
            "is_active takes true or false"
        ) from None


def _clip(text: str, size: int = 60) -> str:
    return text if len(text) <= size else text[:size] + "…"


def _allowed(path: str) -> tuple[str, ...] | None:
    """The methods a path takes, or None for a path that is not a route."""
    if path in _STATIC or path in _OPEN or _CHECK.fullmatch(path):
        return ("GET", "HEAD")
    route = _ROUTE.fullmatch(path)
    if route is None:
        return None
    return ("GET", "HEAD") if route.group(2) is None else ("GET", "HEAD", "PATCH")


@dataclass(frozen=True, slots=True)
class _File:
    """A file of the playground, sent as it is rather than as JSON."""

    data: bytes
    content_type: str


@cache
def _asset(name: str) -> bytes:
    return (importlib.resources.files("querylang.service") / "static" / name).read_bytes()


def _dispatch(
    service: CampaignCommunications, tokens: Authenticate, environ: dict[str, Any]
) -> tuple[object, list[tuple[str, str]]]:
    """The response body and extra headers of one request; raises a ServiceError."""
    _check_query_length(environ)  # before anything else: the request is not read further
    path = str(environ.get("PATH_INFO", ""))
    allowed = _allowed(path)
    if allowed is None:
        raise NotFound(f"Page not found: {path}")
    method = str(environ.get("REQUEST_METHOD", "GET")).upper()
    if method not in allowed:
        raise MethodNotAllowed(f"Method {method} is not allowed on this path; use {', '.join(allowed)}")
    if path in _STATIC:
        name, content_type = _STATIC[path]
        return _File(_asset(name), content_type), list(_PAGE_HEADERS)
    if path == "/healthz":
        try:
            service.ping()
        except Exception:
            raise Unavailable("the database does not answer") from None
        return {"status": "ok"}, []
    if path == "/openapi.json":
        return document(), []
    check = _CHECK.fullmatch(path)
    if check is not None:  # reads no records: no user, no access rule
        text = _query(environ)
        return (check_answer(text, SCHEMA) if check.group(1) else sql_answer(text, check.group(2), SCHEMA)), []
    route = _ROUTE.fullmatch(path)
    assert route is not None  # _allowed found it
    contact_id, id_text = int(route.group(1)), route.group(2)
    # The order is fixed: 401, then 403 (or 404 for the trusted), then 400, then data. The
    # service checks the route before it reads the query or the body; a query string or body
    # that cannot even be read is refused here only once the route would have been.
    user_id = _user(environ, tokens)
    reading = method in ("GET", "HEAD")
    try:
        sent = _query(environ) if reading else _patch_body(environ)
    except ServiceError:
        service.check_route(contact_id, user_id)
        raise
    answer: object
    if reading:
        assert isinstance(sent, str)
        if id_text is None:
            answer, warnings = service.find_with_warnings(contact_id, sent, user_id=user_id)
        else:
            answer, warnings = service.get_with_warnings(contact_id, int(id_text), sent, user_id=user_id)
        return answer, _warnings_header(warnings)
    answer, found = service.patch(contact_id, int(id_text), sent, user_id=user_id)
    return answer, _warnings_header(found)


def _patch_body(environ: dict[str, Any]) -> object:
    if environ.get("QUERY_STRING"):
        raise BadRequest("invalid query: a PATCH here takes no query string")
    return _body(environ)


def _warnings_header(warnings: Sequence[Diagnostic]) -> list[tuple[str, str]]:
    """The warnings as a JSON list in ``X-Querylang-Warnings``, bounded; none without warnings.

    The header holds at most ``MAX_SHOWN_DIAGNOSTICS`` warnings, each message and hint cut at
    ``_HEADER_MESSAGE`` characters, and at most ``MAX_WARNINGS_HEADER`` bytes (ASCII: JSON
    escapes the rest); ``X-Querylang-Warnings-More`` counts the warnings left out.
    """
    if not warnings:
        return []
    first, more = split_shown(warnings)
    items: list[str] = []
    size = 2  # the brackets
    for warning in first:
        item = warning.to_dict()
        item["message"] = _clip(warning.message, _HEADER_MESSAGE)
        item["hint"] = None if warning.hint is None else _clip(warning.hint, _HEADER_MESSAGE)
        text = json.dumps(item)
        if size + len(text) + 2 > MAX_WARNINGS_HEADER:
            more += len(first) - len(items)
            break
        items.append(text)
        size += len(text) + 2
    headers = [("X-Querylang-Warnings", "[" + ", ".join(items) + "]")]
    if more:
        headers.append(("X-Querylang-Warnings-More", str(more)))
    return headers


def make_app(service: CampaignCommunications, tokens: Authenticate) -> WSGIApp:
    """The WSGI application that answers the endpoint from ``service``.

    Args:
        service: the records, contacts, users and teams to answer from.
        tokens: a bearer token -> its user, or None (``Tokens(db).user_for``); every request to
            the records must carry a token it knows.

    Returns:
        A WSGI callable; any WSGI server can run it (``create_server`` uses waitress).
    """

    def app(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        started = time.perf_counter()
        headers: list[tuple[str, str]] = []
        path = str(environ.get("PATH_INFO", ""))
        try:
            body, headers = _dispatch(service, tokens, environ)
            status = HTTPStatus.OK
        except ServiceError as error:
            body, status = error.to_dict(), HTTPStatus(error.code)
            allowed = _allowed(path)
            if isinstance(error, MethodNotAllowed) and allowed is not None:
                headers = [("Allow", ", ".join(allowed))]
        except Exception:  # a bug: log it, answer as Feathers does
            environ["wsgi.errors"].write(traceback.format_exc())
            body, status = GeneralError("internal error").to_dict(), HTTPStatus.INTERNAL_SERVER_ERROR
        if _CHECK.fullmatch(path):  # tools on any origin may ask: these routes read no records
            headers.append(("Access-Control-Allow-Origin", "*"))
        if isinstance(body, _File):
            data, content_type = body.data, body.content_type
        else:
            data, content_type = json.dumps(jsonable(body), ensure_ascii=False).encode("utf-8"), _JSON
        headers = [("Content-Type", content_type), ("Content-Length", str(len(data))), *headers]
        start_response(f"{status.value} {status.phrase}", headers)
        _log(environ, path, status.value, started)
        return [] if environ.get("REQUEST_METHOD") == "HEAD" else [data]

    return app


def _log(environ: dict[str, Any], path: str, status: int, started: float) -> None:
    """One access-log line: never the query string (it may hold what users typed) nor a header."""
    if ACCESS_LOG.isEnabledFor(logging.INFO):
        method = str(environ.get("REQUEST_METHOD", ""))[:16]
        line = {"method": method, "path": path[:512], "status": status}
        line["ms"] = round((time.perf_counter() - started) * 1000, 3)
        ACCESS_LOG.info(json.dumps(line))
