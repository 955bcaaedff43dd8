"""The survival simulator's shape helpers (simulate/clinical/survival.py): the three-piece
Weibull quantile, the SD/MR reordering of part B times by registration day, the part A PD
patients' common registration day, OS-B's own quantile and the joint OS-B / OS-AB SD/MR
width steering."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cytotrial.simulate import paper_targets as pt
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


def _three_group_layout(per_group: int = 10) -> tuple[sv.Layout, np.ndarray]:
    """RP2D part B patients: >= PR (progressed after a response), SD/MR, PD in cycle 1."""
    reasons = {">=PR": "pd_after_response", "SD/MR": "below_mr_after_cycle2", "PD": "pd_in_cycle1"}
    prof = pd.DataFrame(
        [
            {"rp2d": True, "km_group": g, "group": "B2", "entry_reason": r, "role": ""}
            for g, r in reasons.items()
            for _ in range(per_group)
        ]
    )
    starts = np.full(len(prof), sv.CUTOFF_ORD - 1400)  # 46 months of follow-up
    return sv.Layout.of(prof), starts


def _times(params: sv.Params, spread: float | None = None) -> tuple[sv.Layout, dict]:
    lay, starts = _three_group_layout()
    draws = sv._draw_part_b(np.random.default_rng(11), lay)
    if spread is None:
        return lay, sv._part_b_times(lay, starts, draws, params)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(sv, "PD_REGISTRATION_SPREAD", spread)
        return lay, sv._part_b_times(lay, starts, draws, params)


def test_part_a_pd_patients_register_on_nearly_one_day() -> None:
    """PFS-AB of PD = registration + PFS-B: with (nearly) one registration day the PFS-AB
    curve is the PFS-B curve shifted, as the paper's two PD CIs of equal width suggest."""
    params = sv._initial_params()
    lay, times = _times(params)
    pd_idx = lay.group_idx["PD"]
    reg = times["b_reg"][pd_idx]
    _, loose = _times(params, spread=1.0)
    raw_range = np.ptp(loose["b_reg"][pd_idx])
    assert raw_range >= 8  # the draws do spread the registrations...
    assert np.ptp(reg) <= sv.PD_REGISTRATION_SPREAD * raw_range + 1  # ... the rule pulls them in
    # part A PD stays in cycle 1 and before registration
    assert np.all(times["a_prog"][pd_idx] <= 28) and np.all(times["a_prog"][pd_idx] <= reg - 4)


def test_os_b_is_drawn_on_its_own_and_death_follows_progression() -> None:
    """OS-B comes from its own quantile: longer PFS-B times leave a patient's OS-B alone
    unless death would come less than MIN_POST_DAYS after progression."""
    params = sv._initial_params()
    lay, short = _times(params)
    longer = params.copy()
    longer.pfs = {g: 1.5 * v for g, v in params.pfs.items()}
    _, long_ = _times(longer)
    prog = ~np.isnan(short["b_prog"]) & ~np.isnan(long_["b_prog"])
    for t in (short, long_):
        alive = np.isnan(t["death"])
        assert np.all(t["death"][prog & ~alive] - t["b_prog"][prog & ~alive] >= sv.MIN_POST_DAYS)
    os_short = short["death"] - short["b_reg"]
    os_long = long_["death"] - long_["b_reg"]
    free = (
        prog
        & ~np.isnan(os_short)
        & ~np.isnan(os_long)
        & (short["death"] - short["b_prog"] > sv.MIN_POST_DAYS + 1)
        & (long_["death"] - long_["b_prog"] > sv.MIN_POST_DAYS + 1)
    )
    assert free.sum() >= 10
    assert np.abs(os_long[free] - os_short[free]).max() <= 1  # rounding only
    moved = long_["b_prog"][free] - short["b_prog"][free]
    assert moved.max() > 10  # ... although their progressions moved


@pytest.mark.parametrize(
    ("os_b", "os_ab", "direction"), [(1.0, 2.0, 1), (2.0, 0.5, 0), (0.5, 1.0, -1)]
)
def test_os_b_sdmr_band_is_steered_by_os_b_and_os_ab_together(
    os_b: float, os_ab: float, direction: int
) -> None:
    """The SD/MR OS-B band moves by the geometric mean of the OS-B and OS-AB SD/MR width
    ratios: too wide OS-AB alone narrows it; errors that cancel leave it put."""
    params = sv._initial_params()
    before = params.shape_post["SD/MR"]
    medians = {e: {g: (m, m) for g, m in gs.items()} for e, gs in pt.KM_TARGETS.items()}
    widths = {e: {g: sv._target_width(e, g) for g in gs} for e, gs in pt.KM_CI.items()}
    widths["OS-B"]["SD/MR"] *= os_b
    widths["OS-AB"]["SD/MR"] *= os_ab
    sv._update(params, medians, widths)
    after = params.shape_post["SD/MR"]
    if direction == 0:
        assert after == pytest.approx(before)
    else:
        assert (after > before) if direction > 0 else (after < before)


def test_os_b_band_follows_the_deaths_that_set_the_ci_when_censoring_moves_them() -> None:
    """Without censoring the SD/MR OS-B CI deaths lie in the default band; censor the
    earliest deaths and the S = .55 / .45 crossings move to later strata, which the adapted
    band then covers (so the band's shape, not a tail's, sets the CI width)."""
    lay, starts = _three_group_layout(20)
    draws = sv._draw_part_b(np.random.default_rng(3), lay)
    params = sv._initial_params()
    times = sv._part_b_times(lay, starts, draws, params)
    fu_alive = np.full(lay.in_b.size, 1390.0)
    default = sv._median_band(20)

    def adapted(times: dict) -> tuple[float, float]:
        p = params.copy()
        sv._adapt_bands(p, lay, draws, times, sv.last_followup(times, fu_alive, draws.kind))
        return p.post_band["SD/MR"]

    low, high = adapted(times)
    assert low <= default[0] and high >= default[1]
    assert high - low <= default[1] - default[0] + 0.1
    idx = lay.group_idx["SD/MR"]
    died = idx[draws.kind[idx] == "progressor"]
    first = died[np.argsort(times["death"][died])[:6]]
    censored = {k: v.copy() for k, v in times.items()}
    censored["death"][first] = np.nan  # alive: followed until fu_alive
    fu_alive[first] = censored["b_reg"][first] + 1
    low2, high2 = adapted(censored)
    assert high2 > default[1] + 0.1


def test_median_ci_event_times_are_the_crossings_of_s_55_and_45() -> None:
    from cytotrial.simulate.clinical.km import median_ci_event_times

    t = np.arange(1.0, 21.0)
    assert median_ci_event_times(t, np.ones(20, bool)) == (9.0, 11.0)
    assert all(np.isnan(median_ci_event_times(t, t <= 5)))  # S never falls to .45


@pytest.mark.parametrize("rho", [-0.9, 0.9])
def test_sdmr_os_b_reordering_by_registration_keeps_the_os_b_curve(rho: float) -> None:
    """OS-AB SD/MR = registration + OS-B: reordering the OS-B uniforms by registration day
    (rho_os_entry) changes OS-AB's spread, never the OS-B curve."""
    from dataclasses import replace

    lay, draws = _sdmr_layout(40)
    rng = np.random.default_rng(8)
    draws = replace(
        draws, u_post=draws.u_pfs[rng.permutation(40)], jit_post=rng.uniform(0.1, 0.9, 40)
    )
    params = sv._initial_params()
    params.rho_os_entry = {"SD/MR": rho}
    u = sv._os_uniforms(lay, draws, params)
    assert sorted(u) == pytest.approx(sorted(draws.u_post))
    rest = draws.kind != "on_treatment"
    corr = np.corrcoef(sv._ranks(u[rest]), sv._ranks(draws.entry_day[rest]))[0, 1]
    assert corr < -0.5 if rho < 0 else corr > 0.5
    params.rho_os_entry = {"SD/MR": 0.0}
    assert np.array_equal(sv._os_uniforms(lay, draws, params), draws.u_post)
