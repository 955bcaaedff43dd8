"""Response table, rates, primary endpoint and the clinical settings."""

from __future__ import annotations

import pandas as pd
import pytest

from cytotrial.clinical.formatting import count_percent, percent
from cytotrial.clinical.population import NOT_GROUPED, response_groups, rp2d_patients
from cytotrial.clinical.response.rates import (
    evaluate_primary_endpoint,
    populations,
    primary_endpoint_table,
    response_categories,
    response_rates,
)
from cytotrial.clinical.settings import MEDIAN_CI_METHODS, MEDIAN_CI_WORDS, ClinicalSettings
from cytotrial.errors import InputError

SETTINGS = ClinicalSettings.from_config({}, "2020-10-01")


def cohort(part_b: dict[str, str], part_a: dict[str, str]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """patients (every part-A patient; part_b keys at the RP2D) and responses."""
    ids = list(part_a)
    patients = pd.DataFrame(
        {
            "patient_id": ids,
            "part_b_cohort": ["phase2" if p in part_b else "none" for p in ids],
            "atra_dose_mg_m2": [45.0 if p in part_b else float("nan") for p in ids],
        }
    )
    rows = [(p, "A", r) for p, r in part_a.items() if r is not None]
    rows += [(p, "B", r) for p, r in part_b.items() if r is not None]
    return patients, pd.DataFrame(rows, columns=["patient_id", "part", "best_response"])


def test_rp2d_population_is_part_b_at_the_dose():
    patients = pd.DataFrame(
        {
            "patient_id": ["a", "b", "c", "d"],
            "part_b_cohort": ["phase1", "phase1", "phase2", "none"],
            "atra_dose_mg_m2": [15.0, 45.0, 45.0, float("nan")],
        }
    )
    assert rp2d_patients(patients, 45) == ["b", "c"]


def test_categories_and_rates_with_ne_and_missing_rows_as_non_responders():
    part_a = {"p1": "CR", "p2": "PR", "p3": "MR", "p4": "SD", "p5": "PD", "p6": "NE"}
    part_b = {"p1": "VGPR", "p2": "SD", "p3": None}  # p3 has no part B row: NE
    patients, responses = cohort(part_b, part_a)
    pops = populations(patients, responses, SETTINGS)
    cats = response_categories(pops).set_index(["population", "category"])
    assert cats.loc[("A", "NE"), "n"] == 1 and cats.loc[("A", "CR"), "N"] == 6
    assert cats.loc[("B_RP2D", "NE"), "n"] == 1 and cats.loc[("B_RP2D", "NE"), "N"] == 3
    assert cats.loc[("A", "PR"), "text"] == "1 (17%)"
    rates = response_rates(pops).set_index(["population", "rate"])
    assert rates.loc[("A", "ORR"), "x"] == 2
    assert rates.loc[("A", "CBR"), "x"] == 3
    assert rates.loc[("A", "DCR"), "x"] == 4  # NE and PD are not disease control
    assert rates.loc[("B_RP2D", "ORR"), "x"] == 1 and rates.loc[("B_RP2D", "ORR"), "N"] == 3


def test_clopper_pearson_values_in_rates():
    part_a = {f"p{i}": ("PR" if i < 4 else "SD") for i in range(40)}
    patients, responses = cohort({}, part_a)
    rates = response_rates(populations(patients, responses, SETTINGS))
    orr = rates[(rates.population == "A") & (rates.rate == "ORR")].iloc[0]
    assert (orr.ci_lower, orr.ci_upper) == pytest.approx((0.02793, 0.23664), abs=5e-5)
    empty = rates[rates.population == "B_RP2D"]
    assert (empty.N == 0).all() and (empty.text == "no patients").all()


def primary(x: int, n: int, **cfg) -> tuple:
    part_b = {f"p{i}": ("PR" if i < x else "SD") for i in range(n)}
    patients, responses = cohort(part_b, dict.fromkeys(part_b, "PD"))
    settings = ClinicalSettings.from_config({"primary_endpoint": cfg}, "2020-10-01")
    result = evaluate_primary_endpoint(populations(patients, responses, settings), settings)
    return result, primary_endpoint_table(result).set_index("item")["value"]


def test_primary_endpoint_not_met_with_2_of_44_and_design_check():
    result, table = primary(2, 44)
    assert (result.result.ci.x, result.result.ci.n) == (2, 44)
    assert not result.result.met_by_test and not result.result.met_by_point_estimate
    assert table["Verdict"] == "Primary endpoint not met."
    assert "not met" in table["Verdict in words"]
    assert (result.design.n, result.design.r) == (43, 4)  # guide section 2
    assert result.at_planned_n.r == 4 and result.at_planned_n.power_actual == pytest.approx(
        0.870, abs=1e-3
    )


def test_protocol_sample_size_by_arcsine_beside_the_exact_design():
    """The paper: 40 patients for power 0.90 at two-sided alpha 0.05 (p0 2%, p1 15%), which is
    the arcsine normal approximation; the exact binomial design needs 43."""
    result, table = primary(2, 44)
    assert result.arcsine_n == pytest.approx(40.14, abs=0.01)
    row = table["Normal approximation with arcsine transformation (the protocol's method)"]
    assert "n = 40.1" in row and "the protocol's n = 40" in row and "rounded up 41" in row
    assert "exact design above needs n = 43" in row
    _, other = primary(2, 44, planned_n=36)
    assert (
        "not the protocol's n = 36"
        in other["Normal approximation with arcsine transformation (the protocol's method)"]
    )


def test_primary_endpoint_met_and_split_readings():
    met, table = primary(8, 44)
    assert met.result.met and table["Verdict"] == "Primary endpoint met."
    # 4/44 = 9%: the exact test rejects p0 = 2% but the rate is below 15%
    split, table = primary(4, 44)
    assert split.result.met_by_test and not split.result.met_by_point_estimate
    assert "one reading only" in table["Verdict"]


def test_every_median_ci_method_has_its_words_and_is_offered_by_the_schema():
    """One table names each method for the medians table, the figures and the Methods:
    a method the config accepts without words would fail at report time."""
    import yaml
    from helpers.paths import REPO

    schema = yaml.safe_load((REPO / "config" / "schemas" / "config.schema.yaml").read_text())
    offered = schema["properties"]["clinical"]["properties"]["median_ci"]["enum"]
    assert tuple(offered) == MEDIAN_CI_METHODS == tuple(MEDIAN_CI_WORDS)
    for words in MEDIAN_CI_WORDS.values():
        assert words.heading and words.short and len(words.long) > len(words.short)


def test_settings_defaults_equal_the_paper_and_reject_bad_config():
    s = SETTINGS
    assert (s.primary.orr_threshold, s.primary.p0, s.primary.alpha_one_sided) == (0.15, 0.02, 0.025)
    assert s.primary.power == 0.9 and s.median_ci == "spss" and s.reference_group == "PD"
    with pytest.raises(InputError, match="median_ci"):
        ClinicalSettings.from_config({"median_ci": "wald"})
    with pytest.raises(InputError, match="reference_group"):
        ClinicalSettings.from_config({"reference_group": "CR"})
    twice = [{"label": "a", "responses": ["PR"]}, {"label": "b", "responses": ["PR", "PD"]}]
    with pytest.raises(InputError, match="more than one group"):
        ClinicalSettings.from_config({"response_groups": twice, "reference_group": "b"})
    with pytest.raises(InputError, match="unknown responses"):
        ClinicalSettings.from_config(
            {"response_groups": [{"label": "x", "responses": ["CRR"]}], "reference_group": "x"}
        )


def test_response_groups_ne_own_group_or_excluded():
    responses = pd.DataFrame(
        {"patient_id": ["a", "b", "c"], "part": "A", "best_response": ["VGPR", "NE", "MR"]}
    )
    groups = response_groups(responses, ["a", "b", "c", "d"], SETTINGS)
    assert groups.tolist() == [">=PR", "NE", "SD/MR", "NE"]  # d: no part A row -> NE
    without_ne = ClinicalSettings.from_config(
        {
            "response_groups": [
                {"label": ">=PR", "responses": ["sCR", "CR", "VGPR", "PR"]},
                {"label": "SD/MR", "responses": ["MR", "SD"]},
                {"label": "PD", "responses": ["PD"]},
            ]
        }
    )
    groups = response_groups(responses, ["a", "b", "c"], without_ne)
    assert groups.tolist() == [">=PR", NOT_GROUPED, "SD/MR"]


def test_percentages_round_half_up():
    assert percent(1, 40) == "3"  # 2.5 -> 3 (Python's round would give 2)
    assert percent(1, 8, 1) == "12.5" and percent(1, 3, 1) == "33.3"
    assert count_percent(0, 10, zero="–") == "–" and count_percent(2, 44) == "2 (5)"
    assert percent(1, 0) == "-"
