"""Percent-decoding as qs does it (all or nothing) and percent-encoding as querylang writes it."""

from __future__ import annotations

import re
from urllib.parse import quote, unquote_to_bytes

from .errors import Diagnostic, QueryError

__all__ = ["decode_component", "encode_key", "encode_value", "is_array_index", "normalize_brackets"]

_BAD_ESCAPE = re.compile(r"%(?![0-9A-Fa-f]{2})")
_BRACKET_ESCAPE = re.compile(r"%5[bBdD]")

# Readable in a query string and read back unchanged by qs and by every URL parser. Values
# escape '=' and brackets too: qs splits a parameter at its first ']=' before anything else.
_VALUE_SAFE = ":,@/!$'()*"
_KEY_SAFE = ":,@/!$'()*"


# Every escape of an ASCII character, with its hex digits in either case ("%2f" and "%2F").
_ASCII_ESCAPES = {high + low: chr(int(high + low, 16)) for high in "01234567" for low in "0123456789abcdefABCDEF"}


def is_array_index(text: str) -> bool:
    """Whether qs reads ``text`` inside brackets as an array index (``"7"`` yes, ``"07"`` no)."""
    return text.isdigit() and text.isascii() and (text == "0" or text[0] != "0")


def normalize_brackets(raw: str) -> str:
    """Turn ``%5B``/``%5D`` (any case) into brackets, as qs does to the whole text first."""
    if "%" not in raw:
        return raw
    return _BRACKET_ESCAPE.sub(lambda m: "[" if m.group(0)[2] in "bB" else "]", raw)


def decode_component(raw: str) -> tuple[str, bool]:
    """Decode one key or value: ``+`` is a space, then UTF-8 percent escapes, all or nothing.

    Returns:
        The decoded text and ``True``, or, when any escape is invalid (``%ZZ``, a lone ``%``,
        bytes that are not UTF-8 such as ``%E9``), the text as written with ``+`` as a space
        and bracket escapes as brackets, and ``False`` — what qs hands a server.
    """
    text = raw.replace("+", " ") if "+" in raw else raw
    if "%" not in text:
        return text, True
    # PERF: escapes of ASCII characters (nearly all of them in a query) by table; anything
    # else, an invalid escape included, takes the byte-level path below.
    pieces = text.split("%")
    try:
        return pieces[0] + "".join([_ASCII_ESCAPES[piece[:2]] + piece[2:] for piece in pieces[1:]]), True
    except KeyError:
        pass
    if _BAD_ESCAPE.search(text) is None:
        try:
            return unquote_to_bytes(text).decode("utf-8"), True
        except UnicodeDecodeError:
            pass
    return normalize_brackets(text), False


def encode_value(text: str) -> str:
    """Percent-encode a value readably: ``%20`` for a space, ``%25``, ``%2B``, ``%26``, UTF-8.

    Raises:
        QueryError: the text holds a lone surrogate, which UTF-8 cannot carry.
    """
    return _quote(text, _VALUE_SAFE)


def encode_key(name: str) -> str:
    """Percent-encode a key name or segment; ``$`` stays readable.

    Raises:
        QueryError: the name holds a lone surrogate, which UTF-8 cannot carry.
    """
    return _quote(name, _KEY_SAFE)


def _quote(text: str, safe: str) -> str:
    if text.isascii():
        return quote(text, safe=safe)
    try:
        return quote(text, safe=safe, errors="strict")
    except UnicodeEncodeError as error:
        raise QueryError(
            [Diagnostic("cannot-encode", f"{text!r} holds {text[error.start]!r}, which UTF-8 cannot carry")]
        ) from None
