"""Typed conditions -> lines of Python source that test a record ``r``, cheap tests first.

Only names made here go into the source; every field name and value from the query is bound
through ``Source.ns`` (the namespace the code is compiled in), never formatted into the text
(STYLE.md, "Compile and evaluate"). ``scans.py`` puts the lines into functions.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from operator import length_hint

from ..ast import PATTERN_OPS, AllOf, AnyOf, Compare, Expr, Membership, Op
from ..like import fold_case
from ..schema import Field, FieldType, RecordError, Schema
from .plan import PatternPlans, cost, needs_null_guard, rejects_null
from .rows import coercer

__all__ = ["Source", "conjunction", "load"]


class Source:
    """The namespace generated code is compiled in, and the helper functions written so far."""

    def __init__(self, schema: Schema) -> None:
        self.schema = schema
        self.ns: dict[str, object] = {"RecordError": RecordError, "LENGTH_HINT": length_hint}
        self.memo: dict[tuple[str, object], str] = {}
        self.defs: list[str] = []
        self.alts = 0
        self.plans = PatternPlans()

    def bind(self, prefix: str, value: object, memo: object = None) -> str:
        """A new name for ``value`` in the namespace; the same name again for the same ``memo``."""
        if memo is not None and (prefix, memo) in self.memo:
            return self.memo[prefix, memo]
        name = f"{prefix}{len(self.ns)}"
        self.ns[name] = value
        if memo is not None:
            self.memo[prefix, memo] = name
        return name

    def field(self, name: str) -> Field:
        """The schema's field ``name`` (the query is validated, so it exists)."""
        f = self.schema.field(name)
        assert f is not None, name  # validated
        return f

    def coercer(self, name: str) -> str:
        """The bound name of field ``name``'s coercer (``rows.coercer``)."""
        return self.memo.get(("C", name)) or self.bind("C", coercer(self.field(name)), name)


# ---- reading one field


def read(g: Source, name: str, var: str, pad: str) -> list[str]:
    """Lines that set ``var`` to the raw value of field ``name`` of record ``r`` (None if missing)."""
    key = g.bind("K", name, name)
    return [f"{pad}try:", f"{pad}    {var} = r[{key}]", f"{pad}except KeyError:", f"{pad}    {var} = None"]


def load(g: Source, name: str, var: str, pad: str, fail: str | None = None) -> list[str]:
    """Lines that set ``var`` to the typed value of field ``name`` of record ``r``.

    With ``fail``, a null value runs it; the checks sit on the paths that can give null.
    """
    f = g.field(name)
    co = g.coercer(name)
    lines = read(g, name, var, pad)
    reject = [f"{pad}        if {var} is None:", f"{pad}            {fail}"] if fail else []
    kind = f.type
    if kind is FieldType.DATETIME:
        # PERF: fromisoformat reads the export form (2019-01-01T11:00:00.000Z) directly; a
        # result not in UTC, a possible 7-digit fraction (PostgreSQL rounds it; fromisoformat
        # truncates) and anything else go through from_record.
        iso = g.bind("FROMISO", datetime.fromisoformat, 0)
        utc = g.bind("UTC", UTC, 0)
        inner = pad
        if f.nullable and fail:
            lines += [f"{pad}if {var} is None:", f"{pad}    {fail}"]
        elif f.nullable:
            lines.append(f"{pad}if {var} is not None:")
            inner = pad + "    "
        return [
            *lines,
            f"{inner}try:",
            f"{inner}    d = {iso}({var})",
            f"{inner}except (ValueError, TypeError):",
            f"{inner}    {var} = {co}({var})",
            *[line.replace(pad + "    ", inner, 1) for line in reject],
            f"{inner}else:",
            f"{inner}    {var} = d if d.tzinfo is {utc} and len({var}) < 27 else {co}({var})",
        ]
    if kind is FieldType.BOOLEAN:
        test = f"{var} is not True and {var} is not False"
    elif kind is FieldType.INTEGER:
        test = f"{var}.__class__ is not int"
    elif kind is FieldType.NUMBER:
        test = f"{var}.__class__ is not int and ({var}.__class__ is not float or {var} != {var})"  # NaN
    elif kind is FieldType.TEXT:
        test = f"{var}.__class__ is not str"
    else:
        test = f"{var}.__class__ is not str or {var} not in {g.bind('E', frozenset(f.values), name)}"
    if fail:
        return [
            *lines,
            f"{pad}if {test}:",
            f"{pad}    if {var} is None:",
            f"{pad}        {fail}",
            f"{pad}    {var} = {co}({var})",
            f"{pad}    if {var} is None:",  # "" in a CSV cell
            f"{pad}        {fail}",
        ]
    if f.nullable and kind is not FieldType.BOOLEAN:
        test = f"{var} is not None and ({test})"
    return [*lines, f"{pad}if {test}:", f"{pad}    {var} = {co}({var})"]


def optimistic(g: Source, cond: Compare | Membership, var: str, fail: str, pad: str) -> list[str] | None:
    """Read and test in one go, coercing only when the raw value fails the test.

    Only for tests that a raw value can pass only by being a valid typed value already:
    ``is True``, equality with or membership in text, IS NULL. None for any other test.
    """
    f = g.field(cond.field)
    kind = f.type
    text = kind is FieldType.TEXT or kind is FieldType.ENUM
    if isinstance(cond, Membership):
        if cond.op is not Op.IN or not text or None in cond.values:
            return None
        raw_fails = f"{var} not in {g.bind('S', frozenset(cond.values))}"
    elif cond.op is not Op.EQ:
        return None
    elif cond.value is None:
        raw_fails = f"{var} is not None"
    elif kind is FieldType.BOOLEAN:
        raw_fails = f"{var} is not {g.bind('X', cond.value)}"
    elif text:
        raw_fails = f"{var} != {g.bind('X', cond.value)}"
    else:
        return None
    co = g.coercer(cond.field)
    value = cond.value if isinstance(cond, Compare) else cond.values[0]
    if value is None:
        valid = ""  # IS NULL: "" may be null (CSV), so every value not None is coerced
    elif kind is FieldType.BOOLEAN:
        valid = f"{var} is {g.bind('X', not value)}"
    elif kind is FieldType.ENUM:
        valid = f"{var}.__class__ is str and {var} in {g.bind('E', frozenset(f.values), cond.field)}"
    else:
        valid = f"{var}.__class__ is str"
    lines = [*read(g, cond.field, var, pad), f"{pad}if {raw_fails}:"]
    if valid:
        lines += [f"{pad}    if {valid}:", f"{pad}        {fail}"]
    lines += [f"{pad}    {var} = {co}({var})", f"{pad}    if {raw_fails}:", f"{pad}        {fail}"]
    return lines


# ---- tests


def test(g: Source, cond: Compare | Membership, var: str, fail: str, pad: str) -> list[str]:
    """Lines that run ``fail`` unless ``cond`` holds for the typed ``var``.

    ``var`` is known non-null here when the condition needs it (see ``conjunction``).
    """
    f = g.field(cond.field)
    if isinstance(cond, Membership):
        values = frozenset(v for v in cond.values if v is not None)
        if cond.op is Op.IN:
            if not values:
                return [f"{pad}{fail}"]  # IN (NULL) matches nothing
            return [f"{pad}if {var} not in {g.bind('S', values)}:", f"{pad}    {fail}"]
        if None in cond.values:
            return [f"{pad}{fail}"]  # NOT IN (..., NULL) is never true
        return [f"{pad}if {var} in {g.bind('S', values)}:", f"{pad}    {fail}"]
    op, value = cond.op, cond.value
    if value is None:
        if op is Op.EQ or op is Op.NE:
            check = "is not" if op is Op.EQ else "is"  # IS NULL / IS NOT NULL
            return [f"{pad}if {var} {check} None:", f"{pad}    {fail}"]
        return [f"{pad}{fail}"]  # `< NULL` and the other ranges are unknown: never true
    if op in PATTERN_OPS:
        subject = var
        if op is Op.ILIKE:
            # fold_case, with the usual ASCII case inline.
            fold = g.bind("F", fold_case, memo="fold_case")
            subject = f"({var}.lower() if {var}.isascii() else {fold}({var}))"
        assert isinstance(cond, Compare)
        kind, arg = g.plans(cond)
        x = g.bind("X", arg)
        expr = {
            "eq": f"{subject} == {x}",
            "in": f"{x} in {subject}",
            "prefix": f"{subject}.startswith({x})",
            "suffix": f"{subject}.endswith({x})",
            "call": f"{x}({subject})",
        }[kind]
        return [f"{pad}if {expr if op is Op.NOTLIKE else f'not ({expr})'}:", f"{pad}    {fail}"]
    x = g.bind("X", value)
    if f.type is FieldType.BOOLEAN and op in (Op.EQ, Op.NE):
        return [f"{pad}if {var} {'is not' if op is Op.EQ else 'is'} {x}:", f"{pad}    {fail}"]
    negated = {Op.EQ: "!=", Op.NE: "==", Op.LT: ">=", Op.LTE: ">", Op.GT: "<=", Op.GTE: "<"}[op]
    return [f"{pad}if {var} {negated} {x}:", f"{pad}    {fail}"]


def conjunction(
    g: Source, items: Sequence[Expr], fail: str, pad: str, loaded: dict[str, str], *, eager: bool = False
) -> tuple[list[str], set[str]]:
    """Lines running ``fail`` unless every item holds, and the fields then known non-null.

    Items run cheapest first; a field is read when its first test needs it. With ``eager``
    every value is coerced before it is tested (the standalone predicate does this, so that
    it names a bad value that the scan's optimistic tests pass over).
    """
    conds = [c for c in items if isinstance(c, Compare | Membership)]
    guarded = {c.field for c in conds if needs_null_guard(c)}
    nonnull = {c.field for c in conds if rejects_null(c)}
    lines: list[str] = []
    for item in sorted(items, key=lambda item: cost(item, g.schema)):
        if isinstance(item, Compare | Membership):
            var = loaded.get(item.field)
            if var is not None:
                lines += test(g, item, var, fail, pad)
                continue
            var = loaded[item.field] = f"v{len(loaded)}"
            quick = None if eager else optimistic(g, item, var, fail, pad)
            if quick is not None:
                lines += quick
                if item.field in guarded and isinstance(item, Compare) and item.value is None:
                    lines += [f"{pad}if {var} is None:", f"{pad}    {fail}"]  # IS NULL and a comparison
                continue
            lines += load(g, item.field, var, pad, fail if item.field in guarded else None)
            lines += test(g, item, var, fail, pad)
        elif isinstance(item, AnyOf):
            calls = " or ".join(f"{alternative(g, alt, eager=eager)}(r)" for alt in item.items)
            lines += [f"{pad}if not ({calls}):", f"{pad}    {fail}"]
        else:  # pragma: no cover - AllOf is flattened into its parent
            raise AssertionError(item)
    return lines, nonnull


def alternative(g: Source, expr: Expr, *, eager: bool) -> str:
    """A function for one ``$or`` alternative; its name."""
    name = f"alt{g.alts}"
    g.alts += 1
    items = expr.items if isinstance(expr, AllOf) else (expr,)
    body, _ = conjunction(g, items, "return False", "    ", {}, eager=eager)
    g.defs.append("\n".join([f"def {name}(r):", *body, "    return True"]))
    return name

