"""Golden caret output: one example per diagnostic code that ``validate``/``check`` can produce.

Each example is rendered with ``querylang.errors.render(text, d, prefix=True)`` (the CLI's form)
and compared with ``tests/corpus/diagnostics.txt``. After a deliberate change of a message,
hint or span, regenerate the file and review its diff:

    QUERYLANG_UPDATE_GOLDEN=1 .venv/bin/pytest tests/unit/test_validate_golden.py
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import pytest

from querylang import Diagnostic, Op, Schema, check
from querylang.ast import Compare, Query
from querylang.errors import QueryValidationError, render
from querylang.validate import validate

GOLDEN = Path(__file__).resolve().parents[1] / "corpus" / "diagnostics.txt"
UPDATE = os.environ.get("QUERYLANG_UPDATE_GOLDEN") == "1"

LISTINGS = Schema.from_dict({"name": "listings", "fields": [{"name": "price", "type": "number"}]})

# (code, query text or a function building a Query, schema). Text examples render with carets;
# built trees have no text and render as the headline alone.
Example = tuple[str, "str | Callable[[], Query]", "Schema | None"]
EXAMPLES: list[Example] = [
    # reading the text (SEMANTICS.md section 1)
    ("unclosed-bracket", "type[$in=Text%20Contact", None),
    ("stray-bracket", "send_at]=2019-01-01", None),
    ("text-after-bracket", "send_at[$gte]x=2019-01-01", None),
    ("nested-bracket", "type[[$in]]=Text%20Contact", None),
    ("empty-key", "id=1&=2", None),
    ("bracket-equals", "campaign_name=a]=b", None),
    ("too-deep", "$and[0][$or][0][id][$in][0]=1", None),
    ("index-too-large", "id[$in][1000]=1", None),
    ("array-too-long", "id[$in][999]=1&id[$in]=2", None),
    ("too-many-parameters", "&" * 1000 + "id=1", None),
    ("dropped-value", "id[$gt]=1&id=", None),
    # the shape of the query (section 2)
    ("unknown-filter", "$populate=send_from_user", None),
    ("misplaced-filter", "$or[0][$limit]=1&$or[1][id]=2", None),
    ("unknown-operator", "id[$gtee]=1", None),
    ("nested-group", "$or[0][$or][0][id]=1", None),
    ("expected-list", "$or=id", None),
    ("expected-object", "$sort=send_at", None),
    ("expected-value", "$limit[a]=10", None),
    ("mixed-condition", "id=1&id[$gt]=0", None),
    ("repeated-key", "type=Text%20Contact&type=Call%20Contact", None),
    ("empty-relation", "$load=send_from_user,", None),
    ("raw-value", "campaign_name[$like]=%New%", None),
    # values and filters (section 3)
    ("unknown-field", "sendat[$gte]=2019-01-01T11:00:00Z", None),
    ("operator-not-allowed", "id[$like]=1%25", None),
    ("empty-value", "is_active=", None),
    ("not-an-integer", "id=+89670", None),
    ("out-of-range", "id=2147483648", None),
    ("not-a-boolean", "is_active=True", None),
    ("not-in-enum", "type=text%20contact", None),
    ("not-a-date", "send_at[$gte]=2019-01-01T12:00:00+02:00", None),
    ("not-a-number", "price=1e3", LISTINGS),
    ("bad-direction", "$sort[send_at]=1.0", None),
    ("too-many-fields", "&".join(["$select[]=id"] * 14), None),
    ("unknown-relation", "$load=send_from_user,sender", None),
    ("limit-lowered", "$limit=500", None),
    ("placeholder-value", "template_name=undefined", None),
    ("text-reply-without-type", "is_stopped_on_text_reply=true", None),
    ("empty-range", "send_at[$gt]=2025-01-01&send_at[$lt]=2024-01-01", None),
    ("contradiction", "is_active=true&$and[0][is_active]=false", None),
    # trees built in code (no text, no carets)
    ("wrong-type", lambda: Query(Compare("id", Op.EQ, True)), None),
    ("naive-datetime", lambda: Query(Compare("send_at", Op.GTE, datetime(2019, 1, 1))), None),
]

# Every code check() and validate() can produce today, taken from querylang's sources; a new
# code belongs in EXAMPLES (and here) with its own rendered example.
CODES = {
    "unclosed-bracket",
    "stray-bracket",
    "text-after-bracket",
    "nested-bracket",
    "empty-key",
    "bracket-equals",
    "too-deep",
    "index-too-large",
    "array-too-long",
    "too-many-parameters",
    "dropped-value",
    "unknown-filter",
    "misplaced-filter",
    "unknown-operator",
    "nested-group",
    "expected-list",
    "expected-object",
    "expected-value",
    "mixed-condition",
    "repeated-key",
    "empty-relation",
    "raw-value",
    "unknown-field",
    "operator-not-allowed",
    "empty-value",
    "not-an-integer",
    "out-of-range",
    "not-a-boolean",
    "not-in-enum",
    "not-a-date",
    "not-a-number",
    "bad-direction",
    "too-many-fields",
    "unknown-relation",
    "limit-lowered",
    "placeholder-value",
    "text-reply-without-type",
    "empty-range",
    "contradiction",
    "wrong-type",
    "naive-datetime",
}


def _diagnostics(example: Example) -> tuple[str, list[Diagnostic]]:
    """The text and every diagnostic of an example (errors of built trees via validate)."""
    _, source, schema = example
    if isinstance(source, str):
        return source, check(source, schema)
    with pytest.raises(QueryValidationError) as info:
        validate(source(), schema)
    return "", list(info.value.diagnostics)


def _rendered(example: Example) -> str:
    text, found = _diagnostics(example)
    return "\n".join(render(text, d, prefix=True) for d in found)


def _write_golden() -> None:
    blocks = [
        "# Rendered diagnostics, one example per code: tests/unit/test_validate_golden.py.\n"
        "# Regenerate with QUERYLANG_UPDATE_GOLDEN=1 .venv/bin/pytest tests/unit/test_validate_golden.py\n"
    ]
    blocks += [f"=== {code}\n{_rendered(example)}\n" for example in EXAMPLES for code in [example[0]]]
    GOLDEN.write_text("\n".join(blocks), encoding="utf-8")


def _read_golden() -> dict[str, str]:
    entries: dict[str, str] = {}
    name: str | None = None
    lines: list[str] = []
    for line in GOLDEN.read_text(encoding="utf-8").split("\n"):
        if line.startswith("=== "):
            if name is not None:
                entries[name] = "\n".join(lines).rstrip("\n")
            name, lines = line[4:], []
        elif name is not None:
            lines.append(line)
    if name is not None:
        entries[name] = "\n".join(lines).rstrip("\n")
    return entries


@pytest.fixture(scope="module")
def golden() -> dict[str, str]:
    if UPDATE:
        _write_golden()
    return _read_golden()


def test_every_code_has_one_example() -> None:
    names = [example[0] for example in EXAMPLES]
    assert len(names) == len(set(names))
    assert set(names) == CODES


@pytest.mark.parametrize("example", EXAMPLES, ids=[example[0] for example in EXAMPLES])
def test_example_produces_exactly_its_code(example: Example) -> None:
    _, found = _diagnostics(example)
    assert [d.code for d in found] == [example[0]]


@pytest.mark.parametrize("example", EXAMPLES, ids=[example[0] for example in EXAMPLES])
def test_rendered_diagnostic_matches_golden(example: Example, golden: dict[str, str]) -> None:
    assert example[0] in golden, "missing from tests/corpus/diagnostics.txt; run with QUERYLANG_UPDATE_GOLDEN=1"
    assert _rendered(example) == golden[example[0]]


def test_golden_holds_no_stale_entries(golden: dict[str, str]) -> None:
    assert set(golden) == {example[0] for example in EXAMPLES}


def test_text_examples_render_a_caret_line(golden: dict[str, str]) -> None:
    for code, source, _ in EXAMPLES:
        lines = golden[code].split("\n")
        assert re.match(rf"(error|warning)\[{re.escape(code)}\]: \S", lines[0]), lines[0]
        if isinstance(source, str):
            assert len(lines) == 3
            if len(source) <= 100:
                assert lines[1] == "  " + source
            else:  # a long line is shown as a window around the span
                assert lines[1].startswith("  …") and lines[1][3:] in source
            assert set(lines[2].strip()) == {"^"}
        else:
            assert len(lines) == 1
