"""Survival test data shared by the statistics tests.

Freireich et al. 1963 (the gehan data): remission times in weeks, event 1 = relapse;
and the R survival 3.5 reference values in tests/data/r-reference.
"""

from __future__ import annotations

import json

import pandas as pd

from helpers.paths import R_REFERENCE

MP6_TIME = [6, 6, 6, 6, 7, 9, 10, 10, 11, 13, 16, 17, 19, 20, 22, 23, 25, 32, 32, 34, 35]
MP6_EVENT = [1, 1, 1, 0, 1, 0, 1, 0, 0, 1, 1, 0, 0, 0, 1, 1, 0, 0, 0, 0, 0]
PLACEBO_TIME = [1, 1, 2, 2, 3, 4, 4, 5, 5, 8, 8, 8, 8, 11, 11, 12, 12, 15, 17, 22, 23]
PLACEBO_EVENT = [1] * 21
FREIREICH_TIME = MP6_TIME + PLACEBO_TIME
FREIREICH_EVENT = MP6_EVENT + PLACEBO_EVENT
FREIREICH_GROUP = ["6-MP"] * 21 + ["placebo"] * 21


def reference(name: str):
    """The R JSON for a data set, its data, and (time, event) arrays."""
    ref = json.loads((R_REFERENCE / f"{name}.json").read_text())
    data = pd.read_csv(R_REFERENCE / ref["data_file"])
    event_value = 2 if name == "lung" else 1  # lung: status 1 = censored, 2 = dead
    time = data[ref["time_column"]].to_numpy(float)
    event = (data[ref["status_column"]] == event_value).to_numpy()
    return ref, data, time, event
