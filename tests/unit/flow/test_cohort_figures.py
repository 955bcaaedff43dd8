"""Cohort figures' text: P values as the paper prints them."""

from cytotrial.flow.cohort.figures import p_label


def test_p_label_as_the_paper():
    assert p_label(0.0176) == "P=.0176"
    assert p_label(0.00021) == "P=.0002"
    assert p_label(3.6e-15) == "P<.0001"  # not 'P=3.6e-15'
    assert p_label(0.5) == "P=.5000"
