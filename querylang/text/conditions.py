"""Positioned qs structure -> field conditions, ``$or`` and ``$and``: the shape rules of conditions.

Which operators exist, what must be a single value and what a list (a list of one where one value
is expected is that value, with a ``list-for-value`` warning), the shape of ``$or`` and ``$and``,
repeated keys. Problems go to a ``Report`` instead of stopping the reading, so that ``read.py``
raises them all at once, each pointing at the parameter that caused it.
"""

from __future__ import annotations

from ..ast import FILTERS, Expr, Op, and_, made_compare, made_membership, or_
from ..errors import Diagnostic, QueryError, suggest
from ..percent import encode_key, encode_value, is_array_index
from ..source import NOWHERE, Span
from .qs import Arr, Leaf, Node, Obj

__all__ = ["Report", "alternatives", "array_index", "conjunction", "field_conditions", "listed", "single", "span_of"]

_OPERATORS = [op.spelling for op in Op if op is not Op.EQ]


def _leaves(node: Node) -> list[Leaf]:
    if isinstance(node, Leaf):
        return [node]
    items = node.values() if isinstance(node, Arr) else list(node.items.values())
    return [leaf for item in items for leaf in _leaves(item)]


def span_of(node: Node, fallback: Span) -> Span:
    """The span from the first to the last parameter under a node."""
    spans = [leaf.param.span for leaf in _leaves(node)]
    if not spans:
        return fallback
    return Span(min(s.start for s in spans), max(s.end for s in spans))


class Report:
    """What one read of a structure found: problems (it goes on past them), warnings, fields named."""

    def __init__(self) -> None:
        self.problems: list[Diagnostic] = []
        self.warnings: list[Diagnostic] = []
        self.fields: list[tuple[str, Span]] = []  # every field named, even where the rest was wrong

    def problem(self, code: str, message: str, span: Span, hint: str | None = None) -> None:
        """Note an error at ``span``."""
        self.problems.append(Diagnostic(code, message, span, hint))

    def note_raw(self, leaf: Leaf) -> None:
        """Warn that a value kept as written (an invalid escape) is used as it is."""
        if leaf.param.value_raw:
            self.warnings.append(
                Diagnostic(
                    "raw-value",
                    f"value '{leaf.text}' has an invalid percent escape and is used as written",
                    leaf.value_span,
                    "write '%' as %25",
                    "warning",
                )
            )


# ---- values


def _list_for_value(report: Report, node: Arr, leaf: Leaf) -> Leaf:
    """A list of one (``a[]=x``, ``a[0]=x``) where one value is expected: its value, with a warning.

    The reference's validator (ajv, ``coerceTypes: "array"``) reads such a list as the value it
    holds (docs/semantics.md section 2). The warning points at the brackets that make the list, from
    the list's first bracket to the end of the key, and its hint shows the plain form.
    """
    param = leaf.param
    texts = param.key.texts
    # A list of one is made by its one parameter's key: text/qs.py's _wrap gives the list the
    # span of its first bracketed part, `[]` or `[0]`; the parts before it name the value.
    first = next((i for i in range(1, len(texts)) if param.key_part_span(i) == node.span), None)
    if first is None:  # pragma: no cover - no other node holds a list of one
        span, hint = param.span, None
    else:
        names = [encode_key(text) for text in texts[:first]]
        span = param.key_from(first)
        hint = f"write {names[0]}{''.join(f'[{name}]' for name in names[1:])}={encode_value(leaf.text)}"
    message = f"'{param.full_key}' is a list of one where one value is expected: read as the value '{leaf.text}'"
    report.warnings.append(Diagnostic("list-for-value", message, span, hint, "warning"))
    report.note_raw(leaf)
    return leaf


def single(report: Report, node: Node, what: str, key_span: Span, hint: str | None = None) -> Leaf | None:
    """The one value of a key that takes a single value."""
    if isinstance(node, Leaf):
        report.note_raw(node)
        return node
    if isinstance(node, Arr) and all(isinstance(item, Leaf) for item in node.values()) and not node.conflict:
        leaves = [item for item in node.values() if isinstance(item, Leaf)]
        if len(leaves) == 1:
            return _list_for_value(report, node, leaves[0])
        if len(leaves) > 1 and all(leaf.param.full_key == leaves[0].param.full_key for leaf in leaves):
            report.problem(
                "repeated-key",
                f"{what} is given {len(leaves)} times",
                leaves[1].param.span,
                hint or "give it once",
            )
            return None
        report.problem("expected-value", f"{what} takes one value, not a list", span_of(node, key_span), hint)
        return None
    report.problem(
        "expected-value",
        f"{what} takes one value, not {'a list' if isinstance(node, Arr) else 'bracketed members'}",
        span_of(node, key_span),
        hint,
    )
    return None


def listed(report: Report, node: Node, what: str, key_span: Span) -> list[Leaf] | None:
    """The values of a key that takes a list (a single value is a list of one)."""
    if isinstance(node, Leaf):
        report.note_raw(node)
        return [node]
    if isinstance(node, Arr):
        bad = [item for item in node.values() if not isinstance(item, Leaf)]
        if bad:
            report.problem(
                "expected-value", f"{what} takes a list of values, not nested members", span_of(bad[0], key_span)
            )
            return None
        leaves = [item for item in node.values() if isinstance(item, Leaf)]
        for leaf in leaves:
            report.note_raw(leaf)
        return leaves
    report.problem(
        "expected-list",
        f"{what} takes a list, not named members",
        span_of(node, key_span),
        "write key[]=value for each item",
    )
    return None


# ---- conditions


def field_conditions(report: Report, name: str, node: Node, name_span: Span, *, exact: bool = False) -> list[Expr]:
    """``name=value`` or ``name[$op]=value...``: the conditions on one field.

    ``exact``: the set is an ``$and`` element beside an ``$or``, which the reference server
    does not validate, so it reads neither a list of one as a value nor a value as a list
    (it sends them to PostgreSQL as they are, and fails or matches an array's text).
    """
    if "[" in name or "]" in name:
        # Only a key that fails to decode, kept whole, names such a field (docs/semantics.md section
        # 1), and no schema has one: unknown whatever the schema, and no Compare can hold it.
        report.problem(
            "unknown-field",
            f"unknown field '{name}': an invalid percent escape keeps its key whole, brackets included",
            name_span,
            "write '%' as %25; a key is decoded as a whole before its brackets are read",
        )
        return []
    report.fields.append((name, name_span))
    if array_index(report, name, name_span):
        return []
    if isinstance(node, Leaf):
        if node.value_raw:
            report.note_raw(node)
        return [
            made_compare(name, Op.EQ, node.value_text, node.span, name_span, node.value_span, unvalidated=exact)
        ]
    if isinstance(node, Arr):
        values = node.values()
        kinds = {type(item) for item in values}
        if not node.conflict and len(values) == 1 and isinstance(values[0], Leaf):
            if exact:
                _unvalidated_list(report, node, f"'{name}'", name_span, f"write {name}=value")
                return []
            only = _list_for_value(report, node, values[0])
            return [made_compare(name, Op.EQ, only.value_text, only.span, name_span, only.value_span)]
        if node.conflict or len(kinds) > 1:
            report.problem(
                "mixed-condition",
                f"'{name}' is given both as a value and with operators",
                span_of(node, name_span),
                f"write {name}=value or {name}[$op]=value, not both; use $and for both",
            )
            return []
        single(report, node, f"field '{name}'", name_span, f"use {name}[$in][]=… for any of several values")
        return []
    found: list[Expr] = []
    for key, child in node.items.items():
        key_span = node.spans.get(key, name_span)
        op = Op.from_spelling(key)
        if op is None:
            if key == "$eq":
                hint = f"write {name}=value for equality"
            else:
                hint = suggest(key, _OPERATORS) or "operators are " + ", ".join(_OPERATORS)
            report.problem("unknown-operator", f"unknown operator '{key}' on '{name}'", key_span, hint)
            continue
        if op is Op.IN or op is Op.NIN:
            if exact and isinstance(child, Leaf):
                report.problem(
                    "expected-list",
                    f"'{name}[{key}]' beside an $or inside $and needs a list: the reference server "
                    "does not read one value as a list there",
                    child.param.span,
                    f"write {name}[{key}][]=value",
                )
                continue
            leaves = listed(report, child, f"'{name}[{key}]'", key_span)
            if leaves is not None:
                found.append(
                    made_membership(
                        name,
                        op,
                        tuple(leaf.text for leaf in leaves),
                        span_of(child, key_span),
                        name_span,
                        tuple(leaf.value_span for leaf in leaves),
                        unvalidated=exact,
                    )
                )
            continue
        if exact and isinstance(child, Arr) and len(child.values()) == 1 and not child.conflict:
            _unvalidated_list(report, child, f"'{name}[{key}]'", key_span, f"write {name}[{key}]=value")
            continue
        # PERF: a single value, as nearly always, without formatting what an error would say.
        leaf = (
            child
            if isinstance(child, Leaf) and not child.value_raw
            else single(report, child, f"'{name}[{key}]'", key_span, f"use {name}[$in][]=… for any of several values")
        )
        if leaf is not None:
            found.append(
                made_compare(name, op, leaf.text, leaf.param.span, name_span, leaf.value_span, unvalidated=exact)
            )
    return found


def _condition_set(report: Report, obj: Obj, *, allow_or: bool, where: str) -> list[Expr]:
    """The conditions of one set: fields, and an ``$or`` where one is allowed."""
    found: list[Expr] = []
    exact = allow_or and "$or" in obj.items and where == "$and"
    for key, child in obj.items.items():
        key_span = obj.spans.get(key, NOWHERE)
        if key == "$or" and allow_or:
            group = alternatives(report, child, key_span, "$or")
            if group is not None:
                found.append(group)
        elif key in ("$or", "$and"):
            report.problem("nested-group", f"'{key}' is not allowed inside {where}", key_span)
        elif key.startswith("$"):
            report.problem(
                "unknown-filter" if key not in FILTERS else "misplaced-filter",
                f"'{key}' is not allowed inside {where}",
                key_span,
                "filters such as $limit and $sort go at the top level",
            )
        else:
            found.extend(field_conditions(report, key, child, key_span, exact=exact))
    return found


def array_index(report: Report, name: str, span: Span, hint: str | None = None) -> bool:
    """Refuse a plain number as a field name: qs reads it, in brackets, as an array index."""
    if not (name[:1].isdigit() and is_array_index(name)):
        return False
    report.problem(
        "bad-field-name",
        f"'{name}' cannot be a field name: qs reads a plain number in brackets as an array index",
        span,
        hint,
    )
    return True


def _unvalidated_list(report: Report, node: Arr, what: str, key_span: Span, hint: str) -> None:
    report.problem(
        "expected-value",
        f"{what} beside an $or inside $and takes one value, not a list of one: the reference "
        "server does not read a list as its value there",
        span_of(node, key_span),
        hint,
    )


# ---- $or and $and


def _elements(report: Report, node: Node, key_span: Span, what: str) -> list[Obj] | None:
    if isinstance(node, Leaf | Obj):
        report.problem(
            "expected-list",
            f"'{what}' takes a list of condition sets",
            span_of(node, key_span) if isinstance(node, Obj) else node.param.span,
            f"write {what}[0][field]=value&{what}[1][field]=value",
        )
        return None
    result: list[Obj] = []
    for item in node.values():
        if isinstance(item, Obj):
            result.append(item)
        else:
            report.problem(
                "expected-object",
                f"each element of '{what}' is a set of field conditions",
                span_of(item, key_span),
                f"write {what}[0][field]=value",
            )
    return result if len(result) == len(node.values()) else None


def alternatives(report: Report, node: Node, key_span: Span, what: str) -> Expr | None:
    """An ``$or``: a list of condition sets, each an alternative (no ``$or`` or ``$and`` inside)."""
    objs = _elements(report, node, key_span, what)
    if objs is None:
        return None
    alternatives: list[Expr] = []
    for obj in objs:
        items = _condition_set(report, obj, allow_or=False, where="$or")
        expr = and_(*items)
        if expr is not None:
            alternatives.append(expr)
    if len(alternatives) != len(objs):
        return None
    try:
        return or_(*alternatives)
    except QueryError as error:  # pragma: no cover - condition sets are always writable
        report.problems.extend(d for d in error.diagnostics)
        return None


def conjunction(report: Report, node: Node, key_span: Span) -> list[Expr]:
    """An ``$and``: a list of condition sets (each may hold an ``$or``), their conditions together."""
    objs = _elements(report, node, key_span, "$and")
    found: list[Expr] = []
    for obj in objs or ():
        found.extend(_condition_set(report, obj, allow_or=True, where="$and"))
    return found
