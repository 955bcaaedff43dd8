"""The per-sample audit plot: one panel per gate, the gate drawn, cheap to make."""

from __future__ import annotations

import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from helpers.paths import REPO
from PIL import Image

import cytotrial.flow.sample.audit_plot as gating_plot
from cytotrial.flow.gating.template import read_gating_template
from cytotrial.flow.prepare.qc import QCSettings
from cytotrial.flow.sample.analysis import SampleResult, analyse_sample
from cytotrial.io.panel import read_panel

PANEL = REPO / "resources/panel.yaml"
TEMPLATE = REPO / "resources/gating/pbmc_cd38.yaml"
ROW = {
    "sample_id": "PT001_A_C1D1",
    "patient_id": "PT001",
    "part": "A",
    "timepoint": "C1D1",
    "acquisition_date": "2016-07-14",
}


@pytest.fixture(scope="module")
def fcs_file(tmp_path_factory) -> Path:
    from cytotrial.simulate.flow.sample import simulate_sample, write_sample

    folder = tmp_path_factory.mktemp("plot")
    path = folder / "PT001_A_C1D1.fcs"
    write_sample(simulate_sample(ROW, 2122, 20_000), path, folder / "truth")
    return path


def near(pixels: np.ndarray, colour: tuple[int, int, int]) -> np.ndarray:
    """Pixels of about this colour (the PNG is a 64-colour palette: colours move a little)."""
    return np.all(np.abs(pixels.astype(int) - colour) <= 16, axis=-1)


def gate_colour_pixels(pixels: np.ndarray, box: tuple[int, int, int, int]) -> int:
    left, top, right, bottom = box
    return int(near(pixels[top:bottom, left:right], gating_plot.GATE_COLOUR).sum())


def test_every_gate_has_its_panel_with_the_gate_drawn(fcs_file, tmp_path):
    panel = read_panel(PANEL)
    template = read_gating_template(TEMPLATE, [c.marker for c in panel.channels])
    result = analyse_sample("PT001_A_C1D1", fcs_file, panel, template, QCSettings())
    assert result.status == "ok"
    out = tmp_path / "plot.png"
    gating_plot.plot_gating(result, template, out)

    image = Image.open(out)
    assert image.format == "PNG"
    rows = math.ceil(len(template.gates) / gating_plot.COLUMNS)
    assert image.size == (
        gating_plot.COLUMNS * gating_plot.CELL_W + gating_plot.GAP,
        gating_plot.HEADER + rows * gating_plot.CELL_H,
    )
    pixels = np.asarray(image.convert("RGB"))
    for number, spec in enumerate(template.gates):
        left = gating_plot.GAP + (number % gating_plot.COLUMNS) * gating_plot.CELL_W
        top = gating_plot.HEADER + (number // gating_plot.COLUMNS) * gating_plot.CELL_H
        plot = (
            left + gating_plot.LEFT,
            top + gating_plot.TITLE,
            left + gating_plot.LEFT + gating_plot.PLOT_W,
            top + gating_plot.TITLE + gating_plot.PLOT_H,
        )
        # the gate's line or outline crosses its panel, and the events are drawn
        assert gate_colour_pixels(pixels, plot) > gating_plot.PLOT_H // 2, spec.name
        area = pixels[plot[1] : plot[3], plot[0] : plot[2]]
        assert (area != 255).any(axis=-1).mean() > 0.05, f"{spec.name}: no events drawn"


def test_a_failed_sample_gets_its_reason(tmp_path):
    failed = SampleResult("S1", "failed", reason="truncated file: " + "x" * 300)
    out = tmp_path / "failed.png"
    gating_plot.plot_gating(failed, None, out)
    pixels = np.asarray(Image.open(out).convert("RGB"))
    assert pixels.shape[0] < 120  # one short note, not a grid of empty panels
    red, green = pixels[..., 0].astype(int), pixels[..., 1].astype(int)
    assert (red - green > 60).sum() > 100, "the reason is written in red"


def test_the_per_sample_job_loads_no_heavy_library(fcs_file, tmp_path):
    """What a per-sample job imports decides most of its start-up cost (README, Performance)."""
    code = (
        "import sys\n"
        "from cytotrial.flow.sample.job import run_sample_job\n"
        f"out = {str(tmp_path)!r} + '/s'\n"
        f"run_sample_job('PT001_A_C1D1', {str(fcs_file)!r}, {str(PANEL)!r}, {str(TEMPLATE)!r},"
        " {}, out + '.tsv', out + '.json', out + '.png', out + '.xml')\n"
        "heavy = ('matplotlib', 'pandas', 'scipy', 'flowkit', 'lifelines')\n"
        "print(sorted(m for m in heavy if m in sys.modules))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == "[]"
    assert (tmp_path / "s.png").stat().st_size > 10_000


def test_header_names_flagged_gates(fcs_file):
    """The header never says 'no flags' alone while a gate below carries one."""
    import dataclasses

    panel = read_panel(PANEL)
    template = read_gating_template(TEMPLATE, [c.marker for c in panel.channels])
    result = analyse_sample("PT001_A_C1D1", fcs_file, panel, template, QCSettings())
    header = gating_plot.plot_header(result)
    # nothing flagged here; the header claims only what it knows (the cohort QC runs later)
    assert header == "PT001_A_C1D1   sample QC and gate flags: none"
    gate = result.applied["activated_nk"]
    result.applied["activated_nk"] = dataclasses.replace(gate, flags=("low_confidence_cut(CD16)",))
    header = gating_plot.plot_header(result)
    # the gate's name as the report's tables write it, not its code name
    assert "1 gate flagged: Activated NK (CD16+CD56dim) (flags in red)" in header
    assert "none" not in header.split(";")[0] and header.endswith("sample QC flags: none")
    low = dataclasses.replace(result.qc, flags=("low_event_count(300<1000)",))
    header = gating_plot.plot_header(dataclasses.replace(result, qc=low))
    assert header.endswith("sample flags: low event count (300<1000)")


def test_panels_use_the_reports_population_and_flag_words():
    """Titles, parents and flags as the report's tables write them (io.names), not code
    names: the plot sits beside those tables."""
    from types import SimpleNamespace

    gate = SimpleNamespace(events=1234, cuts=[])
    assert gating_plot.panel_heading("t_cells", "lymphocytes", gate, 2000) == (
        "T cells",
        "1,234 = 61.7% of Lymphocytes",
    )
    assert (
        gating_plot.panel_heading("non_debris", "root", gate, 0)[1] == "1,234 = 0.0% of all events"
    )
    lines = gating_plot.flag_lines(
        ["too_few_events(monocytes_scatter)", "single_peak_by_display_range(CD19: mode 0.34)"]
    )
    text = " ".join(lines)
    assert "too few events (Monocytes (scatter))" in text
    assert "single peak, side from the display range" in text
    assert "_" not in text


def test_ticks_are_in_data_units_placed_by_the_channels_transform():
    from cytotrial.flow.prepare.transforms import Asinh, Linear, Logicle
    from cytotrial.flow.sample.plot_ticks import data_label, ticks

    logicle = Logicle()
    shown = ticks(logicle, -0.02, 0.83)
    labels = [label for _, label in shown]
    assert labels == ["0", "1k", "10k"]  # -100 and 100 crowd 0 on a 200-px axis: left out
    for position, label in shown:  # each at its value's place on the display axis
        value = {"0": 0.0, "1k": 1e3, "10k": 1e4}[label]
        assert position == pytest.approx(float(logicle.apply(np.array([value]))[0]), abs=1e-6)
    scatter = ticks(Linear(262144.0), 0.098, 0.83)
    assert [label for _, label in scatter] == ["50k", "100k", "150k", "200k"]
    assert scatter[0][0] == pytest.approx(50_000 / 262144.0)
    assert [label for _, label in ticks(Asinh(150.0), 0.0, 6.0)][-1] == "10k"
    assert ticks(None, 0.0, 1.0) == []  # unknown transform: the caller shows display units
    assert [data_label(v) for v in (0, 100, 2500, -1000, 1.5e6)] == [
        "0",
        "100",
        "2.5k",
        "-1k",
        "1.5M",
    ]


def test_a_rectangle_gate_states_its_cuts_in_display_units():
    from cytotrial.flow.gating.gates import RectangleGate

    threshold = RectangleGate(("CD3",), (0.6213,), (None,))
    assert gating_plot.display_cuts(threshold) == "display cut: CD3 0.621"
    quadrant = RectangleGate(("CD16", "CD56"), (0.48, None), (None, 0.55))
    assert gating_plot.display_cuts(quadrant) == ("display cuts: CD16 0.48, CD56 0.55")


def test_cuts_are_printed_in_the_units_of_the_ticks():
    """The panel prints a cut in data units, as the axis ticks (the transform's inverse),
    and the display value a reviewer's correction takes on a second line."""
    from cytotrial.flow.gating.gates import RectangleGate
    from cytotrial.flow.prepare.transforms import Asinh, Linear, Logicle
    from cytotrial.flow.sample.plot_ticks import ticks

    logicle = Logicle()
    at_1k = float(logicle.apply(np.array([1000.0]))[0])  # where the 1k tick is drawn
    tick_at = {label: position for position, label in ticks(logicle, 0.0, 1.0)}
    assert tick_at["1k"] == pytest.approx(at_1k)
    threshold = RectangleGate(("CD3",), (at_1k,), (None,))
    data, display = gating_plot.cut_lines(threshold, {"CD3": logicle})
    assert data == "cut (data units): CD3 1k"
    assert display == f"display units: {at_1k:.3g}"
    quadrant = RectangleGate(("FSC-A", "CD56"), (0.15, None), (None, math.asinh(10.0)))
    data, display = gating_plot.cut_lines(
        quadrant, {"FSC-A": Linear(262144.0), "CD56": Asinh(150.0)}
    )
    assert data == "cuts (data units): FSC-A 39.3k, CD56 1.5k"
    assert display == "display units: 0.15, 3"  # asinh(10)
    # a marker without a known transform: the axis is in display units, so is the cut
    assert gating_plot.cut_lines(threshold, None) == ("display cut: CD3 " + f"{at_1k:.3g}", "")
    assert gating_plot.cut_lines(EllipseShape(), {"CD3": logicle}) == ("", "")


class EllipseShape:
    """Any shape that is not a rectangle has no cut to print."""


def test_audit_plot_text_is_readable_and_recorded(fcs_file, tmp_path):
    from cytotrial.flow.sample.plot_ticks import marker_transforms
    from cytotrial.io.figure_text import read_min_text_px

    panel = read_panel(PANEL)
    template = read_gating_template(TEMPLATE, [c.marker for c in panel.channels])
    result = analyse_sample("PT001_A_C1D1", fcs_file, panel, template, QCSettings())
    out = tmp_path / "plot.png"
    gating_plot.plot_gating(result, template, out, marker_transforms(panel))
    # >= 8 pt (10.7 CSS px) at natural size, the recorded size is the smallest font drawn
    assert read_min_text_px(out) == gating_plot.SMALL_FONT_PX >= 8 / 0.75
