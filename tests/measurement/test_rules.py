import pytest

from safehands.measurement import rules
from safehands.measurement.rules import Numbers


def test_a_proportion_needs_whole_numerator_not_above_denominator():
    assert rules.problems("proportion", Numbers(3, 10, None)) == []
    assert rules.problems("proportion", Numbers(11, 10, None)) == [
        ("numerator", rules.NUMERATOR_ABOVE_DENOMINATOR.format(numerator=11, denominator=10))]
    assert rules.problems("proportion", Numbers(2.5, 10, None)) == [("numerator",
                                                                      rules.NOT_WHOLE)]
    assert rules.problems("proportion", Numbers(None, 10, None)) == [
        ("numerator", rules.REQUIRED.format(value_type="proportion"))]


def test_negative_and_zero_denominator_are_refused():
    assert rules.problems("rate", Numbers(-1, 100, None)) == [("numerator", rules.NEGATIVE)]
    assert rules.problems("rate", Numbers(1, 0, None)) == [("denominator",
                                                            rules.ZERO_DENOMINATOR)]


def test_a_rate_may_have_a_fractional_denominator_and_exceed_one():
    assert rules.problems("rate", Numbers(30, 12.5, None)) == []


def test_counts_are_whole_values_without_numerator():
    assert rules.problems("count", Numbers(None, None, 4)) == []
    assert rules.problems("count", Numbers(None, None, 4.5)) == [("value", rules.NOT_WHOLE)]
    assert rules.problems("count", Numbers(1, None, 4)) == [
        ("numerator", rules.NOT_USED.format(value_type="count", field="numerator"))]
    assert rules.problems("continuous", Numbers(None, None, 4.5)) == []


@pytest.mark.parametrize("text,number", [("12", 12.0), (" 3,5 ", 3.5), ("", None), (None, None),
                                         (7, 7.0)])
def test_parse_number(text, number):
    assert rules.parse_number(text) == number


@pytest.mark.parametrize("text", ["abc", "nan", "inf", True])
def test_parse_number_refuses_what_is_not_a_number(text):
    with pytest.raises(ValueError):
        rules.parse_number(text)


@pytest.mark.parametrize("number", [0.0, 12.0, 0.1, 1 / 3, 123456.789, 1e-9])
def test_format_number_reads_back_exactly(number):
    assert float(rules.format_number(number)) == number


def test_ratio_uses_the_multiplier():
    assert rules.ratio("rate", 3, 1000, None, 1000) == 3
    assert rules.ratio("count", None, None, 4, 1) == 4
    assert rules.ratio("proportion", 1, 0, None) is None
