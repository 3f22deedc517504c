"""Reading numbers from text (issue 11 item 5): ``bounded_int`` measures before it converts.

Python's ``int()`` refuses a string of more than 4,300 digits with a ``ValueError``, and
``repr`` refuses an int of more than 4,300 digits; every reader of a number goes through
``bounded_int``, and every message that quotes a value through ``show_number`` or ``shown``.
"""

from __future__ import annotations

import sys

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from querylang.values import (
    INT32_MAX,
    INT32_MIN,
    NUMBER_MAX,
    PLAIN_NUMBER_MAX,
    SAFE_INTEGER_MAX,
    ValueProblem,
    bounded_int,
    parse_integer,
    parse_number,
    show_number,
    shown,
)

LIMIT = sys.get_int_max_str_digits()
HUGE = "9" * 5000


@pytest.mark.parametrize(
    ("text", "low", "high", "expected"),
    [
        ("0", 0, 10, 0),
        ("-0", 0, 10, 0),
        ("0311", 0, 1000, 311),
        ("0" * 5000 + "311", 0, 1000, 311),
        ("-" + "0" * 5000 + "7", -10, 10, -7),
        ("2147483647", INT32_MIN, INT32_MAX, INT32_MAX),
        ("2147483648", INT32_MIN, INT32_MAX, None),
        ("-2147483648", INT32_MIN, INT32_MAX, INT32_MIN),
        ("-2147483649", INT32_MIN, INT32_MAX, None),
        ("9007199254740991", 0, SAFE_INTEGER_MAX, SAFE_INTEGER_MAX),
        ("9007199254740992", 0, SAFE_INTEGER_MAX, None),
        ("-1", 0, 10, None),
        (HUGE, 0, SAFE_INTEGER_MAX, None),
        ("-" + HUGE, INT32_MIN, INT32_MAX, None),
        ("1" * (LIMIT + 1), 0, 10, None),
    ],
    ids=lambda v: v if not isinstance(v, str) or len(v) < 30 else f"<{len(v)} chars>",
)
def test_bounded_int_reads_within_bounds_and_gives_none_outside(
    text: str, low: int, high: int, expected: int | None
) -> None:
    assert bounded_int(text, low, high) == expected


@pytest.mark.parametrize("text", ["", "-", "+1", " 1", "1.5", "1e3", "٣", "0x1", "--1"])
def test_bounded_int_refuses_what_is_not_digits(text: str) -> None:
    with pytest.raises(ValueProblem) as problem:
        bounded_int(text, 0, 10)
    assert problem.value.code == "not-an-integer"


@given(st.integers(0, 6000), st.integers(0, 5000), st.booleans(), st.integers(-(2**70), 2**70), st.integers(0, 2**70))
@example(5000, 0, False, 0, 2**31)
def test_bounded_int_agrees_with_int_and_never_raises_at_any_length(
    digits: int, zeros: int, negative: bool, low: int, width: int
) -> None:
    text = ("-" if negative else "") + "0" * zeros + ("7" * digits or "0")
    high = low + width
    got = bounded_int(text, low, high)
    if digits <= LIMIT:
        value = int(("-" if negative else "") + ("7" * digits or "0"))  # leading zeros change nothing
        assert got == (value if low <= value <= high else None)
    else:
        assert got is None


def test_parse_integer_names_the_range_and_quotes_a_long_number_short() -> None:
    with pytest.raises(ValueProblem) as problem:
        parse_integer(HUGE, "id")
    assert problem.value.code == "out-of-range"
    assert problem.value.message == "99999999999999999999...999999 (5000 digits) is outside the 32-bit range of 'id'"
    assert problem.value.hint == "use a number from -2147483648 to 2147483647"


@pytest.mark.parametrize("text", [HUGE, "-" + HUGE, HUGE + ".5", "1" + "0" * 309, "1" + "0" * 309 + ".0"])
def test_parse_number_out_of_a_doubles_range_is_out_of_range(text: str) -> None:
    with pytest.raises(ValueProblem) as problem:
        parse_number(text)
    assert problem.value.code == "out-of-range"
    assert len(problem.value.message) < 100


@pytest.mark.parametrize(
    ("text", "expected"),
    [("0" * 5000 + "12", 12), ("1" + "0" * 300, 10**300), ("0." + "1" * 5000, 0.1111111111111111), ("-1.5", -1.5)],
)
def test_parse_number_reads_long_text_within_range(text: str, expected: float) -> None:
    assert parse_number(text) == expected
    assert abs(parse_number(text)) <= NUMBER_MAX


def test_show_number_keeps_short_text_and_cuts_long_text() -> None:
    assert show_number("2147483648") == "2147483648"
    assert show_number(HUGE) == "99999999999999999999...999999 (5000 digits)"
    assert show_number("-" + HUGE) == "-9999999999999999999...999999 (5000 digits)"
    assert show_number("x" * 100) == "xxxxxxxxxxxxxxxxxxxx...xxxxxx (100 characters)"


def test_shown_describes_what_repr_cannot_write() -> None:
    assert shown(10**5000) == "<an integer of about 5000 digits>"
    assert shown([1, 10**5000]) == "<a list holding an integer of thousands of digits>"
    assert shown({"a": 1}) == "{'a': 1}"
    assert shown("x" * 100) == "'" + "x" * 56 + "..."


def test_shown_describes_a_value_nested_too_deeply_to_repr() -> None:
    deep: list[object] = []
    for _ in range(100_000):
        deep = [deep]
    assert shown(deep) == "<a list nested too deeply to show>"


def test_the_javascript_bounds_are_where_javascript_says() -> None:
    # Number.MAX_SAFE_INTEGER; and String(x) uses an exponent from 1e21 (ECMA-262 Number::toString).
    assert int(float(SAFE_INTEGER_MAX)) == SAFE_INTEGER_MAX
    assert float(SAFE_INTEGER_MAX + 1) == float(SAFE_INTEGER_MAX + 2)  # two whole numbers, one double
    assert float(PLAIN_NUMBER_MAX) < 1e21 <= float(PLAIN_NUMBER_MAX + 1)
