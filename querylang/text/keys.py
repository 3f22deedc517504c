"""A raw key -> what it says: its decoded name and bracket segments, with offsets from its start.

A key is decoded as a whole before its brackets are read, all or nothing (docs/semantics.md section
1). A key that fails to decode (``a%ZZ[b]``) is one plain key, kept as written: no bracket is
read in it. ``plain_keys`` finds such keys in a query where qs cuts them from their parameters,
and ``masked`` hides them from the grammar behind as many name characters, so that the spans
stay those of the text. ``params.py`` reads the rest of each parameter.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from ..percent import decode_component
from ..source import Span

__all__ = ["KEYS", "MAX_DEPTH", "PLAIN_MARK", "Key", "decode", "masked", "plain_key", "plain_keys", "read_key"]

MAX_DEPTH = 5
"""Bracket segments a key may have (qs ``depth``)."""

# PERF: a Key straight from a tuple, without the named tuple's Python-level __new__.
_key = tuple.__new__


class Key(NamedTuple):
    """What a key says, wherever it is written: its decoded parts, with offsets from its start."""

    texts: tuple[str, ...]  # the decoded name (when there is one) and segments
    bounds: tuple[int, ...]  # their raw (start, end) offsets from the key's start, flattened
    has_name: bool  # False when the key starts with a bracket
    raw: bool  # the key fails to decode: one plain name, kept as written (`+` read as a space)
    full: str  # the decoded key as qs sees it before reading its brackets (`a[b][]`; see PLAIN_MARK)
    too_deep: Span | None  # where the key passes MAX_DEPTH, from its start
    opens: tuple[int, ...]  # where each part starts as written (a segment at its `[` or `%5B`)


def decode(text: str) -> tuple[str, bool]:
    """``percent.decode_component``, skipped for text with nothing to decode."""
    return decode_component(text) if "%" in text or "+" in text else (text, True)


# PERF: keys repeat (a few dozen fields and operators), so what each one says is kept; read
# with brackets and escapes, a key costs more than the rest of its parameter.
KEYS: dict[str, Key] = {}
KEYS_KEPT = 4096
_KEY_KEPT_LENGTH = 256  # a longer key is not a field and an operator: not kept (memory stays small)


def read_key(raw_key: str, segment: re.Pattern[str]) -> Key:
    """What a key says (``segment`` finds one bracket segment: the grammar's), read and kept in ``KEYS``.

    A key that fails to decode is not kept: every key in ``KEYS`` decodes, so a reader that
    finds a key there knows it needs no masking (``params.read_params``).
    """
    key = _read_key(segment, raw_key)
    if len(raw_key) <= _KEY_KEPT_LENGTH and not key.raw:
        if len(KEYS) >= KEYS_KEPT:
            KEYS.clear()
        KEYS[raw_key] = key
    return key


# qs cuts a parameter at its first ']=' (`%5D=` too: it turns bracket escapes into brackets
# first), or else at its first '='.
_BRACKET_EQUALS = re.compile(r"\]=|%5[dD]=")
_MASK = "x"  # a name character: a masked key reads as a plain name of the same length
_NOT_ASCII_ESCAPE = re.compile("%(?![0-7][0-9A-Fa-f])")


def _qs_key(part: str) -> str:
    """The key as qs cuts it from its parameter."""
    found = _BRACKET_EQUALS.search(part)
    if found is not None:
        return part[: found.end() - 1]
    eq = part.find("=")
    return part if eq < 0 else part[:eq]


def plain_keys(text: str) -> dict[int, int]:
    """The keys that fail to decode: where each starts in ``text``, and its length."""
    # PERF: only an invalid escape or one of a byte above ASCII (`%ZZ`, `%E9`) can make a key fail.
    if "%" not in text or _NOT_ASCII_ESCAPE.search(text) is None:
        return {}
    found: dict[int, int] = {}
    offset = 1 if text.startswith("?") else 0
    for part in text[offset:].split("&"):
        if "%" in part:
            key = _qs_key(part)
            if "%" in key and key not in KEYS and not decode_component(key)[1]:
                found[offset] = len(key)
        offset += len(part) + 1
    return found


def masked(text: str, plain: dict[int, int]) -> str:
    """``text`` with each key that fails to decode replaced by as many name characters."""
    pieces: list[str] = []
    last = 0
    for start, length in plain.items():
        pieces += (text[last:start], _MASK * length)
        last = start + length
    return "".join(pieces) + text[last:]


PLAIN_MARK = "\udc80"
"""Starts the ``full`` key of a key that fails to decode and holds a bracket; no decoded key
holds a lone surrogate, so ``a%ZZ[b]`` never groups with ``a%25ZZ[b]``, whose brackets are read."""


def plain_key(raw_key: str) -> Key:
    """A key that fails to decode: one name, as written but for ``+`` read as a space."""
    name = raw_key.replace("+", " ")
    full = PLAIN_MARK + name if "[" in name or "]" in name else name
    return _key(Key, ((name,), (0, len(raw_key)), True, True, full, None, (0,)))


def _read_key(segment: re.Pattern[str], key: str) -> Key:
    """Split a key into its name and segments and decode it as a whole (all or nothing)."""
    if "[" not in key and "%5" not in key:
        name, ok = (key, True) if "%" not in key and "+" not in key else decode_component(key)
        return _key(Key, ((name,), (0, len(key)), True, not ok, name, None, (0,)))
    if "%" not in key:
        # PERF: raw brackets only; the grammar already checked that they pair up.
        raw = key.split("[")
        head = raw[0]
        parts = [head, *(r[:-1] for r in raw[1:])] if head else [r[:-1] for r in raw[1:]]
        bounds = [0, len(head)] if head else []
        opens = [0] if head else []
        at = len(head)
        for r in raw[1:]:
            bounds += (at + 1, at + len(r))
            opens.append(at)
            at += len(r) + 1
        ok = True
        texts = [part.replace("+", " ") for part in parts] if "+" in key else parts
    else:
        found = list(segment.finditer(key))
        head = key[: found[0].start()] if found else key
        parts = [head, *(m.group(1) for m in found)] if head else [m.group(1) for m in found]
        decoded = [decode(part) for part in parts]
        ok = all(good for _, good in decoded)
        # A key that fails to decode is read by _plain_key, unless it ends inside a bracket
        # (`a[b=%ZZ]` without a value), which _param refuses: its parts do not matter then.
        texts = [text for text, _ in decoded]
        bounds = [0, len(head)] if head else []
        opens = [0] if head else []
        for m in found:
            bounds += (m.start(1), m.end(1))
            opens.append(m.start())
    depth = len(texts) - (1 if head else 0)
    too_deep = None
    if depth > MAX_DEPTH:
        first = bounds[2 * (len(texts) - depth + MAX_DEPTH)] - 1
        too_deep = Span(first if key[first] == "[" else first - 2, len(key))
    if "%" not in key and "+" not in key:
        full = key  # PERF: nothing to decode, so qs's key is the text
    elif head:
        full = texts[0] + "".join(f"[{text}]" for text in texts[1:])
    else:
        full = "".join(f"[{text}]" for text in texts)
    return _key(Key, (tuple(texts), tuple(bounds), bool(head), not ok, full, too_deep, tuple(opens)))
