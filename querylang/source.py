"""Positions in the raw query text: spans, line and column maths, and caret rendering."""

from __future__ import annotations

import re
from typing import NamedTuple

__all__ = ["LONE_SURROGATE", "NOWHERE", "Span", "caret_lines", "line_and_column"]


class Span(NamedTuple):
    """A half-open range ``[start, end)`` of offsets into the raw, undecoded query text.

    A named tuple rather than a dataclass: the parser makes several per parameter.
    """

    start: int
    end: int

    @property
    def known(self) -> bool:
        """Whether the span points into a text (trees built in code have no position)."""
        return self.start >= 0

    def cover(self, other: Span) -> Span:
        """The smallest span holding both spans."""
        if not self.known:
            return other
        if not other.known:
            return self
        return Span(min(self.start, other.start), max(self.end, other.end))


NOWHERE = Span(-1, -1)
"""The span of a node that was not read from text."""


def line_and_column(text: str, offset: int) -> tuple[int, int]:
    """The 1-based line and column of ``offset`` in ``text``, for display only."""
    line = text.count("\n", 0, offset) + 1
    column = offset - (text.rfind("\n", 0, offset) + 1) + 1
    return line, column


LONE_SURROGATE = re.compile("[\ud800-\udfff]")
"""A lone surrogate: what Python makes of bytes that are not UTF-8; no URL or terminal carries one."""


def caret_lines(text: str, span: Span, indent: str = "  ", width: int = 100) -> str:
    """The line of ``text`` that holds ``span`` and a line of carets under the span.

    A zero-width span (the end of the text, an empty value) gets one caret. A span that runs
    past the end of its line is cut at the line's end. A line longer than ``width`` is shown as
    a window around the span, with ``…`` where it was cut.
    """
    if not span.known:
        return ""
    start = min(span.start, len(text))
    line_start = text.rfind("\n", 0, start) + 1
    line_end = text.find("\n", start)
    if line_end < 0:
        line_end = len(text)
    end = min(max(span.end, start), line_end)
    if line_end - line_start > width:
        # Keep some context before the span, and as much of the span as fits.
        view_start = max(line_start, min(start - width // 3, line_end - width))
        view_end = min(line_end, view_start + width)
        end = min(end, view_end)
        head = "…" if view_start > line_start else ""
        tail = "…" if view_end < line_end else ""
        line = head + text[view_start:view_end] + tail
        pad_source = head + text[view_start:start]
    else:
        line = text[line_start:line_end]
        pad_source = text[line_start:start]
    if not line.isascii():
        line = LONE_SURROGATE.sub("\ufffd", line)  # one character each, so the carets stay aligned
    carets = "^" * max(end - start, 1)
    pad = "".join("\t" if ch == "\t" else " " for ch in pad_source)
    return f"{indent}{line}\n{indent}{pad}{carets}"
