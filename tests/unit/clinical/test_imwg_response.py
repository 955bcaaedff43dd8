"""Per-assessment IMWG categories: one test per rule of guide section 1.2-1.3."""

from __future__ import annotations

import pytest
from helpers.imwg_helpers import IMWG, TRIAL, categories, cats, labs, serum

from cytotrial.clinical.imwg.settings import ImwgSettings

# --- measurable disease ---------------------------------------------------------------


def test_serum_threshold_is_a_parameter_5_g_l_in_this_trial_10_by_imwg():
    series = serum(8, 3.5)  # 56% decrease from 8 g/L
    assert cats(series, TRIAL) == ["PR"]
    assert cats(series, IMWG) == ["NE"]
    assert categories(series, IMWG)[0].reasons == ("no_measurable_disease",)


def test_flc_used_only_when_serum_and_urine_are_not_measurable():
    # serum measurable and unchanged (SD) while the FLC falls by 95%: serum decides
    table = labs(
        (0, {"s": 30, "u": 0, "k": 800, "l": 10}), (28, {"s": 29, "u": 0, "k": 50, "l": 10})
    )
    assert cats(table) == ["SD"]


def test_flc_only_disease_responds_on_dflc():
    table = labs(
        (0, {"s": 0, "u": 0, "k": 410, "l": 10}),  # dFLC 400
        (28, {"s": 0, "u": 0, "k": 190, "l": 10}),  # dFLC 180: -55%
        (56, {"s": 0, "u": 0, "k": 40, "l": 10}),  # dFLC 30: -92.5%, ratio 4 abnormal
    )
    assert cats(table) == ["PR", "VGPR"]


def test_flc_below_100_mg_l_is_not_measurable():
    table = labs((0, {"s": 0, "u": 0, "k": 90, "l": 5}), (28, {"s": 0, "u": 0, "k": 20, "l": 5}))
    assert cats(table) == ["NE"]


def test_flc_with_normal_ratio_is_not_measurable():
    table = labs(
        (0, {"s": 0, "u": 0, "k": 150, "l": 100}), (28, {"s": 0, "u": 0, "k": 50, "l": 40})
    )
    assert cats(table) == ["NE"]


def test_marrow_only_disease_needs_baseline_30_percent_and_halving():
    measurable = labs((0, {"s": 0, "u": 0, "bm": 40}), (28, {"s": 0, "u": 0, "bm": 18}))
    assert cats(measurable) == ["PR"]
    too_few = labs((0, {"s": 0, "u": 0, "bm": 25}), (28, {"s": 0, "u": 0, "bm": 10}))
    assert cats(too_few) == ["NE"]


def test_urine_only_disease_uses_urine_thresholds():
    table = labs(
        (0, {"s": 0, "u": 1000}),
        (28, {"s": 0, "u": 400}),  # -60%, still >= 200: MR
        (56, {"s": 0, "u": 150}),  # < 200: PR
        (84, {"s": 0, "u": 80}),  # < 100: VGPR
    )
    assert cats(table) == ["MR", "PR", "VGPR"]


# --- response levels ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [(2.0, "VGPR"), (2.1, "PR"), (10.0, "PR"), (10.1, "MR"), (15.0, "MR"), (15.1, "SD")],
)
def test_serum_thresholds_are_inclusive_on_unrounded_values(value, expected):
    # baseline 20 g/L: -90% = 2, -50% = 10, -25% = 15
    assert cats(serum(20, value)) == [expected]


def test_mr_upper_bound_is_below_the_pr_threshold():
    # -49.5% is not PR (needs >= 50%) and still MR on the unrounded value
    assert cats(serum(20, 10.1)) == ["MR"]


def test_vgpr_needs_urine_below_100_as_well():
    table = labs((0, {"s": 40, "u": 0}), (28, {"s": 2, "u": 150}))
    assert cats(table) == ["PR"]


def test_pr_with_measurable_serum_and_urine_needs_both():
    table = labs(
        (0, {"s": 40, "u": 1000}),
        (28, {"s": 15, "u": 500}),  # serum -62% but urine only -50%: MR
        (56, {"s": 15, "u": 180}),  # urine < 200: PR
    )
    assert cats(table) == ["MR", "PR"]


def test_lowest_marker_decides_when_two_are_measurable():
    table = labs((0, {"s": 40, "u": 1000}), (28, {"s": 2, "u": 700}))  # serum VGPR, urine SD
    assert cats(table) == ["SD"]


def test_flc_minimal_response_is_a_protocol_option_default_off():
    table = labs(
        (0, {"s": 0, "u": 0, "k": 410, "l": 10}), (28, {"s": 0, "u": 0, "k": 250, "l": 10})
    )
    assert cats(table) == ["SD"]
    assert cats(table, ImwgSettings(serum_measurable_min_g_l=10, flc_minimal_response=True)) == [
        "MR"
    ]


def test_plasmacytoma_at_baseline_must_shrink_by_half_for_pr():
    table = labs((0, {"s": 40, "u": 0, "spd": 10}), (28, {"s": 10, "u": 0, "spd": 7}))
    assert cats(table) == ["MR"]  # serum PR but SPD -30%: MR


def test_imaging_is_carried_forward_until_repeated():
    table = labs(
        (0, {"s": 40, "u": 0, "spd": 10}),
        (28, {"s": 10, "u": 0, "spd": 4}),
        (56, {"s": 9, "u": 0}),  # no imaging: SPD 4 (-60%) still holds
    )
    assert cats(table) == ["PR", "PR"]


def test_required_marker_missing_gives_ne_with_a_reason():
    table = labs((0, {"s": 30, "u": 800}), (28, {"s": 10}))
    (only,) = categories(table)
    assert (only.category, only.reasons) == ("NE", ("urine_missing",))


def test_missing_urine_is_ignored_when_urine_was_not_measurable():
    table = labs((0, {"s": 30, "u": 0}), (28, {"s": 10}))
    assert cats(table) == ["PR"]


# --- CR, sCR and the downgrades -------------------------------------------------------

CR_DAY = {"s": 0, "u": 0, "sife": "negative", "uife": "negative"}


def test_cr_needs_negative_ife_and_marrow_below_5_percent():
    table = labs((0, {"s": 30, "u": 0}), (28, {**CR_DAY, "bm": 3, "k": 12, "l": 10}))
    (only,) = categories(table)
    assert (only.category, only.reasons) == ("CR", ("no_clonality_for_scr",))


def test_no_marrow_at_suspected_cr_downgrades_to_vgpr():
    table = labs((0, {"s": 30, "u": 0}), (28, CR_DAY))
    (only,) = categories(table)
    assert (only.category, only.reasons) == ("VGPR", ("no_bm_at_suspected_cr",))


def test_marrow_result_is_carried_to_the_neighbouring_assessment():
    table = labs((0, {"s": 30, "u": 0}), (28, CR_DAY), (56, {**CR_DAY, "bm": 2, "k": 12, "l": 10}))
    assert cats(table) == ["CR", "CR"]


def test_marrow_with_5_percent_plasma_cells_is_not_cr():
    table = labs((0, {"s": 30, "u": 0}), (28, {**CR_DAY, "bm": 5}))
    (only,) = categories(table)
    assert (only.category, only.reasons) == ("VGPR", ())


def test_positive_ife_without_detectable_m_protein_is_vgpr():
    table = labs((0, {"s": 30, "u": 0}), (28, {**CR_DAY, "sife": "positive", "bm": 2}))
    assert cats(table) == ["VGPR"]


def test_missing_ife_at_suspected_cr_downgrades_to_vgpr():
    table = labs((0, {"s": 30, "u": 0}), (28, {"s": 0, "u": 0, "bm": 2}))
    (only,) = categories(table)
    assert (only.category, only.reasons) == ("VGPR", ("no_ife_at_suspected_cr",))


def test_scr_needs_normal_flc_ratio_and_no_clonal_cells():
    day = {**CR_DAY, "bm": 2, "clonal": "no", "k": 12, "l": 10}
    assert cats(labs((0, {"s": 30, "u": 0}), (28, day))) == ["sCR"]
    abnormal = {**day, "k": 40}
    assert cats(labs((0, {"s": 30, "u": 0}), (28, abnormal))) == ["CR"]


def test_scr_without_flc_is_cr_with_a_reason():
    table = labs((0, {"s": 30, "u": 0}), (28, {**CR_DAY, "bm": 2, "clonal": "no"}))
    (only,) = categories(table)
    assert (only.category, only.reasons) == ("CR", ("no_flc_for_scr",))


def test_daratumumab_interference_caps_igg_kappa_at_vgpr_without_dira():
    day = {**CR_DAY, "sife": "positive", "bm": 2}
    (capped,) = categories(labs((0, {"s": 30, "u": 0}), (28, day)), igg_kappa=True)
    assert (capped.category, capped.reasons) == ("VGPR", ("dara_ife_interference",))
    # a negative DIRA says the band is the drug: CR
    cleared = labs((0, {"s": 30, "u": 0}), (28, {**day, "dira": "negative"}))
    assert cats(cleared, igg_kappa=True) == ["CR"]
    # not IgG-kappa: a positive IFE is residual disease, no interference flag
    (plain,) = categories(labs((0, {"s": 30, "u": 0}), (28, day)), igg_kappa=False)
    assert (plain.category, plain.reasons) == ("VGPR", ())


def test_flc_only_cr_also_needs_a_normal_ratio():
    base = (0, {"s": 0, "u": 0, "k": 410, "l": 10})
    abnormal = {**CR_DAY, "k": 25, "l": 5, "bm": 2}  # dFLC 20 (-95%), ratio 5
    assert cats(labs(base, (28, abnormal))) == ["VGPR"]
    normal = {**CR_DAY, "k": 14, "l": 10, "bm": 2}  # dFLC 4 (-99%), ratio 1.4
    assert cats(labs(base, (28, normal))) == ["CR"]


# --- progression ----------------------------------------------------------------------


def test_serum_pd_needs_25_percent_and_5_g_l_from_the_nadir():
    # nadir 10: +2.5 (25%) is not enough, +5 is PD
    assert cats(serum(20, 10, 14)) == ["PR", "MR"]
    assert cats(serum(20, 10, 15)) == ["PR", "PD"]


def test_serum_pd_needs_25_percent_not_only_5_g_l():
    # nadir 30 (baseline 40, -25%): +6 is 20% -> not PD
    assert cats(serum(40, 30, 36)) == ["MR", "SD"]


def test_serum_pd_from_a_nadir_of_50_g_l_or_more_needs_only_10_g_l():
    assert cats(serum(60, 60)) == ["SD"]
    assert cats(serum(60, 70)) == ["PD"]  # +10 = 16.7% < 25%, but nadir >= 50
    assert cats(serum(48, 58)) == ["SD"]  # nadir 48: +10 = 20.8%, not PD


def test_serum_pd_when_m_spike_had_disappeared_needs_5_g_l():
    assert cats(serum(30, 0, 4.9)) == ["VGPR", "PR"]  # +4.9 from 0: not PD
    assert cats(serum(30, 0, 5)) == ["VGPR", "PD"]


def test_reappearance_on_ife_alone_is_not_pd():
    table = labs(
        (0, {"s": 30, "u": 0}),
        (28, {**CR_DAY, "bm": 2}),
        (56, {**CR_DAY, "sife": "positive"}),
    )
    assert cats(table)[1] == "VGPR"


def test_urine_pd_needs_25_percent_and_200_mg():
    table = labs((0, {"s": 0, "u": 1000}), (28, {"s": 0, "u": 300}), (56, {"s": 0, "u": 480}))
    assert cats(table) == ["MR", "MR"]  # +180 mg: not PD (still -52% from baseline)
    table = labs((0, {"s": 0, "u": 1000}), (28, {"s": 0, "u": 300}), (56, {"s": 0, "u": 500}))
    assert cats(table)[1] == "PD"


def test_dflc_pd_needs_more_than_100_mg_l():
    base = (0, {"s": 0, "u": 0, "k": 410, "l": 10})
    nadir = (28, {"s": 0, "u": 0, "k": 110, "l": 10})  # dFLC 100
    exactly = (56, {"s": 0, "u": 0, "k": 210, "l": 10})  # +100: not PD (strict)
    above = (56, {"s": 0, "u": 0, "k": 211, "l": 10})
    assert cats(labs(base, nadir, exactly))[1] != "PD"
    assert cats(labs(base, nadir, above))[1] == "PD"


def test_dflc_pd_not_used_when_serum_is_measurable():
    table = labs(
        (0, {"s": 30, "u": 0, "k": 200, "l": 10}), (28, {"s": 29, "u": 0, "k": 500, "l": 10})
    )
    assert cats(table) == ["SD"]


def test_a_non_measurable_serum_marker_can_still_trigger_pd():
    # urine-measurable disease; serum M-protein appears at 6 g/L
    table = labs((0, {"s": 0, "u": 1000}), (28, {"s": 6, "u": 150}))
    (only,) = categories(table)
    assert (only.category, only.pd_markers) == ("PD", ("serum",))


def test_marrow_pd_only_when_nothing_else_is_measurable():
    table = labs((0, {"s": 0, "u": 0, "bm": 40}), (28, {"s": 0, "u": 0, "bm": 15}),
                 (56, {"s": 0, "u": 0, "bm": 25}))  # fmt: skip
    assert cats(table) == ["PR", "PD"]


def test_new_lesion_is_pd_on_imaging():
    table = labs((0, {"s": 30, "u": 0}), (28, {"s": 10, "u": 0, "lesion": "yes"}))
    (only,) = categories(table)
    assert (only.category, only.imaging_pd) == ("PD", True)


def test_plasmacytoma_growth_of_half_from_nadir_is_pd():
    table = labs((0, {"s": 30, "u": 0, "spd": 10}), (28, {"s": 30, "u": 0, "spd": 6}),
                 (56, {"s": 30, "u": 0, "spd": 9}))  # fmt: skip
    assert cats(table)[1] == "PD"


def test_nadir_need_not_be_confirmed_by_default():
    # one low value (10) then 16: PD against the unconfirmed nadir
    assert cats(serum(40, 10, 16)) == ["PR", "PD"]
    confirmed = ImwgSettings(serum_measurable_min_g_l=10, nadir_requires_confirmation=True)
    assert cats(serum(40, 10, 16), confirmed) == ["PR", "PR"]  # nadir 40: -60%


def test_change_of_the_primary_marker_is_reported():
    (a,) = categories(serum(40, 10))
    assert a.change_pct == pytest.approx(-75.0)


def test_involved_chain_is_fixed_at_baseline():
    # lambda-involved at baseline; a later kappa rise is not the involved chain's dFLC
    base = (0, {"s": 0, "u": 0, "k": 5, "l": 405})  # dFLC 400 (lambda)
    later = (28, {"s": 0, "u": 0, "k": 300, "l": 105})  # lambda - kappa = -195: -149%
    (only,) = categories(labs(base, later))
    assert only.category != "PD" and only.change_pct == pytest.approx(-148.75)


def test_flc_vgpr_needs_more_than_90_percent():
    base = (0, {"s": 0, "u": 0, "k": 410, "l": 10})  # dFLC 400
    assert cats(labs(base, (28, {"s": 0, "u": 0, "k": 50, "l": 10}))) == ["PR"]  # exactly -90%
    assert cats(labs(base, (28, {"s": 0, "u": 0, "k": 49, "l": 10}))) == ["VGPR"]


def test_non_measurable_disease_is_still_evaluable_for_pd():
    table = labs((0, {"s": 3, "u": 0}), (28, {"s": 3, "u": 0}), (56, {"s": 3, "lesion": "yes"}))
    assert cats(table) == ["NE", "PD"]
