"""The default demo seed gives a cohort that shows every flow finding of the paper and
meets its Kaplan-Meier median CIs.

With 17 "no change" comparisons, about half of all seeds show at least one
significant difference by chance, and the survival calibration meets all 16 median CI
widths within 25% for about 1 seed in 25 (8 of the 202 seeds 2021-2222; each group's width
is steered, the pooled widths follow from the groups' and are narrower than the paper's in
most seeds). The
default seed is the first from 2021 up (`find_demo_seed`) that reproduces every finding
at the level of the simulator's truth, with margins for what gating adds, meets every
width, and plants every scenario (the four extra files need four patients without a part
A sample, which not every seed has). This test keeps it so.
"""

from __future__ import annotations

import pytest
import yaml
from helpers.paths import REPO

from cytotrial.simulate.clinical.trial import survival_width_misses
from cytotrial.simulate.flow.findings import matching_seed
from cytotrial.simulate.flow.scenarios import EXTRA_FILES
from cytotrial.simulate.trial import (
    DEFAULT_EVENTS_PER_FILE,
    DEFAULT_SEED,
    find_demo_seed,
    plan_demo_trial,
)


def test_config_and_code_agree_on_the_demo_defaults():
    demo = yaml.safe_load((REPO / "config" / "config.yaml").read_text())["demo"]
    assert demo == {"seed": DEFAULT_SEED, "events_per_file": DEFAULT_EVENTS_PER_FILE}
    schema = yaml.safe_load((REPO / "config" / "schemas" / "config.schema.yaml").read_text())
    defaults = schema["properties"]["demo"]["properties"]
    assert defaults["seed"]["default"] == DEFAULT_SEED
    assert defaults["events_per_file"]["default"] == DEFAULT_EVENTS_PER_FILE


def test_default_seed_reproduces_every_flow_finding():
    """With the planted scenarios (the T-cell collapse enters its pairs' counts)."""
    plan = plan_demo_trial(DEFAULT_SEED, "results/demo")
    assert (plan["scenario"] == "t_cell_collapse").sum() == 1
    planted = plan["scenario"].value_counts()
    assert all(planted.get(kind, 0) == EXTRA_FILES.count(kind) for kind in EXTRA_FILES), planted
    assert matching_seed(plan, DEFAULT_SEED, DEFAULT_EVENTS_PER_FILE, tries=1) == DEFAULT_SEED


def test_default_seed_meets_every_median_ci_width():
    assert survival_width_misses(DEFAULT_SEED) == []
    assert find_demo_seed(DEFAULT_SEED, tries=1) == DEFAULT_SEED


def test_a_seed_with_a_width_miss_is_not_a_demo_seed():
    # 2048, the default before the widths joined the rule: pooled OS-B and OS-AB narrow
    assert survival_width_misses(2048) == [("OS-B", "all"), ("OS-AB", "all")]
    with pytest.raises(RuntimeError, match="no seed"):
        find_demo_seed(2048, tries=1)


@pytest.mark.slow
def test_default_seed_is_the_first_from_2021():
    """~1 s per seed: the whole search behind DEFAULT_SEED."""
    assert find_demo_seed(2021) == DEFAULT_SEED
