"""Flow part of the demo-trial simulator: biology, instrument, FCS files, ground truth."""

from __future__ import annotations

import warnings
from datetime import date, timedelta

import flowio
import numpy as np
import pandas as pd
import pytest
from helpers.paths import REPO

from cytotrial.io.panel import read_panel
from cytotrial.simulate.flow.findings import (
    FLOW_FINDINGS,
    evaluate_findings,
    expected_values,
    matching_seed,
    truth_values,
)
from cytotrial.simulate.flow.instrument import batch_drift
from cytotrial.simulate.flow.populations import LEUKOCYTES, counts_per_ul
from cytotrial.simulate.flow.sample import (
    CHANNELS,
    MARKERS,
    POPULATIONS,
    TRUTH_COLUMNS,
    assign_batches,
    leukocytes_per_ul,
    simulate_sample,
    write_sample,
)

SEED = 2021
# Events per file of the 267-file plan (~6 s): the workflow default, and the smallest
# round count at which the rarest population (CD56bright NK cells of NK-depleted
# patients, ~0.05% of events) is present in every file; NK medians then rest on a few
# dozen cells or more.
PLAN_EVENTS = 20_000
SAMPLES_PER_TIMEPOINT = {
    ("A", "C1D1"): 55,
    ("A", "C2D1"): 51,
    ("B", "C1D1"): 50,
    ("B", "C1D3"): 42,
    ("B", "C2D3"): 36,
    ("B", "EOT"): 33,
}


def trial_plan(plan_seed: int = 7) -> pd.DataFrame:
    """A sample plan with the trial's counts per part x timepoint and realistic pairing.

    63 part A patients (55 with C1D1; 51 with C2D1, 48 of them paired); 50 of them go on
    to part B (all with C1D1, then 42 / 36 / 33 samples with gaps, as in the paper).
    """
    rng = np.random.default_rng(plan_seed)
    patients = [f"P{i:03d}" for i in range(1, 64)]
    start = {p: date(2016, 7, 1) + timedelta(days=int(rng.integers(0, 487))) for p in patients}

    def pick(pool: list[str] | set[str], k: int) -> list[str]:
        return sorted(rng.choice(sorted(pool), size=k, replace=False).tolist())

    a_c1d1 = pick(patients, 55)
    a_c2d1 = pick(a_c1d1, 48) + pick(set(patients) - set(a_c1d1), 3)
    part_b = pick(patients, 50)
    b_c1d3 = pick(part_b, 42)
    b_c2d3 = pick(b_c1d3, 33) + pick(set(part_b) - set(b_c1d3), 3)
    b_eot = pick(part_b, 33)
    b_start = {p: start[p] + timedelta(days=int(rng.integers(60, 200))) for p in part_b}
    schedule = [
        ("A", "C1D1", a_c1d1, lambda p: start[p]),
        ("A", "C2D1", a_c2d1, lambda p: start[p] + timedelta(days=28)),
        ("B", "C1D1", part_b, lambda p: b_start[p]),
        ("B", "C1D3", b_c1d3, lambda p: b_start[p] + timedelta(days=2)),
        ("B", "C2D3", b_c2d3, lambda p: b_start[p] + timedelta(days=30)),
        ("B", "EOT", b_eot, lambda p: b_start[p] + timedelta(days=int(rng.integers(40, 200)))),
    ]
    rows = [
        {
            "sample_id": f"S{p[1:]}{part}{tp}",
            "patient_id": p,
            "part": part,
            "timepoint": tp,
            "acquisition_date": when(p).isoformat(),
        }
        for part, tp, members, when in schedule
        for p in members
    ]
    plan = pd.DataFrame(rows)
    plan["batch"] = assign_batches(plan)
    return plan


@pytest.fixture(scope="module")
def plan() -> pd.DataFrame:
    return trial_plan()


@pytest.fixture(scope="module")
def demo_seed(plan: pd.DataFrame) -> int:
    return matching_seed(plan, SEED, events=PLAN_EVENTS)


@pytest.fixture(scope="module")
def truth(plan: pd.DataFrame, demo_seed: int) -> pd.DataFrame:
    """All truth tables of the plan, with the sample's columns and analyser count."""
    plan = plan.assign(leukocytes_per_ul=leukocytes_per_ul(plan, demo_seed))
    tables = []
    for row in plan.to_dict("records"):
        table = simulate_sample(row, demo_seed, PLAN_EVENTS).truth
        tables.append(table.assign(**{k: row[k] for k in plan.columns}))
    return pd.concat(tables, ignore_index=True)


@pytest.fixture(scope="module")
def one_sample() -> dict[str, str]:
    return {
        "sample_id": "S001AC1D1",
        "patient_id": "P001",
        "part": "A",
        "timepoint": "C1D1",
        "acquisition_date": "2016-07-14",
        "batch": "B2016-07",
    }


@pytest.fixture(scope="module")
def written(one_sample, tmp_path_factory):
    """One 20k-event sample simulated and written."""
    out = tmp_path_factory.mktemp("flow")
    sim = simulate_sample(one_sample, SEED, 20_000)
    write_sample(sim, out / "fcs" / "S001AC1D1.fcs", out / "truth")
    return sim, out


# --- The paper's findings ---------------------------------------------------------------


def test_plan_has_the_trials_sample_counts(plan):
    assert plan.groupby(["part", "timepoint"]).size().to_dict() == SAMPLES_PER_TIMEPOINT


@pytest.mark.parametrize("cd38_column", ["cd38_median_true", "cd38_median_acquired"])
def test_truth_reproduces_every_flow_finding(truth, cd38_column):
    result = evaluate_findings(truth_values(truth, cd38_column))
    failed = result.loc[~result.holds, ["kind", "population", "part", "before", "after", "p"]]
    assert failed.empty, f"findings not reproduced:\n{failed}"
    by = result.set_index(["kind", "population", "part", "before", "after"]).p
    # The paper's printed P values: NK under daratumumab < .0001; after ATRA .0176 and
    # monocytes .0002 (ours need only be significant and in the right direction).
    assert by["count", "nk_cell", "A", "C1D1", "C2D1"] < 1e-4
    assert by["count", "monocyte", "B", "C1D1", "C1D3"] < 0.01


def test_findings_cover_the_targets():
    kinds = pd.Series([(f.kind, f.expect) for f in FLOW_FINDINGS]).value_counts()
    assert kinds["cd38", "down"] == 10 and kinds["cd38", "up"] == 6
    assert kinds["cd38", "ns"] == 9 and kinds["count", "ns"] == 8
    assert {f.population for f in FLOW_FINDINGS} == {
        "monocyte",
        "b_cell",
        "t_cell",
        "nk_cell",
        "nk_cd56dim_cd16pos",
    }


def test_expected_counts_equal_truth_counts(plan, truth, demo_seed):
    """matching_seed's event-free counts are exactly those of the truth tables."""
    expected = expected_values(plan, demo_seed, events=PLAN_EVENTS)
    merged = truth_values(truth).merge(
        expected, on=["patient_id", "part", "timepoint", "population", "kind"]
    )
    counts = merged[merged.kind == "count"]
    assert len(counts) == len(plan) * 8
    np.testing.assert_allclose(counts.value_x, counts.value_y, rtol=1e-12)


def test_part_b_cd38_starts_low_like_part_a_after_daratumumab(truth):
    cd38 = truth.groupby(["population", "part", "timepoint"]).cd38_median_true.median()
    for pop in ("monocyte", "b_cell", "t_cell", "nk_cell"):
        assert cd38[pop, "B", "C1D1"] < 0.5 * cd38[pop, "A", "C1D1"]
        assert 0.7 < cd38[pop, "B", "C1D1"] / cd38[pop, "A", "C2D1"] < 1.4


def test_every_population_in_every_file_with_a_plausible_share(truth):
    events = truth[truth.label >= 0].pivot(index="sample_id", columns="population", values="events")
    assert (events[list(POPULATIONS)] > 0).all().all()
    assert (events.sum(axis=1) == PLAN_EVENTS).all()
    share = events.div(events.sum(axis=1), axis=0)
    for pop in ("debris", "doublet", "dead"):
        assert share[pop].between(0.005, 0.06).all()
    frac = truth.pivot(index="sample_id", columns="population", values="fraction_of_leukocytes")
    median = frac.median()
    assert 0.55 <= median.granulocyte <= 0.65
    assert 0.25 <= median.lymphocyte <= 0.35
    assert 0.05 <= median.monocyte <= 0.10
    baseline = truth[(truth.part == "A") & (truth.timepoint == "C1D1")]
    lymph = baseline.pivot(index="sample_id", columns="population", values="events")
    of_lymph = lymph.div(lymph.lymphocyte, axis=0).median()
    assert 0.65 <= of_lymph.t_cell <= 0.8
    assert 0.05 <= of_lymph.b_cell <= 0.10
    assert 0.10 <= of_lymph.nk_cell <= 0.15


def test_leukocyte_count_matches_subset_counts(plan, demo_seed):
    counts = leukocytes_per_ul(plan, demo_seed)
    assert counts.index.equals(plan.index)
    true_total = np.array([counts_per_ul(r, demo_seed).sum() for r in plan.to_dict("records")])
    ratio = counts.to_numpy() / true_total
    assert np.all(np.abs(np.log(ratio)) < 0.15)  # analyser error only (3% CV)
    assert counts.between(1_000, 20_000).all()
    assert leukocytes_per_ul(plan, demo_seed).equals(counts)


def test_assign_batches_one_per_calendar_month(plan):
    batches = assign_batches(pd.DataFrame({"acquisition_date": ["2016-07-14", "2017-01-02"]}))
    assert batches.tolist() == ["B2016-07", "B2017-01"]
    assert assign_batches(plan).equals(assign_batches(plan.iloc[::-1]).loc[plan.index])


def test_batch_drift_is_deterministic_and_bounded():
    a, b = batch_drift("B2016-07", SEED), batch_drift("B2016-08", SEED)
    np.testing.assert_array_equal(a.spillover, batch_drift("B2016-07", SEED).spillover)
    assert not np.array_equal(a.gains, b.gains)
    for drift in (a, b):
        assert np.all(np.abs(np.log(drift.gains)) <= 0.15)
        assert 0.9 < drift.fsc_factor < 1.1 and 0.9 < drift.ssc_factor < 1.1
        np.testing.assert_array_equal(np.diag(drift.spillover), 1.0)


# --- Events and instrument -----------------------------------------------------------------


def test_channels_follow_the_panel():
    panel = read_panel(REPO / "resources" / "panel.yaml")
    assert list(CHANNELS) == panel.channel_names
    fluor = {c.channel: c.marker for c in panel.channels if c.role == "fluorescence"}
    assert fluor == MARKERS


@pytest.mark.parametrize("events", [1, 137, 5_000])
def test_exact_event_count(one_sample, events):
    sim = simulate_sample(one_sample, SEED, events)
    assert sim.events.shape == (events, len(CHANNELS)) and sim.events.dtype == np.float32
    assert sim.labels.shape == (events,) and sim.labels.dtype == np.uint8
    assert sim.truth.loc[sim.truth.label >= 0, "events"].sum() == events


def test_scatter_geometry_and_time(written):
    sim, _ = written
    ev = sim.events.astype(np.float64)
    fsc_a, fsc_h, fsc_w = ev[:, 0], ev[:, 1], ev[:, 2]
    ok = (fsc_a < 262_143) & (fsc_w < 262_143)  # not saturated
    np.testing.assert_allclose(fsc_a[ok], fsc_h[ok] * fsc_w[ok] / 65_536, rtol=1e-5)
    singlet = np.isin(sim.labels, [POPULATIONS.index(p) for p in LEUKOCYTES])
    doublet = sim.labels == POPULATIONS.index("doublet")
    assert np.median(fsc_w[doublet]) > 1.4 * np.median(fsc_w[singlet])
    assert np.median(fsc_a[doublet] / fsc_h[doublet]) > 1.4 * np.median(
        fsc_a[singlet] / fsc_h[singlet]
    )
    time = ev[:, -1]
    assert np.all(np.diff(time) >= 0) and time[-1] > time[0]
    assert ev[:, :5].min() >= 0 and ev[:, :5].max() <= 262_143


def test_compensation_recovers_signals_with_negative_spread(written):
    sim, _ = written
    fluor = sim.events[:, 5:13].astype(np.float64)
    comp = fluor @ np.linalg.inv(sim.spillover)
    np.testing.assert_allclose(comp, sim.prespill, rtol=1e-4, atol=0.05)
    negative = (comp < 0).mean(axis=0)
    assert negative.min() > 0  # every channel has negatives ...
    for marker in ("CD56", "CD19", "CD3"):  # ... and mostly-negative channels spread around 0
        assert negative[list(MARKERS.values()).index(marker)] > 0.1
    # Spillover direction: FITC-bright granulocytes spill into PE, which compensation removes.
    gran = sim.labels == POPULATIONS.index("granulocyte")
    pe = list(MARKERS).index("PE-A")
    assert np.median(fluor[gran, pe]) > 5 * np.median(comp[gran, pe])
    drift = batch_drift("B2016-07", SEED)
    true_pe = np.median(sim.true_signal[gran, pe]) * drift.gains[pe]
    assert abs(np.median(comp[gran, pe]) / true_pe - 1) < 0.1


def test_truth_table(written):
    sim, out = written
    table = pd.read_csv(out / "truth" / "S001AC1D1.truth.tsv", sep="\t")
    assert tuple(table.columns) == TRUTH_COLUMNS
    base = table[table.label >= 0]
    assert base.population.tolist() == list(POPULATIONS)
    assert base.label.tolist() == list(range(len(POPULATIONS)))
    labels = np.load(out / "truth" / "S001AC1D1.labels.npy")
    np.testing.assert_array_equal(labels, sim.labels)
    assert base.events.tolist() == np.bincount(labels, minlength=len(POPULATIONS)).tolist()
    leuk = table.set_index("population").fraction_of_leukocytes
    assert leuk[list(LEUKOCYTES)].sum() == pytest.approx(1.0, abs=1e-4)
    assert leuk[["debris", "doublet", "dead"]].isna().all()
    t_cells = sim.labels == POPULATIONS.index("t_cell")
    cd38 = table.set_index("population").loc["t_cell"]
    assert cd38.cd38_median_true == pytest.approx(np.median(sim.true_signal[t_cells, 4]), rel=1e-5)
    assert cd38.cd38_median_acquired == pytest.approx(np.median(sim.prespill[t_cells, 4]), rel=1e-3)


# --- FCS files -------------------------------------------------------------------------------


def test_fcs_round_trip_with_flowio(written):
    sim, out = written
    fd = flowio.FlowData(str(out / "fcs" / "S001AC1D1.fcs"))
    assert fd.version == "3.1" and fd.event_count == len(sim.events)
    assert fd.pnn_labels == list(CHANNELS)
    assert fd.pns_labels == [MARKERS.get(c, "") for c in CHANNELS]
    data = np.reshape(fd.events, (-1, len(CHANNELS)))
    np.testing.assert_array_equal(data.astype(np.float32), sim.events)
    text = fd.text
    assert text["datatype"] == "F" and text["timestep"] == "0.01"
    assert all(text[f"p{i}r"] == "262144" and text[f"p{i}e"] == "0,0" for i in range(1, 15))
    assert text["date"] == "14-JUL-2016" and text["cyt"] == "LSRFortessa (simulated)"
    assert text["btim"] < text["etim"] and text["fil"] == "S001AC1D1.fcs"
    # Every keyword the simulator meant to write is in the file with the same value.
    for key, value in sim.keywords.items():
        assert text[key.lstrip("$").lower()] == value, key
    parts = text["spillover"].split(",")
    n = int(parts[0])
    assert parts[1 : n + 1] == list(sim.spillover_channels)
    matrix = np.array(parts[n + 1 :], dtype=float).reshape(n, n)
    np.testing.assert_array_equal(matrix, sim.spillover)


def test_fcs_round_trip_with_flowkit(written):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import flowkit as fk

    sim, out = written
    sample = fk.Sample(out / "fcs" / "S001AC1D1.fcs")
    assert sample.pnn_labels == list(CHANNELS) and sample.event_count == len(sim.events)
    raw = sample.get_events(source="raw")
    np.testing.assert_array_equal(raw[:, :-1], sim.events[:, :-1].astype(np.float64))
    # FlowKit scales Time by $TIMESTEP.
    np.testing.assert_allclose(raw[:, -1], sim.events[:, -1] * 0.01, rtol=1e-6)
    sample.apply_compensation(sample.metadata["spillover"])
    assert list(sample.compensation.detectors) == list(sim.spillover_channels)
    np.testing.assert_array_equal(sample.compensation.matrix, sim.spillover)
    comp = sample.get_events(source="comp")[:, 5:13]
    np.testing.assert_allclose(comp, sim.prespill, rtol=1e-4, atol=0.05)


def test_written_files_are_deterministic(one_sample, written, tmp_path):
    sim, out = written
    again = tmp_path / "again"
    write_sample(simulate_sample(one_sample, SEED, 20_000), again / "S001AC1D1.fcs", again)
    for name, first in (
        ("S001AC1D1.fcs", out / "fcs" / "S001AC1D1.fcs"),
        ("S001AC1D1.labels.npy", out / "truth" / "S001AC1D1.labels.npy"),
        ("S001AC1D1.truth.tsv", out / "truth" / "S001AC1D1.truth.tsv"),
    ):
        assert (again / name).read_bytes() == first.read_bytes(), name
    other = tmp_path / "other"
    write_sample(simulate_sample(one_sample, SEED + 1, 20_000), other / "S001AC1D1.fcs", other)
    assert (other / "S001AC1D1.fcs").read_bytes() != (out / "fcs" / "S001AC1D1.fcs").read_bytes()


def test_fake_identity_in_fcs_but_not_in_truth(written, one_sample):
    sim, out = written
    src = sim.keywords["$SRC"]
    assert "^" in src and len(src.split()[-1]) == 10  # "SURNAME^GIVEN yyyy-mm-dd"
    assert src.encode() in (out / "fcs" / "S001AC1D1.fcs").read_bytes()
    for path in (out / "truth").iterdir():
        data = path.read_bytes()
        assert src.encode() not in data and src.split("^")[0].encode() not in data
    # Same patient, same fake identity; the sample ID appears only in $FIL.
    other = simulate_sample({**one_sample, "sample_id": "S001AC2D1", "timepoint": "C2D1"}, SEED, 10)
    assert other.keywords["$SRC"] == src
    assert [k for k, v in sim.keywords.items() if "S001AC1D1" in v] == ["$FIL"]


_HASH_SAMPLE = """
import hashlib, sys, tempfile
from cytotrial.simulate.flow.sample import simulate_sample
from cytotrial.simulate.trial import DEFAULT_SEED, plan_demo_samples
row = plan_demo_samples(DEFAULT_SEED, tempfile.mkdtemp()).to_dict("records")[0]
sample = simulate_sample(row, DEFAULT_SEED, 20000)  # the demo size: BLAS threads
print(hashlib.sha256(sample.events.tobytes() + sample.prespill.tobytes()).hexdigest())
"""


def test_same_seed_same_bytes_whatever_the_blas_thread_count():
    """Snakemake sets the BLAS thread count from a job's threads: `--cores 1` and
    `--cores 2` must still simulate the same bytes (a float32 matrix product through
    BLAS did not)."""
    import os
    import subprocess
    import sys

    digests = set()
    for threads in ("1", "2"):
        env = os.environ | {"OPENBLAS_NUM_THREADS": threads, "OMP_NUM_THREADS": threads}
        env["PYTHONPATH"] = str(REPO / "src")
        result = subprocess.run(
            [sys.executable, "-c", _HASH_SAMPLE], env=env, capture_output=True, text=True
        )
        assert result.returncode == 0, result.stderr
        digests.add(result.stdout.strip())
    assert len(digests) == 1, digests
