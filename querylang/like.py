r"""SQL ``LIKE`` patterns -> matching functions that never backtrack (docs/semantics.md section 4).

``%`` is any run of characters, ``_`` exactly one, a backslash escapes the next character;
case-sensitive; the whole text must match. A pattern ending in a lone backslash is run as
PostgreSQL runs it (``postgres_like``): it matches nothing, and stops with an error on a text
that the matching reaches the backslash with. The pattern is split on ``%`` into
fixed-length pieces, which are found leftmost-first: O(len(text) * len(pattern)) for any
pattern, where a backtracking regular expression can take exponential time
(``%a%a%a%a%a%b`` against a long run of ``a``). Simple shapes become ``==``, ``in``,
``startswith`` or ``endswith``. Planning a pattern is linear in its length: a piece is its
literal runs at fixed offsets (the ``_`` between them are gaps), found with ``str.find``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

__all__ = [
    "EscapeAtEnd",
    "ends_with_lone_escape",
    "fold_case",
    "like_matcher",
    "like_plan",
    "like_tokens",
    "postgres_like",
]

_SPECIAL = re.compile(r"\\.|%+|_+", re.DOTALL)  # an escape, a run of %, a run of _


def like_tokens(pattern: str) -> Iterator[tuple[str, str]]:
    r"""A LIKE pattern as its parts, in order: ``("text", run)``, ``("escaped", char)``, ``("%", run)``, ``("_", run)``.

    ``list(like_tokens(r"a\%b%%_"))`` is ``[("text", "a"), ("escaped", "%"), ("text", "b"),
    ("%", "%%"), ("_", "_")]``. A lone backslash at the end is text. The engines that write a
    pattern in their own terms (SQLite's GLOB, Spark's escapes) read it through this.
    """
    i = 0
    for m in _SPECIAL.finditer(pattern):
        if m.start() > i:
            yield "text", pattern[i : m.start()]
        i = m.end()
        token = m.group()
        yield ("escaped", token[1]) if token[0] == "\\" else (token[0], token)
    if i < len(pattern):
        yield "text", pattern[i:]


class _Piece:
    """A fixed-length piece of a pattern (between ``%``): literal runs at offsets, ``_`` between.

    ``find(text, pos, end)`` gives the leftmost start of the piece in ``text[pos:end]``, or -1:
    it looks for the longest run with ``str.find`` and checks the others at their offsets.
    """

    __slots__ = ("anchor", "at", "others", "size")

    def __init__(self, size: int, runs: list[Any]) -> None:
        # runs: [offset, text, offset, text, ...], flat (a pair each costs more memory)
        self.size = size
        self.at, self.anchor, self.others = 0, "", ()
        if len(runs) == 2:
            self.at, self.anchor = runs
        elif runs:
            best = max(range(0, len(runs), 2), key=lambda i: len(runs[i + 1]))
            self.at, self.anchor = runs[best], runs[best + 1]
            self.others = tuple(runs[:best] + runs[best + 2 :])

    @property
    def literal(self) -> str | None:
        """The piece's text when it has no ``_``, else None."""
        return self.anchor if len(self.anchor) == self.size else None

    def find(self, text: str, pos: int, end: int) -> int:
        size, at, anchor, others = self.size, self.at, self.anchor, self.others
        last = end - size  # the last start that leaves room for the piece
        if last < pos:
            return -1
        if not anchor:
            return pos
        stop = last + at + len(anchor)
        found = text.find(anchor, pos + at, stop)
        while found >= 0:
            start = found - at
            for i in range(0, len(others), 2):
                if not text.startswith(others[i + 1], start + others[i]):
                    break
            else:
                return start
            found = text.find(anchor, found + 1, stop)
        return -1


def _like_pieces(pattern: str) -> list[_Piece]:
    """The pattern split on unescaped ``%`` into pieces; one pass over the pattern."""
    pieces: list[_Piece] = []
    runs: list[Any] = []  # the current piece's literal runs: offset, text, offset, text, ...
    run: list[str] = []  # the literal run being read, in parts (an escape splits the pattern)
    size = start = 0  # the current piece's length so far; where the run being read starts

    def literal(text: str) -> None:
        nonlocal size, start
        if not run:
            start = size
        run.append(text)
        size += len(text)

    def end_run() -> None:
        if run:
            runs.extend((start, "".join(run)))
            run.clear()

    i = 0
    for m in _SPECIAL.finditer(pattern):
        if m.start() > i:
            literal(pattern[i : m.start()])
        i = m.end()
        token = m.group()
        if token[0] == "\\":  # an escape (like_plan keeps a trailing lone one from here)
            literal(token[1])
        elif token[0] == "_":
            end_run()
            size += len(token)
        else:
            end_run()
            if size or not pieces:  # an empty piece between two % matches anywhere: left out
                pieces.append(_Piece(size, runs))
                runs, size = [], 0
    if i < len(pattern):
        literal(pattern[i:])
    end_run()
    pieces.append(_Piece(size, runs))
    return pieces


def ends_with_lone_escape(pattern: str) -> bool:
    """Whether the pattern ends with a backslash that escapes nothing (PostgreSQL refuses it)."""
    return (len(pattern) - len(pattern.rstrip("\\"))) % 2 == 1


class EscapeAtEnd(Exception):
    """PostgreSQL's ``LIKE pattern must not end with escape character``, met while matching."""


_TRUE, _FALSE, _ABORT = 1, 0, -1


def _postgres_match(text: str, pattern: str) -> int:
    """PostgreSQL's ``MatchText`` (like_match.c), character by character: TRUE, FALSE or ABORT.

    MatchText recurses at each ``%``, trying the rest of the pattern at every place in the text
    that starts with the next pattern character. A call that reaches a further ``%`` never
    answers FALSE (it answers TRUE or ABORT, which go straight up), so only the innermost
    ``%`` is ever resumed: one place to go back to is enough, and memory stays constant.

    Raises:
        EscapeAtEnd: where PostgreSQL raises its error: at a trailing backslash with text left,
            or at one that follows a ``%``.
    """
    tlen, plen = len(text), len(pattern)
    t = p = 0
    back_p = -1  # after the latest %: where the rest of the pattern starts (-1: no % yet)
    back_t = 0  # where that rest is being tried in the text
    first = ""  # the character it starts with
    while True:
        matched = True
        while t < tlen and p < plen:
            c = pattern[p]
            if c == "\\":
                p += 1
                if p >= plen:
                    raise EscapeAtEnd
                if pattern[p] != text[t]:
                    matched = False
                    break
            elif c == "%":
                p += 1
                while p < plen:  # any run of % and _ after a %: skip the %, consume a character per _
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
                t = text.find(first, t)
                if t < 0:
                    return _ABORT
                back_p, back_t = p, t
                continue
            elif c != "_" and c != text[t]:
                matched = False
                break
            t += 1
            p += 1
        if matched:
            if t < tlen:
                matched = False
            else:
                while p < plen and pattern[p] == "%":
                    p += 1
                return _TRUE if p >= plen else _ABORT
        # FALSE: the recursion's caller, the latest %, tries the next place (or answers FALSE).
        if back_p < 0:
            return _FALSE
        t = text.find(first, back_t + 1)
        if t < 0:
            return _ABORT
        p, back_t = back_p, t


def postgres_like(text: str, pattern: str) -> bool:
    """``text LIKE pattern`` exactly as PostgreSQL runs it, its error included.

    Used for patterns ending in a lone backslash, where that error depends on the text; the
    others go through ``like_plan``, which never backtracks. Time O(len(text) * len(pattern)),
    memory constant.

    Raises:
        EscapeAtEnd: PostgreSQL would stop the query here.
    """
    return _postgres_match(text, pattern) == _TRUE


def like_plan(pattern: str) -> tuple[str, Any]:
    """How to test ``pattern``: ``("eq"|"in"|"prefix"|"suffix", text)``, or ``("call", matcher)``.

    A pattern ending in a lone backslash gets ``postgres_like``, which may raise ``EscapeAtEnd``.
    Planning takes time and memory linear in the pattern's length.
    """
    if ends_with_lone_escape(pattern):
        return "call", lambda text: postgres_like(text, pattern)
    pieces = _like_pieces(pattern)
    texts = [piece.literal for piece in pieces]
    if len(pieces) == 1 and texts[0] is not None:
        return "eq", texts[0]
    if None not in texts:
        inner = [t for t in texts[1:-1] if t]
        if not inner and not texts[-1]:
            return ("prefix", texts[0]) if texts[0] else ("in", "")
        if not inner and not texts[0]:
            return "suffix", texts[-1]
        if len(inner) == 1 and not texts[0] and not texts[-1]:
            return "in", inner[0]
    return "call", _like_function(pieces)


def _like_function(pieces: list[_Piece]) -> Callable[[str], bool]:
    head = pieces[0]
    if len(pieces) == 1:
        size = head.size

        def whole(text: str) -> bool:
            return len(text) == size and head.find(text, 0, size) == 0

        return whole
    tail = pieces[-1]
    head_size, tail_size = head.size, tail.size
    middle = [piece for piece in pieces[1:-1] if piece.size]
    least = head_size + tail_size + sum(piece.size for piece in middle)

    def match(text: str) -> bool:
        # Greedy leftmost is exact for fixed-length pieces between '%': taking the earliest
        # place for each piece leaves the most room for the rest. O(len(text) * len(pattern)).
        n = len(text)
        if n < least or head.find(text, 0, head_size) != 0 or tail.find(text, n - tail_size, n) != n - tail_size:
            return False
        pos, end = head_size, n - tail_size
        for piece in middle:
            at = piece.find(text, pos, end)
            if at < 0:
                return False
            pos = at + piece.size
        return True

    return match


# PostgreSQL's ILIKE lowers both sides one character at a time (towlower): 'İ' becomes 'i' and
# 'Σ' always 'σ', where str.lower() makes 'i̇' (two characters) and, at the end of a word, 'ς'.
# Every other character lowers alike either way (checked against PostgreSQL 15 with C.UTF-8,
# code point by code point).
_ONE_BY_ONE = str.maketrans({"\u0130": "i", "\u03a3": "\u03c3"})


def fold_case(text: str) -> str:
    """Lower-case ``text`` as PostgreSQL's ``ILIKE`` does: character by character."""
    return text.lower() if text.isascii() else text.translate(_ONE_BY_ONE).lower()


def like_matcher(pattern: str, *, ignore_case: bool = False) -> Callable[[str], bool]:
    r"""A function telling whether a text matches a SQL ``LIKE`` pattern (docs/semantics.md section 4).

    Args:
        pattern: ``%`` any run, ``_`` one character, ``\`` escapes the next character.
        ignore_case: ``ILIKE``: compare after ``fold_case`` of both sides.

    Returns:
        ``match(text) -> bool``, linear in ``len(text)`` for a fixed pattern; for a pattern
        ending in a lone backslash, ``postgres_like``, which may raise ``EscapeAtEnd``.
    """
    kind, arg = like_plan(fold_case(pattern) if ignore_case else pattern)
    tests: dict[str, Callable[[str], bool]] = {
        "eq": lambda t: t == arg,
        "in": lambda t: arg in t,
        "prefix": lambda t: t.startswith(arg),
        "suffix": lambda t: t.endswith(arg),
    }
    test: Callable[[str], bool] = arg if kind == "call" else tests[kind]
    return (lambda t: test(fold_case(t))) if ignore_case else test
