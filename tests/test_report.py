"""The HTML report: self-contained, escaped, tables downloadable as CSV."""

from __future__ import annotations

import base64
import re

import pandas as pd

from cytotrial.report import ReportSection, ReportTable, render_report


def test_user_strings_are_escaped_and_csv_downloads_decode(tmp_path):
    hostile = '<script>alert("x")</script>'
    frame = pd.DataFrame({"sample_id": [hostile, "S2"], "events": [10, 20]})
    section = ReportSection("Samples", "samples", tables=[ReportTable("T", frame, "t.csv")])
    out = tmp_path / "report.html"
    render_report([section], {"sample_sheet": hostile}, out)
    html = out.read_text()
    assert "<script>" not in html
    assert "&lt;script&gt;" in html
    link = re.search(r'href="data:text/csv;base64,([^"]+)"', html)
    assert link, "every table has a CSV download link"
    csv = base64.b64decode(link.group(1)).decode()
    assert csv.splitlines()[0] == "sample_id,events"
    assert "S2,20" in csv


def test_report_points_nowhere_outside_the_file(tmp_path):
    frame = pd.DataFrame({"a": [1]})
    out = tmp_path / "report.html"
    render_report([ReportSection("S", "s", tables=[ReportTable("T", frame, "t.csv")])], {}, out)
    html = out.read_text()
    targets = re.findall(r'(?:href|src)="([^"]+)"', html)
    assert targets
    assert all(t.startswith(("#", "data:")) for t in targets), targets
