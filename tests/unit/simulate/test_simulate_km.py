"""The simulator's numpy survival helpers (parse time: no scipy) agree with cytotrial.stats."""

from __future__ import annotations

import numpy as np
import pytest

from cytotrial.simulate.clinical.km import logrank_p, spss_median_halfwidth
from cytotrial.stats.kaplan_meier import kaplan_meier, median_survival
from cytotrial.stats.logrank import logrank


def _samples(seed: int, count: int):
    rng = np.random.default_rng(seed)
    for _ in range(count):
        n = int(rng.integers(3, 60))
        t = np.round(rng.exponential(5.0, n), 1) + 0.1  # ties on purpose
        yield t, rng.random(n) < 0.8, rng.random(n) < 0.4


def test_spss_halfwidth_equals_the_report_s_spss_interval():
    checked = 0
    for t, e, _ in _samples(7, 300):
        ref = median_survival(kaplan_meier(t, e), conf_type="spss")
        got = spss_median_halfwidth(t, e)
        if np.isnan(ref.upper):
            assert np.isnan(got)
        else:
            assert got == pytest.approx(ref.upper - ref.estimate, abs=1e-9)
            checked += 1
    assert checked > 200


def test_logrank_p_equals_survdiff():
    checked = 0
    for t, e, g in _samples(3, 300):
        if g.all() or not g.any() or not e.any():
            continue
        ref = logrank(t, e, np.where(g, "x", "y")).p_value
        got = logrank_p(t, e, g)
        if np.isnan(ref):
            assert np.isnan(got)
        else:
            assert got == pytest.approx(ref, rel=1e-9, abs=1e-15)
            checked += 1
    assert checked > 200
    assert np.isnan(logrank_p(np.array([1.0, 2.0]), np.array([True, True]), np.array([True, True])))
