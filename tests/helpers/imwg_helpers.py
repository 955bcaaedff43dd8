"""Hand-built lab series for the IMWG engine tests (days after the part's first dose)."""

from __future__ import annotations

import pandas as pd

from cytotrial.clinical.imwg.assessment import Assessment
from cytotrial.clinical.imwg.confirmation import PartResult, best_overall_response
from cytotrial.clinical.imwg.engine import PartWindow, assess_part
from cytotrial.clinical.imwg.settings import ImwgSettings
from cytotrial.io.lab_values import LAB_COLUMNS

START = pd.Timestamp("2020-01-06")
IMWG = ImwgSettings(serum_measurable_min_g_l=10)  # IMWG's own threshold unless a test says
TRIAL = ImwgSettings()  # this trial: 5 g/L

SHORT = {
    "s": "serum_m_protein_g_l",
    "u": "urine_m_protein_mg_24h",
    "k": "serum_kappa_mg_l",
    "l": "serum_lambda_mg_l",
    "bm": "bm_plasma_cells_pct",
    "clonal": "bm_clonal",
    "spd": "plasmacytoma_spd_cm2",
    "sife": "serum_ife",
    "uife": "urine_ife",
    "dira": "dira",
    "lesion": "new_lesion",
}


def day(n: int) -> pd.Timestamp:
    return START + pd.Timedelta(days=n)


def labs(*visits: tuple[int, dict]) -> pd.DataFrame:
    """Rows from (day, {short name: value}); unnamed columns are empty."""
    rows = []
    for offset, values in visits:
        row = dict.fromkeys(LAB_COLUMNS)
        row.update({"patient_id": "P1", "date": day(offset)})
        row.update({SHORT[k]: v for k, v in values.items()})
        rows.append(row)
    table = pd.DataFrame(rows, columns=list(LAB_COLUMNS))
    for column in list(SHORT.values())[:7]:
        if column not in ("bm_clonal",):
            table[column] = pd.to_numeric(table[column])
    for column in ("serum_ife", "urine_ife", "dira", "bm_clonal", "new_lesion"):
        table[column] = table[column].astype(object).where(table[column].notna(), None)
    return table


def serum(*values: float, every: int = 28, **extra) -> pd.DataFrame:
    """Serum M-protein at baseline (day 0) then every `every` days; urine 0 throughout."""
    return labs(*[(i * every, {"s": v, "u": 0, **extra}) for i, v in enumerate(values)])


def categories(
    table: pd.DataFrame, s: ImwgSettings = IMWG, igg_kappa: bool = False
) -> list[Assessment]:
    assessments, _ = assess_part(table, PartWindow("A", START, None), s, igg_kappa)
    return assessments


def cats(table: pd.DataFrame, s: ImwgSettings = IMWG, igg_kappa: bool = False) -> list[str]:
    return [a.category for a in categories(table, s, igg_kappa)]


def bor(
    table: pd.DataFrame, s: ImwgSettings = IMWG, death: pd.Timestamp | None = None
) -> PartResult:
    return best_overall_response(categories(table, s), death, s)
