"""Schema limits + ``$limit``/``$skip`` -> the page's limit and skip, and the Feathers page type.

Every engine (``memory``, ``sql``) answers with the same ``Page`` and sizes it by the same rule
(docs/semantics.md section 3): a missing ``$limit`` is the default, one above the maximum is
lowered to it; without pagination ``$limit`` and ``$skip`` apply as written.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Mapping
from typing import Any, TypedDict

from .schema import Schema

__all__ = ["NO_MAX", "Page", "page_limits", "unbounded"]

NO_MAX = 2**63 - 1
"""A maximum that never lowers ``$limit`` (the largest SQL ``LIMIT`` too)."""


class Page(TypedDict):
    """One page of results, as Feathers returns it."""

    total: int
    limit: int
    skip: int
    data: list[Mapping[str, Any]]


def page_limits(
    written: int | None,
    skip: int | None,
    schema: Schema,
    default_limit: int | None = None,
    max_limit: int | None = None,
    *,
    paginate: bool = True,
) -> tuple[int | None, int]:
    """``(limit, skip)`` of a page: ``limit`` None means every row (only without pagination).

    Args:
        written: ``$limit`` as written (before lowering), or None.
        skip: ``$skip``, or None.
        schema: its ``default_limit`` and ``max_limit`` apply unless given here.
        default_limit: the page size without ``$limit``.
        max_limit: the largest page.
        paginate: False: no default and no maximum.
    """
    if not paginate:
        return written, skip or 0
    limit = (schema.default_limit if default_limit is None else default_limit) if written is None else written
    maximum = schema.max_limit if max_limit is None else max_limit
    return min(limit, maximum), skip or 0


@functools.lru_cache(maxsize=64)
def unbounded(schema: Schema) -> Schema:
    """``schema`` without a maximum page size: validating against it keeps ``$limit`` as written."""
    return dataclasses.replace(schema, max_limit=NO_MAX)
