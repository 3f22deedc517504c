"""Write made-up LionDesk contact-communication records and their users, contacts and teams."""

from __future__ import annotations

import csv
import json
import math
import random
import unicodedata
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import TypeVar

# (campaign_name, type (see KINDS), template_name, template_subject, template_folder_name, weight).
# Names differ only in case ("Buyer Drip", "BUYER DRIP"), hold LIKE wildcards ("100%_Match",
# with "100% Match" as a decoy an unescaped pattern also matches), a backslash, non-ASCII letters
# and one empty name.
NEW, OLD = "New Contacts Template Folder", "Old Contacts Template Folder"
CAMPAIGNS: tuple[tuple[str, str, str, str, str, int], ...] = (
    ("New Contact Campaign", "E", "Email Template", "Saying Hello", NEW, 8),
    ("New Contact Campaign", "T", "Text Template", "Import Deadline", NEW, 6),
    ("New Contact Campaign", "C", "Intro Call", "", NEW, 3),
    ("Old Contact Campaign", "E", "Email Template", "Saying Hello", OLD, 6),
    ("Old Contact Campaign", "T", "Check-in Text", "", OLD, 4),
    ("Buyer Drip", "E", "Buyer Drip 1", "Homes that just hit the market", "Buyer Drips", 5),
    ("Buyer Drip", "T", "Buyer Drip SMS", "", "Buyer Drips", 3),
    ("BUYER DRIP", "E", "Buyer Drip 1", "HOMES THAT JUST HIT THE MARKET", "Buyer Drips", 2),
    ("buyer drip", "C", "Buyer Call Script", "", "buyer drips", 2),
    ("Seller Drip", "E", "Home Value Report", "What is your home worth today?", "Seller Drips", 3),
    ("Über Buyers", "E", "Relocation Guide", "Moving to Austin? Start here", "Relocation", 2),
    ("über buyers", "T", "Relocation SMS", "", "Relocation", 2),
    ("100%_Match Listings", "E", "Match 100%", "3 homes match 100% of your search", "Alerts", 2),
    ("100% Match Alerts", "T", "Match Alert SMS", "", "Alerts", 2),
    ("Price Drop 5% Alert", "E", "Price Drop Notice", "Price cut on a home you saved", "Alerts", 2),
    ("first_time_buyer", "E", "FTB_Welcome", "Welcome, first-time buyer!", "Team_Shared", 2),
    ("First Time Buyer", "C", "FTB Call", "", "Team Shared", 2),
    ("Open House Follow-up", "E", "Open House Thanks", "Thanks for stopping by!", "Open Houses", 3),
    ("Open House Follow-up", "T", "Open House SMS", "", "Open Houses", 2),
    ("Spring\\Summer Open House", "E", "Open House Invite", "Open house Sat 1-4", "Open Houses", 1),
    ("Großer Garten Open House", "C", "Open House Call", "", "Open Houses", 1),
    ("Anniversary Check-in", "E", "Home Anniversary", "Happy home anniversary!", "Past Clients", 2),
    ("Anniversary Check-in", "C", "Anniversary Call", "", "Past Clients", 2),
    ("Zillow Leads", "C", "Zillow Intro Call", "", "Lead Sources", 2),
    ("zillow leads", "T", "Zillow Intro Text", "", "lead sources", 1),
    ("apartment hunters", "E", "Rental Roundup", "Rentals under $2,000/mo", "Rentals", 2),
    ("Sphere of Influence", "E", "Market Update", "Your monthly market update", "Newsletters", 3),
    ("Expired Listings", "C", "Expired Listing Call", "", "Prospecting", 1),
    ("", "T", "Quick Reply", "", "Default", 1),
)
KINDS = {"E": "Email Contact", "C": "Call Contact", "T": "Text Contact"}
USERS: tuple[tuple[int, str, str], ...] = (
    (3, "Angela", "Ziegler"), (4, "Reinhardt", "Wilhelm"), (12, "Lena", "Oxton"),
    (15, "Hana", "Song"), (21, "Mei-Ling", "Zhou"), (27, "Cole", "Cassidy"),
    (31, "Torbjörn", "Lindholm"), (44, "Gabriel", "Reyes"), (58, "Amélie", "Lacroix"),
    (63, "Satya", "Vaswani"), (76, "Jack", "Morrison"), (99, "Ana", "Amari"),
)
AGENTS = (3, 4, 12, 44, 76, 99, 58, 63)  # users who send; every id is in USERS
UNKNOWN_USERS = (8, 5120)  # completing users that users.json does not hold
CONTACTS: tuple[dict[str, object], ...] = (
    {"id": 76, "first_name": "Lúcio", "last_name": "Correia dos Santos", "owner_user_id": 99,
     "assigned_user_id": 76, "shared_with_user_ids": [3]},
    {"id": 77, "first_name": "Winston", "last_name": "Lunar", "owner_user_id": 44,
     "assigned_user_id": None, "shared_with_user_ids": []},
    {"id": 78, "first_name": "Fareeha", "last_name": "Amari", "owner_user_id": 12,
     "assigned_user_id": 15, "shared_with_user_ids": [99, 63]},
)
TEAMS: tuple[dict[str, object], ...] = (
    {"id": 1, "name": "Strike Team Realty", "member_user_ids": [99, 76, 4, 3, 12]},
    {"id": 2, "name": "Blackwatch Homes", "member_user_ids": [44, 58, 27, 31]},
)
OFFSETS = ("-07:00", "-04:00", "-03:30", "+01:00", "+05:30", "+05:45", "+09:00")
FIELDS = ("id", "contact_id", "campaign_name", "type", "is_stopped_on_text_reply",
          "template_subject", "template_name", "template_folder_name", "is_active", "send_at",
          "completed_at", "send_from_user_id", "completing_user_id")
NOW = datetime(2025, 6, 1, tzinfo=UTC)  # later sends are not dispatched yet
SLOTS = 600  # send times come from a pool, so that records tie on send_at
ID_SPAN = 900_000  # 6-digit ids; past this many records, ids go on with 7 digits
T = TypeVar("T")
# A send slot, formatted once: UTC send_at, offset send_at, whether it is after NOW, and
# four possible completions as (UTC, offset) pairs.
Slot = tuple[str, str, bool, tuple[tuple[str, str], ...]]
Campaign = tuple[str, str, str, str, str]


def _utc(dt: datetime) -> str:
    return dt.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _zone(offset: str) -> timezone:
    delta = timedelta(hours=int(offset[1:3]), minutes=int(offset[4:6]))
    return timezone(-delta if offset[0] == "-" else delta)


def _slots(rng: random.Random) -> list[Slot]:
    """Precompute send times and their completions, so the record loop formats no dates."""
    first = datetime(2017, 1, 1, tzinfo=UTC)
    days = (datetime(2029, 1, 1, tzinfo=UTC) - first).days
    sends = [datetime(2020, 2, 29, tzinfo=UTC),
             datetime(2024, 2, 29, 23, 59, 59, tzinfo=UTC)]
    while len(sends) < SLOTS:
        day = first + timedelta(days=rng.randrange(days))
        r = rng.random()
        if r < 0.45:  # the usual case: scheduled for midnight UTC
            sends.append(day)
        elif r < 0.85:  # business hours, on the quarter hour
            sends.append(day + timedelta(hours=rng.randint(8, 19), minutes=15 * rng.randrange(4)))
        else:
            sends.append(day + timedelta(seconds=rng.randrange(86_400)))
    slots: list[Slot] = []
    for send in sends:
        zone = _zone(rng.choice(OFFSETS))
        completions = []
        for _ in range(4):  # a minute to three days later, always strictly after send_at
            minutes = 1 + rng.choice((1, 1, 5, 60, 600, 1440, 4320)) * rng.random()
            done = (send + timedelta(minutes=minutes)).replace(microsecond=0)
            completions.append((_utc(done), done.astimezone(zone).isoformat(timespec="seconds")))
        local = send.astimezone(zone).isoformat(timespec="seconds")
        slots.append((_utc(send), local, send >= NOW, tuple(completions)))
    return slots


def _table(weighted: list[tuple[T, int]]) -> list[T]:
    """Repeat each value by its weight, so that one random index picks with those weights."""
    return [value for value, weight in weighted for _ in range(weight)]


def generate_records(n: int, seed: int = 7, *, offset_fraction: float = 0.03,
                     contact_ids: tuple[int, ...] = (76, 77, 78)) -> Iterator[dict[str, object]]:
    """Yield made-up contact-communication records, lazily and deterministically.

    Args:
        n: How many records to yield. Ids are unique 6-digit numbers for up to 900,000
            records, then 7-digit ones.
        seed: Seed of the random generator; the same arguments always yield the same records.
        offset_fraction: Share of records whose send_at and completed_at carry a non-UTC
            offset (``2023-04-10T09:15:00-07:00``) instead of ``2023-04-10T16:15:00.000Z``.
        contact_ids: Contacts the records belong to; the first gets about 70% of them, the
            others share the rest.

    Returns:
        An iterator of dicts with the 13 fields of a contact communication, in schema order.

    Raises:
        ValueError: If ``n`` is negative or ``contact_ids`` is empty.
    """
    if n < 0 or not contact_ids:
        raise ValueError("n must be >= 0 and contact_ids must not be empty")
    rng = random.Random(seed)
    slots = _slots(rng)
    others = len(contact_ids) - 1
    contacts = _table([(contact_ids[0], 70 if others else 1)]
                      + [(c, max(1, 30 // others)) for c in contact_ids[1:]])
    campaigns = _table([((name, KINDS[k], tpl, subj, folder), weight)
                        for name, k, tpl, subj, folder, weight in CAMPAIGNS])
    step = rng.randrange(1, ID_SPAN)
    while math.gcd(step, ID_SPAN) != 1:  # a step coprime to the span makes i -> id one-to-one
        step += 1
    return _records(n, rng, slots, contacts, campaigns, (rng.randrange(ID_SPAN), step),
                    offset_fraction)


def _records(n: int, rng: random.Random, slots: list[Slot], contacts: list[int],
             campaigns: list[Campaign], ids: tuple[int, int],
             offset_fraction: float) -> Iterator[dict[str, object]]:
    # PERF: one rng.random() per choice and table lookups; no datetime work per record.
    rand, agents, (start, step) = rng.random, AGENTS, ids
    n_slots, n_contacts, n_campaigns = len(slots), len(contacts), len(campaigns)
    n_agents = len(agents)
    for i in range(n):
        name, kind, template, subject, folder = campaigns[int(rand() * n_campaigns)]
        send_utc, send_local, future, completions = slots[int(rand() * n_slots)]
        offset = rand() < offset_fraction
        active = future or rand() < 0.08  # a past send still active is overdue
        completed_at: str | None = None
        completing: int | None = None
        if not active:
            completed_at = completions[int(rand() * 4)][offset]
            r = rand()
            # Automatic dispatch leaves no completing user; a few ids belong to deleted users.
            if r >= 0.17:
                completing = agents[int(rand() * n_agents)]
            elif r >= 0.15:
                completing = UNKNOWN_USERS[int((r - 0.15) * 100)]
        yield {
            "id": 100_000 + (start + step * i) % ID_SPAN if i < ID_SPAN else 100_000 + i,
            "contact_id": contacts[int(rand() * n_contacts)],
            "campaign_name": name,
            "type": kind,
            "is_stopped_on_text_reply": kind == "Text Contact" and rand() < 0.6,
            "template_subject": subject,
            "template_name": template,
            "template_folder_name": folder,
            "is_active": active,
            "send_at": send_local if offset else send_utc,
            "completed_at": completed_at,
            "send_from_user_id": agents[int(rand() * n_agents)],
            "completing_user_id": completing,
        }


def _csv_cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _email(first: str, last: str) -> str:
    ascii_name = unicodedata.normalize("NFKD", f"{first}.{last}").encode("ascii", "ignore")
    return ascii_name.decode().lower().replace(" ", "") + "@example-realty.com"


def _write_json(path: Path, value: object) -> None:
    path.write_text(json.dumps(value, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


def main() -> None:
    """Write the example files into this script's folder, the same bytes on every run."""
    here = Path(__file__).resolve().parent
    records = list(generate_records(400, offset_fraction=0.05))
    with (here / "campaign-communications.jsonl").open("w", encoding="utf-8", newline="") as out:
        out.writelines(json.dumps(record, ensure_ascii=False) + "\n" for record in records)
    with (here / "campaign-communications.csv").open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(FIELDS)
        writer.writerows([_csv_cell(record[f]) for f in FIELDS] for record in records)
    users = [{"id": i, "first_name": first, "last_name": last, "email": _email(first, last)}
             for i, first, last in USERS]
    _write_json(here / "users.json", users)
    _write_json(here / "contacts.json", list(CONTACTS))
    _write_json(here / "teams.json", list(TEAMS))
    print(f"wrote {len(records)} records, {len(users)} users, {len(CONTACTS)} contacts and "
          f"{len(TEAMS)} teams to {here}")


if __name__ == "__main__":
    main()
