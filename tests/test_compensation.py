"""Compensation recovers the pre-spillover signals."""

from __future__ import annotations

import numpy as np
import pytest

from cytotrial.errors import InputError
from cytotrial.flow.compensation import Spillover, compensate


def test_compensation_inverts_spillover_and_leaves_other_channels():
    rng = np.random.default_rng(3)
    true = rng.lognormal(5, 1.5, (5000, 3)).astype(np.float32)
    scatter = rng.uniform(0, 1e5, (5000, 1)).astype(np.float32)
    matrix = np.array([[1.0, 0.2, 0.01], [0.05, 1.0, 0.1], [0.0, 0.02, 1.0]])
    acquired = np.hstack([scatter, (true @ matrix).astype(np.float32)])
    channels = ["FSC-A", "FITC-A", "PE-A", "APC-A"]
    result = compensate(acquired, channels, Spillover(("FITC-A", "PE-A", "APC-A"), matrix))
    assert np.allclose(result[:, 1:], true, rtol=1e-4, atol=1e-2)
    assert np.array_equal(result[:, 0], scatter[:, 0])


def test_bad_spillover_errors_name_the_problem():
    with pytest.raises(InputError, match="singular"):
        Spillover(("A", "B"), np.array([[1.0, 1.0], [1.0, 1.0]]))
    with pytest.raises(InputError, match="is 2x2 but names 3 channels"):
        Spillover(("A", "B", "C"), np.eye(2))
    with pytest.raises(InputError, match="names channel\\(s\\) PE-A that the file does not have"):
        compensate(np.zeros((2, 2)), ["FSC-A", "FITC-A"], Spillover(("FITC-A", "PE-A"), np.eye(2)))
