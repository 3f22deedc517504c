"""Records -> JSON as the LionDesk API renders them: dates as ``2023-04-10T00:00:00.000Z``."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime

from ..values import FarInstant

__all__ = ["format_datetime", "jsonable"]


def format_datetime(value: datetime) -> str:
    """An aware ``datetime`` as the reference renders it: UTC, milliseconds, ``Z``.

    ``2023-04-10T00:00:00.000Z``: PostgreSQL's ``timestamptz`` becomes a JavaScript ``Date``,
    which keeps whole milliseconds (the microseconds are truncated, not rounded).
    """
    utc = value.astimezone(UTC).replace(tzinfo=None)
    return utc.isoformat(timespec="milliseconds") + "Z"


def jsonable(value: object) -> object:
    """A copy of ``value`` that ``json.dumps`` can write: datetimes become ISO strings.

    Mappings and sequences are copied recursively; other values are kept.
    """
    if isinstance(value, datetime):
        return format_datetime(value)
    if isinstance(value, FarInstant):
        return value.js_text()
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    return value

