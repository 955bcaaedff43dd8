"""Bad FCS inputs that must never give a silently wrong number (issue 14).

Part of the bad-input catalogue begun in tests/unit/io/test_bad_input.py (same fixtures: one
simulated demo sample with the demo panel and gating). Each case is an input, the
message or flag it must produce, and a check that nothing else was lost.

* Compensation is exact: a $SPILLOVER naming channels the panel does not use is applied
  whole (FlowKit with the file's full matrix is the reference), then the panel's
  channels are selected. A missing, identity or percent-like matrix is flagged in the
  sample's record, sample_qc.tsv, populations.tsv and the report's problem table.
* A file says what the panel expects: each fluorescence channel's $PnS must name the
  panel's marker (or an alias); a moved fluorochrome is a panel_mismatch naming both
  channels and markers.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from helpers import bad_input as catalogue
from helpers.bad_input import FlowSetup, rewrite
from helpers.paths import REPO

from cytotrial.flow.cohort.aggregate import sample_qc_table, tidy_populations
from cytotrial.flow.sample.analysis import SampleResult, analyse_sample
from cytotrial.flow.sample.outputs import write_populations
from cytotrial.flow.sample.status import split_flags
from cytotrial.io.panel import read_panel
from cytotrial.io.records import write_record
from cytotrial.simulate.flow.fcs import spillover_text

FLUOR = ["FITC-A", "PE-A", "PerCP-Cy5.5-A", "PE-Cy7-A", "APC-A", "APC-H7-A", "BV421-A", "BV510-A"]
APC = 9  # column of APC-A (CD38, the MFI channel) in the demo file


demo_sample = catalogue.flow  # the fixture, under a name the one below can request


@pytest.fixture(scope="module")
def flow(demo_sample: FlowSetup) -> FlowSetup:
    """test_bad_input's simulated demo sample (2,000 events, demo panel and gating)."""
    return demo_sample


def analyse(flow: FlowSetup, path: Path, panel=None) -> SampleResult:
    return analyse_sample("S1", path, panel or flow.panel, flow.template, keep_plot_data=True)


def without(flow: FlowSetup, path: Path, *keys: str, **changes: str) -> Path:
    """The good file without keywords `keys` ('$SPILLOVER'), with `changes`."""
    from cytotrial.simulate.flow.fcs import write_fcs

    keywords = {k: v for k, v in flow.keywords.items() if k not in keys}
    keywords.update({f"${key}": value for key, value in changes.items()})
    write_fcs(path, flow.events.astype(np.float32), keywords)
    return path


def demo_spillover(flow: FlowSetup) -> tuple[list[str], np.ndarray]:
    items = flow.keywords["$SPILLOVER"].split(",")
    n = int(items[0])
    return items[1 : 1 + n], np.array(items[1 + n :], dtype=np.float64).reshape(n, n)


def mfis(result: SampleResult) -> dict[str, float]:
    return {row["gate"]: row["mfi"] for row in result.rows}


def assert_all_populations_measured(result: SampleResult) -> None:
    """Nothing lost: every gate has events and an MFI."""
    assert result.status == "ok", result.reason
    assert len(result.rows) == len(result.gates) == 11
    assert all(row["events"] > 0 and row["mfi"] != "" for row in result.rows)


def assert_no_path(flow: FlowSetup, path: Path, *texts: str) -> None:
    name = flow.keywords["$SRC"]
    for text in texts:
        assert str(path) not in text and path.name not in text and name not in text


# ================================================================ exact compensation


@pytest.fixture(scope="module")
def extra_channel_file(flow, tmp_path_factory) -> tuple[Path, np.ndarray, list[str]]:
    """The demo file plus a 15th detector, BV786-A (CD123, not in the panel), whose
    bright dye spills 30% into APC-A (the CD38 channel). $SPILLOVER is 9 x 9."""
    names, spill8 = demo_spillover(flow)
    assert names == FLUOR  # the demo's matrix covers exactly the panel's fluorescence
    columns = [6 - 1 + i for i in range(8)]  # FITC-A ... BV510-A: columns 5..12
    acquired8 = flow.events[:, columns].astype(np.float64)
    true8 = acquired8 @ np.linalg.inv(spill8)  # the dyes before spillover
    rng = np.random.default_rng(14)
    bright = rng.lognormal(np.log(10_000), 0.4, len(flow.events))  # on every cell
    spill9 = np.eye(9)
    spill9[:8, :8] = spill8
    spill9[8, 4] = 0.30  # BV786 into the APC-A detector
    spill9[8, 6] = 0.02  # and a little into BV421-A
    spill9[:8, 8] = [0.0, 0.01, 0.03, 0.05, 0.02, 0.04, 0.0, 0.0]  # others into BV786-A
    acquired9 = np.column_stack([true8, bright]) @ spill9
    events = np.column_stack([flow.events, acquired9[:, 8]]).astype(np.float32)
    events[:, columns] = acquired9[:, :8]
    path = tmp_path_factory.mktemp("extra") / "extra.fcs"
    extra = {
        "PAR": "15",
        "P15N": "BV786-A",
        "P15S": "CD123",
        "P15B": "32",
        "P15E": "0,0",
        "P15G": "1.0",
        "P15R": flow.keywords["$P10R"],
        "SPILLOVER": spillover_text([*FLUOR, "BV786-A"], spill9),
    }
    rewrite(flow, path, events, **extra)
    return path, spill9, [*FLUOR, "BV786-A"]


def test_spillover_with_an_unused_channel_matches_flowkit(flow, extra_channel_file):
    warnings.simplefilter("ignore")
    import flowkit as fk

    path, spill9, names = extra_channel_file
    result = analyse(flow, path)
    assert_all_populations_measured(result)
    assert result.record()["qc"]["qc_flags"] == ""  # an exact, real matrix: nothing to flag
    sample = fk.Sample(str(path))
    sample.apply_compensation(fk.Matrix(spill9, names))  # the file's full matrix
    theirs = sample.get_events(source="comp")[:, sample.pnn_labels.index("APC-A")]
    for row in result.rows:  # every population, on our gates
        mask = result.applied[row["gate"]].mask
        expected = float(np.median(theirs[mask]))
        assert row["mfi"] == pytest.approx(expected, rel=2e-4, abs=0.5), row["gate"]
    # What the panel's 8 x 8 sub-matrix gives is far off: the test can tell them apart.
    sub = np.linalg.inv(spill9[:8, :8])[:, 4]
    raw = sample.get_events(source="raw")
    wrong = raw[:, [sample.pnn_labels.index(c) for c in FLUOR]] @ sub
    t_cells = result.applied["t_cells"].mask
    assert abs(np.median(wrong[t_cells]) - np.median(theirs[t_cells])) > 1000


def test_gatingml_export_carries_the_full_matrix(flow, extra_channel_file, tmp_path):
    """The exported Gating-ML names the matrix applied: all 9 channels."""
    warnings.simplefilter("ignore")
    import flowkit as fk

    from cytotrial.flow.interop.gatingml_export import write_sample_gatingml

    path, spill9, names = extra_channel_file
    result = analyse(flow, path)
    write_sample_gatingml(result, flow.template, flow.panel, tmp_path / "s.xml")
    strategy = fk.parse_gating_xml(str(tmp_path / "s.xml"))
    (matrix,) = strategy.comp_matrices.values()
    assert list(matrix.detectors) == names
    np.testing.assert_allclose(matrix.matrix, spill9)
    report = strategy.gate_sample(fk.Sample(str(path))).report
    theirs = {row.gate_name: int(row["count"]) for _, row in report.iterrows()}
    assert theirs == {row["gate"]: row["events"] for row in result.rows}


def test_spillover_naming_a_channel_the_file_lacks_fails_the_sample(flow, tmp_path):
    names, spill8 = demo_spillover(flow)
    spill9 = np.eye(9)
    spill9[:8, :8] = spill8
    spill9[8, 4] = 0.3
    text = spillover_text([*names, "BV786-A"], spill9)
    path = rewrite(flow, tmp_path / "absent.fcs", flow.events, SPILLOVER=text)
    result = analyse(flow, path)
    assert result.status == "failed"
    assert result.reason == (
        "spillover matrix names channel(s) BV786-A that the file does not have: their "
        "spill cannot be removed; expected every channel the matrix names in the file"
    )
    assert_no_path(flow, path, result.reason)


# ================================================================ matrices to flag


def flagged_everywhere(flow: FlowSetup, result: SampleResult, flag: str, tmp_path: Path) -> None:
    """`flag` is in the record, the per-sample populations table, sample_qc.tsv, the
    aggregated populations.tsv and the report's failed-or-flagged table."""
    from cytotrial.report.flow_sections import _is_flagged

    record = result.record(flow.template)
    assert flag in record["qc"]["qc_flags"].split(";")
    assert all(flag in row["flags"].split(";") for row in result.rows)
    populations, record_path = tmp_path / "S1.populations.tsv", tmp_path / "S1.json"
    write_populations(result, populations)
    write_record(record, record_path)
    per_sample = pd.read_csv(populations, sep="\t")
    assert set(per_sample["status"]) == {"flagged"}  # each gate's row, as in populations.tsv
    assert all(flag in split_flags(why) for why in per_sample["status_reason"])
    sheet = pd.DataFrame(
        [{"sample_id": "S1", "patient_id": "P1", "part": "A", "timepoint": "C1D1", "batch": 1}]
    )
    gates = [gate.name for gate in flow.template.gates]
    qc = sample_qc_table(
        sheet, {"S1": record}, {"S1": populations}, gates, flow.template.populations
    )
    assert flag in qc.loc[0, "qc_flags"].split(";")
    assert _is_flagged(qc).tolist() == [True]
    # ... and every reported population's status is flagged, so the statistics leave it out
    assert {qc.loc[0, f"status_{p}"] for p in flow.template.populations} == {"flagged"}
    sheet["leukocytes_per_ul"] = 5000.0
    subsets = list(flow.template.populations)
    tidy = tidy_populations(
        sheet, {"S1": populations}, subsets, flow.template.mfi_marker, {"S1": qc.loc[0, "qc_flags"]}
    )
    assert len(tidy) == len(subsets) > 3 and all(
        flag in text.split(";") for text in tidy["gate_flags"]
    )
    assert set(tidy["status"]) == {"flagged"}
    assert all(flag in split_flags(why) for why in tidy["status_reason"])


def test_no_spillover_matrix_is_flagged(flow, tmp_path):
    path = without(flow, tmp_path / "nospill.fcs", "$SPILLOVER")
    result = analyse(flow, path)
    assert_all_populations_measured(result)
    flagged_everywhere(flow, result, "no_spillover_matrix(fluorescence uncompensated)", tmp_path)


def test_identity_spillover_matrix_is_flagged(flow, tmp_path):
    text = spillover_text(FLUOR, np.eye(8))
    path = rewrite(flow, tmp_path / "identity.fcs", flow.events, SPILLOVER=text)
    result = analyse(flow, path)
    assert_all_populations_measured(result)
    flagged_everywhere(
        flow, result, "identity_spillover_matrix(fluorescence uncompensated)", tmp_path
    )
    uncompensated = analyse(flow, without(flow, tmp_path / "none.fcs", "$SPILLOVER"))
    assert mfis(result) == mfis(uncompensated)


def test_percent_spillover_matrix_is_rescaled_and_flagged(flow, tmp_path):
    names, spill8 = demo_spillover(flow)
    text = spillover_text(names, spill8 * 100)
    path = rewrite(flow, tmp_path / "percent.fcs", flow.events, SPILLOVER=text)
    result = analyse(flow, path)
    assert_all_populations_measured(result)
    flagged_everywhere(
        flow, result, "percent_spillover_matrix(diagonal 100: divided by 100)", tmp_path
    )
    good = analyse(flow, flow.good)
    for gate, mfi in mfis(good).items():  # the values of the matrix in fractions
        assert mfis(result)[gate] == pytest.approx(mfi, rel=1e-5, abs=0.01), gate


def test_demo_file_is_not_flagged(flow):
    result = analyse(flow, flow.good)
    assert_all_populations_measured(result)
    assert result.record()["qc"]["qc_flags"] == ""
    assert all(row["flags"] == "" or "spillover" not in row["flags"] for row in result.rows)


def test_panel_named_matrix_is_not_flagged(flow, tmp_path):
    """The panel names the matrix (here the identity: data compensated before export)."""
    panel_yaml = yaml.safe_load((REPO / "resources/panel.yaml").read_text())
    identity = [",".join(FLUOR)] + [
        ",".join("1" if i == j else "0" for j in range(8)) for i in range(8)
    ]
    (tmp_path / "identity.csv").write_text("\n".join(identity) + "\n")
    panel_yaml["spillover_matrix"] = "identity.csv"
    (tmp_path / "panel.yaml").write_text(yaml.safe_dump(panel_yaml))
    path = without(flow, tmp_path / "nospill.fcs", "$SPILLOVER")
    result = analyse(flow, path, read_panel(tmp_path / "panel.yaml"))
    assert_all_populations_measured(result)
    assert result.record()["qc"]["qc_flags"] == ""
    assert "spillover matrix from the panel file (identity.csv)" in result.notes


# ================================================================ stains ($PnS)


def test_swapped_fluorochromes_are_a_panel_mismatch(flow, tmp_path):
    """The panel's CD38 is in APC-A, but this file has CD38 in PE-Cy7-A and CD56 in APC-A."""
    path = rewrite(flow, tmp_path / "swap.fcs", flow.events, P10S="CD56", P9S="CD38")
    result = analyse(flow, path)
    assert result.status == "panel_mismatch"
    assert result.rows == []
    assert result.reason == (
        "stain(s) not those of the panel: PE-Cy7-A is stained 'CD38' where the panel has "
        "CD19 (no channel of the file is stained CD19); APC-A is stained 'CD56' where the "
        "panel has CD38 (the file has CD38 in PE-Cy7-A); expected each panel channel's $PnS "
        "to name its panel marker or one of its aliases"
    )
    assert result.qc is not None and result.qc.events == 2000
    assert_no_path(flow, path, result.reason)


def test_cd3_does_not_match_cd38(flow, tmp_path):
    """A token match, not a substring: 'CD38' does not name CD3, nor 'CD3' CD38."""
    path = rewrite(flow, tmp_path / "cd3.fcs", flow.events, P10S="CD3 APC", P11S="CD38")
    result = analyse(flow, path)
    assert result.status == "panel_mismatch"
    assert "APC-A is stained 'CD3 APC' where the panel has CD38" in result.reason
    assert "APC-H7-A is stained 'CD38' where the panel has CD3" in result.reason


@pytest.mark.parametrize(
    "stains",
    [
        {"P10S": "CD38 APC", "P11S": "CD3-APC-H7", "P8S": "CD45 PerCP-Cy5.5"},
        {"P10S": "cd38", "P11S": " CD3 ", "P13S": "viability"},
        {"P10S": "CD-38", "P6S": "CD16 FITC"},
        {"P8S": "PTPRC PerCP-Cy5.5", "P13S": "Live/Dead Aqua"},  # the demo panel's aliases
    ],
)
def test_stains_with_fluorochrome_case_or_punctuation_match(flow, tmp_path, stains):
    path = rewrite(flow, tmp_path / "stains.fcs", flow.events, **stains)
    result = analyse(flow, path)
    assert_all_populations_measured(result)
    assert mfis(result) == mfis(analyse(flow, flow.good))
    assert result.record()["qc"]["qc_flags"] == ""


def test_panel_aliases_name_a_marker(flow, tmp_path):
    path = rewrite(flow, tmp_path / "alias.fcs", flow.events, P8S="LCA PerCP-Cy5.5")
    without_alias = analyse(flow, path)
    assert without_alias.status == "panel_mismatch"
    assert "PerCP-Cy5.5-A is stained 'LCA PerCP-Cy5.5' where the panel has CD45" in (
        without_alias.reason
    )
    panel_yaml = yaml.safe_load((REPO / "resources/panel.yaml").read_text())
    entry = next(c for c in panel_yaml["channels"] if c["marker"] == "CD45")
    entry["aliases"] = ["PTPRC", "LCA"]
    (tmp_path / "panel.yaml").write_text(yaml.safe_dump(panel_yaml))
    panel = read_panel(tmp_path / "panel.yaml")
    assert next(c for c in panel.channels if c.marker == "CD45").aliases == ("PTPRC", "LCA")
    assert_all_populations_measured(analyse(flow, path, panel))


def test_panel_aliases_must_be_a_list_of_names(tmp_path):
    from cytotrial.errors import InputError

    panel_yaml = yaml.safe_load((REPO / "resources/panel.yaml").read_text())
    panel_yaml["channels"][9]["aliases"] = "CD38 APC"
    (tmp_path / "panel.yaml").write_text(yaml.safe_dump(panel_yaml))
    with pytest.raises(
        InputError, match=r"channel 'APC-A', key 'aliases': 'CD38 APC' is not of type 'array'"
    ):
        read_panel(tmp_path / "panel.yaml")


def test_fluorescence_channel_without_stain_is_analysed_and_flagged(flow, tmp_path):
    """No $PnS (or $PnS = $PnN) on a fluorescence channel: the panel's marker is assumed,
    and the sample is flagged; scatter and time channels need no stain."""
    keys = ("$P10S", "$P12S")
    path = without(flow, tmp_path / "nostain.fcs", *keys, P6S="FITC-A")
    assert "$P1S" not in flow.keywords  # the demo's scatter channels have no $PnS
    result = analyse(flow, path)
    assert_all_populations_measured(result)
    assert mfis(result) == mfis(analyse(flow, flow.good))
    flag = "stain_not_named(FITC-A as CD16, APC-A as CD38, BV421-A as CD14)"
    flagged_everywhere(flow, result, flag, tmp_path)


def test_channel_name_with_stray_whitespace_still_matches(flow, tmp_path):
    path = rewrite(flow, tmp_path / "space.fcs", flow.events, P10N="APC-A ", P6N=" FITC-A")
    result = analyse(flow, path)
    assert_all_populations_measured(result)
    assert mfis(result) == mfis(analyse(flow, flow.good))
