"""Stand-in bearer tokens for the HTTP tests over an in-memory service: ``token-<user id>``.

Only tests use this: the service's real tokens come from ``querylang.service.auth.Tokens``
(random, stored as digests). ``stand_in("token-3")`` is user 3; anything else is unknown.
"""

from __future__ import annotations

import re

_TOKEN = re.compile(r"token-([0-9]{1,10})")


def stand_in(token: str) -> int | None:
    """The user of a stand-in token, or None."""
    found = _TOKEN.fullmatch(token)
    return None if found is None else int(found.group(1))


def bearer(user: int) -> str:
    """The ``Authorization`` header of user ``user``."""
    return f"Bearer token-{user}"
