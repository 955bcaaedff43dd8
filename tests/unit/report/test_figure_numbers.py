"""Figure numbers as in the paper, assigned in one place."""

from __future__ import annotations

import pytest

from cytotrial.errors import InputError
from cytotrial.report.figure_numbers import FIGURE_NUMBERS, figure_title

# The paper's figures (Frerichs et al. 2021) and what each shows.
PAPER = {
    "1": "patient_flow",
    "2A": "response",
    "2B": "km_pfs_b_all",
    "2C": "km_os_b_all",
    "2D": "km_pfs_ab_all",
    "2E": "km_os_ab_all",
    "3A": "km_pfs_b_by_response",
    "3B": "km_pfs_ab_by_response",
    "4A": "mfi_A",
    "4B": "mfi_B",
    "S1A": "counts_A",
    "S1B": "counts_B",
    "S2": "counts_t",
}


def test_the_papers_figures_keep_their_numbers_and_ours_follow_from_s3():
    numbers = {number: key for key, (number, _) in FIGURE_NUMBERS.items()}
    assert len(numbers) == len(FIGURE_NUMBERS), "a number given twice"
    for number, key in PAPER.items():
        assert numbers[number] == key
    ours = [n for n in numbers if n not in PAPER]
    assert ours == [f"S{k}" for k in range(3, 3 + len(ours))]


def test_title_and_unknown_key():
    assert figure_title("km_pfs_b_all").startswith("Figure 2B. PFS-B: progression-free")
    assert figure_title("gating", "PT001_A_C1D1").endswith(", PT001_A_C1D1")
    # a series under one number: each audit plot its own reference
    assert figure_title("gating", "PT002_A_C1D1", part=2) == (
        "Figure S10.2. Gating audit plot, PT002_A_C1D1"
    )
    with pytest.raises(InputError, match="no number"):
        figure_title("km_nonsense")
