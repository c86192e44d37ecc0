"""Identity numbers: the check digits decide, so other 11-digit numbers stay in the text."""

from __future__ import annotations

from safehands.events.identity import MASK, identity_numbers_mask, is_identity_number


def _with_check_digits(first_nine: str) -> str:
    digits = [int(c) for c in first_nine]
    k1 = 11 - sum(d * w for d, w in zip(digits, (3, 7, 6, 1, 8, 9, 4, 5, 2), strict=False)) % 11
    k1 = 0 if k1 == 11 else k1
    digits.append(k1)
    k2 = 11 - sum(d * w for d, w in zip(digits, (5, 4, 3, 2, 7, 6, 5, 4, 3, 2), strict=True)) % 11
    k2 = 0 if k2 == 11 else k2
    return first_nine + f"{k1}{k2}"


def _valid(prefix: str) -> str:
    for serial in range(1000):
        number = _with_check_digits(f"{prefix}{serial:03d}")
        if len(number) == 11 and "10" not in number[9:] and is_identity_number(number):
            return number
    raise AssertionError


def test_a_number_with_valid_check_digits_is_found():
    number = _valid("241299")
    assert is_identity_number(number)
    wrong = number[:10] + str((int(number[10]) + 1) % 10)
    assert not is_identity_number(wrong)


def test_d_numbers_and_impossible_dates():
    assert is_identity_number(_valid("641299"))  # D-number: day + 40
    assert not is_identity_number(_with_check_digits("321399000"))  # day 32, month 13


def test_masking_counts_and_keeps_other_numbers():
    number = _valid("010190")
    spaced = number[:6] + " " + number[6:]
    text, count = identity_numbers_mask(f"fnr {number}, igjen {spaced}, tlf 22334455667")
    assert count == 2 and text.count(MASK) == 2 and "22334455667" in text
    assert identity_numbers_mask("123" + number) == ("123" + number, 0)  # part of a longer number
