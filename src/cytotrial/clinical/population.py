"""Analysis populations: part A (everyone enrolled), part B at the RP2D, response groups."""

from __future__ import annotations

import pandas as pd

from cytotrial.clinical.settings import ClinicalSettings

__all__ = [
    "NOT_GROUPED",
    "rp2d_patients",
    "best_response",
    "response_groups",
]

NOT_GROUPED = "not grouped"


def rp2d_patients(patients: pd.DataFrame, rp2d_mg_m2: float) -> list[str]:
    """Part B patients treated at the RP2D (phase 1 at that dose + phase 2), in file order."""
    in_b = patients["part_b_cohort"] != "none"
    at_dose = patients["atra_dose_mg_m2"] == rp2d_mg_m2
    return patients.loc[in_b & at_dose, "patient_id"].tolist()


def best_response(responses: pd.DataFrame, part: str, patient_ids: list[str]) -> pd.Series:
    """Best response per patient of one part; a patient without a row is NE (not assessed)."""
    rows = responses[responses["part"] == part].set_index("patient_id")["best_response"]
    return rows.reindex(patient_ids).fillna("NE").rename("best_response")


def response_groups(
    responses: pd.DataFrame, patient_ids: list[str], settings: ClinicalSettings
) -> pd.Series:
    """Part A best-response group per patient (config ``response_groups``).

    A response listed in no group (e.g. NE when the NE group is removed from the config) gives
    ``NOT_GROUPED``: such patients count in the overall curves but in no subgroup.
    """
    part_a = best_response(responses, "A", patient_ids)
    return part_a.map(settings.group_of_response).fillna(NOT_GROUPED).rename("group")
