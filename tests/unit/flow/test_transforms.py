"""Transforms: the fast logicle table agrees with flowutils' exact logicle."""

from __future__ import annotations

import numpy as np
import pytest
from flowutils import transforms as fu

from cytotrial.errors import InputError
from cytotrial.flow.prepare.transforms import Asinh, Linear, Logicle, transform_from_spec


def sample_values() -> np.ndarray:
    rng = np.random.default_rng(1)
    return np.concatenate(
        [
            rng.normal(0, 300, 20_000),  # negative spread after compensation
            rng.lognormal(6, 2.5, 20_000),  # dim to saturated
            [-1e6, -262144, -1, 0, 1, 262143, 262144, 5e6],  # edges and beyond the table
        ]
    ).astype(np.float32)


@pytest.mark.parametrize(("t", "w", "m", "a"), [(262144, 0.5, 4.5, 0), (10000, 1.0, 4.0, 0.5)])
def test_logicle_table_matches_flowutils(t, w, m, a):
    x = sample_values()
    exact = fu.logicle(x.astype(np.float64), None, t, m, w, a)
    fast = Logicle(t, w, m, a).apply(x)
    assert fast.dtype == np.float32
    assert np.max(np.abs(fast - exact)) < 1e-6


def test_logicle_round_trip():
    x = np.array([-500.0, 0.0, 100.0, 5000.0, 200000.0])
    transform = Logicle()
    assert np.allclose(transform.inverse(transform.apply(x)), x, rtol=1e-4, atol=0.5)


def test_asinh_and_linear():
    x = np.array([-150.0, 0.0, 150.0, 1500.0])
    assert np.allclose(Asinh(150).apply(x), np.arcsinh(x / 150), atol=1e-6)
    assert np.allclose(Asinh(150).inverse(Asinh(150).apply(x)), x, rtol=1e-5)
    assert np.allclose(Linear(1000).apply(x), x / 1000)


def test_transform_from_spec_and_errors():
    assert transform_from_spec({"type": "logicle", "T": 1000, "W": 0.5, "M": 4, "A": 0}) == Logicle(
        1000, 0.5, 4, 0
    )
    assert transform_from_spec({"type": "asinh", "cofactor": 5}) == Asinh(5)
    with pytest.raises(InputError, match="unknown transform type 'log10'"):
        transform_from_spec({"type": "log10"}, "panel.yaml, channel APC-A")
    with pytest.raises(
        InputError, match="panel.yaml, channel APC-A: unknown key 'Q' for the logicle transform"
    ):
        transform_from_spec({"type": "logicle", "T": 1, "Q": 1}, "panel.yaml, channel APC-A")


def test_parks_width_and_the_width_note():
    from cytotrial.flow.prepare.transforms import parks_width, width_note

    rng = np.random.default_rng(2)
    # unstained events with a spread of 1,000 (22-bit spectral data): 5th percentile of
    # the negatives ~ -1,960, so W = (5.7 - log10(4194304 / 1960)) / 2 ~ 1.19
    values = rng.normal(0, 1000, 200_000).astype(np.float32)
    wanted = parks_width(values, 4194304, 5.7)
    r = np.percentile(values[values < 0], 5)
    assert wanted == pytest.approx((5.7 - np.log10(4194304 / abs(r))) / 2, abs=0.02)
    assert 1.1 < wanted < 1.3
    note = width_note("BV650-A", Logicle(T=4194304, W=0.5, M=5.7), values)
    assert note is not None and "BV650-A" in note and "W 0.5" in note
    assert width_note("BV650-A", Logicle(T=4194304, W=1.0, M=5.7), values) is None
    # no negatives to judge by: nothing said
    assert parks_width(np.abs(values), 4194304, 5.7) is None
    assert width_note("x", Logicle(T=4194304, W=0.5, M=5.7), np.abs(values)) is None
