"""A reference server and the records its table holds -> querylang's answer beside the server's.

The servers come from conftest.py's fixtures (``reference_sample``, ``reference_edge``): started
for the session, or named by ``QUERYLANG_REFERENCE_URL``. ``assert_same_answer`` asks the server
and querylang's service (over every contact's records, as the server's table holds them) the
same query, and compares verdict and page.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any

import pytest

from querylang.service import BadRequest, CampaignCommunications, Contact, jsonable


@dataclass(frozen=True)
class Reference:
    """A running reference server: its base URL (no trailing slash) and its records, when known."""

    url: str
    records: list[dict[str, Any]] | None = None


def server(reference: Reference) -> tuple[str, list[dict[str, Any]]]:
    """The server's base URL and its records; skips the test when its records are not known."""
    if reference.records is None:
        pytest.skip(
            f"set QUERYLANG_REFERENCE_RECORDS to the records file the server at {reference.url} was started with"
        )
    return reference.url, reference.records


def service(records: list[dict[str, Any]]) -> CampaignCommunications:
    """querylang's service over the same records, every contact readable."""
    contacts = sorted({r["contact_id"] for r in records})
    return CampaignCommunications(records, contacts=[Contact(c, owner_user_id=1) for c in contacts])


def page(url: str, contact: int, query: str) -> dict[str, Any] | None:
    """The server's page, or None when it refuses or fails (4xx, 5xx)."""
    try:
        with urllib.request.urlopen(f"{url}/contacts/{contact}/campaign-communications?{query}", timeout=15) as r:
            return json.loads(r.read())  # type: ignore[no-any-return]
    except urllib.error.HTTPError:
        return None


def assert_same_answer(url: str, mine: CampaignCommunications, contact: int, query: str) -> None:
    """Both refuse, or both answer with the same total, limit, skip and rows (row order included)."""
    theirs = page(url, contact, query)
    try:
        ours: Any = jsonable(mine.find(contact, query))
    except BadRequest as error:
        assert theirs is None, f"querylang refuses what the reference answers: {error}"
        return
    assert theirs is not None, f"the reference refuses what querylang answers (total {ours['total']})"
    assert [theirs[k] for k in ("total", "limit", "skip")] == [ours[k] for k in ("total", "limit", "skip")]
    assert theirs["data"] == ours["data"]
