"""Scoring of safety-culture surveys, exactly as the instruments' methods say.

SAQ (UT Houston CHQS scoring key; Sexton et al. 2006):
  1. reverse the negatively worded items (6 - x on the 1-5 scale: items 2, 11, 36);
  2. a respondent's scale score is the mean of the scale items they answered, rescaled to
     0-100 as (mean - 1) x 25;
  3. a respondent is positive on a scale when that score is >= 75 ("agree slightly");
  4. % positive = positive respondents / respondents with a score on that scale;
  5. a unit's climate is "mature" when >= 60 % are positive (Deilkås, Overlegen 1-2017).

SOPS Hospital 2.0 (AHRQ user's guide, "percent positive"):
  1. an item's % positive is the share of its valid answers that are positive: 4 or 5
     (agree / strongly agree, most of the time / always); for a negatively worded item the
     share answering 1 or 2 (disagree / strongly disagree, never / rarely);
  2. a composite's % positive is the mean of its items' % positive;
  3. "does not apply / don't know" (9) and missing answers are left out of every
     denominator.
  Safehands also reports a mean score per composite for SOPS: the mean of its items' mean
  answers on the 1-5 scale after reversing negatively worded items. AHRQ publishes only %
  positive; the mean is a Safehands addition, labelled as such.

Respondents per scale are those with at least one valid answer on the scale's items; that
count decides minimum-respondent protection (`safehands.core.suppression`).

Pure Python, no Django: the command line, the pages and the exports all call these.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from safehands.core.suppression import DEFAULT_THRESHOLD, suppressed_cells
from safehands.culture.instruments import InstrumentSpec, ItemSpec

Answers = Mapping[str, int | None]

SCALE_MAX = 5          # both instruments answer on 1..5
ANSWER_OUT_OF_SCALE = "{value!r} is not an answer to {item} (allowed: {allowed})"
ITEM_UNKNOWN = "{item!r} is not an item of {instrument}"


@dataclass(frozen=True)
class ScaleResult:
    """One group x scale. Suppressed results carry no numbers at all."""

    group: str
    scale: str
    respondents: int | None
    mean_score: float | None
    pct_positive: float | None
    suppressed: bool
    mature: bool | None = None      # SAQ only
    positive: int | None = None     # SAQ: respondents scoring >= 75


def check_answer(spec: InstrumentSpec, item: str, value: int | None) -> str | None:
    """Why `value` is not a valid answer to `item`, or None when it is."""
    if item not in spec.items:
        return ITEM_UNKNOWN.format(item=item, instrument=spec.code)
    if value is None:
        return None
    known = spec.items[item]
    allowed = set(known.values) | ({known.not_applicable} if known.not_applicable else set())
    if value not in allowed:
        return ANSWER_OUT_OF_SCALE.format(value=value, item=item, allowed=", ".join(
            str(v) for v in sorted(allowed)))
    return None


def _valid(item: ItemSpec, value: int | None) -> int | None:
    """The answer if it counts, None for missing or "does not apply"."""
    if value is None or value == item.not_applicable or value not in item.values:
        return None
    return value


def _scored(item: ItemSpec, value: int) -> int:
    return (SCALE_MAX + 1 - value) if item.reverse else value


# --- SAQ -----------------------------------------------------------------------------------

def saq_scale_score(answers: Answers, items: Sequence[ItemSpec]) -> float | None:
    """(mean - 1) x 25 over the answered items, reversed where needed; None if none answered."""
    values = [_scored(i, v) for i in items if (v := _valid(i, answers.get(i.code))) is not None]
    if not values:
        return None
    return (sum(values) / len(values) - 1) * 25


def _saq_positive(answers: Answers, items: Sequence[ItemSpec], threshold: float) -> bool:
    # Exact comparison: (mean - 1) x 25 >= t  <=>  sum >= n x (1 + t / 25), no float drift.
    values = [_scored(i, v) for i in items if (v := _valid(i, answers.get(i.code))) is not None]
    return sum(values) * 25 >= len(values) * (25 + threshold)


@dataclass(frozen=True)
class SaqSummary:
    respondents: int
    mean_score: float | None
    positive: int
    pct_positive: float | None
    mature: bool | None


def saq_summary(respondents: Sequence[Answers], spec: InstrumentSpec, scale: str) -> SaqSummary:
    items = spec.scale_items(scale)
    scores, positive = [], 0
    for answers in respondents:
        score = saq_scale_score(answers, items)
        if score is None:
            continue
        scores.append(score)
        positive += _saq_positive(answers, items, spec.positive_threshold)
    if not scores:
        return SaqSummary(0, None, 0, None, None)
    pct = 100 * positive / len(scores)
    return SaqSummary(len(scores), sum(scores) / len(scores), positive, pct,
                      pct >= spec.mature_pct)


# --- SOPS ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class ItemSummary:
    item: str
    valid: int
    positive: int
    pct_positive: float | None
    mean: float | None     # mean answer, reversed for negatively worded items


def sops_item_summary(respondents: Sequence[Answers], spec: InstrumentSpec,
                      item: str) -> ItemSummary:
    known = spec.items[item]
    values = [v for a in respondents if (v := _valid(known, a.get(item))) is not None]
    if not values:
        return ItemSummary(item, 0, 0, None, None)
    counted = spec.negative if known.reverse else spec.positive
    positive = sum(v in counted for v in values)
    mean = sum(_scored(known, v) for v in values) / len(values)
    return ItemSummary(item, len(values), positive, 100 * positive / len(values), mean)


@dataclass(frozen=True)
class SopsSummary:
    respondents: int
    mean_score: float | None
    pct_positive: float | None
    items: tuple[ItemSummary, ...]


def sops_summary(respondents: Sequence[Answers], spec: InstrumentSpec,
                 scale: str) -> SopsSummary:
    items = spec.scale_items(scale)
    summaries = tuple(sops_item_summary(respondents, spec, i.code) for i in items)
    answered = sum(
        1 for a in respondents if any(_valid(i, a.get(i.code)) is not None for i in items))
    scored = [s for s in summaries if s.valid]
    if not scored:
        return SopsSummary(answered, None, None, summaries)
    pct = sum(s.pct_positive for s in scored) / len(scored)  # type: ignore[misc]
    mean = sum(s.mean for s in scored) / len(scored)  # type: ignore[misc]
    return SopsSummary(answered, mean, pct, summaries)


# --- groups with protection ----------------------------------------------------------------

def score_groups(
    groups: Mapping[str, Sequence[Answers]],
    spec: InstrumentSpec,
    *,
    children: Mapping[str, Sequence[str]] | None = None,
    min_respondents: int = DEFAULT_THRESHOLD,
) -> list[ScaleResult]:
    """Every group x scale, hiding what fewer than `min_respondents` answered.

    `children` says which groups add up to which (a parent's respondents are exactly its
    children's); a hidden child then also hides a sibling, so it cannot be recovered as the
    parent minus the others (secondary suppression).
    """
    raw: dict[tuple[str, str], ScaleResult] = {}
    for group, respondents in groups.items():
        for scale in spec.scales:
            if spec.method == "saq":
                s = saq_summary(respondents, spec, scale)
                raw[group, scale] = ScaleResult(group, scale, s.respondents, s.mean_score,
                                                s.pct_positive, False, s.mature, s.positive)
            else:
                t = sops_summary(respondents, spec, scale)
                raw[group, scale] = ScaleResult(group, scale, t.respondents, t.mean_score,
                                                t.pct_positive, False)
    counts = {key: r.respondents or 0 for key, r in raw.items()}
    cell_children = {
        (parent, scale): [(c, scale) for c in kids if counts.get((c, scale), 0) > 0]
        for parent, kids in (children or {}).items() for scale in spec.scales
    }
    hidden = suppressed_cells(counts, children=cell_children, threshold=min_respondents)
    results = []
    for key, r in raw.items():
        if key in hidden:
            results.append(ScaleResult(r.group, r.scale, None, None, None, True, None, None))
        else:
            results.append(r)
    return results


# --- change between rounds -----------------------------------------------------------------

Z_95 = 1.959963984540054  # two-sided 95 % normal quantile


def wilson_interval(positive: int, n: int, z: float = Z_95) -> tuple[float, float]:
    """Wilson score interval for a proportion (Wilson 1927; Newcombe 1998, method 3)."""
    if n <= 0:
        raise ValueError("n must be positive")
    return _wilson(positive / n, n, z)


def _wilson(p: float, n: int, z: float) -> tuple[float, float]:
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return centre - half, centre + half


def difference_interval(p1: float, n1: int, p2: float, n2: int,
                        z: float = Z_95) -> tuple[float, float, float]:
    """p1 - p2 with Newcombe's hybrid score interval (Newcombe 1998, method 10).

    Proportions in 0..1. Used for the change in % positive from the previous round; for a
    SOPS composite the % positive is treated as a proportion of its respondents, an
    approximation the results page states.
    """
    if n1 <= 0 or n2 <= 0:
        raise ValueError("both rounds need respondents")
    l1, u1 = _wilson(p1, n1, z)
    l2, u2 = _wilson(p2, n2, z)
    d = p1 - p2
    lower = d - math.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2)
    upper = d + math.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2)
    return d, lower, upper


# --- distributions -------------------------------------------------------------------------

@dataclass(frozen=True)
class Distribution:
    """Answers on a scale's items, reversed where needed: negative (1-2), neutral, positive."""

    negative: int
    neutral: int
    positive: int

    @property
    def total(self) -> int:
        return self.negative + self.neutral + self.positive

    def shares(self) -> tuple[float, float, float]:
        total = self.total or 1
        return (100 * self.negative / total, 100 * self.neutral / total,
                100 * self.positive / total)


def answer_distribution(respondents: Sequence[Answers], spec: InstrumentSpec,
                        scale: str) -> Distribution:
    counts = [0, 0, 0]
    for item in spec.scale_items(scale):
        for answers in respondents:
            value = _valid(item, answers.get(item.code))
            if value is None:
                continue
            scored = _scored(item, value)
            counts[0 if scored <= 2 else 1 if scored == 3 else 2] += 1
    return Distribution(*counts)
