"""QC flags: each check fires on the defect it is for and stays quiet on clean data."""

from __future__ import annotations

import numpy as np
import pytest

from cytotrial.errors import InputError
from cytotrial.flow.prepare.qc import QCSettings, run_qc

CHANNELS = ["FSC-A", "APC-A", "Time"]
RANGES = [262144, 262144, 262144]


def clean_events(n: int = 20_000, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    time = np.sort(rng.uniform(0, 1000, n))  # steady flow: uniform arrival times
    return np.column_stack([rng.uniform(1e4, 2e5, n), rng.lognormal(6, 1, n), time]).astype(
        np.float32
    )


def test_clean_sample_has_no_flags():
    result = run_qc(clean_events(), CHANNELS, RANGES, "Time")
    assert result.flags == ()
    assert result.unstable_fraction is not None and result.unstable_fraction < 0.01


def test_clog_is_flagged_as_unstable_flow():
    events = clean_events()
    time = events[:, 2]
    # a clog: no events between t=400 and t=500, then a burst at t=500-510
    clogged = (time > 400) & (time < 500)
    time[clogged] = np.random.default_rng(1).uniform(500, 510, clogged.sum())
    result = run_qc(events, CHANNELS, RANGES, "Time")
    assert any(flag.startswith("unstable_flow_rate") for flag in result.flags)


def test_saturation_low_count_and_nonfinite_are_flagged():
    events = clean_events(500)
    events[:100, 0] = 262143  # 20% of events at the top of FSC-A
    events[0, 1] = np.nan
    result = run_qc(events, CHANNELS, RANGES, "Time", QCSettings(min_events=1000))
    flags = ";".join(result.flags)
    assert "low_event_count(500<1000)" in flags
    assert "saturation(" in flags
    assert "nonfinite_values(1 events)" in flags


def test_no_time_channel_means_no_flow_rate_metric():
    result = run_qc(clean_events()[:, :2], CHANNELS[:2], RANGES[:2], None)
    assert result.unstable_fraction is None
    assert result.as_row()["unstable_time_fraction"] is None


def test_qc_settings_from_the_config_section():
    # the per-sample, pool and control jobs build their thresholds the same way: the
    # config's values where given, the schema's defaults otherwise; a key the schema does
    # not know is named, not ignored (the workflow's validation says so too)
    settings = QCSettings.from_config({"min_events": 250})
    assert settings.min_events == 250
    assert settings.max_saturated_fraction == QCSettings().max_saturated_fraction
    assert QCSettings.from_config({}) == QCSettings()
    with pytest.raises(InputError, match=r"config flow.qc: unknown key\(s\) \['cohort'\]"):
        QCSettings.from_config({"min_events": 250, "cohort": "typo"})
