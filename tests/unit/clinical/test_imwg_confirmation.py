"""Confirmation, best overall response, progression date, part B eligibility (guide 1.4)."""

from __future__ import annotations

import pandas as pd
from helpers.imwg_helpers import IMWG, START, bor, categories, day, labs, serum

from cytotrial.clinical.imwg.assessment import Assessment
from cytotrial.clinical.imwg.confirmation import confirm, part_b_eligibility


def fake(*cats: str) -> list[Assessment]:
    return [Assessment(day(28 * (i + 1)), c) for i, c in enumerate(cats)]


def test_response_needs_two_consecutive_assessments():
    assert bor(serum(40, 10, 11)).best_response == "PR"
    assert bor(serum(40, 10, 38)).best_response == "SD"  # PR then SD: not confirmed


def test_response_followed_by_pd_is_not_confirmed():
    assert bor(serum(20, 10, 16, 18)).best_response == "SD"


def test_confirmed_level_is_the_worse_of_the_pair():
    assert [c.level for c in confirm(fake("VGPR", "PR", "PR"), None, IMWG)] == ["PR", "PR", "SD"]


def test_last_visit_response_stays_unconfirmed_but_counts_in_the_sensitivity_column():
    result = bor(serum(40, 30, 10))
    assert (result.best_response, result.best_unconfirmed) == ("MR", "PR")


def test_response_date_is_the_first_of_the_pair():
    result = bor(serum(40, 30, 10, 9, 9))
    assert (result.best_response, result.response_date) == ("PR", day(56))


def test_sd_needs_no_confirmation():
    assert bor(serum(40, 39)).best_response == "SD"


def test_no_post_baseline_assessment_is_ne():
    result = bor(serum(40))
    assert (result.best_response, result.n_assessments) == ("NE", 0)


def test_pd_confirmed_by_a_second_pd_dated_at_the_first():
    result = bor(serum(20, 10, 9, 16, 18))
    assert (result.best_response, result.progression_date) == ("PR", day(84))
    assert result.pd_confirmed_by == "second_assessment"


def test_unconfirmed_pd_followed_by_non_pd_is_not_pd():
    result = bor(serum(20, 19, 26, 19, 19))
    assert (result.best_response, result.progression_date) == ("SD", None)


def test_pd_only_best_response_when_nothing_better():
    result = bor(serum(20, 26, 27))
    assert (result.best_response, result.progression_date) == ("PD", day(28))


def test_pd_at_last_assessment_confirmed_by_death():
    series = serum(20, 26)
    assert bor(series, death=day(40)).progression_date == day(28)
    assert bor(series, death=day(40)).pd_confirmed_by == "death"
    late = bor(series, death=day(200))  # death long after: not a confirmation
    assert (late.best_response, late.progression_date) == ("NE", None)


def test_imaging_pd_needs_no_confirmation():
    table = labs((0, {"s": 30, "u": 0}), (28, {"s": 30, "u": 0, "lesion": "yes"}))
    result = bor(table)
    assert (result.best_response, result.pd_confirmed_by) == ("PD", "imaging")


def test_best_response_stops_at_confirmed_pd():
    # a response after confirmed PD (e.g. on the next line) is ignored
    result = bor(serum(20, 30, 31, 5, 5))
    assert (result.best_response, result.progression_date) == ("PD", day(28))


def test_part_b_has_its_own_baseline_and_nadir():
    from cytotrial.clinical.imwg.engine import PartWindow, assess_part

    table = serum(20, 5, 12, 13, 12, 6, 6)  # part A PR then PD; part B starts at day 112 (12)
    a, _ = assess_part(table, PartWindow("A", START, day(112)), IMWG, False)
    b, _ = assess_part(table, PartWindow("B", day(112), None), IMWG, False)
    assert [x.category for x in a] == ["PR", "PD", "PD"]
    assert [x.category for x in b] == ["PR", "PR"]  # 6 vs new baseline 12: -50%


def test_assessments_after_a_new_therapy_are_not_used():
    from cytotrial.clinical.imwg.engine import PartWindow, assess_part

    table = serum(40, 30, 10, 10)
    a, _ = assess_part(table, PartWindow("A", START, day(56)), IMWG, False)
    assert [x.category for x in a] == ["MR"]


# --- part B eligibility ---------------------------------------------------------------


def eligibility(series: pd.DataFrame, death=None):
    assessments = categories(series)
    return part_b_eligibility(assessments, bor(series, death=death), START, IMWG)


def test_eligible_for_pd_in_cycle_1():
    assert eligibility(labs((0, {"s": 20, "u": 0}), (20, {"s": 26, "u": 0}),
                            (27, {"s": 27, "u": 0}))) == ("pd_in_cycle1", day(20))  # fmt: skip


def test_eligible_for_less_than_mr_after_cycle_2():
    assert eligibility(serum(20, 19, 19)) == ("below_mr_after_cycle2", day(56))


def test_mr_after_cycle_2_is_not_eligible_until_below_pr_after_cycle_3():
    assert eligibility(serum(20, 19, 14, 14)) == ("below_pr_after_cycle3", day(84))


def test_pd_after_at_least_pr_in_part_a():
    series = serum(20, 9, 8, 8, 8, 14, 15)
    assert eligibility(series) == ("pd_after_response", day(140))


def test_responder_is_not_eligible_without_pd():
    assert eligibility(serum(20, 9, 8, 8, 8)) == (None, None)
