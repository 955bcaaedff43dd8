"""The report's header, column labels, cell wrapping and its two pages (issue 18)."""

from __future__ import annotations

import html
import re

import pandas as pd
import pytest

from cytotrial.report.header import DEMO_TRIAL_ID, NO_TRIAL_ID, report_header
from cytotrial.report.labels import COLUMN_LABELS, column_label
from cytotrial.report.layout import MAX_RUN, breakable, squeeze_widths
from cytotrial.report.model import ReportFigure, ReportSection, ReportTable
from cytotrial.report.pages import split_pages
from cytotrial.report.render import FOLD_ABOVE_ROWS, FOLD_ROWS, render_report
from cytotrial.report.settings import RunSettings


def test_labels_read_as_words_and_unknown_code_names_stay_recognisable():
    assert column_label("cd38_mfi_median_compensated_untransformed") == (
        "CD38 MFI (median, compensated, linear)"
    )
    assert column_label("cells_per_ul") == "Cells per µL"
    # Unknown code names: their own words, never another column's label.
    assert column_label("status_t_cells") == "Status T cells"
    assert column_label("pct_nk_cells") == "% NK cells"
    # Headings that are already text pass unchanged.
    for text in ("Part B at RP2D (n=44)", "$CYT", "log-log", "", "median (95% CI), spss"):
        assert column_label(text) == text
    # One label per code name: no two columns read the same unless they are the same value
    # written two ways (P as number and as text).
    by_label: dict[str, set[str]] = {}
    for code, label in COLUMN_LABELS.items():
        by_label.setdefault(label, set()).add(code.removesuffix("_text").removesuffix("_value"))
    assert {label: codes for label, codes in by_label.items() if len(codes) > 1} == {}


def test_breakable_keeps_the_text_and_escapes_it():
    text = "cohort_outlier(cut <b>CD45</b>; z 5.6) 20000 " + "f" * 40
    marked = str(breakable(text))
    assert re.sub("<wbr>", "", marked) == str(
        text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    )
    assert "<b>" not in marked
    pieces = [html.unescape(p) for p in re.split(r"<wbr>|\s+", marked)]
    assert max(len(p) for p in pieces) <= MAX_RUN  # the 40-character run wraps too
    assert "20000" in pieces and "5.6)" in pieces  # numbers are never cut


def test_only_a_table_too_wide_for_the_page_is_squeezed_and_its_numbers_keep_their_width():
    narrow = [["PT001_A_C1D1", "12.5", "ok"]] * 3
    assert squeeze_widths(narrow) == []
    wide = [["PT001_A_C1D1", *(["123.4"] * 20), *(["flagged_text_here"] * 10)]]
    widths = squeeze_widths(wide)
    assert len(widths) == 31
    assert widths[0] == "" and set(widths[21:]) == {""}  # text columns share the rest
    assert all(w.endswith("px") for w in widths[1:21])
    # So many number columns that even they do not fit: every column a share.
    numbers = [["123456.7"] * 40]
    assert all(w.endswith("%") for w in squeeze_widths(numbers))


def test_a_heading_word_sets_a_column_floor_and_a_too_wide_table_is_split_in_parts():
    from cytotrial.report.layout import CELL_PX, HEAD_CHAR_PX, PAGE_PX, column_groups

    # A long heading word widens the column it heads, so the table is squeezed.
    rows = [["abcdefghijklmnopqrstuvwxyz"] * 5 + ["1"] * 8]
    assert squeeze_widths(rows, ["Note"] * 5 + ["P"] * 8) == []
    squeezed = squeeze_widths(rows, ["Note"] * 5 + ["Significance"] * 8)
    assert squeezed[5:] == [f"{12 * HEAD_CHAR_PX + CELL_PX:.0f}px"] * 8
    # Fits: one part of every column. Too wide: parts in column order, each starting
    # with the key columns, each at most a page wide at its narrowest.
    assert column_groups([["a", "1"]], ["Sample", "Events"]) == [[0, 1]]
    headings = ["Part", "Population", *[f"Median difference {i}" for i in range(24)]]
    wide = [["A", "monocytes", *["-4512.69"] * 24]]
    groups = column_groups(wide, headings, key_columns=2)
    assert len(groups) > 1
    assert all(g[:2] == [0, 1] for g in groups)
    assert [i for g in groups for i in g[2:]] == list(range(2, 26))
    for group in groups:
        widths = [CELL_PX + max(len("-4512.69") * 6.6, 10 * HEAD_CHAR_PX)] * (len(group) - 2)
        assert sum(widths) <= PAGE_PX
    # More key columns than the table has: every part still shows a column of its own.
    assert column_groups(wide, headings, key_columns=99)[0][-1] == 25


def test_header_trial_id_demo_and_user_data(tmp_path):
    categories = tmp_path / "response_categories.tsv"
    pd.DataFrame(
        {
            "population_label": ["Part A (daratumumab)"] * 2 + ["Part B at RP2D (45 mg/m2)"],
            "N": [63, 63, 44],
        }
    ).to_csv(categories, sep="\t", index=False)
    demo = report_header(
        RunSettings.from_config({"cutoff_date": "2020-10-01"}), True, categories, "0.1.0", "abc123"
    )
    assert demo.trial_id == DEMO_TRIAL_ID and demo.simulated
    assert demo.populations == ["Part A (daratumumab), n = 63", "Part B at RP2D (45 mg/m2), n = 44"]
    user = report_header(
        RunSettings.from_config({"report": {"trial_id": ""}}), False, None, "0.1.0", "abc123"
    )
    assert user.trial_id == NO_TRIAL_ID and not user.simulated and user.populations == []
    own = report_header(
        RunSettings.from_config({"report": {"trial_id": "NCT01234567"}}), True, None, "0.1.0", ""
    )
    assert own.trial_id == "NCT01234567"


def test_header_rejects_a_response_table_without_its_columns(tmp_path):
    bad = tmp_path / "response_categories.tsv"
    bad.write_text("population\tn\nA\t3\n")
    with pytest.raises(ValueError, match="response_categories.tsv: needs columns"):
        report_header(RunSettings.from_config({}), True, bad, "0.1.0", "")


def test_simulated_banner_only_for_the_demo(tmp_path):
    for demo in (True, False):
        out = tmp_path / f"report_{demo}.html"
        header = report_header(
            RunSettings.from_config({"cutoff_date": "2020-10-01"}), demo, None, "0.1.0", ""
        )
        render_report([ReportSection("S", "s")], {}, out, header=header)
        html = out.read_text()
        assert ('id="simulated-data"' in html) is demo
        assert (DEMO_TRIAL_ID in html) is demo
        assert "2020-10-01" in html


def test_trial_id_is_schema_checked():
    import jsonschema

    from cytotrial.io.schemas import load_schema

    schema = load_schema("config")["properties"]["report"]["properties"]["trial_id"]
    for good in ("NCT02751255", "2015-005263-31", "ISRCTN12345678", ""):
        jsonschema.validate(good, schema)
    for bad in (" NCT02751255", "NCT 02751255", "<script>", "x" * 80):
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate(bad, schema)


def test_long_tables_fold_only_above_the_limit(tmp_path):
    rows = {n: pd.DataFrame({"sample_id": [f"S{i}" for i in range(n)]}) for n in (65, 200)}
    out = tmp_path / "r.html"
    render_report(
        [
            ReportSection(
                "S", "s", tables=[ReportTable(f"T{n}", f, "t.csv") for n, f in rows.items()]
            )
        ],
        {},
        out,
    )
    html = out.read_text()
    assert 65 <= FOLD_ABOVE_ROWS < 200
    assert html.count('class="fold"') == 1
    assert f"Show all 200 rows (first {FOLD_ROWS} shown)" in html


def test_split_pages_moves_per_sample_tables_and_links_both_ways(tmp_path):
    def table(csv: str, link: bool = False) -> ReportTable:
        frame = pd.DataFrame({"sample_id": ["S1"]})
        return ReportTable(csv, frame, csv, link_column="sample_id" if link else None)

    flow = ReportSection(
        "Flow cytometry",
        "flow",
        tables=[table("cd38_mfi_tests.csv"), table("flow_populations.csv")],
    )
    qc = ReportSection(
        "Gating QC",
        "gating-qc",
        tables=[
            table("populations_to_review.csv", link=True),
            table("cohort_qc_flags.csv", link=True),
            table("general_statistics.csv", link=True),
            table("flagged_samples.csv", link=True),
        ],
        notes=["1 sample(s) not analysed"],
    )
    gallery = ReportSection(
        "Gating plots",
        "gating-plots",
        figures=[ReportFigure("Gating of S1", tmp_path / "p.png", anchor="plot-S1")],
    )
    samples = ReportSection("Samples", "samples", tables=[table("sample_inventory.csv")])
    main_path, gating_path = tmp_path / "r.html", tmp_path / "r_gating.html"
    main, gating = split_pages(flow, qc, gallery, samples, main_path, gating_path)

    assert [t.csv_name for t in flow.tables] == ["cd38_mfi_tests.csv"]
    assert flow.links[0].href == "r_gating.html#immune-subsets"
    main_qc, main_samples = main
    assert [t.csv_name for t in main_qc.tables] == [
        "populations_to_review.csv",
        "flagged_samples.csv",
    ]
    assert {t.link_page for t in main_qc.tables} == {"r_gating.html"}  # plots on the other page
    assert main_qc.notes == ["1 sample(s) not analysed"]
    assert (
        main_samples.tables == [] and main_samples.links[0].href == "r_gating.html#sample-inventory"
    )
    by_anchor = {s.anchor: s for s in gating}
    assert list(by_anchor) == [
        "gating-qc-samples",
        "immune-subsets",
        "gating-plots",
        "sample-inventory",
    ]
    assert [t.csv_name for t in by_anchor["gating-qc-samples"].tables] == [
        "cohort_qc_flags.csv",
        "general_statistics.csv",
    ]
    assert {t.link_page for t in by_anchor["gating-qc-samples"].tables} == {""}  # same page
    assert by_anchor["gating-plots"].figures[0].anchor == "plot-S1"
    assert all(s.links[0].href.startswith("r.html#") for s in gating)


def test_a_large_figure_is_embedded_as_a_smaller_palette_png(tmp_path):
    import base64
    import io

    import numpy as np
    from PIL import Image

    from cytotrial.report.model import FULL_COLOUR_MAX_BYTES

    rng = np.random.default_rng(1)
    # A plot-like image: a few flat colours with antialiased noise, large enough to recode.
    pixels = rng.choice([0, 60, 120, 255], size=(900, 900, 3)).astype("uint8")
    big = tmp_path / "big.png"
    Image.fromarray(pixels, "RGB").convert("RGBA").save(big)
    assert big.stat().st_size > FULL_COLOUR_MAX_BYTES
    embedded = base64.b64decode(ReportFigure("F", big).data_uri.split(",", 1)[1])
    assert len(embedded) < big.stat().st_size
    with Image.open(io.BytesIO(embedded)) as image:
        assert image.mode == "P" and image.size == (900, 900)
        assert (np.asarray(image.convert("RGB")) == pixels).all()  # 4 colours: lossless
    small = tmp_path / "small.png"
    Image.new("RGB", (40, 30), "navy").save(small)
    assert (
        base64.b64decode(ReportFigure("S", small).data_uri.split(",", 1)[1]) == small.read_bytes()
    )
