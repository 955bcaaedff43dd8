"""Wilcoxon matched pairs (Prism and R rules), significance stars, Prism quartiles."""

from __future__ import annotations

import itertools
import json
import math

import numpy as np
import pandas as pd
import pytest
from helpers.paths import R_REFERENCE
from scipy import stats

from cytotrial.errors import InputError
from cytotrial.stats.paired import (
    prism_quartiles,
    signed_rank_null,
    significance_stars,
    wilcoxon_matched_pairs,
)

R_CONFIGS = {
    "default": {"exact": None, "correct": True},
    "exact": {"exact": True, "correct": True},
    "approx_cc": {"exact": False, "correct": True},
    "approx_no_cc": {"exact": False, "correct": False},
}
R_ALTERNATIVES = {"two.sided": "two-sided", "less": "less", "greater": "greater"}


def brute_force_p(d: np.ndarray, zero_method: str = "wilcox") -> float:
    """Two-sided exact P by enumerating all 2^n sign patterns of the (average) ranks."""
    if zero_method == "wilcox":
        d = d[d != 0]
        ranks = stats.rankdata(np.abs(d))
    else:
        ranks = stats.rankdata(np.abs(d))[d != 0]
        d = d[d != 0]
    observed = ranks[d > 0].sum()
    mean = ranks.sum() / 2
    hits = 0
    for signs in itertools.product((0, 1), repeat=ranks.size):
        v = float(np.dot(signs, ranks))
        hits += abs(v - mean) >= abs(observed - mean) - 1e-9
    return hits / 2**ranks.size


def test_r_wilcox_test_golden_values():
    """R: ``wilcox.test(x, y, paired = TRUE, exact = ..., correct = ..., alternative = a)`` for
    5 data sets x 4 configurations x 3 alternatives: V, p, exact used, correction used."""
    ref = json.loads((R_REFERENCE / "wilcoxon.json").read_text())
    checked = 0
    for ds in ref["datasets"]:
        data = pd.read_csv(R_REFERENCE / ds["file"])
        for config, kwargs in R_CONFIGS.items():
            for r_alt, alternative in R_ALTERNATIVES.items():
                want = ds["results"][config][r_alt]
                # R's x - y is after - before here: before = y, after = x.
                got = wilcoxon_matched_pairs(
                    data["y"], data["x"], method="r", alternative=alternative, **kwargs
                )
                where = (ds["id"], config, r_alt)
                assert got.v == want["statistic_V"], where
                assert got.p_value == pytest.approx(want["p_value"], rel=1e-6), where
                assert got.exact == want["exact_used"], where
                assert got.correction == want["continuity_correction_used"], where
                checked += 1
        got = wilcoxon_matched_pairs(data["y"], data["x"], method="r")
        assert (got.n_zero, got.n_used, got.ties) == (
            ds["n_zero_differences"],
            ds["n_nonzero"],
            ds["ties_among_nonzero_abs_differences"],
        )
        assert got.r_minus == ds["r_minus"]
    assert checked == 60


@pytest.mark.parametrize("zero_method", ["wilcox", "pratt"])
def test_prism_exact_with_ties_equals_brute_force(zero_method):
    """Prism >= 6: exact P with ties and zeros; DP over doubled ranks == 2^n enumeration."""
    rng = np.random.default_rng(20211201)
    for n in (1, 2, 5, 8, 11, 12):
        for _ in range(6):
            d = rng.integers(-4, 5, size=n).astype(float)  # many ties and some zeros
            got = wilcoxon_matched_pairs(np.zeros(n), d, zero_method=zero_method)
            if got.n_used == 0:
                assert math.isnan(got.p_value)
                continue
            assert got.exact
            assert got.p_value == pytest.approx(brute_force_p(d, zero_method), rel=1e-12)


def test_prism_exact_matches_scipy_exact_and_permutation():
    """scipy: ``wilcoxon(d, method="exact")`` without ties; with ties the full permutation
    distribution ``PermutationMethod(n_resamples=np.inf)`` (guide section 4)."""
    d = np.array([5, -3, 12, 7, -13, 2, 16, -1, 9, 20, -8, 14, 6, -18, 10, 15, -4, 17, 19, -11.0])
    ours = wilcoxon_matched_pairs(np.zeros(d.size), d)
    assert ours.p_value == pytest.approx(stats.wilcoxon(d, method="exact").pvalue, rel=1e-10)
    ties = np.array([3, -3, 5, 2, 5, 7, -2, 4.0])
    ours = wilcoxon_matched_pairs(np.zeros(ties.size), ties)
    perm = stats.wilcoxon(ties, method=stats.PermutationMethod(n_resamples=np.inf))
    assert ours.p_value == pytest.approx(perm.pvalue, rel=1e-10)
    assert ours.p_value == pytest.approx(0.0859375)  # 22/256; R's normal approx gives 0.0789


def test_prism_switches_to_normal_with_correction_at_200_pairs():
    """The 200-pair limit counts the pairs that are ranked (nonzero differences)."""
    rng = np.random.default_rng(7)
    for n, exact in ((199, True), (200, False)):
        d = np.round(rng.normal(0.2, 1, n), 1)
        d[d == 0] = 0.05  # no zeros, ties kept
        got = wilcoxon_matched_pairs(np.zeros(n), d)
        assert got.exact is exact and got.n_used == n and got.ties
        if not exact:
            r = wilcoxon_matched_pairs(np.zeros(n), d, method="r", exact=False)
            assert got.test == "normal approximation with continuity correction"
            assert got.p_value == pytest.approx(r.p_value, rel=1e-12)


def test_exact_distribution_for_199_pairs_is_a_distribution():
    prob = signed_rank_null(np.arange(2, 2 * 199 + 1, 2))
    assert prob.sum() == pytest.approx(1.0)
    assert np.allclose(prob, prob[::-1])  # symmetric around the mean


def test_signed_rank_null_small_case():
    # Ranks 1, 2 (scores 2, 4): sums 0, 2, 4, 6 each with probability 1/4.
    assert signed_rank_null(np.array([2, 4])).tolist() == [0.25, 0, 0.25, 0, 0.25, 0, 0.25]


def test_orientation_and_prism_w():
    """d = after - before; Prism's W = sum of signed ranks, R's V = sum of positive ranks."""
    before = [10, 20, 30, 40, 50]
    after = [12, 24, 29, 46, 58]  # d = 2, 4, -1, 6, 8
    got = wilcoxon_matched_pairs(before, after)
    assert (got.v, got.r_minus, got.w) == (14, 1, 13)
    assert got.p_value == 0.125 and got.median_difference == 4
    flipped = wilcoxon_matched_pairs(after, before)
    assert flipped.w == -13 and flipped.p_value == got.p_value


def test_missing_values_drop_the_pair():
    got = wilcoxon_matched_pairs([1, 2, np.nan, 4], [2, 4, 5, np.nan])
    assert (got.n_pairs, got.n_missing, got.n_used) == (2, 2, 2)


def test_edge_cases_give_nan_with_reason():
    zeros = wilcoxon_matched_pairs([1, 2, 3], [1, 2, 3])
    assert math.isnan(zeros.p_value) and zeros.reason == "all differences are zero"
    assert zeros.stars == "n/a"
    none = wilcoxon_matched_pairs([], [])
    assert math.isnan(none.p_value) and none.reason == "no complete pairs"
    one = wilcoxon_matched_pairs([1], [3])
    assert one.p_value == 1.0 and one.n_used == 1
    with pytest.raises(InputError, match="pairs must match"):
        wilcoxon_matched_pairs([1, 2], [1])
    with pytest.raises(InputError, match="only drops zeros"):
        wilcoxon_matched_pairs([1, 2], [2, 3], method="r", zero_method="pratt")


@pytest.mark.parametrize(
    ("p", "stars"),
    [
        (0.2, "ns"),
        (0.0500001, "ns"),
        (0.05, "*"),
        (0.0176, "*"),
        (0.01, "**"),
        (0.002, "**"),
        (0.001, "***"),
        (0.0002, "***"),
        (0.0001, "****"),
        (1e-9, "****"),
        (float("nan"), "n/a"),
    ],
)
def test_significance_stars_prism_gp(p, stars):
    """GraphPad GP format on the unrounded P: ns > .05, * <= .05, ** <= .01, *** <= .001,
    **** <= .0001 (so 0.0500001 is ns although it prints as 0.0500)."""
    assert significance_stars(p) == stars


def test_prism_quartiles_are_type_6():
    """R: ``quantile(1:10, c(.25, .5, .75), type = 6)`` = 2.75, 5.5, 8.25 (numpy default, type
    7, gives 3.25 and 7.75)."""
    q = prism_quartiles([10, 3, 1, 2, 4, 5, 6, 7, 8, 9, np.nan])
    assert (q.q1, q.median, q.q3, q.n) == (2.75, 5.5, 8.25, 10)
    assert np.percentile(np.arange(1, 11), 25) == 3.25
    empty = prism_quartiles([np.nan])
    assert empty.n == 0 and math.isnan(empty.median)
