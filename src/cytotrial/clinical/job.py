"""The clinical jobs the Snakemake scripts call: read inputs, compute, write outputs.

Each job takes the clinical CSV paths (``{"patients": path, ...}``), the config's ``clinical``
mapping and ``cutoff_date``, and output paths, so a script only unpacks ``snakemake`` and calls
one function. Logged: counts only (never anything about a patient beyond the pseudonymous ID).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path

import pandas as pd

from cytotrial.clinical import adverse_events as ae_mod
from cytotrial.clinical import subsequent_therapy as st_mod
from cytotrial.clinical.baseline_table import baseline_table
from cytotrial.clinical.dose_escalation import dose_escalation_table, mtd_text
from cytotrial.clinical.endpoints import from_slug
from cytotrial.clinical.figures_common import save_figure
from cytotrial.clinical.flow_diagram import consort_boxes, draw_flow_diagram
from cytotrial.clinical.population import rp2d_patients
from cytotrial.clinical.response import (
    evaluate_primary_endpoint,
    populations,
    primary_endpoint_table,
    response_categories,
    response_rates,
)
from cytotrial.clinical.settings import ClinicalSettings
from cytotrial.clinical.survival import endpoint_table, survival_tables
from cytotrial.results import write_tsv
from cytotrial.tables import CLINICAL_TABLES, read_clinical_files

log = logging.getLogger(__name__)
Paths = Mapping[str, str | Path]
STRATA = ("all", "by_response")
AE_PART_LABELS = {"A": "Part A", "B": "Part B at RP2D"}


def _read(table_paths: Paths) -> dict[str, pd.DataFrame]:
    return read_clinical_files({name: table_paths[name] for name in CLINICAL_TABLES})


def _settings(clinical: Mapping | None, cutoff_date: str) -> ClinicalSettings:
    return ClinicalSettings.from_config(clinical, cutoff_date)


def read_endpoints(path: str | Path) -> pd.DataFrame:
    """endpoints.tsv back with its types (IDs and group labels as text, dates parsed)."""
    table = pd.read_csv(
        path,
        sep="\t",
        dtype={"patient_id": str, "group": str, "part_a_response": str},
        keep_default_na=False,
        na_values=[""],
    )
    for column in ("origin", "end"):
        table[column] = pd.to_datetime(table[column], format="%Y-%m-%d")
    return table


def patient_flow_job(
    table_paths: Paths, clinical: Mapping, cutoff_date: str, out: Paths
) -> pd.DataFrame:
    """patient_flow.tsv (CONSORT boxes, checked) and the diagram (out: table, png, svg)."""
    s = _settings(clinical, cutoff_date)
    tables = _read(table_paths)
    boxes = consort_boxes(tables["patients"], tables["dates"], s.rp2d_atra_mg_m2, s.cutoff)
    write_tsv(boxes, out["table"])
    save_figure(draw_flow_diagram(boxes, s.rp2d_atra_mg_m2), out["png"], out["svg"])
    log.info("patient flow: %d boxes, all sums checked", len(boxes))
    return boxes


def endpoints_job(table_paths: Paths, clinical: Mapping, cutoff_date: str, out_tsv: str) -> None:
    """endpoints.tsv: per-patient times and events (RP2D endpoints, OS-A for everyone)."""
    s = _settings(clinical, cutoff_date)
    table = endpoint_table(_read(table_paths), s)
    write_tsv(table, out_tsv)
    counts = table.groupby("endpoint")["event"].agg(["size", "sum"])
    for endpoint, row in counts.iterrows():
        log.info("%s: %d patients, %d events", endpoint, row["size"], row["sum"])


def response_job(table_paths: Paths, clinical: Mapping, cutoff_date: str, out: Paths) -> None:
    """Response categories, rates, primary endpoint and the bar chart.

    out: categories, rates, primary_endpoint, png, svg.
    """
    from cytotrial.clinical.figures_response import response_bar_chart

    s = _settings(clinical, cutoff_date)
    tables = _read(table_paths)
    pops = populations(tables["patients"], tables["responses"], s)
    categories, rates = response_categories(pops), response_rates(pops)
    primary = evaluate_primary_endpoint(pops, s)
    write_tsv(categories, out["categories"])
    write_tsv(rates, out["rates"])
    write_tsv(primary_endpoint_table(primary), out["primary_endpoint"])
    save_figure(response_bar_chart(categories, rates), out["png"], out["svg"])
    log.info("primary endpoint: %s", primary.result.verdict)


def survival_job(endpoints_tsv: str, clinical: Mapping, cutoff_date: str, out: Paths) -> None:
    """Medians (all CI methods), log-rank, hazard ratios, S(t), follow-up.

    out: medians, logrank, hazard_ratios, at_times, followup.
    """
    s = _settings(clinical, cutoff_date)
    result = survival_tables(read_endpoints(endpoints_tsv), s)
    for key in ("medians", "logrank", "hazard_ratios", "at_times", "followup"):
        write_tsv(getattr(result, key), out[key])
    log.info("survival: %d median rows, CI method %s", len(result.medians), s.median_ci)


def km_figure_job(
    endpoints_tsv: str,
    clinical: Mapping,
    cutoff_date: str,
    endpoint_slug: str,
    stratum: str,
    png: str,
    svg: str,
) -> None:
    """One Kaplan-Meier figure: ``stratum`` is "all" or "by_response"."""
    from cytotrial.clinical.figures_km import km_figure

    if stratum not in STRATA:
        raise ValueError(f"stratum must be one of {STRATA}, got {stratum!r}")
    s = _settings(clinical, cutoff_date)
    endpoint = from_slug(endpoint_slug)
    fig = km_figure(read_endpoints(endpoints_tsv), endpoint, stratum == "by_response", s)
    save_figure(fig, png, svg)


def baseline_table_job(table_paths: Paths, out_tsv: str) -> None:
    """Table 1 (text cells, the paper's rows)."""
    tables = _read(table_paths)
    write_tsv(baseline_table(tables["patients"], tables["baseline"]), out_tsv)


def adverse_events_job(
    table_paths: Paths, layout_path: str, clinical: Mapping, cutoff_date: str, out: Paths
) -> None:
    """Table 2 and its footnotes (out: table, footnotes)."""
    s = _settings(clinical, cutoff_date)
    tables = _read(table_paths)
    layout = ae_mod.read_layout(layout_path)
    pops = {
        "A": tables["patients"]["patient_id"].tolist(),
        "B": rp2d_patients(tables["patients"], s.rp2d_atra_mg_m2),
    }
    counted = ae_mod.adverse_event_table(
        tables["adverse_events"], tables["supportive_care"], pops, layout, s.cutoff
    )
    write_tsv(ae_mod.display_table(counted, AE_PART_LABELS), out["table"])
    write_tsv(ae_mod.footnote_table(counted, AE_PART_LABELS), out["footnotes"])
    if len(counted.unmapped_terms):
        log.info("terms not in Table 2: %s", ", ".join(sorted(set(counted.unmapped_terms.term))))


def subsequent_therapy_job(
    table_paths: Paths, clinical: Mapping, cutoff_date: str, out_tsv: str
) -> None:
    """Table 3: first subsequent therapy of the RP2D population (+ later lines)."""
    s = _settings(clinical, cutoff_date)
    tables = _read(table_paths)
    ids = rp2d_patients(tables["patients"], s.rp2d_atra_mg_m2)
    result = st_mod.subsequent_therapy(
        tables["subsequent_therapies"], tables["dates"], ids, s.cutoff
    )
    write_tsv(st_mod.display_table(result), out_tsv)
    log.info("%s", st_mod.summary_sentence(result))


def dose_escalation_job(
    table_paths: Paths, clinical: Mapping, cutoff_date: str, out_tsv: str
) -> None:
    """The phase 1 (3+3) table of part B."""
    s = _settings(clinical, cutoff_date)
    tables = _read(table_paths)
    table = dose_escalation_table(tables["patients"], s.dose_levels_mg_m2, s.rp2d_atra_mg_m2)
    write_tsv(table, out_tsv)
    log.info("dose escalation: %s", mtd_text(table))


def swimmer_job(
    table_paths: Paths, clinical: Mapping, cutoff_date: str, png: str, svg: str
) -> None:
    """Swimmer plot of the RP2D population."""
    from cytotrial.clinical.figures_response import swimmer_plot

    s = _settings(clinical, cutoff_date)
    tables = _read(table_paths)
    ids = rp2d_patients(tables["patients"], s.rp2d_atra_mg_m2)
    save_figure(swimmer_plot(tables["dates"], tables["responses"], ids, s.cutoff), png, svg)
