"""Reading the sign-in settings from the environment; imported by settings, so no models."""

from __future__ import annotations

from django.core.exceptions import ImproperlyConfigured

BAD_SETTING = "{name} must be a whole number greater than 0 ({unit}), not {value!r}."


def positive_whole_number(name: str, value: str, unit: str) -> int:
    """The setting as a number, or ImproperlyConfigured naming it and what it should be."""
    try:
        number = int(value.strip())
    except ValueError:
        number = 0
    if number < 1:
        raise ImproperlyConfigured(BAD_SETTING.format(name=name, unit=unit, value=value))
    return number
