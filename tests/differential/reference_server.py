"""The reference server and the records it was started with; tests skip cleanly without them.

``QUERYLANG_REFERENCE_URL`` names a running reference server (for example
``http://127.0.0.1:8030``) and ``QUERYLANG_REFERENCE_RECORDS`` the records file it was started
with. ``assert_same_answer`` asks the server and querylang's service (over every contact's
records, as the server's table holds them) the same query, and compares verdict and page.
"""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from querylang.service import BadRequest, CampaignCommunications, Contact, jsonable


def server() -> tuple[str, list[dict[str, Any]]]:
    """The server's base URL and its records; skips the test without them."""
    url, path = os.environ.get("QUERYLANG_REFERENCE_URL"), os.environ.get("QUERYLANG_REFERENCE_RECORDS")
    if not url or not path:
        pytest.skip("set QUERYLANG_REFERENCE_URL and QUERYLANG_REFERENCE_RECORDS to ask the reference server")
    try:
        urllib.request.urlopen(url.rstrip("/") + "/contacts/1/campaign-communications?$limit=0", timeout=2)
    except (OSError, urllib.error.URLError):
        pytest.skip(f"nothing answers at {url}")
    return url.rstrip("/"), json.loads(Path(path).read_text(encoding="utf-8"))


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
