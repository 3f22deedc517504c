"""Results -> text: a page or rows as JSON, JSON Lines, CSV or an aligned table, for the CLI.

``orjson`` writes JSON when it is installed (the ``fast`` extra), the standard ``json``
otherwise. Rows read from CSV are text; ``display_rows`` shows them with the schema's types.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from typing import IO, Any

from .schema import FieldType, Schema, ValueProblem
from .values import FarInstant

__all__ = ["OUTPUT_FORMATS", "display_rows", "dumps", "write_result"]

OUTPUT_FORMATS = ("json", "jsonl", "csv", "table")


def _default(value: object) -> object:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, FarInstant):
        return value.text()
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


try:
    import orjson

    def dumps(value: object, *, indent: bool = False) -> bytes:
        """JSON bytes of ``value`` (UTF-8, not ASCII-escaped); ``indent`` gives two spaces."""
        option = orjson.OPT_INDENT_2 if indent else 0
        return orjson.dumps(value, default=_default, option=option | orjson.OPT_NON_STR_KEYS)

except ImportError:  # pragma: no cover - orjson is optional

    def dumps(value: object, *, indent: bool = False) -> bytes:
        """JSON bytes of ``value`` (UTF-8, not ASCII-escaped); ``indent`` gives two spaces."""
        text = json.dumps(value, default=_default, ensure_ascii=False, indent=2 if indent else None)
        return text.encode("utf-8")


def display_rows(rows: Iterable[Mapping[str, Any]], schema: Schema) -> list[dict[str, Any]]:
    """Rows read from CSV with their schema fields typed for output (``"true"`` -> true, ``""`` -> null).

    Date-times keep their text; a value that does not fit its field is left as it is.
    """
    out = []
    for row in rows:
        typed = dict(row)
        for name, value in row.items():
            f = schema.field(name)
            if f is None or not isinstance(value, str):
                continue
            if f.type is FieldType.DATETIME or f.type is FieldType.TEXT:
                typed[name] = None if value == "" and f.nullable and f.type is not FieldType.TEXT else value
                continue
            with contextlib.suppress(ValueProblem):
                typed[name] = f.from_record(value)
        out.append(typed)
    return out


def _columns(rows: Sequence[Mapping[str, Any]]) -> list[str]:
    return list(dict.fromkeys(name for row in rows for name in row))


def _cell(value: object) -> str:
    if value is None:
        return ""
    if value is True or value is False:
        return "true" if value else "false"
    if isinstance(value, dict | list):
        return dumps(value).decode("utf-8")
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, FarInstant):
        return value.text()
    return str(value)


def _table_cell(value: object, width: int = 40) -> str:
    if isinstance(value, Mapping) and ("first_name" in value or "last_name" in value):
        text = " ".join(str(value.get(k) or "") for k in ("first_name", "last_name")).strip()
    else:
        text = "null" if value is None else _cell(value)
    text = text.replace("\n", " ").replace("\t", " ")
    return text if len(text) <= width else text[: width - 1] + "…"


def write_result(
    result: Mapping[str, Any] | Sequence[Mapping[str, Any]], kind: str, out: IO[bytes], *, schema: Schema | None = None
) -> None:
    """Write a page (or a list of rows) as ``json`` (the page), ``jsonl``, ``csv`` or an aligned ``table``.

    With ``schema``, the rows are CSV text to show with the schema's types (``display_rows``).
    """
    page = result if isinstance(result, Mapping) else None
    rows: Sequence[Mapping[str, Any]] = page["data"] if page is not None else result  # type: ignore[assignment]
    if schema is not None:
        rows = display_rows(rows, schema)
        result = {**page, "data": rows} if page is not None else rows
    if kind == "json":
        out.write(dumps(result, indent=True) + b"\n")
    elif kind == "jsonl":
        out.writelines(dumps(row) + b"\n" for row in rows)
    elif kind == "csv":
        text = io.TextIOWrapper(out, encoding="utf-8", newline="", write_through=True)
        writer = csv.writer(text, lineterminator="\n")
        columns = _columns(rows)
        writer.writerow(columns)
        writer.writerows([_cell(row.get(c)) for c in columns] for row in rows)
        text.detach()
    elif kind == "table":
        out.write(_table(rows, page).encode("utf-8"))
    else:
        raise ValueError(f"unknown output format {kind!r}")


def _table(rows: Sequence[Mapping[str, Any]], page: Mapping[str, Any] | None) -> str:
    columns = _columns(rows)
    cells = [[_table_cell(row.get(c)) for c in columns] for row in rows]
    widths = [max([len(c), *(len(line[i]) for line in cells)]) for i, c in enumerate(columns)]
    lines = []
    if columns:
        lines.append("  ".join(c.ljust(w) for c, w in zip(columns, widths, strict=True)).rstrip())
        lines.append("  ".join("-" * w for w in widths))
        lines += ["  ".join(v.ljust(w) for v, w in zip(line, widths, strict=True)).rstrip() for line in cells]
    if page is not None:
        first = page["skip"] + 1
        shown = f"rows {first}-{page['skip'] + len(rows)}" if rows else "no rows"
        lines.append(f"({shown} of {page['total']})")
    else:
        lines.append(f"({len(rows)} rows)")
    return "\n".join(lines) + "\n"
