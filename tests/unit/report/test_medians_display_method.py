"""The KM medians table marks the configured CI method, whichever spelling the config
uses ("log-log" there, loglog_* columns in the medians table)."""

import pandas as pd

from cytotrial.report.clinical_sections import _medians_display


def _medians() -> pd.DataFrame:
    row = {"endpoint": "PFS-B", "group": "All", "n": 44, "events": 41}
    for key in ("spss", "log", "loglog", "plain"):
        row |= {f"{key}_median": 3.0, f"{key}_lower": 2.0, f"{key}_upper": 4.5}
    return pd.DataFrame([row])


def test_log_log_is_marked_configured_and_shown_first():
    shown = _medians_display(_medians(), "log-log")
    method_columns = [c for c in shown.columns if c not in ("endpoint", "group", "n", "events")]
    assert method_columns[0] == "log-log (configured)", method_columns
    assert shown.loc[0, "log-log (configured)"] == "3.0 (2.0-4.5)"


def test_spss_is_marked_configured():
    shown = _medians_display(_medians(), "spss")
    assert "SPSS symmetric (configured)" in shown.columns
