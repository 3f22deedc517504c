"""Query text -> positioned parameters: the one place that loads the grammar and runs Lark.

Every parameter comes back with its decoded key name, bracket segments and value, each with
its span in the raw text. Lark's trees, tokens and exceptions never leave this module: a text
the grammar cannot read raises a positioned ``QuerySyntaxError``.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

import lark
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken

from .errors import QuerySyntaxError
from .percent import decode_component, normalize_brackets
from .source import Span

__all__ = ["MAX_DEPTH", "MAX_PARAMETERS", "Param", "Piece", "grammar_path", "read_params"]

MAX_DEPTH = 5
"""Bracket segments a key may have (qs ``depth``)."""
MAX_PARAMETERS = 1000
"""Parameters qs reads; it drops the rest (``parameterLimit``), counting empty ones."""


@dataclass(frozen=True, slots=True)
class Piece:
    """A key name, a key segment or a value: decoded text and its raw span.

    ``raw`` is true when an invalid escape made the decoder keep the text as written.
    A segment's span covers what is between its brackets.
    """

    text: str
    span: Span
    raw: bool = False


@dataclass(frozen=True, slots=True)
class Param:
    """One ``key=value`` parameter as written.

    ``name`` is None when the key starts with a bracket (qs reads ``[a]=1`` as ``a=1``).
    ``value`` of a parameter without ``=`` is the empty string at the end of the key.
    """

    span: Span
    key_span: Span
    name: Piece | None
    segments: tuple[Piece, ...]
    value: Piece

    @property
    def full_key(self) -> str:
        """The decoded key as qs sees it before reading its brackets (``a[b][]``)."""
        head = self.name.text if self.name is not None else ""
        return head + "".join(f"[{s.text}]" for s in self.segments)


def grammar_path() -> Path:
    """Where the grammar is: inside the installed package, or in the source tree's grammar/."""
    here = Path(__file__).resolve().parent
    for candidate in (here / "grammar" / "querylang.lark", here.parent / "grammar" / "querylang.lark"):
        if candidate.is_file():
            return candidate
    raise FileNotFoundError("querylang.lark is missing from the installation")  # pragma: no cover


def _decode_key(
    name: lark.Token | None, segments: list[lark.Token]
) -> tuple[Piece | None, tuple[Piece, ...]]:
    """Decode a key as a whole: one invalid escape anywhere keeps every part as written."""
    ok = True
    parts: list[tuple[str, Span]] = []
    if name is not None:
        text, good = decode_component(name.value)
        ok = ok and good
        parts.append((text, Span(name.start_pos, name.end_pos)))  # type: ignore[arg-type]
    for seg in segments:
        raw = seg.value
        # The brackets are one character or a three-character escape at either end.
        left = 1 if raw[0] == "[" else 3
        right = 1 if raw[-1] == "]" else 3
        inner = raw[left : len(raw) - right]
        text, good = decode_component(inner)
        ok = ok and good
        start: int = seg.start_pos  # type: ignore[assignment]
        parts.append((text, Span(start + left, start + len(raw) - right)))
    if not ok:
        parts = [
            (normalize_brackets(text_of(tok).replace("+", " ")), span)
            for tok, (_, span) in zip(_key_tokens(name, segments), parts, strict=True)
        ]
    pieces = [Piece(text, span, not ok) for text, span in parts]
    if name is not None:
        return pieces[0], tuple(pieces[1:])
    return None, tuple(pieces)


def _key_tokens(name: lark.Token | None, segments: list[lark.Token]) -> list[lark.Token]:
    return ([name] if name is not None else []) + segments


def text_of(token: lark.Token) -> str:
    """A key token's text without its brackets."""
    raw = token.value
    if token.type != "SEGMENT":
        return str(raw)
    left = 1 if raw[0] == "[" else 3
    right = 1 if raw[-1] == "]" else 3
    return str(raw[left : len(raw) - right])


class _Build(lark.Transformer[lark.Token, list[Param]]):
    """Inline callbacks: the parser calls them as it reduces, so no tree is ever built."""

    def param(self, children: list[lark.Token]) -> Param:
        name: lark.Token | None = None
        segments: list[lark.Token] = []
        value: lark.Token | None = None
        for tok in children:
            kind = tok.type
            if kind == "SEGMENT":
                segments.append(tok)
            elif kind == "NAME":
                name = tok
            else:
                value = tok
        if len(segments) > MAX_DEPTH:
            extra = segments[MAX_DEPTH]
            raise QuerySyntaxError.at(
                "too-deep",
                f"key has {len(segments)} bracket levels; at most {MAX_DEPTH} are allowed",
                Span(extra.start_pos, segments[-1].end_pos),  # type: ignore[arg-type]
                "qs keeps deeper brackets as one literal segment",
            )
        first = name if name is not None else segments[0]
        start: int = first.start_pos  # type: ignore[assignment]
        key_end: int = (segments[-1] if segments else first).end_pos  # type: ignore[assignment]
        if value is None:
            piece = Piece("", Span(key_end, key_end))
            end = key_end
        else:
            raw_value = value.value[1:]
            if not segments and ("]=" in raw_value or "%5" in raw_value):
                _check_bracket_equals(raw_value, key_end + 1)
            text, good = decode_component(raw_value)
            end = value.end_pos  # type: ignore[assignment]
            piece = Piece(text, Span(key_end + 1, end), not good)
        key_name, key_segments = _decode_key(name, segments)
        return Param(Span(start, end), Span(start, key_end), key_name, key_segments, piece)

    def start(self, children: list[lark.Token | Param]) -> list[Param]:
        params: list[Param] = []
        separators = 0
        for child in children:
            if isinstance(child, Param):
                if separators >= MAX_PARAMETERS:
                    raise QuerySyntaxError.at(
                        "too-many-parameters",
                        f"more than {MAX_PARAMETERS} parameters (counting empty ones); "
                        "qs drops the rest",
                        child.span,
                        f"send at most {MAX_PARAMETERS} parameters",
                    )
                params.append(child)
            elif child.type == "AMP":
                separators += len(child.value)
        return params


def _check_bracket_equals(raw_value: str, offset: int) -> None:
    """qs splits a parameter at its first ``]=`` (``%5D=`` too): ``a=x]=y`` has the key ``a=x]``."""
    normalized = normalize_brackets(raw_value)
    where = normalized.find("]=")
    if where < 0:
        return
    # Map the offset in the normalized text back to the raw one.
    raw_pos, norm_pos = 0, 0
    while norm_pos < where:
        step = 3 if raw_value[raw_pos : raw_pos + 3].lower() in ("%5b", "%5d") else 1
        raw_pos += step
        norm_pos += 1
    width = 3 if raw_value[raw_pos] == "%" else 1
    raise QuerySyntaxError.at(
        "bracket-equals",
        "']=' in a value: qs would end the key there and read this parameter differently",
        Span(offset + raw_pos, offset + raw_pos + width + 1),
        "write '=' in a value as %3D",
    )


@functools.cache
def _parser() -> lark.Lark:
    return lark.Lark(
        grammar_path().read_text(encoding="utf-8"),
        parser="lalr",
        lexer="contextual",
        transformer=_Build(),
        maybe_placeholders=False,
        cache=False,
    )


def read_params(text: str) -> list[Param]:
    """Read a query string into its parameters.

    Args:
        text: the query string, with or without its leading ``?``.

    Returns:
        The non-empty parameters in the order written.

    Raises:
        QuerySyntaxError: the text is not a query string, or breaks one of qs's limits.
    """
    if not text:
        return []
    try:
        result: list[Param] = _parser().parse(text)  # type: ignore[assignment]
    except QuerySyntaxError as error:
        raise error.with_text(text) from None
    except lark.exceptions.VisitError as error:  # pragma: no cover - callbacks raise only ours
        if isinstance(error.orig_exc, QuerySyntaxError):
            raise error.orig_exc.with_text(text) from None
        raise
    except UnexpectedInput as error:
        raise _syntax_error(text, error).with_text(text) from None
    return result


def _syntax_error(text: str, error: UnexpectedInput) -> QuerySyntaxError:
    if isinstance(error, UnexpectedEOF):  # pragma: no cover - every prefix of a key is a query
        return QuerySyntaxError.at("syntax-error", "unexpected end of the query", Span(len(text), len(text)))
    pos = error.pos_in_stream if error.pos_in_stream is not None else len(text)
    if isinstance(error, UnexpectedToken):
        token = error.token
        end = token.end_pos if token.end_pos is not None else pos + 1
        if token.type == "VALUE":
            return QuerySyntaxError.at(
                "empty-key",
                f"parameter '{text[pos:end]}' has no key; qs drops it",
                Span(pos, end),
                "write field=value",
            )
        if token.type == "NAME":
            return QuerySyntaxError.at(
                "text-after-bracket",
                f"'{text[pos:end]}' after ']' in a key",
                Span(pos, end),
                "a key is name[segment][segment]; qs ignores text between brackets",
            )
        return QuerySyntaxError.at(  # pragma: no cover - the grammar has no other token
            "syntax-error", f"unexpected '{text[pos:end]}'", Span(pos, end)
        )
    assert isinstance(error, UnexpectedCharacters)
    if text.startswith("[", pos) or text[pos : pos + 3].lower() == "%5b":
        width = 1 if text[pos] == "[" else 3
        close = min(i for i in (text.find("&", pos), len(text)) if i >= 0)
        inner = text.find("[", pos + width, close)
        if inner < 0 and text[pos + width : close].lower().find("%5b") < 0:
            return QuerySyntaxError.at(
                "unclosed-bracket",
                "'[' is never closed",
                Span(pos, pos + width),
                "close it with ']'",
            )
        return QuerySyntaxError.at(
            "nested-bracket",
            "brackets inside brackets",
            Span(pos, close),
            "a key is name[segment][segment]; a segment cannot hold brackets",
        )
    width = 3 if text[pos] == "%" else 1
    return QuerySyntaxError.at(
        "stray-bracket",
        "']' without a matching '['",
        Span(pos, pos + width),
        "a key is name[segment][segment]",
    )
