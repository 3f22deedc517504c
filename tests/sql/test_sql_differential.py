r"""Generated valid queries on SQLite, DuckDB and PostgreSQL give the page ``find`` gives in memory.

The queries are those of the other differential tests, reused: typed ASTs from
``tests/differential/reference_eval.py`` (every operator on every field, nulls, ``$or``, sorts,
windows, ``$select``, ``$load``) and query text from ``test_reference_generated.py`` (RFC 3339
spellings, pattern characters, non-ASCII ``$ilike``, invalid values). Each runs over the bundled
export and the edge records (``conftest.loaded``), paginated and not; total, limit, skip, the
rows in order, their keys and values (through ``Field.from_record``) and ``$load`` must agree.
A query memory refuses, SQL refuses with the same codes. A pattern ending in a lone backslash
is refused by SQL with ``bad-pattern`` before anything runs, whatever memory does with it.

400 examples per engine under the default profile (about 300 valid); ``QUERYLANG_HYPOTHESIS_PROFILE=fuzz`` runs
the fuzz profile's count.
"""

from __future__ import annotations

import dataclasses
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import assume, event, given, settings
from hypothesis import strategies as st

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "differential"))
from compare import assert_same_answer
from databases import Database
from reference_eval import PATTERN_CHARS, TEXT_FIELDS, typed_queries
from test_reference_generated import queries as text_queries

from querylang import ast
from querylang.errors import QueryError, QueryValidationError
from querylang.like import ends_with_lone_escape
from querylang.validate import validate

EXAMPLES = max(400, settings().max_examples)


@st.composite
def lone_escapes(draw: st.DrawFn) -> ast.Compare:
    """A ``$like``/``$notlike``/``$ilike`` whose pattern ends in a lone backslash."""
    pattern = "".join(draw(st.lists(st.sampled_from(PATTERN_CHARS), max_size=4)))
    pattern = pattern if ends_with_lone_escape(pattern) else pattern + "\\"
    op = draw(st.sampled_from([ast.Op.LIKE, ast.Op.NOTLIKE, ast.Op.ILIKE]))
    return ast.Compare(draw(st.sampled_from(TEXT_FIELDS)), op, pattern)


@st.composite
def queries(draw: st.DrawFn) -> ast.Query | str:
    """Query text one time in three (many not valid), else a typed query (one in twenty with a lone backslash)."""
    if draw(st.integers(0, 2)) == 0:
        text: str = draw(text_queries())
        return text
    query: ast.Query = draw(typed_queries())
    if draw(st.integers(0, 19)) == 0:
        try:
            query = dataclasses.replace(query, where=ast.and_(query.where, draw(lone_escapes())))
        except QueryError:
            assume(False)
    return query


def _refused(run: Any) -> list[str] | None:
    try:
        run()
    except QueryValidationError as error:
        return sorted({d.code for d in error.diagnostics})
    except QueryError as error:  # a syntax error: text the generator wrote badly
        return [f"syntax: {d.code}" for d in error.diagnostics]
    return None


def _has_lone_escape(query: ast.Query | str) -> bool:
    try:
        typed = validate(query)
    except QueryError:
        return False
    return any(
        isinstance(c, ast.Compare)
        and c.op in (ast.Op.LIKE, ast.Op.NOTLIKE, ast.Op.ILIKE)
        and isinstance(c.value, str)
        and ends_with_lone_escape(c.value)
        for c in ast.conditions(typed.where)
    )


def check(db: Database, query: ast.Query | str, *, paginate: bool) -> None:
    """``db.find(query)`` is ``db.expected(query)``, or both refuse it (lone backslashes: SQL alone)."""
    expected: Any = None

    def memory() -> None:
        nonlocal expected
        expected = db.expected(query, paginate=paginate)

    refused = _refused(memory)
    if _has_lone_escape(query):
        with pytest.raises(QueryValidationError) as caught:
            db.find(query, paginate=paginate)
        assert "bad-pattern" in {d.code for d in caught.value.diagnostics}
        event("a lone backslash, refused")
        return
    if refused is not None:
        assert _refused(lambda: db.find(query, paginate=paginate)) == refused
        event("not valid, refused by both")
        return
    typed = validate(query)
    mine = db.find(query, paginate=paginate)
    assert_same_answer(mine, expected, db.schema, selected=typed.select is not None)
    rows = expected if isinstance(expected, list) else expected["data"]
    event("answered, with rows" if rows else "answered, no rows")


@settings(max_examples=EXAMPLES)
@given(query=queries())
def test_sql_find_agrees_with_memory(loaded: Database, query: ast.Query | str) -> None:
    check(loaded, query, paginate=True)


@settings(max_examples=EXAMPLES // 3)
@given(query=queries())
def test_sql_find_agrees_with_memory_unpaginated(loaded: Database, query: ast.Query | str) -> None:
    check(loaded, query, paginate=False)
