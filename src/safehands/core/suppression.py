"""Small-cell suppression for tables that roll up over a tree.

A count below the threshold is hidden (primary suppression). Hiding one cell is not enough
when its parent's total is shown: the parent minus the visible siblings gives it back. So
whenever a parent is visible and exactly one of its parts is hidden, the smallest other part
is hidden too (secondary suppression), repeated until nothing can be recovered by
subtraction. This is the usual complementary-suppression rule of statistical offices (see
Hundepool et al., *Statistical Disclosure Control*, Wiley 2012, §4.2); it protects sums along
one hierarchy, which is how Safehands rolls up.

`suppressed_cells` is pure Python, so every app and export applies exactly the same rule.
The threshold is the deployment's choice: `threshold()` reads the setting
SAFEHANDS_SMALL_CELL_THRESHOLD (default 5), and every caller that protects counts of
patients or events passes it. Survey minimum respondents come from the instrument instead.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence

DEFAULT_THRESHOLD = 5
SETTING = "SAFEHANDS_SMALL_CELL_THRESHOLD"
INVALID_THRESHOLD = ("{setting} must be a whole number of at least 1 (a count below it is "
                     "hidden), not {text!r}.")


def parse_threshold(text: str | None) -> int:
    """The threshold from the environment's text: empty means the default; ValueError if bad."""
    if text is None or not text.strip():
        return DEFAULT_THRESHOLD
    try:
        number = int(text.strip())
    except ValueError:
        raise ValueError(INVALID_THRESHOLD.format(setting=SETTING, text=text)) from None
    if number < 1:
        raise ValueError(INVALID_THRESHOLD.format(setting=SETTING, text=text))
    return number


def threshold() -> int:
    """The smallest count shown to people who may not see the records behind it.

    Read from Django's settings at each call (not at import), so a deployment sets it once
    and tests can change it with override_settings.
    """
    from django.conf import settings

    return int(getattr(settings, SETTING, DEFAULT_THRESHOLD))


def suppressed_cells(
    counts: Mapping[Hashable, int],
    *,
    children: Mapping[Hashable, Sequence[Hashable]] | None = None,
    threshold: int = DEFAULT_THRESHOLD,
) -> set[Hashable]:
    """The keys whose values must not be shown.

    `counts` maps each cell (an org unit, a group, …) to the count that decides disclosure
    (respondents, a numerator, records). `children` maps a parent key to the keys that add
    up to it; a parent's own direct count, if any, must be given as one of its children
    (e.g. `("H1", "own")`) so that the parts really sum to the whole. Keys missing from
    `counts` count as hidden parts that cannot be subtracted (they protect their siblings).
    """
    if threshold < 1:
        raise ValueError("threshold must be at least 1")
    hidden = {key for key, count in counts.items() if count < threshold}
    children = children or {}
    changed = True
    while changed:
        changed = False
        for parent, parts in children.items():
            if parent in hidden or parent not in counts:
                continue
            hidden_parts = [p for p in parts if p in hidden or p not in counts]
            if len(hidden_parts) != 1:
                continue
            visible = [p for p in parts if p not in hidden and p in counts]
            if visible:
                # Hide the smallest visible sibling: it loses the least information.
                hidden.add(min(visible, key=lambda p: (counts[p], str(p))))
            else:
                hidden.add(parent)
            changed = True
    return hidden
