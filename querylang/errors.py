"""The QueryError family and Diagnostic: what went wrong, where, and what would be right."""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Literal

from .source import NOWHERE, Span, caret_lines

__all__ = [
    "MAX_SHOWN_DIAGNOSTICS",
    "Diagnostic",
    "QueryError",
    "QuerySyntaxError",
    "QueryValidationError",
    "RecordError",
    "SchemaError",
    "Severity",
    "first_line",
    "render",
    "render_shown",
    "split_shown",
    "suggest",
]

Severity = Literal["error", "warning"]


@dataclass(frozen=True, slots=True)
class Diagnostic:
    """One problem found in a query.

    Attributes:
        code: a stable kebab-case identifier (``unknown-field``, ``not-a-date``).
        message: what is wrong, quoting the offending text.
        span: where, as offsets into the raw query text (``NOWHERE`` for built trees).
        hint: what would be right, when that is known.
        severity: ``"error"`` or ``"warning"``; warnings never raise.
    """

    code: str
    message: str
    span: Span = NOWHERE
    hint: str | None = None
    severity: Severity = "error"

    @property
    def headline(self) -> str:
        """The message with the hint in parentheses."""
        return f"{self.message} ({self.hint})" if self.hint else self.message

    def shifted(self, offset: int) -> Diagnostic:
        """The same diagnostic with its span moved by ``offset`` characters."""
        if not self.span.known or offset == 0:
            return self
        return replace(self, span=Span(self.span.start + offset, self.span.end + offset))

    def to_dict(self) -> dict[str, object]:
        """The diagnostic as plain JSON data (``start``/``end`` are null without a position)."""
        known = self.span.known
        return {
            "code": self.code,
            "severity": self.severity,
            "message": self.message,
            "start": self.span.start if known else None,
            "end": self.span.end if known else None,
            "hint": self.hint,
        }


def render(text: str, diagnostic: Diagnostic, *, prefix: bool = False) -> str:
    """A diagnostic for people: the headline, then the text with carets under the span.

    Args:
        text: the query text the diagnostic's span points into.
        diagnostic: the problem to show.
        prefix: start the headline with ``error[code]:`` (the CLI's form).

    Returns:
        Two or three lines of text, without a trailing newline.
    """
    head = diagnostic.headline
    if prefix:
        head = f"{diagnostic.severity}[{diagnostic.code}]: {head}"
    # No carets without the text the span points into (a tree built in code, say).
    fits = text and diagnostic.span.end <= len(text)
    carets = caret_lines(text, diagnostic.span) if fits else ""
    return f"{head}\n{carets}" if carets else head


MAX_SHOWN_DIAGNOSTICS = 20
"""The most diagnostics shown to people (the command line, an HTTP answer); the rest are counted.

Exceptions and ``check`` keep every diagnostic: only what is rendered is bounded.
"""


def split_shown(
    diagnostics: Sequence[Diagnostic], limit: int = MAX_SHOWN_DIAGNOSTICS
) -> tuple[Sequence[Diagnostic], int]:
    """The first ``limit`` diagnostics, to show, and how many more there are, to count."""
    return diagnostics[:limit], max(len(diagnostics) - limit, 0)


def render_shown(
    text: str, diagnostics: Sequence[Diagnostic], *, prefix: bool = False, limit: int = MAX_SHOWN_DIAGNOSTICS
) -> str:
    """At most ``limit`` diagnostics rendered for people (``render``), then ``... and N more``.

    Returns:
        The rendered diagnostics, one after the other, without a trailing newline.
    """
    first, more = split_shown(diagnostics, limit)
    blocks = [render(text, d, prefix=prefix) for d in first]
    if more:
        blocks.append(f"... and {more} more")
    return "\n".join(blocks)


def suggest(word: str, choices: Iterable[str]) -> str | None:
    """A hint naming the closest choice (``did you mean 'send_at'?``), or None.

    A choice that differs only in case, or that starts with or holds the word (``Text`` for
    ``Text Contact``), comes first; then the closest by spelling.
    """
    options = list(choices)
    folded = word.casefold()
    for test in (
        lambda c: c.casefold() == folded,
        lambda c: len(folded) >= 3 and c.casefold().startswith(folded),
        lambda c: len(folded) >= 3 and folded in c.casefold(),
    ):
        hits = [c for c in options if test(c)]
        if len(hits) == 1:
            return f"did you mean '{hits[0]}'?"
    found = difflib.get_close_matches(word, options, n=1, cutoff=0.6)
    return f"did you mean '{found[0]}'?" if found else None


class QueryError(ValueError):
    """Base of every error about a query's text (reading, validating, building, encoding); a ``ValueError``.

    The service's errors (``querylang.service.ServiceError``) are not queries' errors and stand
    apart; a ``BadRequest`` carries the ``QueryError`` that caused it.

    Attributes:
        diagnostics: the problems, in the order of the text.
        text: the query text the spans point into ("" when there is none).
    """

    def __init__(self, diagnostics: Iterable[Diagnostic], text: str = "") -> None:
        self.diagnostics: tuple[Diagnostic, ...] = tuple(diagnostics)
        self.text = text
        super().__init__(self.diagnostics[0].headline if self.diagnostics else "query error")

    @property
    def diagnostic(self) -> Diagnostic:
        """The first problem."""
        return self.diagnostics[0]

    def with_text(self, text: str, offset: int = 0) -> QueryError:
        """Attach the query text (shifting spans by ``offset``) and return ``self``."""
        if offset:
            self.diagnostics = tuple(d.shifted(offset) for d in self.diagnostics)
        self.text = text
        return self

    def __str__(self) -> str:
        return "\n".join(render(self.text, d) for d in self.diagnostics)


class QuerySyntaxError(QueryError):
    """The text cannot be read as a query string; holds one diagnostic."""

    @classmethod
    def at(cls, code: str, message: str, span: Span, hint: str | None = None) -> QuerySyntaxError:
        """A syntax error with one diagnostic."""
        return cls([Diagnostic(code, message, span, hint)])


class QueryValidationError(QueryError):
    """The text reads as a query but is not a valid one; holds every problem at once."""


class SchemaError(QueryError):
    """A schema file or definition that is not valid."""


class RecordError(QueryError):
    """A record whose value does not fit its field; the message names the record and field."""

    def at(self, index: int) -> RecordError:
        """The same problems, naming the record by its index in the input (counting from 0)."""
        named = [Diagnostic(d.code, f"record {index}: {d.message}", d.span, d.hint) for d in self.diagnostics]
        return RecordError(named)


def first_line(error: BaseException) -> str:
    """The first line of another library's exception (a driver's, say), or its class name when it says nothing."""
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__
