"""Properties of generated builder programs (issue 5 item 3).

A program is a random sequence of builder steps: field references (attribute and ``F("name")``
forms), operators with Python values, ``~``, ``&``, ``|``, ``where``, ``sort``, ``limit``,
``skip``, ``select`` and ``load``. Alongside, the test keeps a model of the AST the program
must make, written from SEMANTICS.md sections 2-3 with ``querylang.ast`` nodes. For every program:

- the built query equals the model;
- ``parse(serialize(q)) == q`` and ``q == parse(serialize(q))``, and serialize is a fixed point;
- every intermediate query and condition is unchanged by the steps that came after it.
"""

from __future__ import annotations

import functools
import operator
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, timezone
from urllib.parse import urlsplit

from hypothesis import event, given
from hypothesis import strategies as st
from strategies import LIONDESK_FIELDS, collides, other_field_names, relation_names, values

import querylang
from querylang import F, Fields, Query, QueryError, ast
from querylang.ast import Op
from querylang.builder import Cond, FieldRef

# ---- field references in both forms


def _attribute_form_works(name: str) -> bool:
    # `F.bind` and `F._schema` are Fields' own attributes; dunder names are Python's. Everything
    # else is a field; the others need the F("name") form.
    return name.isidentifier() and not name.startswith("__") and name not in vars(Fields)


@st.composite
def field_refs(draw: st.DrawFn, names: st.SearchStrategy[str] | None = None) -> FieldRef:
    name = draw(names if names is not None else field_names)
    ref = getattr(F, name) if _attribute_form_works(name) and draw(st.booleans()) else F(name)
    assert ref.name == name
    return ref


field_names = st.one_of(st.sampled_from(LIONDESK_FIELDS), st.sampled_from(LIONDESK_FIELDS), other_field_names)

# ---- Python values and the text SEMANTICS.md section 3 reads for them

whole_second_offsets = st.integers(min_value=-(23 * 3600 + 59 * 60), max_value=23 * 3600 + 59 * 60).map(
    lambda s: timezone(timedelta(seconds=s))
)
whole_minute_offsets = st.integers(min_value=-(23 * 60 + 59), max_value=23 * 60 + 59).map(
    lambda m: timezone(timedelta(minutes=m))
)
aware = st.datetimes(
    min_value=datetime(1, 1, 2),
    max_value=datetime(9999, 12, 30),
    timezones=st.one_of(st.just(UTC), whole_minute_offsets, whole_second_offsets),
)
python_values = st.one_of(
    values,
    st.booleans(),
    st.integers(min_value=-(2**40), max_value=2**40),
    st.none(),
    st.dates(),
    aware,
)


def expected_text(value: object) -> str:
    """The model of how a Python value is written (SEMANTICS.md section 3, serialize's docstring)."""
    if isinstance(value, str):
        return value
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, datetime):
        offset = value.utcoffset()
        assert offset is not None
        if offset.total_seconds() % 60:
            value, offset = value.astimezone(UTC), timedelta(0)
        text = value.replace(tzinfo=None).isoformat(timespec="microseconds" if value.microsecond else "seconds")
        if not offset:
            return text + "Z"
        minutes = int(offset.total_seconds()) // 60
        sign = "+" if minutes >= 0 else "-"
        return f"{text}{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"
    assert isinstance(value, date)
    return value.isoformat()


# ---- conditions: the built Cond and the node the model says it is

COMPARISONS: dict[str, tuple[Callable[[FieldRef, object], Cond], Op]] = {
    "==": (operator.eq, Op.EQ),
    "!=": (operator.ne, Op.NE),
    "<": (operator.lt, Op.LT),
    "<=": (operator.le, Op.LTE),
    ">": (operator.gt, Op.GT),
    ">=": (operator.ge, Op.GTE),
    "like": (lambda f, v: f.like(v), Op.LIKE),  # type: ignore[arg-type]
    "notlike": (lambda f, v: f.notlike(v), Op.NOTLIKE),  # type: ignore[arg-type]
    "not_like": (lambda f, v: f.not_like(v), Op.NOTLIKE),  # type: ignore[arg-type]
    "ilike": (lambda f, v: f.ilike(v), Op.ILIKE),  # type: ignore[arg-type]
}
MEMBERSHIPS: dict[str, tuple[Callable[[FieldRef, list[object]], Cond], Op]] = {
    "in_": (lambda f, vs: f.in_(vs), Op.IN),
    "not_in": (lambda f, vs: f.not_in(vs), Op.NIN),
    "nin": (lambda f, vs: f.nin(vs), Op.NIN),
}
NEGATED = {Op.EQ: Op.NE, Op.NE: Op.EQ, Op.IN: Op.NIN, Op.NIN: Op.IN, Op.LIKE: Op.NOTLIKE, Op.NOTLIKE: Op.LIKE}


@dataclass
class Leaf:
    cond: Cond
    node: ast.Compare | ast.Membership
    snapshot: ast.Expr = field(init=False)

    def __post_init__(self) -> None:
        self.snapshot = self.cond.expr


@st.composite
def leaves(draw: st.DrawFn, names: st.SearchStrategy[str] | None = None) -> Leaf:
    ref = draw(field_refs(names))
    kind = draw(st.sampled_from(["compare", "compare", "compare", "member", "null"]))
    if kind == "compare":
        how = draw(st.sampled_from(sorted(COMPARISONS)))
        make, op = COMPARISONS[how]
        value = draw(values if op in (Op.LIKE, Op.NOTLIKE, Op.ILIKE) else python_values)
        cond = make(ref, value)
        node: ast.Compare | ast.Membership = ast.Compare(ref.name, op, expected_text(value))
    elif kind == "member":
        how = draw(st.sampled_from(sorted(MEMBERSHIPS)))
        make_members, op = MEMBERSHIPS[how]
        items = draw(st.lists(python_values, min_size=1, max_size=4))
        cond = make_members(ref, items)
        node = ast.Membership(ref.name, op, tuple(expected_text(v) for v in items))
    else:
        null = draw(st.booleans())
        cond = ref.is_null() if null else ref.is_not_null()
        node = ast.Compare(ref.name, Op.EQ if null else Op.NE, "")
    if node.op in NEGATED and draw(st.booleans()):
        cond = ~cond
        node = (
            ast.Compare(node.field, NEGATED[node.op], node.value)
            if isinstance(node, ast.Compare)
            else (ast.Membership(node.field, NEGATED[node.op], node.values))
        )
    return Leaf(cond, node)


def _fold(draw: st.DrawFn, conds: list[Cond], combine: Callable[[Cond, Cond], Cond]) -> Cond:
    """Combine left to right or right to left: grouping must not matter."""
    if draw(st.booleans()):
        return functools.reduce(combine, conds)
    return functools.reduce(lambda acc, c: combine(c, acc), reversed(conds))


@dataclass
class Clause:
    cond: Cond
    node: ast.Expr
    leaves: list[Leaf]


@st.composite
def alternatives(draw: st.DrawFn) -> Clause:
    """One $or alternative: conditions that can share one condition set, ANDed."""
    drawn = draw(st.lists(leaves(), min_size=1, max_size=3))
    kept: list[Leaf] = []
    for leaf in drawn:
        if not collides([k.node for k in kept], leaf.node):
            kept.append(leaf)
    node = ast.and_(*(k.node for k in kept))
    assert node is not None
    return Clause(_fold(draw, [k.cond for k in kept], operator.and_), node, kept)


@st.composite
def clauses(draw: st.DrawFn) -> Clause:
    """A root clause: a condition, or an $or of two to four alternatives."""
    if draw(st.booleans()):
        leaf = draw(leaves())
        return Clause(leaf.cond, leaf.node, [leaf])
    alts = draw(st.lists(alternatives(), min_size=2, max_size=4))
    return Clause(
        _fold(draw, [a.cond for a in alts], operator.or_),
        ast.or_(*(a.node for a in alts)),
        [leaf for a in alts for leaf in a.leaves],
    )


# ---- programs


@dataclass
class Program:
    query: Query
    model: ast.Query
    steps: list[tuple[Query, str, ast.Query]]
    leaves: list[Leaf]
    log: list[str]


@st.composite
def programs(draw: st.DrawFn) -> Program:
    query = draw(st.sampled_from([Query(), Query.where()]))
    where: list[ast.Expr] = []
    limit: str | None = None
    skip: str | None = None
    sort: list[ast.Sort] = []
    select: list[str] = []
    load: list[str] = []
    steps: list[tuple[Query, str, ast.Query]] = []
    all_leaves: list[Leaf] = []
    log: list[str] = []

    def model() -> ast.Query:
        return ast.Query(
            ast.and_(*where),
            limit=limit,
            skip=skip,
            sort=tuple(sort),
            select=tuple(select) or None,
            load=tuple(load) or None,
        )

    for step in draw(st.lists(st.sampled_from(["where", "where", "where", "sort", "limit", "skip", "select", "load"]))):
        if step == "where":
            parts = draw(st.lists(clauses(), max_size=3))
            all_leaves += [leaf for c in parts for leaf in c.leaves]
            if parts and draw(st.booleans()):
                query = query.where(_fold(draw, [c.cond for c in parts], operator.and_))
            else:
                query = query.where(*(c.cond for c in parts))
            where += [c.node for c in parts]
        elif step == "sort":
            used = {s.field for s in sort}
            name = draw(field_names.filter(lambda n, used=used: n not in used))  # type: ignore[misc]
            descending = draw(st.booleans())
            form = draw(st.sampled_from(["ref", "signed-ref", "string"]))
            ref = draw(field_refs(st.just(name)))
            if form == "string" and not name.startswith("-"):
                key: object = f"-{name}" if descending else name
            elif form == "ref" and not descending:
                key = ref
            else:
                key = -ref if descending else +ref
            query = query.sort(key)  # type: ignore[arg-type]
            sort.append(ast.Sort(name, "-1" if descending else "1"))
        elif step in ("limit", "skip"):
            count = draw(st.integers(min_value=0, max_value=10**6))
            query = getattr(query, step)(count)
            if step == "limit":
                limit = str(count)
            else:
                skip = str(count)
        elif step == "select":
            names = draw(st.lists(field_names, min_size=1, max_size=3))
            refs = [draw(field_refs(st.just(n))) if draw(st.booleans()) else n for n in names]
            query = query.select(*refs)
            select += names
        else:
            relations = draw(st.lists(relation_names, min_size=1, max_size=2))
            query = query.load(*relations)
            load += relations
        log.append(f"{step}: {querylang.serialize(query)}")
        steps.append((query, querylang.serialize(query), model()))
    return Program(query, model(), steps, all_leaves, log)


# ---- properties


@given(programs())
def test_builder_program_makes_the_modelled_ast(program: Program) -> None:
    assert program.query == program.model, program.log
    assert program.model == program.query


@given(programs())
def test_builder_program_round_trips_through_text(program: Program) -> None:
    q = program.query
    text = querylang.serialize(q)
    again = querylang.parse(text)
    assert again == q, text
    assert q == again, text
    assert querylang.serialize(again) == text


@given(programs())
def test_builder_program_url_round_trips(program: Program) -> None:
    url = querylang.to_url(program.query, contact_id=76)
    where, again = querylang.from_url(url)
    assert (where.contact_id, where.id) == (76, None)
    assert again == program.query
    # The path never holds a double slash (the documentation's //contacts); the query may, in
    # a value or a name (template_name=http://x), as any URL's query may.
    assert "//" not in urlsplit(url).path


@given(programs())
def test_builder_objects_are_unchanged_by_later_steps(program: Program) -> None:
    for query, text, model in program.steps:
        assert querylang.serialize(query) == text
        assert query == model
    for leaf in program.leaves:
        assert leaf.cond.expr is leaf.snapshot
        assert leaf.cond.expr == leaf.node


@given(programs(), programs())
def test_extending_one_query_never_changes_another(first: Program, second: Program) -> None:
    before = querylang.serialize(first.query)
    merged = first.query.where(*(leaf.cond for leaf in second.leaves[:3]))
    _ = merged.limit(1).skip(2).select("id").load("send_from_user")
    assert querylang.serialize(first.query) == before


# ---- arbitrary & / | trees: either the language can write it, or a clear nested-group error


@st.composite
def trees(draw: st.DrawFn, depth: int = 0) -> tuple[Cond, ast.Expr]:
    """Any shape of & and | over leaves on a few fields, so that collisions and nesting happen."""
    names = st.sampled_from(["id", "type", "send_at", "a"])
    if depth >= 3 or draw(st.integers(0, 2)) == 0:
        leaf = draw(leaves(names))
        return leaf.cond, leaf.node
    combine = draw(st.sampled_from(["and", "or"]))
    left = draw(trees(depth + 1))
    right = draw(trees(depth + 1))
    cond = left[0] & right[0] if combine == "and" else left[0] | right[0]
    try:
        node = ast.and_(left[1], right[1]) if combine == "and" else ast.or_(left[1], right[1])
    except QueryError as error:
        raise AssertionError(f"the builder made {cond!r}, which the AST refuses: {error}") from error
    assert node is not None
    return cond, node


@given(st.data())
def test_any_and_or_tree_is_written_or_refused_clearly(data: st.DataObject) -> None:
    try:
        cond, node = data.draw(trees())
    except QueryError as error:
        event("refused")
        assert error.diagnostic.code == "nested-group", error
        assert "$or" in str(error)
        return
    event("written with $or" if "$or" in querylang.serialize(Query.where(cond)) else "written without $or")
    q = Query.where(cond)
    assert q == ast.Query(node)
    text = querylang.serialize(q)
    assert querylang.parse(text) == q
    assert q == querylang.parse(text)


@given(leaves())
def test_double_negation_is_identity_where_negation_exists(leaf: Leaf) -> None:
    if leaf.node.op not in NEGATED:
        try:
            _ = ~leaf.cond
        except QueryError as error:
            assert error.diagnostic.code == "cannot-negate"
        else:
            raise AssertionError(f"~ accepted {leaf.node!r}")
        return
    assert (~~leaf.cond).expr == leaf.cond.expr
    negated = Query.where(~leaf.cond)
    assert querylang.parse(querylang.serialize(negated)) == negated
    assert negated != Query.where(leaf.cond)


@given(st.datetimes(min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30), timezones=whole_second_offsets))
def test_datetime_values_name_their_instant(value: datetime) -> None:
    text = (F.send_at == value).expr.value
    assert isinstance(text, str)
    assert datetime.fromisoformat(text.replace("Z", "+00:00")) == value
    offset = value.utcoffset()
    assert offset is not None
    if offset.total_seconds() % 60:
        assert text.endswith("Z"), "an offset of whole seconds is written in UTC"
    elif offset:
        sign = "+" if offset > timedelta(0) else "-"
        minutes = abs(int(offset.total_seconds())) // 60
        assert text.endswith(f"{sign}{minutes // 60:02d}:{minutes % 60:02d}"), "the offset is kept"
    else:
        assert text.endswith("Z")
