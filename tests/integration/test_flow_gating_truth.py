"""Issue 15, item 7: every reported population of the hard demo samples is gated at
F1 >= 0.90 against the simulator's per-event truth, or carries a flag.

The hard samples are chosen from the simulator's own event probabilities (no gating
involved): the demo samples (its default seed, as config/config.yaml) with the fewest NK
cells (daratumumab depletes them), B cells, monocytes and lymphocytes, each simulated
at the demo's 20,000 events and at 5,000. A population's flags are its gate's and those
of every gate above it (lineage_flags, as populations.tsv reports them).
"""

from __future__ import annotations

import sys

import numpy as np
import pytest
from helpers.paths import REPO

sys.path.insert(0, str(REPO / "benchmarks"))

from bench_gating_truth import score_samples  # noqa: E402 (benchmarks/ on the path)

from cytotrial.flow.gating.template import read_gating_template
from cytotrial.io.panel import read_panel
from cytotrial.simulate.trial import DEFAULT_SEED

DEMO_SEED = DEFAULT_SEED
PER_CRITERION = 4  # samples taken per 'fewest cells of' criterion
CRITERIA = {  # fewest events of
    "nk": ("nk_cd56bright", "nk_cd56dim_cd16pos"),
    "activated_nk": ("nk_cd56dim_cd16pos",),
    "b": ("b_cell",),
    "monocyte": ("monocyte",),
    "lymphocyte": ("t_cell", "b_cell", "nk_cd56bright", "nk_cd56dim_cd16pos", "other_lymphocyte"),
}


def hard_samples(tmp_dir) -> list[dict]:
    from cytotrial.simulate.flow.populations import LABEL, event_probabilities
    from cytotrial.simulate.trial import plan_demo_samples

    plan = plan_demo_samples(DEMO_SEED, tmp_dir).to_dict("records")
    probabilities = [event_probabilities(s, DEMO_SEED) for s in plan]
    chosen: dict[str, dict] = {}
    for labels in CRITERIA.values():
        codes = [LABEL[label] for label in labels]
        share = [p[codes].sum() for p in probabilities]
        for index in np.argsort(share, kind="stable")[:PER_CRITERION]:
            chosen.setdefault(plan[index]["sample_id"], plan[index])
    return list(chosen.values())


def score(samples: list[dict], events: int) -> list[dict]:
    """F1 and lineage flags per sample and reported population (the benchmark's scorer)."""
    return score_samples(samples, DEMO_SEED, events)


@pytest.fixture(scope="module")
def samples(tmp_path_factory):
    return hard_samples(tmp_path_factory.mktemp("plan"))


@pytest.mark.parametrize("events", [20_000, 5_000])
def test_hard_demo_samples_are_gated_well_or_flagged(samples, events):
    rows = score(samples, events)
    unflagged = [r for r in rows if not r["flags"]]
    assert unflagged, "every population flagged: the test would prove nothing"
    wrong = [r for r in unflagged if r["f1"] < 0.90]
    worst = min(r["f1"] for r in unflagged)
    assert not wrong, f"unflagged populations below F1 0.90 (min {worst:.3f}): {wrong}"
    if events == 20_000:  # the demo's size: nothing should need a flag to be right
        assert min(r["f1"] for r in rows) >= 0.90, [r for r in rows if r["f1"] < 0.90]


# The whole plan of the demo's default seed and of 2122, the default until the survival
# recalibration (the seed the low-event flags, e.g. valley_near_negative's 30%, were
# studied on). At 5,000 events the plan of 2094, the default after it, once had an
# unflagged activated NK population at F1 0.77 (PT056_A_C1D1: a lone CD56 peak's mode on a
# chance clump of 103 events, so its spread looked 3x too tight and the cut ran through the
# population): now flagged lone_peak_cut_in_body.
# Seed 2048 (the default before the CI widths joined the seed rule) at 5,000 events: a
# CD19-dim NK smear below the B cells (valley: last) and a lone CD56-dim peak cut in its body.
# Seed 2022 at 5,000 events: a flat debris plateau made no FSC peak, so the debris cut
# removed the lymphocytes of PT012_A_C2D1 (T cells F1 0.03, unflagged before the
# events_below_first_peak flag).
WHOLE_PLAN_CASES = [
    (DEMO_SEED, 20_000),
    (DEMO_SEED, 5_000),
    (2048, 5_000),
    (2122, 20_000),
    (2122, 5_000),
    (2022, 5_000),
]


@pytest.mark.parametrize(("seed", "events"), WHOLE_PLAN_CASES)
def test_every_demo_population_the_statistics_use_is_gated_well(tmp_path, seed, events):
    """Item 7 over the whole demo plan: the minimum F1 over the populations the statistics
    use (no flag on their gate or a gate above; the sample and cohort QC can only leave
    more out) is >= 0.90, at the demo's 20,000 events per file and at 5,000."""
    from cytotrial.simulate.trial import plan_demo_samples

    plan = plan_demo_samples(seed, tmp_path).to_dict("records")
    rows = score_samples(plan, seed, events)
    used = [r for r in rows if not r["flags"]]
    # most populations stay in the statistics: the minimum is not taken over a few
    assert len(used) >= 0.5 * len(rows), f"{len(used)} of {len(rows)} populations used"
    worst = min(used, key=lambda r: r["f1"])
    assert worst["f1"] >= 0.90, [r for r in used if r["f1"] < 0.90]


def test_sample_record_holds_each_cut_with_its_confidence(samples, tmp_path):
    """The per-sample JSON record: every data-driven cut with depth, separation, shift
    and moved (or the lone peak's classification), and the flags inherited from above."""
    import json

    from cytotrial.flow.sample.analysis import analyse_sample
    from cytotrial.simulate.flow.sample import simulate_sample, write_sample

    panel = read_panel(REPO / "resources/panel.yaml")
    template = read_gating_template(
        REPO / "resources/gating/pbmc_cd38.yaml", [c.marker for c in panel.channels]
    )
    sample = samples[0]  # the fewest NK cells
    path = tmp_path / "sample.fcs"
    write_sample(simulate_sample(sample, DEMO_SEED, 20_000), path, tmp_path / "truth")
    result = analyse_sample(sample["sample_id"], path, panel, template, keep_plot_data=False)
    gates = json.loads(json.dumps(result.record(template)))["gates"]
    (cd3,) = gates["t_cells"]["cuts"]
    assert cd3["marker"] == "CD3" and cd3["method"] == "valley"
    assert {"depth", "separation", "shift", "moved", "replicates"} <= set(cd3)
    assert gates["b_cells"]["cuts"][0]["cut"] == cd3["cut"]  # one shared CD3 cut
    for name, gate in gates.items():
        above = gates.get(gate["parent"])
        if above is not None:
            assert set(above["flags"] + above["inherited_flags"]) <= set(
                gate["flags"] + gate["inherited_flags"]
            ), name
