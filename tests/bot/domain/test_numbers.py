"""bot.domain.numbers: the one reading of whole numbers Slack hands back."""

from __future__ import annotations

import pytest

from bot.domain.numbers import whole_number


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("42", 42),
        ("0", 0),
        ("007", 7),
        ("9" * 18, int("9" * 18)),
        ("9" * 19, None),  # past a 64-bit id
        ("", None),
        ("-1", None),
        ("+1", None),
        (" 1", None),
        ("1.0", None),
        ("²", None),  # str.isdigit says yes, int() says no
        ("٣", None),  # an Arabic-Indic digit: int() would read it as 3
        (42, 42),  # a JSON number the bot wrote (form metadata)
        (-1, None),
        (10**18, None),
        (True, None),  # a JSON boolean is not a number here
        (4.0, None),
        (None, None),
    ],
)
def test_whole_number(value: object, expected: int | None) -> None:
    assert whole_number(value) == expected


def test_fewer_digits_when_asked() -> None:
    assert whole_number("4", digits=3) == 4
    assert whole_number("1234", digits=3) is None
