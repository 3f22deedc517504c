"""The positioned qs structure -> the query AST, checking every rule of docs/semantics.md section 2.

The rules that need no schema live here and in ``conditions.py`` (the conditions, ``$or`` and
``$and``): which ``$`` filters exist, what each takes (``$limit``, ``$skip``, ``$sort``,
``$select``, ``$load``), repeated keys. Every problem is collected and raised at once, each
pointing at the parameter that caused it.
"""

from __future__ import annotations

from typing import NamedTuple

from ..ast import (
    FILTERS,
    AllOf,
    Expr,
    Query,
    Sort,
    and_,
    made_query,
    made_sort,
)
from ..errors import Diagnostic, QueryError, QueryValidationError, suggest
from ..source import NOWHERE, Span
from .conditions import Report, alternatives, array_index, conjunction, field_conditions, listed, single, span_of
from .params import read_params
from .qs import Arr, Leaf, Node, Obj, structure

__all__ = ["Partial", "build", "build_partial", "parse"]

# ---- the query and its filters


def _query(report: Report, root: Obj) -> Query:
    items: list[Expr] = []
    parts: dict[str, object] = {}
    spans: dict[str, object] = {}
    for key, child in root.items.items():
        key_span = root.spans.get(key, NOWHERE)
        if not key.startswith("$"):
            items.extend(field_conditions(report, key, child, key_span))
        elif key == "$or":
            group = alternatives(report, child, key_span, "$or")
            if group is not None:
                items.append(group)
        elif key == "$and":
            items.extend(conjunction(report, child, key_span))
        elif key in ("$limit", "$skip"):
            leaf = single(report, child, f"'{key}'", key_span)
            if leaf is not None:
                parts[key] = leaf.text
                spans[key] = leaf.value_span
        elif key == "$sort":
            parts[key] = _sort(report, child, key_span)
        elif key == "$select":
            leaves = listed(report, child, "'$select'", key_span)
            if leaves is not None:
                parts[key] = tuple(leaf.text for leaf in leaves)
                spans[key] = tuple(leaf.value_span for leaf in leaves)
        elif key == "$load":
            _load(report, child, key_span, parts, spans)
        else:
            report.problem(
                "unknown-filter",
                f"unknown filter '{key}'",
                key_span,
                suggest(key, FILTERS) or "filters are " + ", ".join(FILTERS),
            )
    where = and_(*items) if len(items) != 1 or not isinstance(items[0], AllOf) else items[0]
    # Every rule of Query.__post_init__ holds here: sort keys are an object's (distinct) keys,
    # lists have an item at least, relation names were checked by load().
    get, at = parts.get, spans.get
    return made_query(
        where,
        get("$limit"),
        get("$skip"),
        get("$sort", ()),
        get("$select"),
        get("$load"),
        NOWHERE,
        at("$limit", NOWHERE),
        at("$skip", NOWHERE),
        at("$select", ()),
        at("$load", ()),
        tuple(report.warnings),
    )


def _sort(report: Report, node: Node, key_span: Span) -> tuple[Sort, ...]:
    if not isinstance(node, Obj):
        report.problem(
            "expected-object",
            "'$sort' takes fields in brackets",
            span_of(node, key_span),
            "write $sort[field]=1 or $sort[field]=-1",
        )
        return ()
    keys: list[Sort] = []
    for name, child in node.items.items():
        name_span = node.spans.get(name, key_span)
        if name.startswith("$"):
            report.problem("bad-field-name", f"'{name}' is not a field: $sort takes field names", name_span)
            continue
        if array_index(report, name, name_span, "write $sort[field]=1 or $sort[field]=-1"):
            continue
        values = child.values() if isinstance(child, Arr) else []
        if (
            isinstance(child, Arr)
            and not child.conflict
            and len(values) > 1
            and all(isinstance(i, Leaf) for i in values)
        ):
            second = child.values()[1]
            report.problem(
                "repeated-key",
                f"'$sort[{name}]' is given {len(child.values())} times",
                second.param.span if isinstance(second, Leaf) else name_span,
                "sort by a field once",
            )
            continue
        leaf = single(report, child, f"'$sort[{name}]'", name_span)
        if leaf is not None:
            keys.append(made_sort(name, leaf.text, leaf.param.span, name_span, leaf.value_span))
    return tuple(keys)


def _load(report: Report, node: Node, key_span: Span, parts: dict[str, object], spans: dict[str, object]) -> None:
    leaves = listed(report, node, "'$load'", key_span)
    if leaves is None:
        return
    names: list[str] = []
    name_spans: list[Span] = []
    complete = True
    for leaf in leaves:
        where = leaf.value_span
        # Offsets within the value are exact only when it was written without escapes.
        exact = not leaf.value_raw and len(leaf.text) == where.end - where.start
        offset = where.start
        for piece in leaf.text.split(","):
            span = Span(offset, offset + len(piece)) if exact else where
            offset += len(piece) + 1
            if not piece.strip():
                report.problem("empty-relation", "an empty relation name in '$load'", span, "write $load=a,b")
                complete = False
                continue
            names.append(piece)
            name_spans.append(span)
    if complete:
        parts["$load"] = tuple(names)
        spans["$load"] = tuple(name_spans)


class Partial(NamedTuple):
    """What ``build_partial`` makes of a structure, whatever its problems."""

    query: Query  # without the parts that broke a rule
    problems: list[Diagnostic]
    fields: list[tuple[str, Span]]  # every field named, with where


def build_partial(root: Obj) -> Partial:
    """The query a qs structure describes, without the parts that broke a rule, and the problems."""
    report = Report()
    query = _query(report, root)
    report.problems.sort(key=lambda d: (d.span.start, d.span.end))
    return Partial(query, report.problems, report.fields)


def build(root: Obj, text: str = "") -> Query:
    """The query a qs structure describes.

    Raises:
        QueryValidationError: with every problem of docs/semantics.md section 2.
    """
    query, problems, _ = build_partial(root)
    if problems:
        raise QueryValidationError(problems, text)
    return query


def parse(text: str) -> Query:
    """Parse a Feathers query string into a ``Query``.

    ``parse("type[$in][]=Text%20Contact&$sort[send_at]=-1&$limit=10")`` reads the transport
    layer the way Express and qs do, then checks every rule that needs no schema. Values stay
    the decoded strings; ``validate`` types them.

    Args:
        text: the query string, with or without its leading ``?``.

    Returns:
        The query, with spans into ``text``.

    Raises:
        QuerySyntaxError: the text cannot be read (stray brackets, a limit of qs).
        QueryValidationError: it reads but breaks the shape rules; every problem at once.
    """
    try:
        return build(structure(read_params(text)), text)
    except QueryError as error:
        raise error.with_text(text) from None
