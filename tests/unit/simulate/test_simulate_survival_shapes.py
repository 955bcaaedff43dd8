"""The survival simulator's shape helpers: the three-piece Weibull quantile and the SD/MR
reordering of part B times by registration day (simulate/clinical/survival.py)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cytotrial.simulate.clinical import survival as sv


def test_three_piece_quantile_with_equal_shapes_is_the_weibull() -> None:
    u = np.linspace(0.01, 0.99, 99)
    for k in (0.8, 1.25, 3.0):
        assert sv._weibull3_q(u, k, k, k) == pytest.approx(sv._weibull_q(u, k), rel=1e-12)


def test_three_piece_quantile_median_band_and_tails_move_separately() -> None:
    lo, hi = sv.MID_BAND
    u = np.linspace(0.01, 0.99, 197)
    base = sv._weibull3_q(u, 1.5, 1.5, 1.5)
    steep = sv._weibull3_q(u, 6.0, 1.5, 1.5)
    assert np.all(np.diff(steep) > 0)  # still a quantile function
    assert sv._weibull3_q(np.array([0.5]), 6.0, 0.7, 3.0)[0] == pytest.approx(1.0)
    inside = (u > lo) & (u < hi)
    # a larger band shape: the band's times closer to the median (a steeper KM curve there)
    assert np.all(np.abs(np.log(steep[inside])) <= np.abs(np.log(base[inside])) + 1e-12)
    # the tails' shapes leave the band alone
    other = sv._weibull3_q(u, 1.5, 0.7, 3.0)
    assert other[inside] == pytest.approx(base[inside], rel=1e-12)
    assert np.all(other[u < lo] < base[u < lo]) and np.all(other[u > hi] < base[u > hi])


@pytest.mark.parametrize("n", [5, 19, 20, 44])
def test_median_band_holds_the_events_that_set_the_median_ci(n: int) -> None:
    """Without censoring the CI uses event floor(.45 n) (last S >= .55) and ceil(.55 n)
    (first S <= .45); their strata ((rank + jitter) / n, jitter .1-.9) lie in the band."""
    low, high = sv._median_band(n)
    first, last = int(np.floor(0.45 * n)) - 1, int(np.ceil(0.55 * n)) - 1  # 0-based ranks
    assert low <= (first + 0.1) / n and (last + 0.9) / n <= high
    assert 0 < low < 0.5 < high < 1
    u = np.linspace(0.01, 0.99, 99)
    q = sv._weibull3_q(u, 4.0, 1.0, 1.0, (low, high))
    assert np.all(np.diff(q) > 0)


def _sdmr_layout(n: int) -> tuple[sv.Layout, sv.Draws]:
    group = np.array(["SD/MR"] * n, dtype=object)
    prof = pd.DataFrame(
        {
            "rp2d": True,
            "km_group": group,
            "group": "B2",
            "entry_reason": "below_mr_after_cycle2",
            "role": "",
        },
        index=range(n),
    )
    lay = sv.Layout.of(prof)
    rng = np.random.default_rng(5)
    u = (rng.permutation(n) + 0.5) / n
    kind = np.array(["progressor"] * n, dtype=object)
    kind[0] = "on_treatment"
    u[0] = (n - 0.5) / n  # the planted long responder keeps the top stratum
    nan = np.full(n, np.nan)
    draws = sv.Draws(
        u_pfs=u,
        u_post=nan,
        u_tab=nan,
        z_post=rng.logistic(size=n),
        jit_post=nan,
        entry_day=rng.permutation(np.arange(57, 57 + n)).astype(float),
        gap_a=nan,
        end_gap=nan,
        early_end=nan,
        late_end=nan,
        kind=kind,
        end_reason=np.array([""] * n, dtype=object),
    )
    return lay, draws


@pytest.mark.parametrize("rho", [-0.9, 0.9])
def test_sdmr_reordering_keeps_the_pfs_b_values_and_follows_rho(rho: float) -> None:
    lay, draws = _sdmr_layout(40)
    u = sv._pfs_uniforms(lay, draws, {"SD/MR": rho})
    assert sorted(u) == pytest.approx(sorted(draws.u_pfs))  # same PFS-B curve
    assert u[0] == draws.u_pfs[0]  # the planted responder untouched
    corr = np.corrcoef(sv._ranks(u[1:]), sv._ranks(draws.entry_day[1:]))[0, 1]
    assert corr < -0.5 if rho < 0 else corr > 0.5
    assert np.array_equal(sv._pfs_uniforms(lay, draws, {"SD/MR": 0.0}), draws.u_pfs)
