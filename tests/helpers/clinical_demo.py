"""The demo's clinical results, made by the jobs as the workflow makes them."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
import yaml

from cytotrial.clinical import job
from cytotrial.io.inputs import CLINICAL_TABLES
from cytotrial.simulate.clinical.trial import simulate_clinical
from helpers.paths import REPO
from helpers.result_paths import CLINICAL_REPORT_PATHS as REPORT_INPUTS

CONFIG = yaml.safe_load((REPO / "config" / "config.yaml").read_text())
SEED = CONFIG["demo"]["seed"]
CLINICAL = CONFIG["clinical"]
CUTOFF = CONFIG["cutoff_date"]


def read_result_table(path: Path) -> pd.DataFrame:
    """A result TSV as the report reads it: IDs and group labels as text."""
    return pd.read_csv(
        path,
        sep="\t",
        keep_default_na=False,
        na_values=[""],
        dtype={"patient_id": str, "group": str},
    )


@pytest.fixture(scope="module")
def clinical_demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo's clinical results, made by the jobs as the workflow makes them."""
    root = tmp_path_factory.mktemp("clinical_demo")
    simulate_clinical(SEED).write(root / "clinical")
    tables = {name: root / "clinical" / f"{name}.csv" for name in CLINICAL_TABLES}
    out = {key: root / path for key, path in REPORT_INPUTS.items()}
    res = root / "results" / "clinical"
    fig = res / "figures"
    # as the workflow: the IMWG engine first, then every analysis on its effective tables
    (res / "effective").mkdir(parents=True)
    job.imwg_job(
        tables,
        root / "clinical" / "lab_values.csv",
        CLINICAL,
        CUTOFF,
        {
            "assessments": out["clinical_imwg_assessments"],
            "best": out["clinical_imwg_best"],
            "concordance": out["clinical_imwg_concordance"],
            "concordance_summary": out["clinical_imwg_concordance_summary"],
            "png": out["clinical_waterfall_png"],
            "svg": fig / "waterfall.svg",
            "effective_responses": res / "effective" / "responses.csv",
            "effective_dates": res / "effective" / "dates.csv",
        },
    )
    tables |= {name: res / "effective" / f"{name}.csv" for name in ("responses", "dates")}
    job.patient_flow_job(
        tables,
        CLINICAL,
        CUTOFF,
        {
            "table": out["clinical_patient_flow"],
            "png": out["clinical_flow_png"],
            "svg": fig / "patient_flow.svg",
        },
    )
    job.endpoints_job(tables, CLINICAL, CUTOFF, res / "endpoints.tsv")
    job.response_job(
        tables,
        CLINICAL,
        CUTOFF,
        {
            "categories": out["clinical_response_categories"],
            "rates": out["clinical_response_rates"],
            "primary_endpoint": out["clinical_primary_endpoint"],
            "png": out["clinical_response_png"],
            "svg": fig / "response.svg",
        },
    )
    job.survival_job(
        res / "endpoints.tsv",
        CLINICAL,
        CUTOFF,
        {
            key: out[f"clinical_survival_{key}"]
            for key in ("medians", "logrank", "hazard_ratios", "at_times", "followup")
        }
        | {"forest_png": out["clinical_forest_png"], "forest_svg": fig / "cox_forest.svg"},
    )
    for endpoint in ("pfs_b", "os_b", "pfs_ab", "os_ab"):
        for stratum in ("all", "by_response"):
            png = out[f"clinical_km_{endpoint}_{stratum}"]
            job.km_figure_job(
                res / "endpoints.tsv",
                CLINICAL,
                CUTOFF,
                endpoint,
                stratum,
                png,
                png.with_suffix(".svg"),
            )
    job.swimmer_job(
        tables,
        CLINICAL,
        CUTOFF,
        out["clinical_swimmer_png"],
        fig / "swimmer_part_b.svg",
        imwg_best=out["clinical_imwg_best"],
    )
    job.baseline_table_job(tables, CLINICAL, CUTOFF, out["clinical_table1"])
    job.adverse_events_job(
        tables,
        REPO / CLINICAL["ae_table_rows"],
        CLINICAL,
        CUTOFF,
        {
            "table": out["clinical_table2"],
            "footnotes": out["clinical_table2_footnotes"],
            "unmapped": out["clinical_table2_unmapped"],
        },
    )
    job.subsequent_therapy_job(
        tables, CLINICAL, CUTOFF, out["clinical_table3"], out["clinical_subsequent_outcome"]
    )
    job.dose_escalation_job(tables, CLINICAL, CUTOFF, out["clinical_dose_escalation"])
    return root
