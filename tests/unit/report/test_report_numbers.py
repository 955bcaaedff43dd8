"""Numbers in the report's tables: thousands separators from 10,000, still numbers."""

from __future__ import annotations

import numpy as np
import pandas as pd

from cytotrial.report.layout import is_number_text
from cytotrial.report.model import ReportTable


def test_whole_numbers_from_ten_thousand_show_thousands_separators_and_stay_numbers():
    frame = pd.DataFrame({"median_events": [20000, 9999], "x": [np.float64(123456.0), 0.25]})
    table = ReportTable("t", frame, "t.csv")
    assert table.rows == [["20,000", "123,456"], ["9999", "0.25"]]
    assert is_number_text("20,000") and not is_number_text("1,2") and not is_number_text("a,000")
    assert "20000" in table.csv_bytes.decode()  # the download keeps the plain number
