"""Hypothesis strategies for querylang: field names, values, conditions, condition trees, queries.

Everything drawn here is something the query language can write: ``parse(serialize(q)) == q``
is promised for every tree these strategies build. Shapes that text cannot carry (a plain
number as a field inside ``$or``, ``__proto__``, two sort keys on one field) are left out on
purpose and pinned by their own tests in ``test_roundtrip.py``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone

from hypothesis import strategies as st

from querylang import ast
from querylang.ast import Op

# SEMANTICS.md section 3: the contact-communication record.
LIONDESK_FIELDS = (
    "id",
    "contact_id",
    "send_from_user_id",
    "completing_user_id",
    "campaign_name",
    "template_subject",
    "template_name",
    "template_folder_name",
    "type",
    "is_stopped_on_text_reply",
    "is_active",
    "send_at",
    "completed_at",
)
RELATIONS = ("send_from_user", "completing_user")
COMPARE_OPS = tuple(op for op in Op if op not in (Op.IN, Op.NIN))
MEMBERSHIP_OPS = (Op.IN, Op.NIN)

# Characters that mean something to a query string or to qs, mixed into every generated text.
SPECIAL_CHARS = "%+&=#[]? .,$\\/:;'\"\t\n"
# Names that are properties of JavaScript's Object.prototype; Express reads them as plain keys.
JS_NAMES = ("constructor", "toString", "hasOwnProperty", "valueOf", "__defineGetter__", "isPrototypeOf")

_characters = st.one_of(
    st.sampled_from(SPECIAL_CHARS),
    st.characters(codec="utf-8"),
    st.sampled_from("aeé0_-Zß€😀"),
)


# Inputs on which parse/decode break their contract today (an exception other than
# QuerySyntaxError/QueryValidationError), each pinned by a strict xfail test in test_fuzz.py.
# The properties skip them until the fix lands; then the xfail test fails (XPASS) and both go.
KNOWN_CRASHES: dict[str, Callable[[str], object]] = {}


def is_known_crash(text: str) -> bool:
    """Whether ``text`` has the shape of a known crash (see ``KNOWN_CRASHES``)."""
    return any(applies(text) for applies in KNOWN_CRASHES.values())


def is_array_index(text: str) -> bool:
    """Whether qs reads ``text`` inside brackets as an array index (``"7"`` yes, ``"07"`` no)."""
    return text.isascii() and text.isdigit() and (text == "0" or not text.startswith("0"))


def is_writable_field(name: str) -> bool:
    """A field name that text can carry anywhere in a query, top level or inside brackets."""
    return (
        bool(name)
        and not name.startswith("$")
        and "[" not in name
        and "]" not in name
        and name != "__proto__"
        and not is_array_index(name)
    )


other_field_names = st.one_of(
    st.sampled_from(JS_NAMES),
    st.text(_characters, min_size=1, max_size=12),
    st.from_regex(r"[a-z][a-z0-9_]{0,15}", fullmatch=True),
    st.from_regex(r"0[0-9]{1,3}|-[0-9]|[0-9]+\.[0-9]|[0-9]+ ", fullmatch=True),
).filter(is_writable_field)

# Mostly the LionDesk names (one_of picks a branch uniformly, so three out of four draws).
field_names = st.one_of(
    st.sampled_from(LIONDESK_FIELDS),
    st.sampled_from(LIONDESK_FIELDS),
    st.sampled_from(LIONDESK_FIELDS),
    other_field_names,
)

values = st.one_of(
    st.text(_characters, max_size=20),
    st.sampled_from(
        [
            "",
            "Text Contact",
            "%New%",
            "%25New%ZZ",
            "a+b",
            "1 + 1 = 2",
            "x]=y",
            "%5B%5D",
            "[]",
            "&",
            "#frag",
            "null",
            "undefined",
            "2019-01-01T11:00:00Z",
            "2019-01-01T11:00:00+05:30",
            "é",
            "%E9",
        ]
    ),
)
"""Decoded value text: every character a query string escapes, empty text, non-ASCII."""

digit_strings = st.from_regex(r"[0-9]{1,4}", fullmatch=True)


def compares(value_strategy: st.SearchStrategy[ast.Value] = values) -> st.SearchStrategy[ast.Compare]:
    """``field[op]=value`` for every operator but ``$in``/``$nin`` (``Op.EQ`` is ``field=value``)."""
    return st.builds(ast.Compare, field_names, st.sampled_from(COMPARE_OPS), value_strategy)


def memberships(value_strategy: st.SearchStrategy[ast.Value] = values) -> st.SearchStrategy[ast.Membership]:
    """``field[$in][]=a&field[$in][]=b`` (or ``$nin``) with one to four values."""
    return st.builds(
        ast.Membership,
        field_names,
        st.sampled_from(MEMBERSHIP_OPS),
        st.lists(value_strategy, min_size=1, max_size=4).map(tuple),
    )


def conditions(value_strategy: st.SearchStrategy[ast.Value] = values) -> st.SearchStrategy[ast.Condition]:
    """A single field condition."""
    return st.one_of(compares(value_strategy), memberships(value_strategy))


def collides(existing: list[ast.Condition], cond: ast.Condition) -> bool:
    """Whether ``cond`` cannot join ``existing`` in one condition set (see querylang/ast.py).

    A set holds a field once with a plain value, or with distinct operators: ``a=1&a=2``,
    ``a[$gt]=1&a[$gt]=2`` and ``a=1&a[$gt]=2`` cannot be written as one set.
    """
    ops = {c.op for c in existing if c.field == cond.field}
    if not ops:
        return False
    return cond.op in ops or cond.op is Op.EQ or Op.EQ in ops


@st.composite
def condition_sets(draw: st.DrawFn, value_strategy: st.SearchStrategy[ast.Value] = values) -> ast.Expr:
    """One ``$or`` alternative: a condition, or an ``AllOf`` of conditions that do not collide."""
    drawn = draw(st.lists(conditions(value_strategy), min_size=1, max_size=4))
    kept: list[ast.Condition] = []
    for cond in drawn:
        if not collides(kept, cond):
            kept.append(cond)
    expr = ast.and_(*kept)
    assert expr is not None
    return expr


def any_ofs(value_strategy: st.SearchStrategy[ast.Value] = values) -> st.SearchStrategy[ast.Expr]:
    """An ``$or`` of two to four alternatives."""
    return st.lists(condition_sets(value_strategy), min_size=2, max_size=4).map(lambda alts: ast.or_(*alts))


def where_trees(value_strategy: st.SearchStrategy[ast.Value] = values) -> st.SearchStrategy[ast.Expr | None]:
    """A root condition tree in normal form, or None.

    At the root anything may stand side by side: colliding conditions and several ``$or``
    groups (the serializer moves what cannot share the top level into ``$and``).
    """
    item = st.one_of(conditions(value_strategy), conditions(value_strategy), any_ofs(value_strategy))
    return st.lists(item, max_size=5).map(lambda items: ast.and_(*items))


@st.composite
def sorts(draw: st.DrawFn, directions: st.SearchStrategy[str | int] | None = None) -> tuple[ast.Sort, ...]:
    """``$sort`` keys on distinct fields (sorting a field twice is an error, SEMANTICS.md section 3)."""
    if directions is None:
        directions = st.one_of(st.sampled_from(["1", "-1"]), values)
    names = draw(st.lists(field_names, max_size=3, unique=True))
    return tuple(ast.Sort(name, draw(directions)) for name in names)


relation_names = st.one_of(
    st.sampled_from(RELATIONS),
    st.text(_characters, min_size=1, max_size=10).filter(lambda s: "," not in s and s.strip() != ""),
)

selects = st.none() | st.lists(field_names, min_size=1, max_size=5).map(tuple)
loads = st.none() | st.lists(relation_names, min_size=1, max_size=3).map(tuple)


@st.composite
def queries(
    draw: st.DrawFn,
    value_strategy: st.SearchStrategy[ast.Value] = values,
    window: st.SearchStrategy[str | int | None] | None = None,
    directions: st.SearchStrategy[str | int] | None = None,
) -> ast.Query:
    """A whole query: conditions, ``$limit``/``$skip`` (digit strings), sort, select, load."""
    if window is None:
        window = st.none() | digit_strings
    return ast.Query(
        draw(where_trees(value_strategy)),
        limit=draw(window),
        skip=draw(window),
        sort=draw(sorts(directions)),
        select=draw(selects),
        load=draw(loads),
    )


# ---- typed trees (what validation returns): serialize must still reach a fixed point

aware_datetimes = st.datetimes(
    min_value=datetime(1, 1, 2),
    max_value=datetime(9999, 12, 30),
    timezones=st.one_of(
        st.just(UTC),
        st.timedeltas(min_value=timedelta(hours=-23, minutes=-59), max_value=timedelta(hours=23, minutes=59)).map(
            timezone
        ),
    ),
)
typed_values = st.one_of(
    values,
    st.integers(min_value=-(2**31), max_value=2**31 - 1),
    st.booleans(),
    st.none(),
    aware_datetimes,
    st.dates(),
)
typed_queries = queries(
    typed_values,
    window=st.none() | st.integers(min_value=0, max_value=10_000) | digit_strings,
    directions=st.sampled_from([1, -1, "1", "-1"]),
)

# ---- nested structures for encode/decode


def _structure_key(*, top: bool) -> st.SearchStrategy[str]:
    def ok(key: str) -> bool:
        return (
            bool(key) and "[" not in key and "]" not in key and key != "__proto__" and (top or not is_array_index(key))
        )

    return st.one_of(
        st.text(_characters, min_size=1, max_size=8),
        st.sampled_from(("a", "b", "$in", "$or", "0", "1", "01", "-1", " 1", "%5B", "a=b", "constructor")),
    ).filter(ok)


def _container(depth: int) -> st.SearchStrategy[object]:
    """A value below a key that already used ``depth`` bracket levels (qs reads five)."""
    leaf = st.text(_characters, max_size=10)
    options: list[st.SearchStrategy[object]] = [leaf]
    if depth < 5:
        options.append(st.lists(leaf, min_size=1, max_size=4))
        options.append(
            st.dictionaries(
                _structure_key(top=False), st.deferred(lambda: _container(depth + 1)), min_size=1, max_size=3
            )
        )
    if depth < 4:
        nested = st.deferred(lambda: _container(depth + 1)).filter(lambda v: not isinstance(v, str))
        options.append(st.lists(nested, min_size=1, max_size=3))
    return st.one_of(options)


structures = st.dictionaries(_structure_key(top=True), _container(0), min_size=1, max_size=4)
"""Nested dicts and lists of strings that ``encode`` can write and qs reads back unchanged.

Keys are non-empty and bracket-free, never ``__proto__``, never a plain number below the top
level; dicts and lists are non-empty; at most five bracket levels.
"""
