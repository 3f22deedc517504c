r"""Records that SQL engines are most likely to read differently from ``find``: ids 1 to 99, contacts 90 and 91.

Loaded after the bundled export (whose ids are six digits) by the fixtures of ``conftest.py``.
They hold nulls in every field and missing keys, instants written with offsets (``+05:30``,
``-07:00``), with ``.mmm`` and microsecond fractions and as a date alone, equal ``send_at`` values
(ties that must keep the load order), non-ASCII text (é, İ, ß, Σ/σ/ς, emoji, CJK, a combining
accent), text holding ``%`` ``_`` ``\`` ``*`` ``?`` ``[`` ``]``, empty strings, and text whose
code-point order is not a dictionary's (``Zeta`` before ``alpha``, ``é`` after ``z``). Booleans
are JSON booleans. ``POOLED`` adds records built from the value pools of
``tests/differential/reference_eval.py``, so that the queries generated from those pools match
some records here.

``test_sql_traps.py`` states its expectations as ids of these records: change them with it.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

A, B, C = "Email Contact", "Call Contact", "Text Contact"


def _record(
    id: int | None,
    campaign: str | None = "Edge",
    template: str | None = "T",
    *,
    send_at: str | None = "2021-05-05T05:05:05Z",
    completed_at: str | None = None,
    type: str | None = A,
    subject: str | None = "S",
    folder: str | None = "F",
    active: bool | None = True,
    stopped: bool | None = False,
    sender: int | None = 3,
    completer: int | None = None,
    contact: int | None = 90,
) -> dict[str, Any]:
    record = {
        "id": id,
        "contact_id": contact,
        "campaign_name": campaign,
        "type": type,
        "is_stopped_on_text_reply": stopped,
        "template_subject": subject,
        "template_name": template,
        "template_folder_name": folder,
        "is_active": active,
        "send_at": send_at,
        "completed_at": completed_at,
        "send_from_user_id": sender,
        "completing_user_id": completer,
    }
    if id is None:
        del record["id"]
    return record


HANDWRITTEN: list[dict[str, Any]] = [
    # 1-6: the records of docs/semantics.md section 4's examples (6 has keys missing).
    _record(1, "New Contact Campaign", "Welcome", type=C, send_at="2028-09-12T18:31:35Z", sender=3),
    _record(
        2,
        "Old Contact Campaign",
        "Saying Hello",
        active=False,
        send_at="2017-12-06T22:11:02.000Z",
        completed_at="2017-12-06T22:11:02Z",
        sender=4,
        completer=76,
    ),
    _record(3, "new contact campaign", "ÉTÉ 100%", type=B, send_at="2019-01-15T09:00:00-07:00"),
    _record(
        4,
        "ΟΔΟΣ",
        "İstanbul",
        type=C,
        active=False,
        send_at="2019-01-15T16:00:00Z",
        completed_at="2019-01-20T10:00:00+02:00",
        sender=4,
        completer=3,
    ),
    _record(5, "Zeta", "straße", send_at="2020-06-01T00:00:00Z", sender=99999),
    {"id": 6, "contact_id": 90, "campaign_name": "alpha", "type": C, "is_active": True, "send_from_user_id": 3},
    # 7-10: the instant of 3 and 4 written other ways, and next to it.
    _record(7, "été", "été 100%", send_at="2019-01-15T21:30:00+05:30"),
    _record(8, "ÉTÉ", "100%", send_at="2019-01-15T16:00:00.000001Z", completed_at="2019-01-15T16:00:00.000001+00:00"),
    _record(9, "Été", "100", send_at="2019-01-15T15:59:59.999Z", completed_at="2019-01-15T08:59:59.999-07:00"),
    _record(10, "e\u0301te\u0301", "x", send_at="2019-01-15", completed_at="2019-01-16"),
    # 11-16: pattern characters in the text.
    _record(11, "a%b", "a_b", subject="a\\b", folder="*?[]"),
    _record(12, "ab", "aXb", subject="a*b", folder="[a]"),
    _record(13, "", "", subject="", folder=""),
    _record(14, "100%_Match", "a\\%b", subject="a?b", folder="[!a]"),
    _record(15, "a\\", "\\", subject="a[b]c", folder="]"),
    _record(16, "50% off", "a[*]b", subject="%", folder="_"),
    # 17-19: nulls everywhere, and a record with only a contact (no id).
    _record(
        17,
        None,
        None,
        send_at=None,
        type=None,
        subject=None,
        folder=None,
        active=None,
        stopped=None,
        sender=None,
        contact=None,
    ),
    {"id": 18},
    _record(None, "no id", contact=91),
    # 20-31: non-ASCII: code-point order, case folding one character at a time.
    _record(20, "é", "z", send_at="2022-02-02T02:02:02Z"),
    _record(21, "z", "é", send_at="2022-02-02T02:02:02Z"),
    _record(22, "Σίσυφος", "ΣΊΣΥΦΟΣ", send_at="2022-02-02T02:02:02Z"),
    _record(23, "σίσυφοσ", "ας", send_at="2022-02-02T02:02:02Z"),
    _record(24, "STRASSE", "STRAẞE", send_at="2022-02-02T02:02:02Z"),
    _record(25, "party 😀", "😀", subject="🎉🎉", send_at="2023-03-03T03:03:03+00:00"),
    _record(26, "東京タワー", "東京", subject="タワー", send_at="2023-03-03T03:03:03+00:00"),
    _record(27, "İIıi", "iiii", subject="IIII", send_at="2023-03-03T03:03:03+00:00"),
    _record(28, "Über Buyers", "über buyers", subject="ÜBER", send_at="2023-03-03T03:03:03+00:00"),
    _record(29, "ǅemal", "ǆemal", subject="ǄEMAL", send_at="2023-03-03T03:03:03+00:00"),
    _record(30, "ZETA", "zeta", subject="Zeta", send_at="2023-03-03T03:03:03+00:00"),
    _record(31, "ALPHA", "Alpha", subject="alpha", send_at="2023-03-03T03:03:03+00:00"),
    # 32-37: ties on every sortable field, told apart only by the load order.
    *(_record(i, "Tie", "Tie", send_at="2021-05-05T05:05:05Z", completer=None, contact=91) for i in range(37, 31, -1)),
    # 38-41: users known, unknown and null for $load; completions around the ties.
    _record(38, "Load", "L", completer=3, completed_at="2021-05-05T05:05:05Z", sender=4),
    _record(39, "Load", "L", completer=12345, completed_at="2021-05-05T10:35:05+05:30", sender=12345),
    _record(40, "Load", "L", completer=None, completed_at="2021-05-05T05:05:05.5Z", sender=76, type=C),
    _record(41, "Load", "L", completer=76, completed_at="2021-05-04T22:05:05-07:00", sender=44, stopped=True),
    # 42-44: the far ends of the years a date-time can have.
    _record(42, "Far", "F", send_at="0001-01-01T00:00:00Z", completed_at="9999-12-31T23:59:59.999999Z"),
    _record(43, "Far", "F", send_at="9999-12-31T23:59:59Z", completed_at="0001-01-01T00:00:00.000001Z"),
    _record(44, "Far", "F", send_at="1970-01-01T00:00:00Z", completed_at="1969-12-31T23:59:59.999999Z"),
    # 45-46: instants written inside years 1 to 9999 whose UTC instant falls outside them (FarInstant).
    _record(45, "Farther", "F", send_at="0001-01-01T00:00:00+01:00", completed_at="9999-12-31T23:59:59.5-01:00"),
    _record(46, "Farther", "F", send_at="9999-12-31T23:59:59-01:00", completed_at="0001-01-01T00:30:00+00:45"),
]

# The value pools of tests/differential/reference_eval.py (its queries draw from them).
_TEXTS = ["", "a", "A", "ab", "aab", "a%b", "a_b", "a\\b", "New", "new York", "Über", "über", "ß", "ss", "Zeta", "100%"]
_TEXTS += ["İa", "ia", "ΑΣ", "ας", "σ"]
_INSTANTS = [
    datetime(2019, 12, 31, 23, 59, 59, tzinfo=UTC),
    datetime(2020, 1, 1, tzinfo=UTC),
    datetime(2020, 1, 1, 0, 0, 1, tzinfo=UTC),
    datetime(2020, 6, 1, 12, 30, tzinfo=UTC),
]
_ZONES = [UTC, timezone(timedelta(hours=-7)), timezone(timedelta(hours=5, minutes=30)), timezone(timedelta(hours=1))]


def _pooled(i: int, text: str) -> dict[str, Any]:
    n = len(_TEXTS)
    instant = _INSTANTS[i % 4].astimezone(_ZONES[(i // 4) % 4])
    spelled = instant.isoformat(timespec="milliseconds") if i % 2 else instant.isoformat(sep="T")
    completed = None if i % 3 == 0 else _INSTANTS[(i + 1) % 4].astimezone(_ZONES[i % 4]).isoformat()
    return _record(
        60 + i,
        text,
        _TEXTS[(i + 5) % n],
        subject=_TEXTS[(i + 11) % n],
        folder=_TEXTS[(i + 17) % n],
        type=(A, B, C)[i % 3],
        active=i % 2 == 0,
        stopped=i % 5 == 0,
        send_at=spelled,
        completed_at=completed,
        sender=(3, 4, 99)[i % 3],
        completer=(4, 8, 12, None)[i % 4],
        contact=(76, 77)[i % 2],
    )


POOLED = [_pooled(i, text) for i, text in enumerate(_TEXTS)]
EDGE_RECORDS: list[dict[str, Any]] = [*HANDWRITTEN, *POOLED]
"""Every edge record, in load order (ids 1-46, one without an id, then 60-80)."""
