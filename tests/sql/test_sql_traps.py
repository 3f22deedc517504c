r"""Every trap of docs/semantics.md section 4 where SQL engines differ from it, on each engine.

Each case is a query over the edge records (``edge_records.py``, ``conftest.edge``) and the ids
of the page it must give, in order; memory ``find`` must give the same ids, so that the table
checks the contract and not only agreement. The other tests pin what a page of ids cannot
show: ``$limit=0``, ``$select``, ``$load``, refused patterns, bound values, custom schemas,
far instants and a missing table.
"""

from __future__ import annotations

from typing import Any

import pytest
from compare import assert_same_answer
from databases import Database

# (query, ids of the page in order); every query here asks for up to 100 rows.
TRAPS: dict[str, tuple[str, list[int | None]]] = {
    # $like is case-sensitive, whole-value, and \% \_ \\ escape (SQLite: GLOB).
    "like-case-sensitive": ("campaign_name[$like]=été", [7]),
    "like-case-sensitive-prefix": ("campaign_name[$like]=New%25", [1, 68]),
    "like-whole-value": ("template_name[$like]=100", [9]),
    "like-escaped-percent": ("template_name[$like]=%25100%5C%25", [3, 7, 8, 70]),
    "like-percent-is-any-run": ("template_name[$like]=a%25b", [11, 12, 14, 16, 60, 61, 62, 79, 80]),
    "like-escaped-underscore": ("template_name[$like]=a%5C_b", [11, 61]),
    "like-underscore-is-one-character": ("template_name[$like]=a_b", [11, 12, 60, 61, 62, 80]),
    "like-escaped-backslash": ("template_subject[$like]=a%5C%5Cb", [11, 77]),
    "like-escaped-backslash-alone": ("template_name[$like]=%5C%5C", [15]),
    "like-escaped-letter-is-the-letter": ("campaign_name[$like]=%5Ca%5Cb", [12, 63]),
    "like-empty-pattern-is-the-empty-text": ("campaign_name[$like]=", [13, 60]),
    # % and _ count characters, not bytes.
    "like-underscore-non-ascii": ("campaign_name[$like]=_t_", [7, 9]),
    "like-underscore-emoji": ("template_name[$like]=_&id[$lt]=30", [10, 15, 20, 21, 25]),
    "like-underscores-cjk": ("campaign_name[$like]=東京___", [26]),
    "like-percent-then-emoji": ("campaign_name[$like]=%25😀", [25]),
    "like-combining-accent-is-two-characters": ("campaign_name[$like]=e_te_", [10]),
    # GLOB's own characters are plain text in $like (SQLite).
    "glob-star-in-text": ("template_subject[$like]=a*b", [12]),
    "glob-question-in-text": ("template_subject[$like]=a?b", [14]),
    "glob-brackets-in-text": ("template_folder_name[$like]=[a]", [12]),
    "glob-negated-class-in-text": ("template_folder_name[$like]=[!a]", [14]),
    "glob-all-in-text": ("template_folder_name[$like]=*?[]", [11]),
    "glob-closing-bracket": ("template_folder_name[$like]=]", [15]),
    "glob-ends-with-bracket": ("template_folder_name[$like]=%25]", [11, 12, 14, 15]),
    "glob-starts-with-bracket": ("template_folder_name[$like]=[%25", [12, 14]),
    "glob-brackets-and-underscore": ("template_subject[$like]=a[_]c", [15]),
    "glob-star-between-percents": ("template_name[$like]=%25[*]%25", [16]),
    "glob-notlike": (
        "$and[0][template_folder_name][$notlike]=%25[%25&$and[1][template_folder_name][$notlike]=F&contact_id=90",
        [13, 15, 16],
    ),
    # $ilike lowers one character at a time, as PostgreSQL 15 does.
    "ilike-e-acute": ("campaign_name[$ilike]=été", [7, 8, 9]),
    "ilike-capital-e-acute": ("template_name[$ilike]=ÉTÉ%25", [3, 7]),
    "ilike-dotted-capital-i": ("template_name[$ilike]=istanbul", [4]),
    "ilike-dotless-i-stays": ("campaign_name[$ilike]=iiii", []),
    "ilike-dotted-and-dotless": ("campaign_name[$ilike]=iiıi", [27]),
    "ilike-final-sigma-is-not-sigma": ("campaign_name[$ilike]=σίσυφοσ", [23]),
    "ilike-capital-sigma-lowers-to-sigma": ("template_name[$ilike]=σίσυφοσ", [22]),
    "ilike-capital-sharp-s": ("template_name[$ilike]=straße", [5, 24]),
    "ilike-sharp-s-is-not-ss": ("template_name[$ilike]=strasse", []),
    "ilike-umlaut": ("template_subject[$ilike]=über", [28, 60, 80]),
    "ilike-titlecase-digraph": ("campaign_name[$ilike]=ǆemal", [29]),
    "ilike-underscore-non-ascii": ("campaign_name[$ilike]=_T_", [7, 8, 9]),
    "ilike-escapes": ("template_name[$ilike]=A%5C%25B", [60]),
    # Sorting: nulls last ascending, first descending; ties keep the load order.
    "nulls-last-ascending": (
        "id[$in][]=17&id[$in][]=18&id[$in][]=1&id[$in][]=2&$sort[campaign_name]=1",
        [1, 2, 17, 18],
    ),
    "nulls-first-descending": (
        "id[$in][]=17&id[$in][]=18&id[$in][]=1&id[$in][]=2&$sort[campaign_name]=-1",
        [17, 18, 2, 1],
    ),
    "null-ids-sort-last": ("contact_id=91&$sort[id]=1", [32, 33, 34, 35, 36, 37, None]),
    "null-ids-sort-first-descending": ("contact_id=91&$sort[id]=-1", [None, 37, 36, 35, 34, 33, 32]),
    "nullable-integer-ascending": ("campaign_name=Load&$sort[completing_user_id]=1", [38, 41, 39, 40]),
    "nullable-integer-descending": ("campaign_name=Load&$sort[completing_user_id]=-1", [40, 39, 41, 38]),
    "ties-keep-load-order": ("campaign_name=Tie&$sort[send_at]=1", [37, 36, 35, 34, 33, 32]),
    "ties-keep-load-order-descending": ("campaign_name=Tie&$sort[send_at]=-1", [37, 36, 35, 34, 33, 32]),
    "ties-paged": ("campaign_name=Tie&$sort[template_name]=-1&$limit=2&$skip=2", [35, 34]),
    "ties-on-two-keys": ("campaign_name=Tie&$sort[is_active]=1&$sort[type]=-1&$skip=4", [33, 32]),
    "unsorted-keeps-load-order": ("campaign_name=Tie", [37, 36, 35, 34, 33, 32]),
    "unsorted-keeps-load-order-paged": ("campaign_name=Tie&$limit=3&$skip=1", [36, 35, 34]),
    "sorted-by-id-not-load-order": ("campaign_name=Tie&$sort[id]=1", [32, 33, 34, 35, 36, 37]),
    "instant-ties-across-offsets": ("campaign_name=Load&$sort[completed_at]=1", [38, 39, 41, 40]),
    "instant-ties-across-offsets-descending": ("campaign_name=Load&$sort[completed_at]=-1", [40, 38, 39, 41]),
    "booleans-false-first": ("contact_id=90&$sort[is_active]=1&$sort[id]=-1&$limit=3", [4, 2, 46]),
    # Instants compare as instants, whatever their offset; a date alone is midnight UTC.
    "instant-equal-across-offsets": ("send_at=2019-01-15T16:00:00Z", [3, 4, 7]),
    "instant-equal-written-with-offset": ("send_at=2019-01-15T21:30:00%2B05:30", [3, 4, 7]),
    "instant-range-across-offsets": (
        "send_at[$gt]=2019-01-15T15:59:59Z&send_at[$lt]=2019-01-15T16:00:01Z&$sort[send_at]=1",
        [9, 3, 4, 7, 8],
    ),
    "instant-microsecond": ("send_at[$gt]=2019-01-15T16:00:00Z&send_at[$lt]=2019-01-15T16:00:01Z", [8]),
    "instant-microsecond-equal": ("send_at=2019-01-15T16:00:00.000001Z", [8]),
    "instant-milliseconds": ("send_at=2019-01-15T08:59:59.999-07:00", [9]),
    "instant-fraction-rounded": ("completed_at=2021-05-05T05:05:05.4999994Z", []),
    "instant-half-second": ("completed_at=2021-05-05T05:05:05.5000004Z", [40]),
    "date-alone-is-midnight-utc": ("send_at=2019-01-15", [10]),
    "date-alone-in-a-record": ("completed_at=2019-01-16T00:00:00Z", [10]),
    "date-alone-range": ("send_at[$gte]=2019-01-15&send_at[$lt]=2019-01-15T00:00:00.000001Z", [10]),
    "instants-before-1970": ("completed_at[$lt]=1970-01-01&$sort[completed_at]=1", [46, 43, 44]),
    "instants-at-the-ends": ("campaign_name=Far&$sort[send_at]=-1", [43, 44, 42]),
    "instants-past-the-ends": (
        "campaign_name[$in][]=Far&campaign_name[$in][]=Farther&$sort[send_at]=1",
        [45, 42, 44, 43, 46],
    ),
    "instants-past-the-ends-descending": (
        "campaign_name[$like]=Far%25&$sort[completed_at]=-1",
        [45, 42, 44, 43, 46],
    ),
    "instant-past-the-start-equal": ("send_at=0001-01-01T00:00:00%2B01:00", [45]),
    "instant-past-the-end-range": ("send_at[$gt]=9999-12-31T23:59:59Z", [46]),
    # Text compares and sorts by code point.
    "code-point-order": (
        "campaign_name[$in][]=é&campaign_name[$in][]=z&campaign_name[$in][]=Zeta&campaign_name[$in][]=alpha"
        "&$sort[campaign_name]=1",
        [5, 74, 6, 21, 20],
    ),
    "code-point-order-descending": (
        "campaign_name[$in][]=é&campaign_name[$in][]=z&campaign_name[$in][]=Zeta&campaign_name[$in][]=alpha"
        "&$sort[campaign_name]=-1",
        [20, 21, 6, 5, 74],
    ),
    "code-point-range-upper-before-lower": ("campaign_name[$gte]=Z&campaign_name[$lt]=a", [5, 30, 74]),
    "code-point-e-acute-after-z": ("template_name[$gt]=z&template_name[$lt]=ü", [3, 7, 21, 30, 65, 67]),
    "code-point-emoji-after-cjk": ("template_name[$gt]=東&$sort[template_name]=1", [26, 25]),
    "empty-text-is-smallest": ("contact_id=90&$sort[template_subject]=1&$limit=2", [13, 16]),
    # Three-valued logic: null matches no $ne, $nin, $notlike or range; only field= and field[$ne]= test it.
    "null-in-in-matches-nothing-extra": ("completing_user_id[$in][]=3&completing_user_id[$in][]=", [4, 38]),
    "null-in-nin-matches-nothing": ("completing_user_id[$nin][]=3&completing_user_id[$nin][]=", []),
    "nin-leaves-out-null": ("campaign_name=Load&completing_user_id[$nin][]=3", [39, 41]),
    "ne-leaves-out-null": ("campaign_name=Load&completing_user_id[$ne]=3", [39, 41]),
    "ne-leaves-out-missing-text": ("id[$in][]=1&id[$in][]=17&id[$in][]=18&campaign_name[$ne]=x", [1]),
    "notlike-leaves-out-null": ("id[$in][]=1&id[$in][]=17&id[$in][]=18&campaign_name[$notlike]=x", [1]),
    "range-leaves-out-null": ("id[$in][]=1&id[$in][]=17&id[$in][]=18&campaign_name[$lt]=zzz", [1]),
    "range-leaves-out-null-boolean": ("id[$in][]=1&id[$in][]=17&id[$in][]=18&is_active[$lte]=true", [1]),
    "range-with-null-matches-nothing": ("completed_at[$gt]=", []),
    "empty-text-is-not-null": ("id[$in][]=13&id[$in][]=17&id[$in][]=18&campaign_name[$gte]=", [13]),
    "empty-value-is-is-null": ("campaign_name=Load&completing_user_id=", [40]),
    "empty-value-ne-is-is-not-null": ("campaign_name=Load&completed_at[$ne]=", [38, 39, 40, 41]),
    "is-null-date": ("contact_id=90&completed_at=&$sort[id]=-1&$limit=3", [31, 30, 29]),
    "is-null-in-or": ("$or[0][completing_user_id]=&$or[1][id]=2&contact_id=90&$limit=3", [1, 2, 3]),
    "not-in-with-null-in-or": (
        "$or[0][completing_user_id][$nin][]=&$or[0][completing_user_id][$nin][]=3&$or[1][id]=4",
        [4],
    ),
}


def _ids(answer: Any) -> list[Any]:
    rows = answer if isinstance(answer, list) else answer["data"]
    return [row.get("id") for row in rows]


@pytest.mark.parametrize(("query", "ids"), TRAPS.values(), ids=TRAPS.keys())
def test_trap(edge: Database, query: str, ids: list[int | None]) -> None:
    text = f"{query}&$limit=100" if "$limit" not in query else query
    expected = edge.expected(text)
    assert _ids(expected) == ids, "memory find breaks the contract"
    mine = edge.find(text)
    assert _ids(mine) == ids
    assert_same_answer(mine, expected, edge.schema, selected=False)
