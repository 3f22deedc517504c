"""Query text -> positioned parameters: the one place that loads the grammar and runs Lark.

Every parameter comes back with its decoded key name, bracket segments and value, each with
its span in the raw text. The grammar (``grammar/querylang.lark``) is regular, so besides the
LALR parser this module compiles it into one regular expression made of the grammar's own
terminal patterns: a valid query is read with that expression (the common case, several times
faster than feeding tokens to the parser), and the parser reads what the expression refuses,
to say where and why. Both paths build parameters with the same function, and tests hold them
to the same answers. The terminal patterns are saved beside the grammar
(``querylang.terminals.json``, written by ``make terminals``, trusted only while the grammar's
digest matches), so that a valid query never imports Lark. Lark's trees, tokens and exceptions
never leave this module: a text the grammar cannot read raises a positioned ``QuerySyntaxError``.

A key is decoded as a whole before its brackets are read, all or nothing; ``keys.py`` reads
what a key says, and finds the keys that fail to decode, which the grammar reads masked.
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple, cast

from ..errors import QuerySyntaxError
from ..percent import decode_component, normalize_brackets
from ..source import LONE_SURROGATE, Span
from .keys import KEYS, MAX_DEPTH, Key, decode, masked, plain_key, plain_keys, read_key

if TYPE_CHECKING:
    import lark
    from lark.exceptions import UnexpectedInput

__all__ = ["MAX_DEPTH", "MAX_PARAMETERS", "Key", "Param", "Piece", "grammar_path", "read_params"]

MAX_PARAMETERS = 1000
"""Parameters qs reads; it drops the rest (``parameterLimit``), counting empty ones."""


class Piece(NamedTuple):
    """A key name, a key segment or a value: decoded text and its raw span.

    ``raw`` is true when an invalid escape made the decoder keep the text as written.
    A segment's span covers what is between its brackets.
    """

    text: str
    span: Span
    raw: bool = False


# PERF: a Span straight from a tuple, without the named tuple's Python-level __new__.
_span = tuple.__new__


class Param:
    """One ``key=value`` parameter as written.

    ``name`` is None when the key starts with a bracket (qs reads ``[a]=1`` as ``a=1``).
    ``value`` of a parameter without ``=`` is the empty string at the end of the key.
    ``full_key`` is the decoded key as qs sees it before reading its brackets (``a[b][]``).
    ``index`` is the parameter's place among qs's ``&``-separated parts, empty ones included.
    """

    # PERF: one flat object per parameter; the Span and Piece views are made on demand, since
    # building them eagerly was most of the cost of reading a query.
    __slots__ = ("end", "full_key", "index", "key", "key_end", "start", "value_raw", "value_text")

    def __init__(
        self,
        start: int,
        key_end: int,
        end: int,
        key: Key,
        value_text: str,
        value_raw: bool,  # noqa: FBT001
        index: int,
    ) -> None:
        self.start = start
        self.key_end = key_end
        self.end = end
        self.key = key
        self.full_key = key.full
        self.value_text = value_text
        self.value_raw = value_raw
        self.index = index

    @property
    def span(self) -> Span:
        """The whole parameter."""
        return _span(Span, (self.start, self.end))

    @property
    def key_span(self) -> Span:
        """The key."""
        return _span(Span, (self.start, self.key_end))

    @property
    def text(self) -> str:
        """The decoded value (a parameter is the leaf of qs's structure)."""
        return self.value_text

    @property
    def param(self) -> Param:
        """The parameter itself, for code that holds leaves."""
        return self

    @property
    def value_span(self) -> Span:
        """The value's span (empty, at the end of the key, when there is no ``=``)."""
        return _span(Span, (self.key_end + 1 if self.end > self.key_end else self.key_end, self.end))

    @property
    def value(self) -> Piece:
        """The value."""
        return Piece(self.value_text, self.value_span, self.value_raw)

    @property
    def has_name(self) -> bool:
        """Whether the key has a name before its brackets."""
        return self.key.has_name

    @property
    def key_texts(self) -> tuple[str, ...]:
        """The decoded name (when there is one) and segments."""
        return self.key.texts

    def key_part_span(self, i: int) -> Span:
        """The raw span of ``key_texts[i]``."""
        bounds, start = self.key.bounds, self.start
        return _span(Span, (start + bounds[2 * i], start + bounds[2 * i + 1]))

    def key_from(self, i: int) -> Span:
        """The key as written from ``key_texts[i]`` (a segment's opening bracket included) to its end."""
        return _span(Span, (self.start + self.key.opens[i], self.key_end))

    def _pieces(self) -> list[Piece]:
        return [Piece(text, self.key_part_span(i), self.key.raw) for i, text in enumerate(self.key.texts)]

    @property
    def name(self) -> Piece | None:
        """The key's name, before its brackets."""
        return self._pieces()[0] if self.key.has_name else None

    @property
    def segments(self) -> tuple[Piece, ...]:
        """The key's bracket segments; a segment's span is what is between its brackets."""
        pieces = self._pieces()
        return tuple(pieces[1:] if self.key.has_name else pieces)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Param) and all(getattr(self, a) == getattr(other, a) for a in _PARAM_FIELDS)

    def __hash__(self) -> int:
        return hash(tuple(getattr(self, a) for a in _PARAM_FIELDS))

    def __repr__(self) -> str:
        return f"Param({self.full_key!r}, {self.value_text!r}, span={tuple(self.span)})"


_PARAM_FIELDS = tuple(name for name in Param.__slots__)


def grammar_path() -> Path:
    """Where the grammar is: inside the installed package, or in the source tree's grammar/."""
    package = Path(__file__).resolve().parent.parent
    for candidate in (package / "grammar" / "querylang.lark", package.parent / "grammar" / "querylang.lark"):
        if candidate.is_file():
            return candidate
    raise FileNotFoundError("querylang.lark is missing from the installation")  # pragma: no cover


class _Patterns(NamedTuple):
    query: re.Pattern[str]  # a whole valid query
    key: re.Pattern[str]  # the key at the start of a parameter
    segment: re.Pattern[str]  # one bracket segment; group 1 is what is inside


def _build_params(tokens: list[lark.Token], text: str, plain: dict[int, int]) -> list[Param]:
    """The parser's tokens, with positions, to parameters of ``text`` (the parser read it masked)."""
    params: list[Param] = []
    index = 0
    for token in tokens:
        if token.type not in ("PARAM_FIRST", "PARAM"):
            continue
        start: int = token.start_pos  # type: ignore[assignment]
        written = text[start : token.end_pos]
        part = written.lstrip("&")
        index += len(written) - len(part)
        start += len(written) - len(part)
        params.append(_param(part, start, index, _patterns(), plain.get(start, -1)))
    return params


TERMINALS = ("PARAM_FIRST", "PARAM", "AMPS")
"""The grammar's terminals that the fast path's expression is made of."""


def terminals_path() -> Path:
    """The grammar's terminal patterns as Lark writes them, saved beside the grammar (``make terminals``)."""
    return grammar_path().with_suffix(".terminals.json")


def derive_terminals() -> dict[str, object]:
    """What ``terminals_path()`` holds: the grammar's digest, Lark's version, and each terminal's regex."""
    import lark

    parser = _lark()
    return {
        "grammar_sha256": _grammar_digest(),
        "lark": lark.__version__,
        "terminals": {name: parser.get_terminal(name).pattern.to_regexp() for name in TERMINALS},
    }


def _grammar_digest() -> str:
    return hashlib.sha256(grammar_path().read_bytes()).hexdigest()


def _saved_terminals() -> dict[str, str] | None:
    """The saved terminals if they were derived from this very grammar, else None."""
    try:
        saved = json.loads(terminals_path().read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(saved, dict) or saved.get("grammar_sha256") != _grammar_digest():
        return None
    terminals = saved.get("terminals")
    if not isinstance(terminals, dict) or not all(isinstance(terminals.get(n), str) for n in TERMINALS):
        return None
    return {name: terminals[name] for name in TERMINALS}


@functools.cache
def _lark() -> lark.Lark:
    # PERF: lark is imported on the first query the fast path cannot read (import time budget).
    import lark

    return lark.Lark(grammar_path().read_text(encoding="utf-8"), parser="lalr", lexer="contextual")


@functools.cache
def _patterns() -> _Patterns:
    # PERF: the terminals come from the file saved beside the grammar, checked by the grammar's
    # digest, so that a valid query is read without importing Lark or building its parser
    # (~75 ms of every process); a grammar edited since falls back to Lark.
    terminals = _saved_terminals() or cast("dict[str, str]", derive_terminals()["terminals"])
    first, rest, amps = (terminals[name] for name in TERMINALS)
    # `\??+` is possessive: a leading `?` is always the query's, never the first key's, as the
    # parser's QMARK terminal takes it before a key can.
    query = re.compile(rf"\??+(?:(?:{first})(?:{rest})*)?(?:{amps})?", re.DOTALL)
    # The key alone: a parameter's pattern without its leading `&`s and its value.
    key = rest.removeprefix("&+").removesuffix("(?:=[^&]*)?")
    segment_body = r"[^&\[\]%]*(?:%(?!5[bBdD])[^&\[\]%]*)*"
    if segment_body not in key or key.startswith("&") or key.endswith("?"):  # pragma: no cover
        # The grammar and this module changed apart.
        raise AssertionError("grammar/querylang.lark's _SEGMENT no longer matches text/params.py")
    segment = re.compile(rf"(?:\[|%5[bB])({segment_body})(?:\]|%5[dD])")
    return _Patterns(query, re.compile(key, re.DOTALL), segment)


def _plain_param(part: str, start: int, index: int, length: int) -> Param:
    """A parameter whose key, its first ``length`` characters, fails to decode.

    The key ends where qs cuts it, so no ']=' in the value could make qs read it otherwise.
    """
    key = plain_key(part[:length])
    key_end = start + length
    if length == len(part):
        return Param(start, key_end, key_end, key, "", False, index)  # noqa: FBT003
    value, value_ok = decode(part[length + 1 :])
    return Param(start, key_end, start + len(part), key, value, not value_ok, index)


class _PlainKey(Exception):
    """A key that fails to decode, met before they were looked for: read the text again, masked."""


def _param(part: str, start: int, index: int, patterns: _Patterns, plain: int | None = None) -> Param:
    """One parameter from its text (``key`` or ``key=value``) and its offset in the query.

    ``plain`` is the length of the parameter's key when it fails to decode, -1 when it does
    not, and None when the keys that fail were not looked for (``_PlainKey`` if this one does).
    """
    if index >= MAX_PARAMETERS:
        raise QuerySyntaxError.at(
            "too-many-parameters",
            f"more than {MAX_PARAMETERS} parameters (counting empty ones); qs drops the rest",
            Span(start, start + len(part)),
            f"send at most {MAX_PARAMETERS} parameters",
        )
    if plain is not None and plain >= 0:
        return _plain_param(part, start, index, plain)
    # The grammar has read the whole text, so the key ends at the first '=' outside brackets.
    # PERF: a key without brackets, or with balanced raw ones, ends at the first '=' of all.
    eq = part.find("=")
    raw_key = part if eq < 0 else part[:eq]
    if "%5" in raw_key or ("[" in raw_key and raw_key.count("[") != raw_key.count("]")):
        match = patterns.key.match(part)
        assert match is not None, part
        raw_key = match.group()
    key = KEYS.get(raw_key)  # PERF: keys repeat; every kept key decodes
    if key is None:
        key = read_key(raw_key, patterns.segment)
        if key.raw and plain is None:
            raise _PlainKey
    if key.too_deep is not None:
        raise QuerySyntaxError.at(
            "too-deep",
            f"key has {len(key.texts) - key.has_name} bracket levels; at most {MAX_DEPTH} are allowed",
            Span(start + key.too_deep.start, start + key.too_deep.end),
            "qs keeps deeper brackets as one literal segment",
        )
    key_end = start + len(raw_key)
    if len(part) == len(raw_key):
        if "=" in raw_key:
            # qs cuts a parameter at its first ']=', or else at its first '=': here, inside a bracket.
            at = start + raw_key.index("=")
            raise QuerySyntaxError.at(
                "bracket-equals",
                "'=' inside brackets of a key without a value: qs would end the key there",
                Span(at, at + 1),
                "write '=' in a key as %3D",
            )
        return Param(start, key_end, key_end, key, "", False, index)  # noqa: FBT003
    raw_value = part[len(raw_key) + 1 :]
    if len(key.texts) == 1 and key.has_name and ("]=" in raw_value or "%5" in raw_value):
        _check_bracket_equals(raw_value, key_end + 1)
    if "%" not in raw_value and "+" not in raw_value:
        return Param(start, key_end, start + len(part), key, raw_value, False, index)  # noqa: FBT003
    value, value_ok = decode_component(raw_value)
    return Param(start, key_end, start + len(part), key, value, not value_ok, index)


def _check_bracket_equals(raw_value: str, offset: int) -> None:
    """Refuse a value holding ``]=`` (``%5D=`` too): qs would end the key there (``a=x]=y``)."""
    normalized = normalize_brackets(raw_value)
    where = normalized.find("]=")
    if where < 0:
        return
    # Map the offset in the normalized text back to the raw one.
    raw_pos, norm_pos = 0, 0
    while norm_pos < where:
        raw_pos += 3 if raw_value[raw_pos : raw_pos + 3].lower() in ("%5b", "%5d") else 1
        norm_pos += 1
    width = 3 if raw_value[raw_pos] == "%" else 1
    raise QuerySyntaxError.at(
        "bracket-equals",
        "']=' in a value: qs would end the key there and read this parameter differently",
        Span(offset + raw_pos, offset + raw_pos + width + 1),
        "write '=' in a value as %3D",
    )


def _read_fast(text: str, readable: str, plain: dict[int, int] | None) -> list[Param] | None:
    """The parameters of a valid query, read with the compiled grammar; None if it is not valid.

    ``plain``: the keys that fail to decode (``keys.plain_keys``), masked in ``readable``; None
    before they were looked for (``_PlainKey`` if one is met).
    """
    patterns = _patterns()
    if patterns.query.fullmatch(readable) is None:
        return None
    params: list[Param] = []
    offset = 1 if text.startswith("?") else 0
    for index, part in enumerate(text[offset:].split("&")):
        if part:
            params.append(_param(part, offset, index, patterns, None if plain is None else plain.get(offset, -1)))
        offset += len(part) + 1
    return params


def read_params(text: str, *, fast: bool = True) -> list[Param]:
    """Read a query string into its parameters.

    Args:
        text: the query string, with or without its leading ``?``.
        fast: read a valid query with the compiled grammar; ``False`` runs the LALR parser
            always (the two must agree; tests compare them).

    Returns:
        The non-empty parameters in the order written.

    Raises:
        QuerySyntaxError: the text is not a query string, or breaks one of qs's limits.
    """
    if not text:
        return []
    if not text.isascii():
        _check_characters(text)
    stopped: QuerySyntaxError | None = None
    try:
        if fast:
            # PERF: keys that fail to decode are rare, so they are looked for only when the text
            # does not read as it is: it holds one, or stops where qs would cut one differently
            # (`a=%ZZ]=y` is the key `a=%ZZ]`), or does not match the grammar.
            try:
                params = _read_fast(text, text, None)
            except _PlainKey:
                params = None
            except QuerySyntaxError as error:
                params, stopped = None, error
            if params is not None:
                return params
        plain = plain_keys(text)
        if stopped is not None and not plain:
            raise stopped
        readable = masked(text, plain) if plain else text
        if fast and plain:
            params = _read_fast(text, readable, plain)
            if params is not None:
                return params
        return _read_slow(text, readable, plain)
    except QuerySyntaxError as error:
        raise error.with_text(text) from None


def _read_slow(text: str, readable: str, plain: dict[int, int]) -> list[Param]:
    """The parameters, read by Lark's parser, which says where a text that is not a query stops."""
    from lark.exceptions import UnexpectedInput

    try:
        tree = _lark().parse(readable)
    except UnexpectedInput as error:
        # The masked keys are plain names: the parser stops only outside them.
        raise _syntax_error(text, error) from None
    return _build_params(tree.children, text, plain)  # type: ignore[arg-type]


def _check_characters(text: str) -> None:
    """Refuse a lone surrogate: no URL carries one (Python makes them of bytes that are not UTF-8)."""
    bad = LONE_SURROGATE.search(text)
    if bad is not None:
        at = bad.start()
        raise QuerySyntaxError.at(
            "bad-character",
            f"character U+{ord(text[at]):04X} is a lone surrogate, which no URL can carry",
            Span(at, at + 1),
            "decode the URL's bytes as UTF-8, or percent-encode them",
        ).with_text(text)


def _syntax_error(text: str, error: UnexpectedInput) -> QuerySyntaxError:
    """Name what the grammar could not read from the character where it stopped."""
    from lark.exceptions import UnexpectedToken

    if isinstance(error, UnexpectedToken):
        pos = error.token.start_pos if error.token.start_pos is not None else len(text)
    else:
        pos = error.pos_in_stream if error.pos_in_stream is not None else len(text)
    if pos >= len(text):  # pragma: no cover - every prefix of a key is a query
        return QuerySyntaxError.at("syntax-error", "unexpected end of the query", Span(len(text), len(text)))
    stop = text.find("&", pos)
    stop = len(text) if stop < 0 else stop
    three = text[pos : pos + 3].lower()
    if text[pos] == "=":
        return QuerySyntaxError.at(
            "empty-key", f"parameter '{text[pos:stop]}' has no key; qs drops it", Span(pos, stop), "write field=value"
        )
    if text[pos] == "[" or three == "%5b":
        width = 1 if text[pos] == "[" else 3
        rest = text[pos + width : stop]
        if "[" not in rest and "%5b" not in rest.lower():
            return QuerySyntaxError.at(
                "unclosed-bracket", "'[' is never closed", Span(pos, pos + width), "close it with ']'"
            )
        close = max(text.rfind("]", pos, stop), text.lower().rfind("%5d", pos, stop) + 2)
        return QuerySyntaxError.at(
            "nested-bracket",
            "brackets inside brackets",
            Span(pos, close + 1 if close > pos else stop),
            "a key is name[segment][segment]; a segment cannot hold brackets",
        )
    if text[pos] == "]" or three == "%5d":
        width = 1 if text[pos] == "]" else 3
        return QuerySyntaxError.at(
            "stray-bracket", "']' without a matching '['", Span(pos, pos + width), "a key is name[segment][segment]"
        )
    end = pos
    while end < stop and text[end] not in "[=" and text[end : end + 3].lower() != "%5b":
        end += 1
    return QuerySyntaxError.at(
        "text-after-bracket",
        f"'{text[pos:end]}' after ']' in a key",
        Span(pos, end),
        "a key is name[segment][segment]; qs ignores text between brackets",
    )
