"""Bundle compliance from sampled patients. Pure Python, no Django.

IHI's all-or-none measurement (Nolan & Berwick, JAMA 2006;295:1168): a patient counts as
compliant only when every element that applies to them was done. Elements answered "na"
(not applicable) are left out for that patient; a patient for whom no element applies is
left out of the denominator. Per-element compliance is yes / (yes + no).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping


def all_or_none(samples: Iterable[Mapping[str, str]]) -> tuple[int, int]:
    """(compliant patients, patients with at least one applicable element)."""
    numerator = denominator = 0
    for answers in samples:
        applicable = [a for a in answers.values() if a != "na"]
        if not applicable:
            continue
        denominator += 1
        if all(a == "yes" for a in applicable):
            numerator += 1
    return numerator, denominator


def per_element(samples: Iterable[Mapping[str, str]]) -> dict[str, tuple[int, int]]:
    """element code -> (done, applicable)."""
    result: dict[str, tuple[int, int]] = {}
    for answers in samples:
        for code, answer in answers.items():
            done, applicable = result.get(code, (0, 0))
            if answer != "na":
                applicable += 1
                done += answer == "yes"
            result[code] = (done, applicable)
    return result
