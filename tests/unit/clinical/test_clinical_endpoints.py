"""PFS/OS times and events from dates and the cut-off (cytotrial.clinical.survival.endpoints)."""

from __future__ import annotations

import pandas as pd
import pytest

from cytotrial.clinical.survival.endpoints import (
    DAYS_PER_MONTH,
    derive_endpoints,
    from_slug,
    slug,
)
from cytotrial.errors import InputError

CUTOFF = pd.Timestamp("2020-10-01")
COLUMNS = [
    "patient_id",
    "part_a_start",
    "part_a_progression",
    "part_b_registration",
    "part_b_progression",
    "part_b_end_of_treatment",
    "part_b_end_reason",
    "death",
    "last_followup",
]


def dates(*rows: dict) -> pd.DataFrame:
    table = pd.DataFrame([{c: row.get(c) for c in COLUMNS} for row in rows])
    for column in COLUMNS:
        if column not in ("patient_id", "part_b_end_reason"):
            table[column] = pd.to_datetime(table[column])
    return table


def one(table: pd.DataFrame, pid: str, endpoint: str) -> pd.Series:
    return table[(table.patient_id == pid) & (table.endpoint == endpoint)].iloc[0]


def test_progression_then_death_pfs_takes_the_first_os_the_death():
    d = dates(
        {
            "patient_id": "P1",
            "part_a_start": "2017-01-01",
            "part_a_progression": "2017-02-01",
            "part_b_registration": "2017-03-01",
            "part_b_progression": "2017-06-01",
            "death": "2018-01-01",
            "last_followup": "2018-01-01",
        }
    )
    e = derive_endpoints(d, CUTOFF)
    pfs_b = one(e, "P1", "PFS-B")
    assert pfs_b.event == 1 and pfs_b.status == "progression"
    assert pfs_b.months == pytest.approx(
        (pd.Timestamp("2017-06-01") - pd.Timestamp("2017-03-01")).days / DAYS_PER_MONTH
    )
    # PFS-AB: the part A progression led to part B; it is not the PFS-AB event.
    pfs_ab = one(e, "P1", "PFS-AB")
    assert pfs_ab.end == pd.Timestamp("2017-06-01") and pfs_ab.event == 1
    assert one(e, "P1", "OS-B").status == "death"
    assert one(e, "P1", "OS-AB").months == pytest.approx(365 / DAYS_PER_MONTH)


def test_death_without_progression_is_a_pfs_event():
    d = dates(
        {
            "patient_id": "P1",
            "part_a_start": "2017-01-01",
            "part_b_registration": "2017-03-01",
            "death": "2017-05-01",
            "last_followup": "2017-05-01",
        }
    )
    row = one(derive_endpoints(d, CUTOFF), "P1", "PFS-B")
    assert (row.event, row.status, row.end) == (1, "death", pd.Timestamp("2017-05-01"))


def test_alive_without_progression_is_censored_at_last_followup():
    d = dates(
        {
            "patient_id": "P1",
            "part_a_start": "2017-01-01",
            "part_b_registration": "2017-03-01",
            "last_followup": "2019-03-01",
        }
    )
    e = derive_endpoints(d, CUTOFF)
    for endpoint in ("PFS-B", "OS-B", "PFS-AB", "OS-AB"):
        row = one(e, "P1", endpoint)
        assert row.event == 0 and row.end == pd.Timestamp("2019-03-01")
        assert row.status == "censored at last follow-up"


def test_nothing_after_the_cutoff_counts():
    d = dates(
        {
            "patient_id": "P1",
            "part_a_start": "2020-01-01",
            "part_b_registration": "2020-05-01",
            "part_b_progression": "2020-11-01",
            "death": "2021-02-01",
            "last_followup": "2021-02-01",
        }
    )
    e = derive_endpoints(d, CUTOFF)
    for endpoint in ("PFS-B", "OS-B"):
        row = one(e, "P1", endpoint)
        assert row.event == 0 and row.end == CUTOFF and row.status == "censored at cut-off"
    # a progression before the cut-off with a death after it: PFS event, OS censored
    d2 = dates(
        {
            "patient_id": "P2",
            "part_a_start": "2020-01-01",
            "part_b_registration": "2020-05-01",
            "part_b_progression": "2020-09-01",
            "death": "2020-12-01",
            "last_followup": "2020-12-01",
        }
    )
    e2 = derive_endpoints(d2, CUTOFF)
    assert one(e2, "P2", "PFS-B").event == 1
    assert one(e2, "P2", "OS-B").event == 0 and one(e2, "P2", "OS-B").end == CUTOFF


def test_event_exactly_on_the_cutoff_counts():
    d = dates(
        {
            "patient_id": "P1",
            "part_a_start": "2020-01-01",
            "part_b_registration": "2020-05-01",
            "death": "2020-10-01",
            "last_followup": "2020-10-01",
        }
    )
    assert one(derive_endpoints(d, CUTOFF), "P1", "OS-B").event == 1


def test_patients_not_in_part_b_or_registered_after_cutoff_have_no_b_endpoints():
    d = dates(
        {"patient_id": "A_only", "part_a_start": "2017-01-01", "last_followup": "2019-01-01"},
        {
            "patient_id": "late",
            "part_a_start": "2020-01-01",
            "part_b_registration": "2020-11-01",
            "last_followup": "2020-12-01",
        },
    )
    e = derive_endpoints(d, CUTOFF)
    assert e.empty
    follow = derive_endpoints(d, CUTOFF, endpoints=["OS-A"])
    assert sorted(follow.patient_id) == ["A_only", "late"]  # OS-A: every enrolled patient


def test_patient_ids_select_and_order_and_unknown_id_is_an_error():
    d = dates(
        {
            "patient_id": "P1",
            "part_a_start": "2017-01-01",
            "part_b_registration": "2017-02-01",
            "last_followup": "2018-01-01",
        },
        {
            "patient_id": "P2",
            "part_a_start": "2017-01-01",
            "part_b_registration": "2017-02-01",
            "last_followup": "2018-01-01",
        },
    )
    e = derive_endpoints(d, CUTOFF, ["P2"], endpoints=["OS-B"])
    assert list(e.patient_id) == ["P2"]
    with pytest.raises(InputError, match="no row for patient"):
        derive_endpoints(d, CUTOFF, ["P9"])


def test_dates_before_the_origin_name_the_patient():
    bad_event = dates(
        {
            "patient_id": "P7",
            "part_a_start": "2017-01-01",
            "part_b_registration": "2017-03-01",
            "death": "2017-02-01",
            "last_followup": "2017-02-01",
        }
    )
    with pytest.raises(InputError, match="P7.*death"):
        derive_endpoints(bad_event, CUTOFF)
    bad_followup = dates(
        {
            "patient_id": "P8",
            "part_a_start": "2017-01-01",
            "part_b_registration": "2017-03-01",
            "last_followup": "2017-02-01",
        }
    )
    with pytest.raises(InputError, match="P8.*last_followup"):
        derive_endpoints(bad_followup, CUTOFF)


def test_slugs_round_trip():
    for endpoint in ("PFS-B", "OS-B", "PFS-AB", "OS-AB", "OS-A"):
        assert from_slug(slug(endpoint)) == endpoint
    with pytest.raises(InputError):
        from_slug("dfs")
