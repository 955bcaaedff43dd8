"""The fast per-sample path gives the exact path's results.

* lookup-table logicle vs flowutils' exact logicle: identical membership of every gate,
  both as the adaptive analysis places the gates and for the same fixed gates;
* polygons: the strip-table test equals flowutils' winding-number test (FlowKit's);
* rectangles: float32 comparisons equal float64 comparisons with the bound;
* subsampled densities: thresholds within about one density bin (1.5 allowed: the
  two grids differ slightly) of those from all events, and deterministic;
* the selection-based medians/percentiles, the sorted-time histogram and the one-pass
  channel extraction equal their numpy counterparts.
"""

from __future__ import annotations

import numpy as np
import pytest
from flowutils import gating as fu_gating
from helpers.paths import REPO

import cytotrial.flow.gating.engine as gating
from cytotrial.flow.gating.density import BINS, median, order_statistics, percentiles
from cytotrial.flow.gating.engine import apply_gates, clip_polygon_y, gate_events
from cytotrial.flow.gating.gates import EllipseGate, PolygonGate, RectangleGate, points_in_polygon
from cytotrial.flow.gating.template import read_gating_template
from cytotrial.flow.prepare.compensation import Spillover, channel_rows, compensate
from cytotrial.flow.prepare.qc import _saturated_count, time_histogram
from cytotrial.flow.prepare.transforms import transform_from_spec
from cytotrial.flow.sample.analysis import analyse_sample
from cytotrial.io.panel import read_panel

SAMPLE = {
    "sample_id": "PT002_B_C1D3",
    "patient_id": "PT002",
    "part": "B",
    "timepoint": "C1D3",
    "acquisition_date": "2017-03-02",
}


@pytest.fixture(scope="module")
def panel():
    return read_panel(REPO / "resources/panel.yaml")


@pytest.fixture(scope="module")
def template(panel):
    return read_gating_template(
        REPO / "resources/gating/pbmc_cd38.yaml", [c.marker for c in panel.channels]
    )


@pytest.fixture(scope="module")
def fcs_100k(tmp_path_factory):
    from cytotrial.simulate.flow.sample import simulate_sample, write_sample

    folder = tmp_path_factory.mktemp("fast_path")
    path = folder / "sample.fcs"
    write_sample(simulate_sample(SAMPLE, 2021, 100_000), path, folder / "truth")
    return path


def test_lookup_table_and_exact_logicle_give_identical_membership(fcs_100k, panel, template):
    fast = analyse_sample("fast", fcs_100k, panel, template)
    exact = analyse_sample("exact", fcs_100k, panel, template, exact_logicle=True)
    assert fast.status == exact.status == "ok"
    assert exact.plot_data["CD3"].dtype == np.float64  # really flowutils' logicle
    for name, gate in fast.applied.items():
        mismatches = int(np.count_nonzero(gate.mask != exact.applied[name].mask))
        assert mismatches == 0, f"{name}: {mismatches} events differ (adaptive gates)"
        placed, placed_exact = gate.shape.describe(), exact.applied[name].shape.describe()
        assert placed.keys() == placed_exact.keys()
        for key, value in placed.items():  # cuts agree to float32 precision
            if key not in ("shape", "dims"):
                a = np.array(value, dtype=float)
                b = np.array(placed_exact[key], dtype=float)
                assert np.allclose(a, b, rtol=0, atol=1e-6, equal_nan=True), (name, key)
    # The same fixed gates applied to both transforms
    shapes = {name: gate.shape for name, gate in fast.applied.items()}
    on_fast = apply_gates(fast.plot_data, template, shapes)
    on_exact = apply_gates(exact.plot_data, template, shapes)
    for name in shapes:
        assert np.array_equal(on_fast[name], on_exact[name]), f"{name} (fixed gates)"
        assert np.array_equal(on_fast[name], fast.applied[name].mask)
    for row, row_exact in zip(fast.rows, exact.rows, strict=True):  # counts, %, MFIs
        assert {**row, "sample_id": ""} == {**row_exact, "sample_id": ""}


def test_analysis_is_deterministic(fcs_100k, panel, template):
    first = analyse_sample("a", fcs_100k, panel, template)
    second = analyse_sample("a", fcs_100k, panel, template)
    assert first.rows == second.rows
    assert first.gates == second.gates


def _polygons(rng: np.random.Generator):
    """Wedges, clipped ellipse outlines (as the gating makes them) and random polygons."""
    for trial in range(60):
        kind = trial % 3
        if kind == 0:
            low, high = rng.uniform(0.8, 1.0), rng.uniform(1.0, 1.3)
            yield np.array([(0.0, 0.0), (1.5, 1.5 / high), (1.5, 1.5 / low)])
        elif kind == 1:
            a = rng.uniform(1e-4, 1e-2)
            b = rng.uniform(-0.5, 0.5) * a
            cov = ((a, b), (b, a * rng.uniform(0.3, 2)))
            outline = EllipseGate(("x", "y"), tuple(rng.uniform(0.1, 0.5, 2)), cov, 16.0).outline(
                64
            )
            low, high = np.sort(rng.uniform(outline[:, 1].min(), outline[:, 1].max(), 2))
            yield clip_polygon_y(outline, low, high)
        else:
            yield rng.uniform(0, 1, (int(rng.integers(3, 9)), 2))  # often not convex


def test_polygon_membership_equals_flowutils_winding_test():
    rng = np.random.default_rng(5)
    for vertices in _polygons(rng):
        (x0, y0), (x1, y1) = vertices.min(axis=0), vertices.max(axis=0)
        n = 50_000
        x = rng.uniform(x0 - 0.2 * (x1 - x0), x1 + 0.2 * (x1 - x0), n)
        y = rng.uniform(y0 - 0.2 * (y1 - y0), y1 + 0.2 * (y1 - y0), n)
        # events on vertices, on edges and one float step beside them
        i = rng.integers(0, len(vertices), 2000)
        t = rng.uniform(0, 1, 2000)
        on_edge = vertices[i] + t[:, None] * (vertices[(i + 1) % len(vertices)] - vertices[i])
        x[:2000], y[:2000] = on_edge[:, 0], on_edge[:, 1]
        x[2000:4000], y[2000:4000] = np.nextafter(on_edge[:, 0], np.inf), on_edge[:, 1]
        x[4000 : 4000 + len(vertices)] = vertices[:, 0]
        y[4000 : 4000 + len(vertices)] = vertices[:, 1]
        for dtype in (np.float32, np.float64):
            xs, ys = x.astype(dtype), y.astype(dtype)
            expected = fu_gating.points_in_polygon(
                vertices, np.column_stack([xs, ys]).astype(np.float64)
            )
            assert np.array_equal(points_in_polygon(vertices, xs, ys), expected)
    empty = PolygonGate(("x", "y"), ((0, 0), (0, 0), (0, 0)))
    assert not empty.contains({"x": np.zeros(3), "y": np.zeros(3)}).any()


def test_rectangle_comparisons_on_float32_are_exact():
    below = np.float32(0.3)
    above = np.nextafter(below, np.float32(1))
    bound = float(below) + 1e-12  # between two float32 values; rounds to `below`
    assert float(below) < bound < float(above)
    values = np.array([below, above], dtype=np.float32)
    data = {"m": values}
    assert RectangleGate(("m",), (bound,), (None,)).contains(data).tolist() == [False, True]
    assert RectangleGate(("m",), (None,), (bound,)).contains(data).tolist() == [True, False]
    as64 = {"m": values.astype(np.float64)}
    assert RectangleGate(("m",), (bound,), (None,)).contains(as64).tolist() == [False, True]


def test_subsampled_density_thresholds_match_full_density(panel, template, monkeypatch):
    """1M events: every threshold within ~one density bin of the all-events threshold."""
    from cytotrial.simulate.flow.sample import CHANNELS, simulate_sample

    sim = simulate_sample(SAMPLE, 2021, 1_000_000)
    comp = compensate(sim.events, CHANNELS, Spillover(sim.spillover_channels, sim.spillover))
    data = {
        c.marker: transform_from_spec(c.transform).apply(comp[:, i])
        for i, c in enumerate(panel.channels)
        if c.marker in template.markers
    }
    assert gating.MAX_SAMPLE < 1_000_000  # the parents of the top gates are subsampled
    sampled = gate_events(data, template)
    assert gate_events(data, template)["monocytes"].shape == sampled["monocytes"].shape
    monkeypatch.setattr(gating, "MAX_SAMPLE", 10**9)
    full = gate_events(data, template)
    for name, gate in full.items():
        shape = gate.shape
        if isinstance(shape, RectangleGate):
            population = np.ones(len(comp), bool)
            if gate.spec.parent != "root":
                population = full[gate.spec.parent].mask
            for j, dim in enumerate(shape.dims):
                if j == 1:  # a quadrant's y cut is found on the events that pass x
                    first = RectangleGate(shape.dims[:1], shape.minimum[:1], shape.maximum[:1])
                    population = population & first.contains(data)
                step = _bin_width(data[dim][population])
                cuts = (shape.minimum[j], shape.maximum[j])
                others = (sampled[name].shape.minimum[j], sampled[name].shape.maximum[j])
                for cut_full, cut_sampled in zip(cuts, others, strict=True):
                    assert (cut_full is None) == (cut_sampled is None)
                    if cut_full is not None:
                        assert abs(cut_full - cut_sampled) <= 1.5 * step, (name, dim)
        # reported populations: (almost) the same events
        if name in template.populations.values():
            differ = np.count_nonzero(gate.mask != sampled[name].mask)
            assert differ <= 0.005 * gate.events, (name, differ)


def _bin_width(values: np.ndarray) -> float:
    """The width of a density bin for these values (range from the 0.1-99.9 percentiles)."""
    low, high = np.percentile(values, [0.1, 99.9])
    margin = 0.05 * (high - low) + 1e-6
    return float((high - low + 2 * margin) / BINS)


def test_selection_medians_and_percentiles_equal_numpy():
    rng = np.random.default_rng(3)
    for n in (1, 2, 7, 1000, 40_001, 300_000):
        for values in (
            rng.lognormal(5, 2, n).astype(np.float32),
            rng.integers(0, 4, n).astype(np.float64),  # ties
            np.sort(rng.normal(0, 1, n)).astype(np.float32),  # sorted input
        ):
            assert median(values) == np.median(values)
            assert np.asarray(median(values)).dtype == np.asarray(np.median(values)).dtype
            q = [0.1, 25, 50, 75, 99.9]
            assert np.allclose(percentiles(values, q), np.percentile(values, q), rtol=1e-6)
            ranks = sorted(set(rng.integers(0, n, 4).tolist()))
            assert np.array_equal(order_statistics(values, ranks), np.sort(values)[ranks])


def test_time_histogram_equals_numpy_histogram():
    rng = np.random.default_rng(4)
    steady = np.sort(rng.uniform(0, 550, 100_000)).astype(np.float32)
    steady[1000:1100] = steady[1000]  # ties, some on an edge
    edges = np.histogram_bin_edges(steady, 100)
    steady[5000:5010] = edges[37]
    steady.sort()
    for time in (steady, rng.permutation(steady)):
        assert np.array_equal(time_histogram(time, 100), np.histogram(time, bins=100)[0])


def test_channel_rows_equal_compensated_columns():
    rng = np.random.default_rng(6)
    events = rng.lognormal(6, 1.5, (20_000, 6)).astype(np.float32)
    channels = ["FSC-A", "A", "B", "C", "SSC-A", "Time"]
    spill = Spillover(("A", "B", "C"), np.array([[1, 0.2, 0.01], [0.05, 1, 0.1], [0, 0.02, 1.0]]))
    rows = channel_rows(events, [0, 2, 4, 1, 3], spill, [1, 2, 3])
    reference = compensate(events, channels, spill)
    assert np.array_equal(rows[0], events[:, 0])  # not compensated: exactly the column
    assert np.array_equal(rows[2], events[:, 4])
    for row, column in ((1, 2), (3, 1), (4, 3)):
        assert np.allclose(rows[row], reference[:, column], rtol=1e-5, atol=1e-3)
    # A NaN in a column between the used ones must not leak into them (0 * NaN)
    events[7, 2] = np.nan
    rows = channel_rows(events, [0, 4, 1, 3], Spillover(("A", "C"), np.eye(2)), [1, 3])
    assert np.isfinite(rows).all()
    assert np.array_equal(rows[1], events[:, 4])


def test_saturation_count_is_the_union_over_channels():
    rng = np.random.default_rng(8)
    events = rng.uniform(0, 1000, (10_000, 4)).astype(np.float32)
    events[rng.integers(0, 10_000, 300), 0] = 1023
    events[rng.integers(0, 10_000, 300), 2] = 1500
    tops = [1024.0, 1024.0, 1024.0]
    expected = np.any(events[:, :3] >= np.array(tops) - 1, axis=1)
    assert _saturated_count(events, [0, 1, 2], tops) == expected.sum()
    keep = rng.random(10_000) < 0.5
    assert _saturated_count(events, [0, 1, 2], tops, keep) == (expected & keep).sum()
