"""What numbers a data value may hold, per value type. Pure Python, no Django.

One place decides, for the form, the API and every import line alike:

| value type                 | numerator        | denominator     | value            |
|----------------------------|------------------|-----------------|------------------|
| proportion                 | whole, ≥ 0, ≤ den| whole, > 0      | empty            |
| rate                       | whole, ≥ 0       | > 0             | empty            |
| count, cases_between       | empty            | empty           | whole, ≥ 0       |
| continuous, time_between   | empty            | empty           | ≥ 0              |

The ratio of a proportion or rate is never stored: it is computed from the pair, so it can
never disagree with it. A row with every field empty carries nothing and is skipped.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

RATIO_TYPES = frozenset({"proportion", "rate"})
WHOLE_VALUE_TYPES = frozenset({"count", "cases_between"})
FIELDS = ("numerator", "denominator", "value")

NOT_A_NUMBER = "{text!r} is not a number."
NEGATIVE = "Must be zero or more."
NOT_WHOLE = "Must be a whole number: it counts."
REQUIRED = "Required for a {value_type} measure."
NOT_USED = "A {value_type} measure has no {field}; leave it empty."
ZERO_DENOMINATOR = ("The denominator must be above zero; leave the period empty when there "
                    "was nothing to count.")
NUMERATOR_ABOVE_DENOMINATOR = ("The numerator ({numerator:g}) cannot exceed the denominator "
                               "({denominator:g}) of a proportion.")


@dataclass(frozen=True)
class Numbers:
    numerator: float | None
    denominator: float | None
    value: float | None

    @property
    def empty(self) -> bool:
        return self.numerator is None and self.denominator is None and self.value is None


def parse_number(text: object) -> float | None:
    """A number from a form, a CSV cell or JSON; '' and None are empty. ValueError if not."""
    if text is None:
        return None
    if isinstance(text, bool):
        raise ValueError(NOT_A_NUMBER.format(text=text))
    if isinstance(text, int | float):
        number = float(text)
    else:
        stripped = str(text).strip().replace(",", ".") if isinstance(text, str) else str(text)
        if stripped == "":
            return None
        try:
            number = float(stripped)
        except ValueError:
            raise ValueError(NOT_A_NUMBER.format(text=text)) from None
    if not math.isfinite(number):
        raise ValueError(NOT_A_NUMBER.format(text=text))
    return number


def problems(value_type: str, numbers: Numbers) -> list[tuple[str, str]]:
    """(field, message) for every rule the numbers break; empty when they are fine."""
    found: list[tuple[str, str]] = []
    given = {"numerator": numbers.numerator, "denominator": numbers.denominator,
             "value": numbers.value}
    if value_type in RATIO_TYPES:
        needed, unused = ("numerator", "denominator"), ("value",)
    else:
        needed, unused = ("value",), ("numerator", "denominator")
    for field in unused:
        if given[field] is not None:
            found.append((field, NOT_USED.format(value_type=value_type, field=field)))
    for field in needed:
        number = given[field]
        if number is None:
            found.append((field, REQUIRED.format(value_type=value_type)))
        elif number < 0:
            found.append((field, NEGATIVE))
        elif not float(number).is_integer() and (
            field == "numerator"
            or (field == "denominator" and value_type == "proportion")
            or (field == "value" and value_type in WHOLE_VALUE_TYPES)
        ):
            found.append((field, NOT_WHOLE))
    if found:
        return found
    if value_type in RATIO_TYPES:
        if numbers.denominator == 0:
            found.append(("denominator", ZERO_DENOMINATOR))
        elif value_type == "proportion" and numbers.numerator > numbers.denominator:
            found.append(("numerator", NUMERATOR_ABOVE_DENOMINATOR.format(
                numerator=numbers.numerator, denominator=numbers.denominator)))
    return found


def ratio(value_type: str, numerator: float | None, denominator: float | None,
          value: float | None, multiplier: float = 1) -> float | None:
    """The number a chart shows: the ratio times the measure's multiplier, or the value."""
    if value_type in RATIO_TYPES:
        if numerator is None or not denominator:
            return None
        return numerator / denominator * multiplier
    return value


def format_number(number: float | None) -> str:
    """Text that reads back to exactly the same float: '12' for whole numbers, else repr."""
    if number is None:
        return ""
    if float(number).is_integer() and abs(number) < 1e15:
        return str(int(number))
    return repr(number)
