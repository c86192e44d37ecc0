"""Reading survey responses from CSV: one row per respondent, item codes as columns.

Shared by `safehands survey score` (no database) and the import of paper answers into a
round. Pure Python: every problem is collected with its row (file line) and column, and
nothing is returned unless the whole file is right.

Format: an optional grouping column, one column per item code with the numeric answer
(1-5, empty when missing, 9 for "does not apply"). Codes match without regard to case; a SOPS
column may carry AHRQ's `R` suffix for a negatively worded item. Whole numbers written as
`4.0` (spreadsheets) are 4.
"""

from __future__ import annotations

from safehands.core.csvtext import CsvReader
from safehands.culture.instruments import InstrumentSpec
from safehands.culture.scoring import check_answer

OVERALL = "all"
MAX_PROBLEMS = 10
EMPTY_FILE = "the file is empty; it needs a header row"
NO_GROUP_COLUMN = "there is no column {by!r} for --by"

Answers = dict[str, int | None]


class ResponsesInvalid(ValueError):
    """The file has problems; `problems` lists each with its row and column."""

    def __init__(self, problems: list[str]) -> None:
        shown = problems[:MAX_PROBLEMS]
        more = len(problems) - len(shown)
        super().__init__("; ".join(shown) + (f"; and {more} more problems" if more else ""))
        self.problems = problems


def whole(text: str) -> int | None:
    """'4' and '4.0' (spreadsheets write both) are 4; anything else is not an answer."""
    try:
        value = float(text)
    except ValueError:
        return None
    return int(value) if value.is_integer() else None


def item_column(spec: InstrumentSpec, name: str) -> tuple[str | None, str | None]:
    """The item code a column holds, or why it holds none.

    Codes match without regard to case. AHRQ marks negatively worded SOPS items with a
    trailing R (`A9R`); that spelling is accepted for an item the instrument has as
    negatively worded, and refused with a clear message for one it has as positive.
    """
    by_upper = {code.upper(): code for code in spec.items}
    upper = name.upper()
    if upper in by_upper:
        return by_upper[upper], None
    if upper.endswith("R") and upper[:-1] in by_upper:
        code = by_upper[upper[:-1]]
        if spec.items[code].reverse:
            return code, None
        return None, (f"{name!r} marks {code} as negatively worded, but {spec.code} has it "
                      "as positively worded")
    return None, f"{name!r} is not an item code of {spec.code}"


def read_responses(text: str, spec: InstrumentSpec, *,
                   by: str | None = None) -> dict[str, list[Answers]]:
    """Answers grouped by the `by` column; the group `all` holds every respondent."""
    rows = list(CsvReader(text))
    if not rows or not any(cell.strip() for cell in rows[0]):
        raise ResponsesInvalid([EMPTY_FILE])
    raw_header = [cell.strip() for cell in rows[0]]
    if by is not None and by not in raw_header:
        raise ResponsesInvalid([NO_GROUP_COLUMN.format(by=by)])
    problems: list[str] = []
    header: list[str] = []
    for col, name in enumerate(raw_header, start=1):
        if name == by:
            header.append(name)
            continue
        code, problem = item_column(spec, name)
        if problem:
            problems.append(f"row 1, column {name or col}: {problem}")
        elif code in header:
            problems.append(f"row 1, column {name}: item {code} appears twice")
        header.append(code or name)
    groups: dict[str, list[Answers]] = {OVERALL: []}
    for line, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(header):
            problems.append(f"row {line}: {len(row)} cells where the header has {len(header)}")
            continue
        answers: Answers = {}
        group = None
        for name, written, cell in zip(header, raw_header, row, strict=True):
            value_text = cell.strip()
            if name == by:
                group = value_text
                if not value_text:
                    problems.append(f"row {line}, column {written}: the group is empty")
                elif value_text == OVERALL:
                    problems.append(f"row {line}, column {written}: {OVERALL!r} is reserved "
                                    "for the overall result")
                continue
            if name not in spec.items:
                continue
            if not value_text:
                answers[name] = None
                continue
            value = whole(value_text)
            if value is None:
                problems.append(
                    f"row {line}, column {written}: {value_text!r} is not a whole number")
                continue
            reason = check_answer(spec, name, value)
            if reason:
                problems.append(f"row {line}, column {written}: {reason}")
                continue
            answers[name] = value
        groups[OVERALL].append(answers)
        if group:
            groups.setdefault(group, []).append(answers)
    if problems:
        raise ResponsesInvalid(problems)
    return groups
