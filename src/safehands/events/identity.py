"""Norwegian national identity numbers in free text: found and masked before a report is saved.

A report's description must not identify the patient. Staff and patients paste numbers from
records, so every free-text field is scanned for 11-digit numbers whose two check digits are
valid (fødselsnummer and D-number, mod 11 with the weights of Skatteetaten's published
algorithm), with an optional space or dot after the date part. Only valid numbers are masked,
so an order number or a phone number is left alone.
"""

from __future__ import annotations

import re

# Weights of the two control digits (Skatteetaten, "Fødselsnummer": k1 and k2, mod 11).
K1_WEIGHTS = (3, 7, 6, 1, 8, 9, 4, 5, 2)
K2_WEIGHTS = (5, 4, 3, 2, 7, 6, 5, 4, 3, 2)
MASK = "[fødselsnummer fjernet]"
_CANDIDATE = re.compile(r"(?<!\d)(\d{6})[ .]?(\d{5})(?!\d)")


def _control(digits: list[int], weights: tuple[int, ...]) -> int | None:
    rest = 11 - sum(d * w for d, w in zip(digits, weights, strict=False)) % 11
    if rest == 11:
        return 0
    return None if rest == 10 else rest


def is_identity_number(number: str) -> bool:
    """Whether an 11-digit string is a valid fødselsnummer or D-number (check digits only)."""
    if len(number) != 11 or not number.isdigit():
        return False
    digits = [int(c) for c in number]
    day = digits[0] * 10 + digits[1]
    month = digits[2] * 10 + digits[3]
    if day > 40:  # a D-number adds 4 to the first digit
        day -= 40
    if not (1 <= day <= 31 and 1 <= month % 40 <= 12):  # +40 on the month: synthetic numbers
        return False
    return (_control(digits[:9], K1_WEIGHTS) == digits[9]
            and _control(digits[:10], K2_WEIGHTS) == digits[10])


def identity_numbers_mask(text: str) -> tuple[str, int]:
    """(text with every identity number replaced, how many were replaced)."""
    count = 0

    def replace(match: re.Match[str]) -> str:
        nonlocal count
        if is_identity_number(match.group(1) + match.group(2)):
            count += 1
            return MASK
        return match.group(0)

    return _CANDIDATE.sub(replace, text), count
