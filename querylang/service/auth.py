"""Access tokens -> the acting user: issued at random, shown once, stored only as SHA-256 digests.

``Tokens(db).create(user_id)`` makes a token of 256 random bits (``secrets.token_urlsafe(32)``)
and returns it once; the database keeps its SHA-256 digest, a short public id (for ``list`` and
``revoke``), the user and the times. ``user_for(token)`` is what ``Authorization: Bearer
<token>`` asks: the user of a token that exists and is not revoked, else None. A token is never
logged, and no message quotes one.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Callable
from datetime import UTC, datetime
from typing import NamedTuple

from .database import Database

__all__ = ["MAX_TOKEN", "TokenInfo", "Tokens"]

MAX_TOKEN = 256
"""The longest token read, in characters; a longer one is unknown without being hashed."""


class TokenInfo(NamedTuple):
    """A token as ``token list`` shows it: never the token itself."""

    id: str
    user_id: int
    created_at: str
    revoked_at: str | None


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


class Tokens:
    """The tokens of one database (``querylang token create|list|revoke``)."""

    def __init__(self, db: Database, *, clock: Callable[[], datetime] | None = None) -> None:
        db.check()
        self.db = db
        self._clock = clock or (lambda: datetime.now(UTC))

    def create(self, user_id: int) -> tuple[str, str]:
        """A new token for ``user_id``.

        Returns:
            ``(id, token)``: the public id, and the token, which is not kept and cannot be shown
            again.
        """
        if type(user_id) is not int or user_id < 0:
            raise ValueError(f"a user id is a whole number from 0, not {user_id!r}")
        token = secrets.token_urlsafe(32)
        token_id = secrets.token_hex(6)
        m = self.db.mark
        with self.db.transaction(write=True) as execute:
            execute(
                f"INSERT INTO tokens (id, digest, user_id, created_at) VALUES ({m}, {m}, {m}, {m})",
                [token_id, _digest(token), user_id, self._now()],
            )
        return token_id, token

    def list(self) -> list[TokenInfo]:
        """Every token, oldest first, revoked ones too."""
        rows = self.db.execute("SELECT id, user_id, created_at, revoked_at FROM tokens ORDER BY created_at, id")
        return [TokenInfo(str(i), int(u), str(c), None if r is None else str(r)) for i, u, c, r in rows]

    def revoke(self, token_id: str) -> bool:
        """Revoke a token by its public id; False when there is no such token not yet revoked."""
        m = self.db.mark
        with self.db.transaction(write=True) as execute:
            found = execute(f"SELECT id FROM tokens WHERE id = {m} AND revoked_at IS NULL", [token_id])
            if found:
                execute(f"UPDATE tokens SET revoked_at = {m} WHERE id = {m}", [self._now(), token_id])
        return bool(found)

    def user_for(self, token: str) -> int | None:
        """The user a live token stands for; None for an unknown, revoked or malformed one."""
        if not token or len(token) > MAX_TOKEN:
            return None
        digest = _digest(token)
        rows = self.db.execute(
            f"SELECT user_id, digest FROM tokens WHERE digest = {self.db.mark} AND revoked_at IS NULL", [digest]
        )
        if rows and hmac.compare_digest(str(rows[0][1]), digest):
            return int(rows[0][0])
        return None

    def _now(self) -> str:
        return self._clock().astimezone(UTC).isoformat(timespec="microseconds")
