"""The flow tests tables as the page shows them (the download keeps every number)."""

import pandas as pd

from cytotrial.report.paired_tests_display import (
    paired_tests_display,
    readable_number,
    sensitivity_display,
    value_caption,
)


def _tests() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "part": ["B", "B"],
            "population": ["monocytes", "b_cells"],
            "before": ["C1D1", "C1D1"],
            "after": ["C1D3", "C1D3"],
            "value": ["cells_per_ul", "cells_per_ul"],
            "n_pairs": [41, 41],
            "unpaired_patients": [9, 9],
            "median_before": [1797.4, 99.14],
            "q1_before": [1503.2, 64.66],
            "q3_before": [2061.0, 142.9],
            "median_after": [2961.0, 107.8],
            "q1_after": [2488.0, 71.65],
            "q3_after": [3412.0, 139.7],
            "median_difference": [1164.3, -3.86],
            "W": [861.0, -167.0],
            "p_value": [5.433e-05, 0.2854],
            "stars": ["****", "ns"],
            "test": ["prism", "prism"],
            "note": ["", ""],
            "populations_used": ["ok only (flagged left out)"] * 2,
            "left_out_flagged": [4, 0],
            "left_out_failed": [0, 0],
            "left_out_excluded": [0, 0],
            "pairs_left_out": [2, 0],
            "left_out": ["PT030_A_C1D1 (flagged: ...)", ""],
        }
    )


def test_readable_numbers_keep_the_digits_a_reader_uses():
    assert [readable_number(v) for v in (1797.4, 99.14, -3.864, 0.385)] == [
        "1,797",
        "99.1",
        "-3.86",
        "0.39",
    ]
    assert readable_number(float("nan")) == ""


def test_paired_tests_show_median_iqr_and_p_as_text():
    shown = paired_tests_display(_tests())
    assert list(shown["Median before (IQR)"]) == ["1,797 (1,503-2,061)", "99.1 (64.7-143)"]
    assert list(shown["p_value"]) == ["<.001", ".285"]
    assert list(shown["W"]) == ["861", "-167"]
    # said once in the caption / notes, counted in Left out: not repeated on every row
    for gone in ("test", "populations_used", "value", "left_out_flagged", "q1_before"):
        assert gone not in shown
    assert list(shown["pairs_left_out"]) == [2, 0]


def test_a_column_that_varies_stays():
    tests = _tests()
    tests.loc[1, "test"] = "r"
    assert "test" in paired_tests_display(tests)


def test_an_empty_note_column_is_left_out_a_filled_one_stays():
    tests = _tests()
    assert "note" not in paired_tests_display(tests)  # empty on every row: print width
    tests.loc[1, "note"] = "ties in 3 pairs"
    assert list(paired_tests_display(tests)["note"]) == ["", "ties in 3 pairs"]


def test_sensitivity_p_values_as_text():
    frame = pd.DataFrame(
        {
            "p_value_ok": [0.0015, float("nan")],
            "p_value_with_flagged": [0.04, 0.5],
            "median_difference_ok": [12.345, 1.0],
            "W_ok": [33.0, float("nan")],
        }
    )
    shown = sensitivity_display(frame)
    assert list(shown["p_value_ok"]) == [".002", ""]
    assert list(shown["median_difference_ok"]) == ["12.3", "1.00"]
    assert "W_ok" not in shown  # the tests table shows W; the download keeps both


def test_the_value_tested_is_named_once_in_the_caption():
    tests = _tests()
    assert value_caption(tests, {"cells_per_ul": "cells per µL"}.get) == " Values: cells per µL."
    tests.loc[1, "value"] = "mfi"
    assert value_caption(tests, str) == ""
    assert "value" in paired_tests_display(tests)


def test_sensitivity_rows_read_short():
    """Two values repeated on 50 rows: two words each; P with its stars in one cell;
    a changed conclusion says yes, an unchanged one nothing (the download keeps True/False)."""
    frame = pd.DataFrame(
        {
            "value": ["cd38_mfi_median_compensated_untransformed", "cells_per_ul"],
            "p_value_ok": [0.0015, 0.2],
            "stars_ok": ["**", "ns"],
            "p_value_with_flagged": [0.04, 0.03],
            "stars_with_flagged": ["*", "*"],
            "significance_changes": [False, True],
        }
    )
    shown = sensitivity_display(frame)
    assert list(shown["value"]) == ["CD38 MFI", "cells/µL"]
    assert list(shown["p_value_ok"]) == [".002 **", ".200"]
    assert list(shown["p_value_with_flagged"]) == [".040 *", ".030 *"]
    assert list(shown["significance_changes"]) == ["", "yes"]
    assert not [c for c in shown.columns if c.startswith("stars")]
