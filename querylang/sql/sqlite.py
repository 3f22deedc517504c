"""SQLite's part: LIKE patterns as case-sensitive GLOB patterns, and the ``$ilike`` function to register.

SQLite's ``LIKE`` ignores ASCII case and has no default escape, so ``$like`` and ``$notlike``
become ``GLOB`` (case-sensitive; ``*`` any run, ``?`` one character, ``[*]`` a literal ``*``).
``$ilike`` calls ``querylang_ilike(value, pattern)``, which folds case as ``like.fold_case``
does (docs/semantics.md section 4); ``register(connection)`` defines it on a connection.
"""

from __future__ import annotations

import functools
import sqlite3
from collections.abc import Callable

from ..like import like_matcher, like_tokens

__all__ = ["ILIKE_FUNCTION", "register", "to_glob"]

ILIKE_FUNCTION = "querylang_ilike"
_GLOB_LITERAL = {"*": "[*]", "?": "[?]", "[": "[[]"}


def to_glob(pattern: str) -> str:
    r"""A LIKE pattern (``%``, ``_``, backslash escapes) as the GLOB pattern that matches the same texts.

    ``to_glob(r"100\%_*")`` is ``"100%?[*]"``. The pattern must not end in a lone backslash
    (``compile`` refuses those first).
    """
    out: list[str] = []
    for kind, text in like_tokens(pattern):
        if kind == "%":
            out.append("*" * len(text))
        elif kind == "_":
            out.append("?" * len(text))
        else:
            out.extend(_GLOB_LITERAL.get(c, c) for c in text)
    return "".join(out)


@functools.lru_cache(maxsize=256)
def _matcher(pattern: str) -> Callable[[str], bool]:
    return like_matcher(pattern, ignore_case=True)


def _ilike(value: object, pattern: object) -> int | None:
    if value is None or pattern is None:
        return None
    return int(_matcher(str(pattern))(str(value)))


def register(connection: sqlite3.Connection) -> None:
    """Define ``querylang_ilike`` on a SQLite connection, for statements with ``$ilike``."""
    connection.create_function(ILIKE_FUNCTION, 2, _ilike, deterministic=True)
