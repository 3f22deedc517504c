"""Query AST <-> LionDesk URLs: ``to_url``, ``to_params`` for HTTP clients, and ``from_url``.

The endpoint is ``https://api-v2.liondesk.com/contacts/{contact_id}/campaign-communications``,
and ``/{id}`` for one record (docs/semantics.md section 7). The query part is the canonical
serialization: readable brackets and ``$``, percent-encoded values, and it decodes back, in
querylang and in qs, to the same query. ``from_url`` reads what the documentation prints too:
its double slash (``//contacts``) and percent-encoded brackets.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from urllib.parse import SplitResult, urlsplit

from .ast import Query, as_query
from .errors import Diagnostic, QueryError
from .text.params import read_params
from .text.read import parse
from .text.write import serialize
from .values import SAFE_INTEGER_MAX, bounded_int, show_number, shown

__all__ = ["BASE_URL", "ID_MAX", "PORT_MAX", "ContactCommunicationsURL", "from_url", "to_params", "to_url"]

BASE_URL = "https://api-v2.liondesk.com"
ID_MAX = SAFE_INTEGER_MAX
"""The largest contact id or id in a URL: the server reads them as JavaScript numbers, exact up to 2**53 - 1."""
PORT_MAX = 65535
"""The largest port number."""

_PATH = re.compile(r"/+contacts/+([0-9]+)/+campaign-communications(?:/+([0-9]+))?/*")
_ORIGIN = re.compile(r"[a-zA-Z][a-zA-Z0-9+.-]*://[^/?#]+")
_HOST_CHARS = re.compile(r"[A-Za-z0-9._~%!$&'()*+,;=-]|[^\x00-\x7f]")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_ORIGIN_HINT = f"write an origin such as {BASE_URL} or http://localhost:3030"


@dataclass(frozen=True, slots=True)
class ContactCommunicationsURL:
    """Where a URL points: the contact, and one record's ``id`` or None for the list."""

    contact_id: int
    id: int | None = None
    base_url: str = BASE_URL

    @property
    def path(self) -> str:
        """The path, without a double slash."""
        tail = f"/{self.id}" if self.id is not None else ""
        return f"/contacts/{self.contact_id}/campaign-communications{tail}"


def _url_error(message: str, hint: str | None = None) -> QueryError:
    return QueryError([Diagnostic("bad-url", message, hint=hint)])


def _id(name: str, value: object) -> int:
    """A contact id or id given to ``to_url``: a whole number, or its digits, from 0 to ``ID_MAX``."""
    number: int | None
    if isinstance(value, str) and value.isascii() and value.isdigit():
        number, written = bounded_int(value, 0, ID_MAX), show_number(value)
    elif type(value) is int:
        number, written = (value if 0 <= value <= ID_MAX else None), shown(value)
    else:
        raise _url_error(f"{name} must be a whole number, not {shown(value)}", f"use a number from 0 to {ID_MAX}")
    if number is None:
        raise _url_error(f"{name} {written} is out of range", f"use a number from 0 to {ID_MAX}")
    return number


def _bad_char(text: str, allowed: re.Pattern[str]) -> str | None:
    return next((c for c in text if not allowed.fullmatch(c)), None)


def _netloc_problem(netloc: str) -> str | None:
    """What is wrong with a URL's ``user@host:port`` part, or None: the checks ``urlsplit`` skips or words badly."""
    userinfo, _, hostport = netloc.rpartition("@")
    bad = _bad_char(userinfo.replace(":", ""), _HOST_CHARS)
    if bad is not None:
        return f"the user part {shown(userinfo)} holds {bad!r}"
    if hostport.startswith("["):
        host, bracket, rest = hostport[1:].partition("]")
        if not bracket:
            return f"the host {shown(hostport)} has a '[' without its ']' (an IPv6 address is written [::1])"
        try:
            ipaddress.IPv6Address(host)
        except ValueError:
            return f"{shown(f'[{host}]')} is not an IPv6 address"
        if rest and rest[0] != ":":
            return f"{shown(rest)} follows the IPv6 address '[{host}]'; only a port (':8080') may"
        port = rest[1:] if rest else ""
    else:
        host, _, port = hostport.partition(":")
        if not host:
            return "the host is empty"
        bad = _bad_char(host, _HOST_CHARS)
        if bad is not None:
            where = " (an IPv6 address is written in brackets, [::1])" if bad in "[]:" else ""
            return f"the host {shown(host)} holds {bad!r}{where}"
    if port and not (port.isascii() and port.isdigit()):
        return f"the port '{show_number(port)}' is not a number"
    if port and bounded_int(port, 0, PORT_MAX) is None:
        return f"the port {show_number(port)} is out of range (0 to {PORT_MAX})"
    return None


def _no_control(text: str, offset: int = 0) -> None:
    """Refuse a control character, which ``urlsplit`` would delete (tabs, newlines) or keep unseen."""
    control = _CONTROL.search(text)
    if control is not None:
        char = control.group()
        hint = f"percent-encode it as %{ord(char):02X}"
        raise _url_error(f"the URL holds a control character ({char!r}) at offset {offset + control.start()}", hint)


def _split(url: str) -> SplitResult:
    """``urlsplit``, raising ``bad-url`` where it would raise ``ValueError``, or pass a bad host or port.

    ``urlsplit`` raises ``ValueError`` on a bad IPv6 address and does not check a port at all.
    """
    head = re.match(r"(?:[a-zA-Z][a-zA-Z0-9+.-]*:)?//([^/?#]*)", url)
    problem = _netloc_problem(head[1]) if head is not None and head[1] else None
    if problem is None:
        try:
            return urlsplit(url)
        except ValueError as error:  # what the checks above missed, such as NFKC look-alikes
            problem = str(error)
    raise _url_error(f"{shown(url)} is not a URL: {problem}", _ORIGIN_HINT)


def to_url(query: Query | object, *, contact_id: int, id: int | None = None, base_url: str = BASE_URL) -> str:
    """The URL that asks the LionDesk API this query.

    ``to_url(parse("is_active=true&$limit=2"), contact_id=76)`` is
    ``https://api-v2.liondesk.com/contacts/76/campaign-communications?is_active=true&$limit=2``.

    Args:
        query: a parsed, built or typed query.
        contact_id: the contact whose communications to ask for, from 0 to ``ID_MAX``.
        id: one communication's id, for ``GET``/``PATCH`` of one record.
        base_url: the API's origin (a trailing slash is dropped; the URL never holds ``//``).

    Returns:
        The URL; without a ``?`` when the query is empty. ``from_url`` reads it back.

    Raises:
        QueryError: a bad contact id or id, a base URL that is not an origin (``bad-url``), or
            a query text cannot carry.
    """
    where = ContactCommunicationsURL(_id("contact_id", contact_id), None if id is None else _id("id", id), base_url)
    if not isinstance(base_url, str):
        raise _url_error(f"base_url must be text, not {shown(base_url)}", _ORIGIN_HINT)
    base = base_url.rstrip("/")
    _no_control(base)
    if not _ORIGIN.fullmatch(base):
        raise _url_error(f"base_url {shown(base_url)} is not an origin such as {BASE_URL}", _ORIGIN_HINT)
    _split(base)
    text = serialize(query)
    return f"{base}{where.path}" + (f"?{text}" if text else "")


def to_params(query: Query | object) -> list[tuple[str, str]]:
    """The query as ordered ``(key, value)`` pairs, decoded, for HTTP clients that encode them.

    ``requests.get(url, params=to_params(q))`` sends the same query as ``to_url``: the client's
    encoding (``%5B`` for ``[``, ``+`` for a space) reads back the same in qs.
    """
    return [(p.full_key, p.value_text) for p in read_params(serialize(as_query(query)))]


def from_url(url: str) -> tuple[ContactCommunicationsURL, Query]:
    """Read a URL copied from a log, a browser or the documentation.

    Accepts a whole URL or a path (``/contacts/76/campaign-communications?$limit=2``), the
    documentation's double slash, and percent-encoded brackets. Spaces and tabs around the URL
    are dropped.

    Returns:
        Where the URL points, and its query (spans point into the URL's query part).

    Raises:
        QueryError: ``bad-url`` for text that is not a URL (a control character inside it, a
            bad IPv6 address or port), a path that is not a campaign-communications path, or
            an id out of range (0 to ``ID_MAX``); the query's own errors otherwise.
    """
    if not isinstance(url, str):
        raise _url_error(f"a URL must be text, not {shown(url)}")
    text = url.strip()
    _no_control(text, len(url) - len(url.lstrip()))
    url = text
    if url.startswith("//contacts/"):
        url = BASE_URL + url  # a path with the documentation's double slash, not a host
    parts = _split(url)
    match = _PATH.fullmatch(parts.path)
    if match is None:
        raise _url_error(
            f"{shown(parts.path)} is not a campaign-communications path",
            "expected /contacts/{contact_id}/campaign-communications[/{id}]",
        )
    ids = [None if text is None else bounded_int(text, 0, ID_MAX) for text in match.groups()]
    for name, text, number in zip(("contact id", "id"), match.groups(), ids, strict=True):
        if text is not None and number is None:
            raise _url_error(f"the {name} {show_number(text)} is out of range", f"ids are from 0 to {ID_MAX}")
    contact_id, id_ = ids
    assert contact_id is not None
    base = f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else BASE_URL
    return ContactCommunicationsURL(contact_id, id_, base), parse(parts.query)
