"""Cut checks beyond a valley's depth (cytotrial.flow.gating.cut_checks): a deepest-valley
choice between two gaps that are equally deep, and a debris cut whose first peak is
cells, are flagged; stable cuts and a debris peak are not; `valley: last`."""

import numpy as np
import pytest

from cytotrial.flow.gating.engine import find_threshold
from cytotrial.flow.gating.template import ThresholdSpec

THREE_PEAKS = ThresholdSpec(marker="CD19", side="above")


@pytest.mark.parametrize("seed", range(6))
def test_two_equally_deep_gaps_are_flagged(seed):
    """Negatives and a dim population of the same size and spread below the bright
    positives: the gap below the dim peak and the one above it are equally deep, so
    which one is cut is chance, and the dim population with it."""
    rng = np.random.default_rng(seed)
    values = np.concatenate(
        [rng.normal(-0.1, 0.03, 300), rng.normal(0.27, 0.03, 300), rng.normal(0.61, 0.025, 1200)]
    )
    _, flags = find_threshold(values, THREE_PEAKS)
    assert any(f.startswith("competing_valley(CD19") for f in flags), flags


@pytest.mark.parametrize("seed", range(6))
def test_a_clearly_deepest_gap_among_three_peaks_is_not_flagged(seed):
    rng = np.random.default_rng(seed)
    values = np.concatenate(
        [rng.normal(-0.1, 0.03, 300), rng.normal(0.27, 0.03, 1000), rng.normal(0.61, 0.025, 1200)]
    )
    cut, flags = find_threshold(values, THREE_PEAKS)
    assert 0.35 < cut < 0.5 and not any("competing_valley" in f for f in flags), (cut, flags)


def test_valley_last_cuts_below_the_brightest_peak():
    """`valley: last`: the B cells are the brightest CD19 peak; the dim population below
    them stays out even where the gap below it is the deeper one."""
    rng = np.random.default_rng(3)
    values = np.concatenate(
        [rng.normal(-0.1, 0.03, 400), rng.normal(0.27, 0.03, 300), rng.normal(0.61, 0.025, 1200)]
    )
    last = ThresholdSpec(marker="CD19", side="above", valley="last")
    cut, flags = find_threshold(values, last)
    assert 0.4 < cut < 0.52, cut
    assert not any("competing_valley" in f for f in flags), flags


DEBRIS_TEMPLATE = (
    "gates:\n"
    "  - {name: non_debris, parent: root, threshold: {marker: FSC-A, side: above, valley: first}}\n"
    "  - {name: bright, parent: non_debris, threshold: {marker: CD38, side: above}}\n"
    "leukocyte_gate: non_debris\nmfi: {marker: CD38}\n"
)


def _scatter(seed: int, debris: str) -> dict:
    """5,000 events on FSC-A: lymphocytes (45%) and granulocytes (50%) with 5% debris,
    either a peak of its own (`peak`) or a flat plateau below the lymphocytes (`plateau`,
    the demo's PT012_A_C2D1 at 5,000 events of seed 2022)."""
    rng = np.random.default_rng(seed)
    low = rng.normal(0.06, 0.015, 250) if debris == "peak" else rng.uniform(0.0, 0.16, 250)
    fsc = np.concatenate([low, rng.normal(0.25, 0.03, 2250), rng.normal(0.42, 0.05, 2500)])
    return {"FSC-A": fsc, "CD38": rng.normal(0.5, 0.1, len(fsc))}


@pytest.mark.parametrize("seed", range(4))
def test_a_debris_cut_above_the_lymphocytes_is_flagged(tmp_path, seed):
    from cytotrial.flow.gating.engine import gate_events
    from cytotrial.flow.gating.template import read_gating_template

    path = tmp_path / "t.yaml"
    path.write_text(DEBRIS_TEMPLATE)
    template = read_gating_template(path, ["FSC-A", "CD38"])
    data = _scatter(seed, "plateau")
    gate = gate_events(data, template)["non_debris"]
    lymphocytes_kept = float(np.mean(gate.mask[250:2500]))
    flagged = any(f.startswith("events_below_first_peak(FSC-A") for f in gate.flags)
    # the cut keeps the lymphocytes, or it removed them and says so (never silently)
    assert lymphocytes_kept > 0.95 or flagged, (lymphocytes_kept, gate.flags)


@pytest.mark.parametrize("seed", range(4))
def test_a_debris_peak_below_the_cells_is_not_flagged(tmp_path, seed):
    from cytotrial.flow.gating.engine import gate_events
    from cytotrial.flow.gating.template import read_gating_template

    path = tmp_path / "t.yaml"
    path.write_text(DEBRIS_TEMPLATE)
    template = read_gating_template(path, ["FSC-A", "CD38"])
    gate = gate_events(_scatter(seed, "peak"), template)["non_debris"]
    assert float(np.mean(gate.mask[250:])) > 0.99
    assert not any("events_below_first_peak" in f for f in gate.flags), gate.flags


LONE_DIM = ThresholdSpec(marker="CD56", side="below", negative_below=0.65)


def _flat_topped_small(seed: int) -> np.ndarray:
    """~50 CD56-dim NK cells (the CD16+ events of the activated-NK quadrant), flat-topped,
    with a chance clump at the lower edge: the demo's PT040_A_C2D1 at 5,000 events of
    seed 2048, whose mode fell there and whose spread looked tight (F1 0.899 unflagged)."""
    rng = np.random.default_rng(seed)
    return np.concatenate([rng.uniform(0.50, 0.61, 40), rng.normal(0.515, 0.006, 10)])


@pytest.mark.parametrize("seed", range(8))
def test_a_lone_negative_cut_in_the_body_moves_out_to_the_gap(seed):
    """The population (below 0.65, the template's negative level) ends at 0.61: the cut
    keeps it whole instead of cutting mode + 4 spreads into it."""
    values = _flat_topped_small(seed)
    cut, _ = find_threshold(values, LONE_DIM)
    assert float(np.mean(values > cut)) <= 0.02, cut


def test_a_well_sampled_lone_peak_keeps_its_spread_cut():
    """A Gaussian peak's cut 4 spreads out is in its tail, not its body: not moved (here
    capped at the reference valley, as before)."""
    rng = np.random.default_rng(7)
    values = rng.normal(0.45, 0.03, 20_000)
    cut, flags = find_threshold(values, LONE_DIM)
    assert cut == pytest.approx(0.45 + 4 * 0.03, abs=0.02) and flags == []
