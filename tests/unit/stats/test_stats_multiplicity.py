"""Holm and Benjamini-Hochberg adjustment (cytotrial.stats.multiplicity) against R's p.adjust.

Expected values worked by hand from the definitions R documents for ``p.adjust`` (Holm:
step-down, running maximum; BH: step-up, running minimum from the largest P; NA not counted).
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from cytotrial.stats.multiplicity import benjamini_hochberg, holm

P = [0.010, 0.040, 0.030, 0.005]


def test_holm_by_hand():
    # sorted: .005 (x4 = .020), .010 (x3 = .030), .030 (x2 = .060), .040 (x1 = .040 -> max .060)
    assert holm(P) == pytest.approx([0.030, 0.060, 0.060, 0.020])


def test_bh_by_hand():
    # sorted: .005 (x4/1 = .020), .010 (x4/2 = .020), .030 (x4/3 = .040), .040 (x4/4 = .040)
    assert benjamini_hochberg(P) == pytest.approx([0.020, 0.040, 0.040, 0.020])


def test_capped_at_one_and_monotone():
    p = [0.5, 0.6, 0.9]
    assert holm(p) == pytest.approx([1.0, 1.0, 1.0])
    assert benjamini_hochberg(p) == pytest.approx([0.9, 0.9, 0.9])
    rng = np.random.default_rng(7)
    p = rng.uniform(size=25)
    order = np.argsort(p)
    for adjusted in (holm(p), benjamini_hochberg(p)):
        assert np.all(np.diff(adjusted[order]) >= 0)
        assert np.all(adjusted >= p)
    assert np.all(benjamini_hochberg(p) <= holm(p) + 1e-15)


def test_missing_p_values_stay_missing_and_are_not_counted():
    adjusted = holm([0.01, math.nan, 0.04])
    assert math.isnan(adjusted[1])
    assert adjusted[[0, 2]] == pytest.approx([0.02, 0.04])  # m = 2, not 3
    assert np.isnan(benjamini_hochberg([math.nan])).all()
    assert holm([]).size == 0


def test_single_p_value_is_unchanged():
    assert holm([0.037]) == pytest.approx([0.037])
    assert benjamini_hochberg([0.037]) == pytest.approx([0.037])


def test_out_of_range_p_value_is_an_error():
    with pytest.raises(ValueError, match="lie in"):
        holm([0.2, 1.5])
