"""AST nodes: structural invariants, equality without spans, groups as multisets, hashing."""

from __future__ import annotations

import dataclasses

import pytest

import querylang
from querylang import Op, QueryError, Span, ast
from querylang.ast import AllOf, AnyOf, Compare, Membership, Query, Sort, and_, conditions, or_
from querylang.errors import Diagnostic
from querylang.source import NOWHERE

A = Compare("a", Op.EQ, "1")
B = Compare("b", Op.EQ, "2")
C = Compare("c", Op.GT, "3")
D = Membership("d", Op.IN, ("x", "y"))


def _refused(build: object) -> QueryError:
    with pytest.raises(QueryError) as info:
        build()  # type: ignore[operator]
    return info.value


# ---- invariants


@pytest.mark.parametrize(
    ("build", "code"),
    [
        pytest.param(lambda: AllOf(()), "empty-group", id="all-of-nothing"),
        pytest.param(lambda: AllOf((A,)), "empty-group", id="all-of-one"),
        pytest.param(lambda: AllOf((A, AllOf((B, C)))), "bad-node", id="all-of-inside-all-of"),
        pytest.param(lambda: AllOf((A, "b=2")), "bad-node", id="all-of-a-string"),
        pytest.param(lambda: AllOf((A, Sort("a", "1"))), "bad-node", id="all-of-a-sort"),
        pytest.param(lambda: AnyOf(()), "empty-group", id="any-of-nothing"),
        pytest.param(lambda: AnyOf((A,)), "empty-group", id="any-of-one"),
        pytest.param(lambda: AnyOf((A, AnyOf((B, C)))), "bad-node", id="any-of-inside-any-of"),
        pytest.param(lambda: AnyOf((A, AllOf((B, AnyOf((A, C)))))), "nested-group", id="or-inside-and-inside-or"),
        pytest.param(lambda: AnyOf((A, AllOf((B, Compare("b", Op.EQ, "3"))))), "nested-group", id="alt-repeats-value"),
        pytest.param(lambda: AnyOf((A, AllOf((B, Compare("b", Op.GT, "3"))))), "nested-group", id="alt-mixes-field"),
        pytest.param(lambda: AnyOf((A, AllOf((C, Compare("c", Op.GT, "4"))))), "nested-group", id="alt-repeats-op"),
        pytest.param(lambda: AnyOf((A, 5)), "bad-node", id="any-of-an-int"),
        pytest.param(lambda: Membership("a", Op.IN, ()), "bad-node", id="empty-in"),
        pytest.param(lambda: Membership("a", Op.NIN, []), "bad-node", id="empty-nin-list"),
        pytest.param(lambda: Membership("a", Op.EQ, ("x",)), "bad-node", id="membership-with-eq"),
        pytest.param(lambda: Membership("a", Op.GT, ("x",)), "bad-node", id="membership-with-gt"),
        pytest.param(lambda: Compare("a", Op.IN, "x"), "bad-node", id="compare-with-in"),
        pytest.param(lambda: Compare("a", Op.NIN, "x"), "bad-node", id="compare-with-nin"),
        pytest.param(lambda: Query(select=()), "bad-node", id="empty-select"),
        pytest.param(lambda: Query(load=()), "bad-node", id="empty-load"),
        pytest.param(lambda: Query(load=("a,b",)), "bad-node", id="load-name-with-comma"),
        pytest.param(lambda: Query(load=(" ",)), "bad-node", id="blank-load-name"),
        pytest.param(lambda: or_(), "empty-group", id="or-of-nothing"),
        pytest.param(lambda: or_(A, and_(B, or_(A, C))), "nested-group", id="or-of-and-of-or"),
    ],
)
def test_invalid_node_is_refused(build: object, code: str) -> None:
    assert _refused(build).diagnostic.code == code


@pytest.mark.parametrize(
    "name",
    [
        pytest.param("", id="empty"),
        pytest.param("$limit", id="dollar"),
        pytest.param("$or", id="group-name"),
        pytest.param("a[b", id="open-bracket"),
        pytest.param("a]", id="close-bracket"),
        pytest.param("a[b]", id="brackets"),
        pytest.param("0", id="array-index"),
        pytest.param("17", id="number"),
        pytest.param(5, id="int"),
        pytest.param(None, id="none"),
    ],
)
@pytest.mark.parametrize(
    "node",
    [
        pytest.param(lambda name: Compare(name, Op.EQ, "1"), id="compare"),
        pytest.param(lambda name: Membership(name, Op.IN, ("1",)), id="membership"),
        pytest.param(lambda name: Sort(name, "1"), id="sort"),
    ],
)
def test_bad_field_name_is_refused(node: object, name: object) -> None:
    error = _refused(lambda: node(name))  # type: ignore[operator]
    assert error.diagnostic.code == "bad-node"
    assert isinstance(error, ValueError)


@pytest.mark.parametrize(
    "name", ["__proto__", "constructor", "toString", "a b", "a=b", "a&b", "é", "07", "-1", " ", "a$", "?a"]
)
def test_plain_data_field_names_are_accepted(name: str) -> None:
    assert Compare(name, Op.EQ, "1").field == name


def test_valid_alternatives_are_accepted() -> None:
    group = AnyOf((A, AllOf((B, C)), AllOf((Compare("c", Op.LT, "9"), Compare("c", Op.GT, "3"))), D))
    assert len(group.items) == 4


def test_sequences_become_tuples() -> None:
    assert AllOf([A, B]).items == (A, B)
    assert Membership("a", Op.IN, ["x"]).values == ("x",)
    assert Query(sort=[Sort("a", "1")], select=["a"], load=["x"]) == Query(
        sort=(Sort("a", "1"),), select=("a",), load=("x",)
    )


def test_nodes_are_frozen() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        A.value = "2"  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        Query().limit = "1"  # type: ignore[misc]


def test_replace_makes_an_edited_copy() -> None:
    edited = dataclasses.replace(A, value="9")
    assert edited == Compare("a", Op.EQ, "9")
    assert A.value == "1"


def test_replace_checks_invariants_again() -> None:
    with pytest.raises(QueryError):
        dataclasses.replace(D, values=())


# ---- and_ / or_ normal form


def test_and_flattens_skips_none_and_unwraps_one() -> None:
    assert and_() is None
    assert and_(None, None) is None
    assert and_(A) == A
    assert and_(A, None, AllOf((B, C))) == AllOf((A, B, C))


def test_or_flattens_and_unwraps_one() -> None:
    assert or_(A) == A
    assert or_(A, AnyOf((B, C))) == AnyOf((A, B, C))


def test_conditions_walks_every_condition() -> None:
    tree = and_(A, or_(B, and_(C, D)))
    assert list(conditions(tree)) == [A, B, C, D]
    assert list(conditions(None)) == []


# ---- equality and hashing


def test_equality_ignores_spans() -> None:
    located = Compare("a", Op.EQ, "1", span=Span(0, 3), field_span=Span(0, 1), value_span=Span(2, 3))
    assert located == A
    assert hash(located) == hash(A)
    assert Membership("d", Op.IN, ("x", "y"), value_spans=(Span(0, 1), Span(2, 3))) == D
    assert Sort("a", "1", span=Span(0, 9)) == Sort("a", "1")
    assert Query(A, limit="1", limit_span=Span(5, 6)) == Query(A, limit="1")


def test_equality_ignores_warnings() -> None:
    assert querylang.parse("a=%New%") == querylang.parse("a=%25New%25")


def test_equality_compares_values_and_operators() -> None:
    assert Compare("a", Op.EQ, "2") != A
    assert Compare("a", Op.NE, "1") != A
    assert Compare("b", Op.EQ, "1") != A
    assert Compare("a", Op.EQ, "1") != Compare("a", Op.EQ, 1)
    assert Membership("a", Op.IN, ("x",)) != Membership("a", Op.NIN, ("x",))


def test_all_of_compares_as_a_multiset() -> None:
    assert AllOf((A, B, C)) == AllOf((C, A, B))
    assert AllOf((A, A, B)) != AllOf((A, B, B))
    assert AllOf((A, B)) != AllOf((A, B, C))


def test_any_of_compares_as_a_multiset() -> None:
    assert AnyOf((A, B)) == AnyOf((B, A))
    assert AnyOf((A, A, B)) != AnyOf((A, B, B))


def test_all_of_is_not_any_of() -> None:
    assert AllOf((A, B)) != AnyOf((A, B))


def test_membership_values_keep_their_order() -> None:
    assert Membership("a", Op.IN, ("x", "y")) != Membership("a", Op.IN, ("y", "x"))


def test_sort_order_matters() -> None:
    assert Query(sort=(Sort("a", "1"), Sort("b", "1"))) != Query(sort=(Sort("b", "1"), Sort("a", "1")))


def test_hash_agrees_with_equality_for_groups() -> None:
    assert hash(AllOf((A, B, C))) == hash(AllOf((C, B, A)))
    assert hash(AnyOf((A, AllOf((B, C))))) == hash(AnyOf((AllOf((C, B)), A)))
    assert len({AllOf((A, B)), AllOf((B, A)), AnyOf((A, B)), AnyOf((B, A))}) == 2


def test_parsed_queries_written_differently_are_equal_and_hash_alike() -> None:
    first = querylang.parse("a=1&b=2&$or[0][c]=3&$or[1][d]=4")
    second = querylang.parse("$or[1][c]=3&$or[0][d]=4&b=2&a=1")
    assert first == second
    assert hash(first) == hash(second)
    assert len({first, second}) == 1


def test_queries_can_be_dictionary_keys() -> None:
    cache = {querylang.parse("type[$in]=x&$limit=2"): "hit"}
    assert cache[querylang.parse("$limit=2&type[$in][]=x")] == "hit"


# ---- operators


def test_operator_spellings_round_trip() -> None:
    for op in Op:
        if op is Op.EQ:
            assert op.spelling == ""
            assert Op.from_spelling("") is None
        else:
            assert op.spelling.startswith("$")
            assert Op.from_spelling(op.spelling) is op


@pytest.mark.parametrize("text", ["$eq", "$regex", "$exists", "gt", "$GT", "$in[]"])
def test_unknown_spelling_is_no_operator(text: str) -> None:
    assert Op.from_spelling(text) is None


def test_every_documented_operator_exists() -> None:
    spellings = {op.spelling for op in Op}
    assert spellings == {"", "$ne", "$in", "$nin", "$lt", "$lte", "$gt", "$gte", "$like", "$notlike", "$ilike"}


# ---- the constructors text/read.py uses (slots set directly)


def _all_fields(node: object) -> list[object]:
    return [getattr(node, field.name) for field in dataclasses.fields(node)]  # type: ignore[arg-type]


def test_made_nodes_hold_what_the_constructors_hold() -> None:
    a, b, c, d = Span(0, 1), Span(2, 3), Span(4, 5), Span(6, 7)
    compare = ast.made_compare("f", Op.GT, "1", a, b, c)
    assert _all_fields(compare) == _all_fields(ast.Compare("f", Op.GT, "1", span=a, field_span=b, value_span=c))
    member = ast.made_membership("f", Op.NIN, ("1", "2"), a, b, (c, d))
    expected = ast.Membership("f", Op.NIN, ("1", "2"), span=a, field_span=b, value_spans=(c, d))
    assert _all_fields(member) == _all_fields(expected)
    key = ast.made_sort("f", "-1", a, b, c)
    assert _all_fields(key) == _all_fields(ast.Sort("f", "-1", span=a, field_span=b, direction_span=c))
    warning = Diagnostic("raw-value", "kept", d, severity="warning")
    query = ast.made_query(compare, "10", "5", (key,), ("f",), ("r",), a, b, c, (d,), (a,), (warning,))
    assert _all_fields(query) == _all_fields(
        ast.Query(
            compare,
            limit="10",
            skip="5",
            sort=(key,),
            select=("f",),
            load=("r",),
            span=a,
            limit_span=b,
            skip_span=c,
            select_spans=(d,),
            load_spans=(a,),
            warnings=(warning,),
        )
    )


@pytest.mark.parametrize("name", ["", "$f", "a[b]", "0"])
def test_made_nodes_still_refuse_a_field_name_text_cannot_write(name: str) -> None:
    with pytest.raises(QueryError):
        ast.made_compare(name, Op.EQ, "1", NOWHERE, NOWHERE, NOWHERE)
    with pytest.raises(QueryError):
        ast.made_membership(name, Op.IN, ("1",), NOWHERE, NOWHERE, ())
    with pytest.raises(QueryError):
        ast.made_sort(name, "1", NOWHERE, NOWHERE, NOWHERE)


def test_made_query_takes_every_field() -> None:
    with pytest.raises(ValueError, match="zip"):
        ast.made_query(None, "10")
