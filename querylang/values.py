"""Values as text -> Python values: integers, numbers and date-times as the reference reads them.

Query values follow docs/semantics.md section 3 (what ajv accepts, with the deliberate differences
that refuse JavaScript's ``Number()`` accidents); date-times are read as PostgreSQL reads them:
fractions rounded to the microsecond, a leap second as the next second. Record values from
exports are read more leniently (any ISO 8601 date-time with an offset). python-dateutil is
used here only, for record date-times ``datetime.fromisoformat`` cannot read.
"""

from __future__ import annotations

import functools
import json
import re
import sys
from datetime import UTC, date, datetime, timedelta

__all__ = [
    "INT32_MAX",
    "INT32_MIN",
    "NAN",
    "NUMBER_MAX",
    "PLACEHOLDERS",
    "PLAIN_NUMBER_MAX",
    "SAFE_INTEGER_MAX",
    "FarInstant",
    "PostgresNaN",
    "ValueProblem",
    "bounded_int",
    "in_utc",
    "json_problem",
    "parse_datetime",
    "parse_integer",
    "parse_number",
    "placeholder_hint",
    "record_datetime",
    "show_number",
    "shown",
]

INT32_MIN, INT32_MAX = -(2**31), 2**31 - 1
SAFE_INTEGER_MAX = 2**53 - 1
"""JavaScript's ``Number.MAX_SAFE_INTEGER``: the largest whole number the server holds exactly."""
PLAIN_NUMBER_MAX = 999_999_999_999_999_934_463
"""The largest whole number JavaScript writes without an exponent: the next rounds to ``1e21``,
which ``String()`` writes ``1e+21`` and ``parseInt`` then reads as 1."""
NUMBER_MAX = sys.float_info.max
"""The largest number a ``number`` field holds: a double's, as JavaScript's ``Number()`` reads it."""
PLACEHOLDERS = frozenset({"undefined", "null", "None", "NaN"})
"""Values that look like a variable that was never set, in the code that built the query."""


_MICROSECOND = timedelta(microseconds=1)
_DAY_MICROS = 86_400_000_000
_EPOCH = datetime(1, 1, 1)
_MAX_MICROS = (datetime.max - _EPOCH) // _MICROSECOND


def _micros(value: datetime) -> int:
    """An aware datetime's instant in microseconds from 0001-01-01T00:00:00Z (exact, in or out of range)."""
    offset = value.utcoffset()
    assert offset is not None
    return (value.replace(tzinfo=None) - _EPOCH - offset) // _MICROSECOND


@functools.total_ordering
class FarInstant:
    """An instant less than a day outside what ``datetime`` holds in UTC (years 1 to 9999).

    ``0001-01-01T00:00:00+01:00`` is such an instant (0000-12-31T23:00:00Z); the reference's
    PostgreSQL holds it, so querylang reads it too. It compares with aware datetimes and with
    other far instants exactly, by microseconds from 0001-01-01T00:00:00Z, and never equals a
    datetime.
    """

    __slots__ = ("micros",)

    def __init__(self, micros: int) -> None:
        if -_DAY_MICROS < micros < 0 or _MAX_MICROS < micros < _MAX_MICROS + _DAY_MICROS:
            self.micros = micros
        else:
            raise ValueError(f"{micros} microseconds from year 1 is not just outside datetime's range")

    def __setattr__(self, name: str, value: object) -> None:
        if hasattr(self, "micros"):
            raise AttributeError("FarInstant is immutable")
        object.__setattr__(self, name, value)

    def text(self) -> str:
        """RFC 3339 with the smallest offset that keeps the written date in years 1 to 9999."""
        # Ahead of UTC by the shortfall before year 1, or behind it by the excess after 9999,
        # in whole minutes rounded up.
        minutes = -(self.micros // 60_000_000) if self.micros < 0 else (self.micros - _MAX_MICROS) // -60_000_000
        local = _EPOCH + timedelta(microseconds=self.micros + minutes * 60_000_000)
        written = local.isoformat(timespec="microseconds" if local.microsecond else "seconds")
        sign = "+" if minutes >= 0 else "-"
        return f"{written}{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"

    def js_text(self) -> str:
        """As JavaScript's ``Date.toISOString`` writes it: ``0000-12-31T23:00:00.000Z``, ``+010000-...``."""
        if self.micros < 0:
            day, within = "0000-12-31", self.micros + _DAY_MICROS
        else:
            day, within = "+010000-01-01", self.micros - _MAX_MICROS - 1
        clock = (datetime.min + timedelta(microseconds=within)).time()
        return f"{day}T{clock.isoformat(timespec='milliseconds')}Z"

    def _other(self, other: object) -> int | None:
        if isinstance(other, FarInstant):
            return other.micros
        if isinstance(other, datetime) and other.utcoffset() is not None:
            return _micros(other)
        return None

    def __eq__(self, other: object) -> bool:
        theirs = self._other(other)
        return NotImplemented if theirs is None else self.micros == theirs

    def __hash__(self) -> int:
        return hash((FarInstant, self.micros))

    def __lt__(self, other: object) -> bool:
        theirs = self._other(other)
        return NotImplemented if theirs is None else self.micros < theirs

    def __repr__(self) -> str:
        return f"FarInstant({self.text()!r})"


class PostgresNaN:
    """NaN as PostgreSQL compares a ``float8`` NaN: equal to itself, above every other number.

    Python's ``float("nan")`` equals nothing and is neither above nor below anything, so a
    record's NaN would match ``n[$lt]=1`` and ``n[$gt]=1`` alike (the scans test ``not v >= 1``)
    and sort anywhere. ``Field.from_record`` reads a NaN of a ``number`` field as ``NAN``, the one
    instance, which sorts after every number ascending (and before the nulls).
    """

    __slots__ = ()

    def _other(self, other: object) -> int | None:
        """0 for NaN, -1 for a number (below NaN), None for anything else."""
        if other is self or (isinstance(other, float) and other != other):
            return 0
        if isinstance(other, int | float):
            return -1
        return None

    def __eq__(self, other: object) -> bool:
        order = self._other(other)
        return NotImplemented if order is None else order == 0

    def __hash__(self) -> int:
        return hash(float("nan").__class__) ^ 0x4E614E

    def __lt__(self, other: object) -> bool:
        order = self._other(other)
        return NotImplemented if order is None else False

    def __le__(self, other: object) -> bool:
        order = self._other(other)
        return NotImplemented if order is None else order == 0

    def __gt__(self, other: object) -> bool:
        order = self._other(other)
        return NotImplemented if order is None else order == -1

    def __ge__(self, other: object) -> bool:
        order = self._other(other)
        return NotImplemented if order is None else True

    def __float__(self) -> float:
        return float("nan")

    def __repr__(self) -> str:
        return "NAN"


NAN = PostgresNaN()
"""The NaN of a record's ``number`` field, as PostgreSQL orders it."""


def in_utc(value: datetime) -> datetime | FarInstant:
    """An aware datetime in UTC, or the far instant it names when UTC cannot hold it."""
    try:
        return value.astimezone(UTC)
    except OverflowError:
        return FarInstant(_micros(value))


class ValueProblem(Exception):
    """A value that does not fit its field: the code, message and hint of a diagnostic."""

    def __init__(self, code: str, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.hint = hint


def placeholder_hint(text: str, fix: str) -> str:
    """``fix``, prefixed by a note when ``text`` looks like an unset variable (``undefined``)."""
    if text in PLACEHOLDERS:
        return f"'{text}' looks like an unset variable in the code that built the query; {fix}"
    return fix


_INTEGER = re.compile(r"-?[0-9]+")
_NUMBER = re.compile(r"-?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)")
_NUMBER_MAX_INT = int(NUMBER_MAX)
_INFINITY = float("inf")
_SHORT = 20
"""Digit strings this short convert with ``int()`` at once; longer ones are measured first."""
_SHOWN = 60
"""Quoted values longer than this are cut short in messages."""


def bounded_int(text: str, low: int, high: int) -> int | None:
    """The whole number ``text`` writes (an optional ``-`` and ASCII digits), or None outside ``low`` to ``high``.

    Every reader of a number in external text goes through here. Python's ``int()`` refuses a
    string of more than 4,300 digits with a ``ValueError``; here a digit string with more
    significant digits than the bounds have is out of range without being converted, however
    long it is (leading zeros count for nothing: ``0311`` is 311, as is ``<5,000 × 0>311``).

    Returns:
        The number, or None when it lies outside ``low`` to ``high``; the caller words the
        ``out-of-range`` problem, naming the range (``show_number`` quotes the text).

    Raises:
        ValueProblem: ``not-an-integer``: the text is not an optional ``-`` and digits 0-9.
    """
    if _INTEGER.fullmatch(text) is None:
        raise ValueProblem("not-an-integer", f"'{show_number(text)}' is not a whole number", "use decimal digits")
    if len(text) > _SHORT:
        negative = text[0] == "-"
        digits = text[negative:].lstrip("0") or "0"
        if len(digits) > max(len(str(abs(low))), len(str(abs(high)))):
            return None
        text = "-" + digits if negative else digits
    value = int(text)
    return value if low <= value <= high else None


def _article(noun: str) -> str:
    return f"an {noun}" if noun[:1] in "aeiou" else f"a {noun}"


def json_problem(error: ValueError | RecursionError) -> str:
    """What made a JSON reader fail, for a message: its own words, or what Python's limits refused.

    Besides malformed text, the standard ``json`` refuses an integer of more than 4,300 digits
    (a plain ``ValueError`` naming ``sys.set_int_max_str_digits``) and nesting deeper than the
    recursion limit (``RecursionError``); orjson reports both as malformed JSON.
    """
    if isinstance(error, RecursionError):
        return "not JSON that can be read: nested too deeply"
    if isinstance(error, json.JSONDecodeError | UnicodeDecodeError):
        return f"not JSON: {error}"
    return f"not JSON that can be read: a number of more than {sys.get_int_max_str_digits()} digits"


def show_number(text: str) -> str:
    """A number's text for a message: as written, or cut short with its length (``999...999 (5000 digits)``)."""
    if len(text) <= _SHOWN:
        return text
    digits = text[1:] if text[0] == "-" else text
    size = f"{len(digits)} digits" if digits.isascii() and digits.isdigit() else f"{len(text)} characters"
    return f"{text[:20]}...{text[-6:]} ({size})"


def shown(value: object) -> str:
    """``repr(value)`` for a message, cut short past 60 characters, and never failing.

    ``repr`` of an int of more than 4,300 digits raises ``ValueError`` (Python's limit on int to
    text), and of a structure nested thousands deep ``RecursionError``, so such a value is
    described instead.
    """
    try:
        text = repr(value)
    except RecursionError:
        return f"<{_article(type(value).__name__)} nested too deeply to show>"
    except ValueError:
        if isinstance(value, int):
            return f"<an integer of about {round(value.bit_length() * 0.30103)} digits>"
        return f"<{_article(type(value).__name__)} holding an integer of thousands of digits>"
    return text if len(text) <= _SHOWN else text[: _SHOWN - 3] + "..."


def parse_integer(text: str, name: str = "") -> int:
    """An optional ``-`` and decimal digits within the 32-bit signed range (``0311`` is 311).

    Raises:
        ValueProblem: ``not-an-integer`` or ``out-of-range``.
    """
    if _INTEGER.fullmatch(text) is None:
        if text.strip() != text and _INTEGER.fullmatch(text.strip()):
            hint = "remove the spaces; an unencoded '+' arrives as a space (write %2B, or no sign)"
        else:
            hint = placeholder_hint(text, "use decimal digits, such as 42")
        raise ValueProblem("not-an-integer", f"'{show_number(text)}' is not a whole number", hint)
    value = bounded_int(text, INT32_MIN, INT32_MAX)
    if value is None:
        number = show_number(text)
        raise ValueProblem(
            "out-of-range",
            f"{number} is outside the 32-bit range of '{name}'" if name else f"{number} is out of range",
            f"use a number from {INT32_MIN} to {INT32_MAX}",
        )
    return value


def parse_number(text: str) -> int | float:
    """A decimal number (no exponent, no hexadecimal, no spaces) within a double's range (``NUMBER_MAX``).

    Raises:
        ValueProblem: ``not-a-number`` or ``out-of-range``.
    """
    if _NUMBER.fullmatch(text) is None:
        hint = placeholder_hint(text, "use a decimal number")
        raise ValueProblem("not-a-number", f"'{show_number(text)}' is not a number", hint)
    value: int | float | None
    if _INTEGER.fullmatch(text):
        value = bounded_int(text, -_NUMBER_MAX_INT, _NUMBER_MAX_INT)
    else:
        value = float(text)  # any length: float() has no digit limit
        if value in (_INFINITY, -_INFINITY):
            value = None
    if value is None:
        hint = f"use a number from -{NUMBER_MAX} to {NUMBER_MAX}"
        raise ValueProblem("out-of-range", f"{show_number(text)} is too large for a number", hint)
    return value


# docs/semantics.md section 3: RFC 3339 (as ajv's date-time format reads it), or a date alone.
_DATE_TIME = re.compile(
    r"(?P<y>[0-9]{4})-(?P<mo>[0-9]{2})-(?P<d>[0-9]{2})"
    r"(?:(?P<sep>[Tt \t\n\r\f\v])(?P<h>[0-9]{2}):(?P<mi>[0-9]{2})(?::(?P<s>[0-9]{2})(?:\.(?P<f>[0-9]+))?)?"
    r"(?:(?P<z>[Zz])|(?P<sign>[+-])(?P<oh>[0-9]{2})(?::?(?P<om>[0-9]{2}))?"
    r"|(?P<space> )(?P<sh>[0-9]{2})(?::?(?P<sm>[0-9]{2}))?)?)?"
)
_DATE_HINT = "write 2019-01-01T11:00:00Z, 2019-01-01T11:00:00-07:00 or 2019-01-01"


def parse_datetime(text: str) -> datetime | FarInstant:
    """Read a query's date-time (docs/semantics.md section 3) as an aware ``datetime`` in UTC.

    When UTC falls just outside years 1 to 9999 (``0001-01-01T00:00:00+01:00``) the result is a
    ``FarInstant``, as PostgreSQL holds those.

    RFC 3339 with ``Z`` or an offset (``+05:30``, ``+0530``, ``-07``), ``T``, ``t`` or a space
    between date and time, a fraction rounded to the microsecond and a leap second read as the
    next second (as PostgreSQL does); or a date alone, meaning midnight UTC.

    Raises:
        ValueProblem: with code ``not-a-date`` (and a hint: ``%2B`` for an offset whose ``+``
            arrived as a space).
    """
    m = _DATE_TIME.fullmatch(text)
    if m is None:
        raise ValueProblem("not-a-date", f"'{text}' is not a date-time", placeholder_hint(text, _DATE_HINT))
    year, month, day = int(m["y"]), int(m["mo"]), int(m["d"])
    if not 1 <= year <= 9999:
        raise ValueProblem("not-a-date", f"'{text}' is outside the years 1 to 9999", _DATE_HINT)
    try:
        date(year, month, day)
    except ValueError:
        raise ValueProblem("not-a-date", f"'{text}' names no such day", _DATE_HINT) from None
    if m["sep"] is None:
        return datetime(year, month, day, tzinfo=UTC)
    if m["s"] is None:
        raise ValueProblem("not-a-date", f"'{text}' has no seconds", "write the time as HH:MM:SS")
    if m["space"] is not None:
        raise ValueProblem(
            "not-a-date",
            f"'{text}' has a space where its offset's sign should be",
            "an unencoded '+' arrives as a space: write %2B for '+'",
        )
    if m["z"] is None and m["sign"] is None:
        raise ValueProblem("not-a-date", f"'{text}' has no time zone", "add Z for UTC, or an offset such as -07:00")
    hour, minute, second = int(m["h"]), int(m["mi"]), int(m["s"])
    sign = -1 if m["sign"] == "-" else 1
    off_h, off_m = int(m["oh"] or 0), int(m["om"] or 0)
    if off_h > 15 or off_m > 59:
        # ajv takes hours up to 23; PostgreSQL refuses a displacement beyond 15:59.
        raise ValueProblem("not-a-date", f"'{text}' has an offset out of range (beyond ±15:59)", _DATE_HINT)
    if hour > 23 or minute > 59 or second > 60:
        raise ValueProblem("not-a-date", f"'{text}' has a time out of range", _DATE_HINT)
    if second == 60:
        # ajv accepts a leap second only at 23:59 UTC; PostgreSQL reads it as the next second.
        utc_minute = minute - off_m * sign
        utc_hour = hour - off_h * sign - (1 if utc_minute < 0 else 0)
        if utc_hour not in (23, -1) or utc_minute not in (59, -1):
            raise ValueProblem("not-a-date", f"'{text}' has a leap second away from 23:59 UTC", _DATE_HINT)
    micro = 0
    if m["f"]:
        # PostgreSQL: rint(strtod("0.fff") * 1e6), which rounds half to even, as round() does.
        micro = round(float("0." + m["f"]) * 1_000_000)
    if second == 60 and micro and hour == 23 and minute == 59:
        # PostgreSQL refuses a time of day past 24:00:00 as written (before the offset).
        raise ValueProblem("not-a-date", f"'{text}' is past the end of its day", _DATE_HINT)
    offset = timedelta(hours=off_h, minutes=off_m) * sign
    local = datetime(year, month, day, hour, minute, min(second, 59))
    step = timedelta(seconds=1 if second == 60 else 0, microseconds=micro) - offset
    try:
        return (local + step).replace(tzinfo=UTC)
    except OverflowError:
        # Within a day of the ends of datetime's range, in UTC: PostgreSQL holds it.
        return FarInstant((local - _EPOCH + step) // _MICROSECOND)


_LONG_FRACTION = re.compile(r"\.\d{7}")


def record_datetime(text: str) -> datetime | FarInstant:
    """Read a record's date-time string (ISO 8601 with an offset) as an aware ``datetime`` in UTC.

    Raises:
        ValueProblem: the text is not a date-time with an offset.
    """
    if _LONG_FRACTION.search(text) is None and ":60" not in text:
        try:
            value = datetime.fromisoformat(text)
        except ValueError:
            from dateutil.parser import isoparse  # PERF: only for what fromisoformat cannot read

            try:
                value = isoparse(text)
            except (ValueError, OverflowError):
                raise ValueProblem("not-a-date", f"'{text}' is not an ISO 8601 date-time") from None
        if value.utcoffset() is None:
            if len(text) == 10:  # a date alone: midnight UTC, as in queries
                return value.replace(tzinfo=UTC)
            raise ValueProblem("naive-datetime", f"'{text}' has no time zone", "add Z or an offset")
        return in_utc(value)
    # A 7-digit fraction (PostgreSQL rounds it, fromisoformat truncates) or a leap second.
    return parse_datetime(text.replace(" ", "T", 1) if text[10:11] == " " else text)
