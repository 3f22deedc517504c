"""Answers of ``find`` in memory and of ``querylang.sql.find`` -> the same normal form, to compare.

Memory gives the records as they were given (``'2025-03-30T00:00:00.000Z'``, a missing key),
SQL gives typed values (an aware UTC ``datetime``, every column); both are read through
``Field.from_record`` here. A row without ``$select`` holds every schema field (a missing key
is null); with ``$select`` exactly the selected ones. ``$load`` values are the users as given.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from querylang.schema import Schema


def normal_rows(rows: Sequence[Mapping[str, Any]], schema: Schema, *, whole: bool) -> list[dict[str, Any]]:
    """Each row's fields read by ``from_record``; ``whole`` rows get every schema field (missing is null)."""
    out = []
    for row in rows:
        names = [*schema.field_names, *(k for k in row if schema.field(k) is None)] if whole else list(row)
        normal = {}
        for name in names:
            f = schema.field(name)
            value = row.get(name)
            normal[name] = value if f is None else f.from_record(value)
        out.append(normal)
    return out


def assert_same_rows(
    mine: Sequence[Mapping[str, Any]], expected: Sequence[Mapping[str, Any]], schema: Schema, *, selected: bool
) -> None:
    """The SQL rows hold exactly the expected keys and values, in the same order."""
    if not selected:
        for row in mine:
            extra = set(row) - set(schema.field_names)
            assert all(n in row for n in schema.field_names), f"a row misses fields: {sorted(row)}"
            assert all(schema.relation(k) is not None for k in extra), f"unexpected keys {sorted(extra)}"
    else:
        assert [list(r) for r in mine] == [list(r) for r in expected], "the rows' keys differ"
    normal = normal_rows(mine, schema, whole=not selected), normal_rows(expected, schema, whole=not selected)
    ids = [r.get("id") for r in normal[0]], [r.get("id") for r in normal[1]]
    assert ids[0] == ids[1], f"ids differ: {ids[0]} != {ids[1]}"
    assert normal[0] == normal[1]


def assert_same_answer(mine: Any, expected: Any, schema: Schema, *, selected: bool) -> None:
    """A page (or a plain list) of SQL equals the one of memory."""
    if isinstance(expected, list):
        assert isinstance(mine, list)
        assert_same_rows(mine, expected, schema, selected=selected)
        return
    assert set(mine) == {"total", "limit", "skip", "data"}
    assert (mine["total"], mine["limit"], mine["skip"]) == (expected["total"], expected["limit"], expected["skip"])
    assert_same_rows(mine["data"], expected["data"], schema, selected=selected)
