from safehands.measurement.bundles import all_or_none, per_element


def test_all_or_none_counts_a_patient_only_when_every_applicable_element_is_done():
    samples = [
        {"a": "yes", "b": "yes", "c": "yes"},  # compliant
        {"a": "yes", "b": "no", "c": "yes"},  # not
        {"a": "yes", "b": "na", "c": "yes"},  # compliant: b does not apply
        {"a": "na", "b": "na", "c": "na"},  # nothing applies: left out
    ]
    assert all_or_none(samples) == (2, 3)
    assert per_element(samples) == {"a": (3, 3), "b": (1, 2), "c": (3, 3)}


def test_no_samples():
    assert all_or_none([]) == (0, 0)
    assert per_element([]) == {}
