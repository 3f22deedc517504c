"""Query AST <-> LionDesk URLs: ``to_url``, ``to_params`` for HTTP clients, and ``from_url``.

The endpoint is ``https://api-v2.liondesk.com/contacts/{contact_id}/campaign-communications``,
and ``/{id}`` for one record (SEMANTICS.md section 7). The query part is the canonical
serialization: readable brackets and ``$``, percent-encoded values, and it decodes back, in
querylang and in qs, to the same query. ``from_url`` reads what the documentation prints too:
its double slash (``//contacts``) and percent-encoded brackets.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from .ast import Query, as_query
from .errors import Diagnostic, QueryError
from .text.params import read_params
from .text.read import parse
from .text.write import serialize

__all__ = ["BASE_URL", "ContactCommunicationsURL", "from_url", "to_params", "to_url"]

BASE_URL = "https://api-v2.liondesk.com"
_PATH = re.compile(r"/+contacts/+([0-9]+)/+campaign-communications(?:/+([0-9]+))?/*")


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


def _positive(name: str, value: object) -> int:
    if isinstance(value, str) and value.isascii() and value.isdigit():
        value = int(value)
    if type(value) is not int or value < 0:
        raise _url_error(f"{name} must be a non-negative whole number, not {value!r}")
    return value


def to_url(query: Query | object, *, contact_id: int, id: int | None = None, base_url: str = BASE_URL) -> str:
    """The URL that asks the LionDesk API this query.

    ``to_url(parse("is_active=true&$limit=2"), contact_id=76)`` is
    ``https://api-v2.liondesk.com/contacts/76/campaign-communications?is_active=true&$limit=2``.

    Args:
        query: a parsed, built or typed query.
        contact_id: the contact whose communications to ask for.
        id: one communication's id, for ``GET``/``PATCH`` of one record.
        base_url: the API's origin (a trailing slash is dropped; the URL never holds ``//``).

    Returns:
        The URL; without a ``?`` when the query is empty.

    Raises:
        QueryError: a bad contact id or id, or a query text cannot carry.
    """
    where = ContactCommunicationsURL(
        _positive("contact_id", contact_id), None if id is None else _positive("id", id), base_url
    )
    base = base_url.rstrip("/")
    if not re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*://[^/?#]+$", base):
        raise _url_error(f"base_url {base_url!r} is not an origin such as {BASE_URL}")
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
    documentation's double slash, and percent-encoded brackets.

    Returns:
        Where the URL points, and its query (spans point into the URL's query part).

    Raises:
        QueryError: the path is not a campaign-communications path, or the query is not valid.
    """
    url = url.strip()
    if url.startswith("//contacts/"):
        url = BASE_URL + url  # a path with the documentation's double slash, not a host
    parts = urlsplit(url)
    match = _PATH.fullmatch(parts.path)
    if match is None:
        raise _url_error(
            f"'{parts.path}' is not a campaign-communications path",
            "expected /contacts/{contact_id}/campaign-communications[/{id}]",
        )
    base = f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else BASE_URL
    where = ContactCommunicationsURL(int(match[1]), int(match[2]) if match[2] else None, base)
    return where, parse(parts.query)
