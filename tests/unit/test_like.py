"""querylang.like: the planned LIKE matcher and the PostgreSQL-faithful one, on long inputs too."""

from __future__ import annotations

import sys
import tracemalloc
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from querylang.like import EscapeAtEnd, ends_with_lone_escape, fold_case, like_matcher, like_plan, postgres_like

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "differential"))
from reference_eval import like as dynamic_like

# ---- the oracle: the recursive port of PostgreSQL's MatchText that like.py had before it
# became iterative (issue 11, item 7). Same answers on every input it can finish.

_TRUE, _FALSE, _ABORT = 1, 0, -1


def _recursive_match(text: str, t: int, pattern: str, p: int) -> int:
    tlen, plen = len(text), len(pattern)
    while t < tlen and p < plen:
        c = pattern[p]
        if c == "\\":
            p += 1
            if p >= plen:
                raise EscapeAtEnd
            if pattern[p] != text[t]:
                return _FALSE
        elif c == "%":
            p += 1
            while p < plen:
                if pattern[p] == "%":
                    p += 1
                elif pattern[p] == "_":
                    if t >= tlen:
                        return _ABORT
                    t += 1
                    p += 1
                else:
                    break
            if p >= plen:
                return _TRUE
            if pattern[p] == "\\":
                if p + 1 >= plen:
                    raise EscapeAtEnd
                first = pattern[p + 1]
            else:
                first = pattern[p]
            while t < tlen:
                if text[t] == first:
                    matched = _recursive_match(text, t, pattern, p)
                    if matched != _FALSE:
                        return matched
                t += 1
            return _ABORT
        elif c != "_" and c != text[t]:
            return _FALSE
        t += 1
        p += 1
    if t < tlen:
        return _FALSE
    while p < plen and pattern[p] == "%":
        p += 1
    return _TRUE if p >= plen else _ABORT


def _outcome(run: object, *args: str) -> object:
    try:
        return run(*args)  # type: ignore[operator]
    except EscapeAtEnd:
        return "ERROR"


def _recursive_like(text: str, pattern: str) -> bool:
    return _recursive_match(text, 0, pattern, 0) == _TRUE


_texts = st.text("ab\\%_", max_size=12)
_patterns = st.text("ab\\%_", max_size=10)


@given(_texts, _patterns)
def test_postgres_like_answers_as_the_recursive_port_did(text: str, pattern: str) -> None:
    assert _outcome(postgres_like, text, pattern) == _outcome(_recursive_like, text, pattern)


@given(_texts, _patterns.map(lambda p: p + "\\" if not ends_with_lone_escape(p) else p))
def test_postgres_like_stops_where_the_recursive_port_did(text: str, pattern: str) -> None:
    assert ends_with_lone_escape(pattern)
    assert _outcome(postgres_like, text, pattern) == _outcome(_recursive_like, text, pattern)


# Checked in PostgreSQL 15: `select repeat('a', 2000) like repeat('%a', 1000) || '\'` and so on
# ('ERROR' is "LIKE pattern must not end with escape character").
POSTGRES_LONG = [
    ("a" * 2000, "%a" * 1000 + "\\", "ERROR"),
    ("a" * 1000, "%a" * 1000 + "\\", False),
    ("ab" * 1000, "%a" * 1000 + "\\", "ERROR"),
    ("b" * 2000, "%a" * 1000 + "\\", False),
    ("a" * 999 + "b" * 1001, "%a" * 1000 + "\\", False),
    ("a" * 1999, "%a" * 1000 + "b\\", False),
    ("ab" * 1000, "%a" * 1000 + "b\\", False),
]


@pytest.mark.parametrize(("text", "pattern", "expected"), POSTGRES_LONG, ids=range(len(POSTGRES_LONG)))
def test_postgres_like_runs_a_thousand_percents_as_postgresql_does(text: str, pattern: str, expected: object) -> None:
    # The recursive port overflowed Python's recursion limit here (one frame per %).
    assert _outcome(postgres_like, text, pattern) == expected
    assert _outcome(like_matcher(pattern), text) == expected


# ---- the planned matcher (no lone backslash at the end): pieces found leftmost-first


def _lone_free(pattern: str) -> str:
    return pattern + "\\" if ends_with_lone_escape(pattern) else pattern


@given(st.text("ab\\%_", max_size=16), st.text("ab\\%_", max_size=24).map(_lone_free))
def test_like_matcher_agrees_with_dynamic_programming(text: str, pattern: str) -> None:
    assert like_matcher(pattern)(text) is dynamic_like(text, pattern)
    assert postgres_like(text, pattern) is dynamic_like(text, pattern)


@given(st.text("aAbB%_\\", max_size=12), st.text("aAbB%_\\", max_size=12).map(_lone_free))
def test_ilike_matcher_agrees_with_dynamic_programming_on_folded_text(text: str, pattern: str) -> None:
    assert like_matcher(pattern, ignore_case=True)(text) is dynamic_like(fold_case(text), fold_case(pattern))


@pytest.mark.parametrize(
    ("pattern", "text", "matches"),
    [
        ("%ab_d%", "abcabxd", True),
        ("a_c_e", "abcde", True),
        ("a_c_e", "abXde", False),
        ("%x_y__z%", "..x.y..z..", True),
        ("%x_y__z%", "..x.y.z..", False),
        ("_%_", "ab", True),
        ("%\\%_\\_%", "a%b_c", True),
        ("%\\%_\\_%", "a%b-c", False),
        ("%%a%%", "bab", True),
        ("a%%", "ab", True),
        ("%%a", "ba", True),
        ("___", "abc", True),
        ("___", "ab", False),
        ("%_a_b%", "xxaxbxaybz", True),
        ("%bb_b%", "babab", False),
        ("%bb_b%", "bbab", True),
    ],
)
def test_pieces_with_gaps_are_found_at_their_offsets(pattern: str, text: str, matches: bool) -> None:
    assert like_matcher(pattern)(text) is matches
    assert dynamic_like(text, pattern) is matches


@pytest.mark.parametrize(
    "pattern",
    [
        ("%_a" * 90_000)[:262_144],
        ("a_" * 140_000)[:262_144],
        ("%a\\%" * 70_000)[:262_144],
        "_" * 262_144,
        "%" * 262_144,
    ],
    ids=["percent-gap-letter", "letter-gap", "escaped-percents", "gaps", "percents"],
)
def test_planning_a_long_pattern_takes_memory_linear_in_its_length(pattern: str) -> None:
    # Before issue 11 a piece was a list of characters and a regular expression: ~140 bytes
    # per character of pattern (a 1 MB $like value held 187 MiB while compiling).
    tracemalloc.start()
    try:
        like_plan(pattern)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 64 * len(pattern)
    assert like_matcher(pattern)("a" * 10) is (pattern == "%" * len(pattern))
