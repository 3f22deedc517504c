"""Parameters -> the nested structure qs builds (``decode``), and a structure -> text (``encode``).

This is Express 4.22's query parser: qs 6.16 with ``allowPrototypes: true`` and
``arrayLimit: 1000`` (docs/semantics.md section 1). Where qs would silently reshape or drop part of a
query — a key deeper than five brackets, an index of 1000 or more, more than 1000 parameters, a
``__proto__`` key, an empty value it merges away — querylang raises ``QuerySyntaxError`` instead.

The structure is built once, with positions: ``Obj``, ``Arr`` and ``Leaf`` nodes remember where
each key and value was written, so that ``read.py`` can point at the text. ``decode`` drops the
positions.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from itertools import compress, count
from typing import Final, TypeAlias

from ..errors import Diagnostic, QueryError, QuerySyntaxError
from ..percent import encode_key, encode_value, is_array_index
from ..source import NOWHERE, Span
from ..values import bounded_int, show_number, shown
from .params import MAX_DEPTH, MAX_PARAMETERS, Param, read_params

__all__ = ["ARRAY_LIMIT", "Arr", "Leaf", "Node", "Obj", "Plain", "decode", "encode", "structure"]

ARRAY_LIMIT: Final = 1000
"""Array indices qs reads as indices (``a[999]``); a larger one becomes an object key."""

_INDEX_MAX: Final = 2**32
"""Past every bound an index is compared with: ``ARRAY_LIMIT``, and JavaScript's array indices (below 2**32 - 1)."""

Plain: TypeAlias = "str | list[Plain] | dict[str, Plain]"


Leaf = Param
"""A value as written: the parameter itself (``text`` is its value, ``value_span`` where)."""


class Obj:
    """An object of qs's result; ``spans`` holds where each key was written first."""

    __slots__ = ("conflict", "items", "spans")

    def __init__(self, items: dict[str, Node], spans: dict[str, Span], conflict: int = -1) -> None:
        self.items = items
        self.spans = spans
        self.conflict = conflict  # the last index of a strictMerge conflict container, or -1

    def __repr__(self) -> str:
        return f"Obj({self.items!r})"


class Arr:
    """An array of qs's result; ``None`` marks a hole that compaction removes.

    ``conflict`` marks the array qs makes when one key holds both a value and members
    (``a=1&a[b]=2``); ``span`` is where the array's key was written.
    """

    __slots__ = ("conflict", "items", "span")

    def __init__(self, items: list[Node | None], span: Span = NOWHERE, *, conflict: bool = False) -> None:
        self.items = items
        self.span = span
        self.conflict = conflict

    def values(self) -> list[Node]:
        """The items without holes."""
        return [item for item in self.items if item is not None]

    def __repr__(self) -> str:
        return f"Arr({self.items!r})"


Node: TypeAlias = "Leaf | Obj | Arr"


def _index(root: str) -> int | None:
    """The array index a bracketed segment names, as qs reads it (``"7"`` yes, ``"07"`` no).

    An index past ``_INDEX_MAX`` (thousands of digits, say) is read as ``_INDEX_MAX``: too large
    for every use here, and never converted whole.
    """
    if not is_array_index(root):
        return None
    if len(root) < 10:
        return int(root)  # PERF: the usual case, nowhere near a bound
    index = bounded_int(root, 0, _INDEX_MAX)
    return _INDEX_MAX if index is None else index


def _too_long(span: Span) -> QuerySyntaxError:
    return QuerySyntaxError.at(
        "array-too-long",
        f"an array longer than {ARRAY_LIMIT} items; qs turns it into an object",
        span,
        f"send at most {ARRAY_LIMIT} items",
    )


def _wrap(param: Param, leaf: Node, first: int) -> Node:
    """qs ``parseObject``: wrap a value in one container per bracket segment, innermost first.

    ``first`` is the position, among the key's parts, of the first part to wrap with.
    """
    texts, has_name = param.key.texts, param.key.has_name
    node = leaf
    for i in range(len(texts) - 1, first - 1, -1):
        text = texts[i]
        span = param.key_part_span(i)
        bracketed = i > 0 or not has_name
        index = _index(text) if bracketed else None
        if bracketed and text == "":
            # `[]` appends; qs's [].concat flattens an array below it (`a[][]=1` is a: ["1"]).
            node = Arr(list(node.items) if isinstance(node, Arr) else [node], span)
        elif index is not None:
            if index >= ARRAY_LIMIT:
                raise QuerySyntaxError.at(
                    "index-too-large",
                    f"array index {show_number(text)} is too large; qs reads indices below {ARRAY_LIMIT} only",
                    span,
                    "use [] to append, or a smaller index",
                )
            items: list[Node | None] = [None] * index
            items.append(node)
            node = Arr(items, span)
        else:
            node = Obj({text: node}, {text: span})
    return node


def _merge(target: Node, source: Node) -> Node:
    """qs ``utils.merge`` with ``strictMerge`` (qs 6.16's default)."""
    if isinstance(source, Leaf):
        if source.param.value_text == "":
            raise QuerySyntaxError.at(
                "dropped-value",
                "qs drops this empty value because its key also has bracketed members",
                source.param.span,
                "write the key once, as a value or with brackets",
            )
        if isinstance(target, Arr):
            if len(target.items) >= ARRAY_LIMIT:
                raise _too_long(source.param.span)
            target.items.append(source)
            return target
        if isinstance(target, Obj) and target.conflict >= 0:
            target.conflict += 1
            target.items[str(target.conflict)] = source
            target.spans[str(target.conflict)] = source.param.key_span
            return target
        # strictMerge marks the pair of an object and a value as a conflict; two values are a plain pair.
        return Arr([target, source], source.param.key_span, conflict=isinstance(target, Obj))
    if isinstance(target, Leaf):
        tail = source.items if isinstance(source, Arr) else [source]
        return Arr([target, *tail], target.param.key_span)
    if isinstance(target, Arr) and isinstance(source, Arr):
        # PERF: the indices of the items, not of the holes: `$or[998][id]=1` makes 998 holes, and
        # walking them for each of 999 branches made merging quadratic. (Nodes are never falsy.)
        for i in compress(count(), source.items):
            item = source.items[i]
            assert item is not None
            if i < len(target.items) and target.items[i] is not None:
                present = target.items[i]
                if isinstance(present, (Obj, Arr)) and isinstance(item, (Obj, Arr)):
                    target.items[i] = _merge(present, item)
                else:
                    target.items.append(item)
            else:
                target.items.extend([None] * (i + 1 - len(target.items)))
                target.items[i] = item
        if len(target.items) > ARRAY_LIMIT:
            raise _too_long(source.span)
        return target
    if isinstance(target, Arr):
        # An array merged with an object becomes an object keyed by index.
        acc = Obj(
            {str(i): v for i, v in enumerate(target.items) if v is not None},
            {str(i): target.span for i, v in enumerate(target.items) if v is not None},
            len(target.items) - 1 if target.conflict else -1,
        )
    else:
        acc = target
    if isinstance(source, Arr):
        pairs = [(str(i), v, source.span) for i, v in enumerate(source.items) if v is not None]
    else:
        pairs = [(k, v, source.spans[k]) for k, v in source.items.items()]
    for key, value, span in pairs:
        if key in acc.items:
            acc.items[key] = _merge(acc.items[key], value)
        else:
            acc.items[key] = value
            acc.spans[key] = span
        if acc.conflict >= 0:
            index = _index(key)
            if index is not None and index > acc.conflict:
                acc.conflict = index
    return acc


_starts_with_digit = re.compile("[0-9]").match


def _js_key_order(key: str) -> tuple[int, int]:
    """JavaScript lists integer-like keys first, ascending, then the rest in insertion order."""
    index = _index(key)
    if index is not None and index < 2**32 - 1:
        return (0, index)
    return (1, 0)


def structure(params: Sequence[Param]) -> Obj:
    """The positioned structure qs builds from the parameters.

    Raises:
        QuerySyntaxError: where qs would silently reshape or drop part of the query.
    """
    # parseValues: parameters with the same decoded key combine into one array, in order.
    grouped: dict[str, list[Param]] = {}
    for param in params:
        full = param.full_key  # a key that failed to decode is marked apart (keys.PLAIN_MARK)
        group = grouped.get(full)
        if group is None:
            grouped[full] = [param]
        else:
            group.append(param)
    keys: Iterable[str] = grouped
    if any(map(_starts_with_digit, grouped)):
        keys = sorted(grouped, key=_js_key_order)
    root = Obj({}, {})
    items, spans = root.items, root.spans
    for key in keys:
        group = grouped[key]
        first = group[0]
        leaf: Node = first if len(group) == 1 else Arr(list(group), first.key_span)
        texts = first.key.texts
        if first.key.has_name:
            # PERF: merging {name: inner} into the root is setting or merging one key.
            name = texts[0]
            if len(texts) == 1:
                inner = leaf
            elif len(texts) == 2 and texts[1] and not _starts_with_digit(texts[1]):
                # PERF: `name[member]`, the usual `field[$op]`: one object, no index to read.
                inner = Obj({texts[1]: leaf}, {texts[1]: first.key_part_span(1)})
            else:
                inner = _wrap(first, leaf, 1)
            if name in items:
                items[name] = _merge(items[name], inner)
            else:
                items[name] = inner
                spans[name] = first.key_part_span(0)
        else:
            merged = _merge(root, _wrap(first, leaf, 0))
            assert merged is root
    return root


def _proto_check(node: Node) -> None:
    if isinstance(node, Obj):
        for key, child in node.items.items():
            if key == "__proto__":
                raise QuerySyntaxError.at(
                    "proto-key",
                    "qs drops a '__proto__' key and everything under it",
                    node.spans[key],
                    "field names are plain data; '__proto__' is never a field",
                )
            _proto_check(child)
    elif isinstance(node, Arr):
        for item in node.values():
            _proto_check(item)


def plain(node: Node) -> Plain:
    """A positioned node as plain data: strings, lists and dicts."""
    if isinstance(node, Leaf):
        return node.text
    if isinstance(node, Arr):
        return [plain(item) for item in node.items if item is not None]
    keys: Iterable[str] = node.items
    if any(key[:1].isdigit() for key in node.items):
        keys = sorted(node.items, key=_js_key_order)  # as JavaScript orders an object's keys
    return {key: plain(node.items[key]) for key in keys}


def decode(text: str) -> dict[str, Plain]:
    """Decode a query string into the nested structure Express hands a Feathers server.

    ``decode("a[b][]=1&a[b][]=2")`` is ``{"a": {"b": ["1", "2"]}}``. Arrays are lists, every
    value is a string.

    Args:
        text: the query string, with or without its leading ``?``.

    Returns:
        The structure qs 6.16 builds with Express's options.

    Raises:
        QuerySyntaxError: the text cannot be read, or qs would silently reshape or drop part of
            it (too deep, too many parameters, an index of 1000 or more, stray brackets,
            ``__proto__``).
    """
    try:
        root = structure(read_params(text))
        _proto_check(root)
    except QueryError as error:
        raise error.with_text(text) from None
    result = plain(root)
    assert isinstance(result, dict)
    return result


def _encode_error(message: str, hint: str | None = None) -> QueryError:
    return QueryError([Diagnostic("cannot-encode", message, NOWHERE, hint)])


def encode(obj: Mapping[str, object]) -> str:
    """Encode a nested structure as a query string that ``decode`` (and qs) read back unchanged.

    Dicts become brackets (``a[b]=1``), lists of strings ``a[]=x&a[]=y``, lists holding dicts or
    lists get indices (``a[0][b]=1``). Brackets and ``$`` stay readable; values are
    percent-encoded.

    Args:
        obj: a dict of non-empty dicts, non-empty lists and strings.

    Returns:
        The query string, without a leading ``?``.

    Raises:
        QueryError: something a query string cannot carry — an empty dict or list, a number,
            a date, ``None``, a key that qs would read differently (``""``, ``"0"`` inside
            brackets, a bracket, ``__proto__``), more than five levels or 1000 items.
    """
    if not isinstance(obj, Mapping):
        raise _encode_error(f"cannot encode {type(obj).__name__}; a query string is a dict")
    if not obj:
        return ""
    parts: list[str] = []
    for key, value in obj.items():
        _encode_into(parts, _check_key(key, top=True), value, depth=0)
    if len(parts) > MAX_PARAMETERS:
        raise _encode_error(f"{len(parts)} parameters; qs reads at most {MAX_PARAMETERS}")
    return "&".join(parts)


def _check_key(key: object, *, top: bool) -> str:
    if not isinstance(key, str):
        raise _encode_error(f"key {key!r} is a {type(key).__name__}, not a string")
    if key == "":
        raise _encode_error("an empty key cannot be written in a query string")
    if "[" in key or "]" in key:
        raise _encode_error(f"key {key!r} holds a bracket, which qs always reads as structure")
    if key == "__proto__":
        raise _encode_error("qs drops a '__proto__' key")
    if not top and _index(key) is not None:
        raise _encode_error(
            f"key {key!r} inside brackets reads back as an array index",
            "use a list, or a key that is not a plain number",
        )
    return encode_key(key)


def _encode_into(parts: list[str], prefix: str, value: object, depth: int) -> None:
    if isinstance(value, str):
        parts.append(f"{prefix}={encode_value(value)}")
        return
    if depth >= MAX_DEPTH:
        if isinstance(value, list | tuple) and len(value) > 1 and all(isinstance(v, str) for v in value):
            # No room for `[]`; a repeated key makes the same list (`k=x&k=y`).
            parts.extend(f"{prefix}={encode_value(item)}" for item in value)
            return
        raise _encode_error(f"more than {MAX_DEPTH} levels of brackets under {prefix!r}")
    if isinstance(value, Mapping):
        if not value:
            raise _encode_error(f"an empty dict under {prefix!r} cannot be written")
        for key, child in value.items():
            _encode_into(parts, f"{prefix}[{_check_key(key, top=False)}]", child, depth + 1)
        return
    if isinstance(value, list | tuple):
        if not value:
            raise _encode_error(f"an empty list under {prefix!r} cannot be written")
        if len(value) > ARRAY_LIMIT:
            raise _encode_error(f"a list of {len(value)} items under {prefix!r}; qs reads {ARRAY_LIMIT}")
        if all(isinstance(item, str) for item in value):
            parts.extend(f"{prefix}[]={encode_value(str(item))}" for item in value)
        else:
            for i, item in enumerate(value):
                _encode_into(parts, f"{prefix}[{i}]", item, depth + 1)
        return
    raise _encode_error(
        f"cannot encode {type(value).__name__} {shown(value)} under {prefix!r}",
        "a query string carries only strings; format the value first",
    )
