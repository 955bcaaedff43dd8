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

from cytotrial.clinical.figures.patient_flow import consort_boxes, draw_flow_diagram
from cytotrial.clinical.imwg.concordance import concordance, concordance_summary, effective_tables
from cytotrial.clinical.imwg.engine import derive_responses
from cytotrial.clinical.population import response_groups, rp2d_patients
from cytotrial.clinical.response.rates import (
    evaluate_primary_endpoint,
    populations,
    primary_endpoint_table,
    response_categories,
    response_rates,
)
from cytotrial.clinical.settings import ClinicalSettings
from cytotrial.clinical.survival.analysis import endpoint_table, survival_tables
from cytotrial.clinical.survival.endpoints import from_slug
from cytotrial.clinical.tables import adverse_events as ae_mod
from cytotrial.clinical.tables import subsequent_therapy as st_mod
from cytotrial.clinical.tables.baseline import baseline_table
from cytotrial.clinical.tables.dose_escalation import dose_escalation_table, mtd_text
from cytotrial.clinical.tables.subsequent_outcome import subsequent_outcome_table
from cytotrial.io.atomic import atomic_path
from cytotrial.io.inputs import CLINICAL_TABLES, read_clinical_files
from cytotrial.io.lab_values import empty_lab_values, labs_up_to, read_lab_values
from cytotrial.io.results import read_tsv, save_figure, write_tsv

__all__ = [
    "AE_PART_LABELS",
    "patient_flow_job",
    "endpoints_job",
    "response_job",
    "survival_job",
    "km_figure_job",
    "baseline_table_job",
    "adverse_events_job",
    "subsequent_therapy_job",
    "dose_escalation_job",
    "imwg_job",
    "swimmer_job",
]

log = logging.getLogger(__name__)
_Paths = Mapping[str, str | Path]
_STRATA = ("all", "by_response")
AE_PART_LABELS = {"A": "Part A", "B": "Part B at RP2D"}


def _read(table_paths: _Paths) -> dict[str, pd.DataFrame]:
    return read_clinical_files({name: table_paths[name] for name in CLINICAL_TABLES})


def _settings(clinical: Mapping | None, cutoff_date: str) -> ClinicalSettings:
    return ClinicalSettings.from_config(clinical, cutoff_date)


def _read_endpoints(path: str | Path) -> pd.DataFrame:
    """endpoints.tsv back with its types (IDs and group labels as text, dates parsed)."""
    table = read_tsv(path, ["part_a_response"])
    for column in ("origin", "end"):
        table[column] = pd.to_datetime(table[column], format="%Y-%m-%d")
    return table


def patient_flow_job(
    table_paths: _Paths, clinical: Mapping, cutoff_date: str, out: _Paths
) -> pd.DataFrame:
    """patient_flow.tsv (CONSORT boxes, checked) and the diagram (out: table, png, svg)."""
    s = _settings(clinical, cutoff_date)
    tables = _read(table_paths)
    boxes = consort_boxes(tables["patients"], tables["dates"], s.rp2d_atra_mg_m2, s.cutoff)
    write_tsv(boxes, out["table"])
    save_figure(draw_flow_diagram(boxes, s.rp2d_atra_mg_m2), out["png"], out["svg"], tight=True)
    log.info("patient flow: %d boxes, all sums checked", len(boxes))
    return boxes


def endpoints_job(table_paths: _Paths, clinical: Mapping, cutoff_date: str, out_tsv: str) -> None:
    """endpoints.tsv: per-patient times and events (RP2D endpoints, OS-A for everyone)."""
    s = _settings(clinical, cutoff_date)
    table = endpoint_table(_read(table_paths), s)
    write_tsv(table, out_tsv)
    counts = table.groupby("endpoint")["event"].agg(["size", "sum"])
    for endpoint, row in counts.iterrows():
        log.info("%s: %d patients, %d events", endpoint, row["size"], row["sum"])


def response_job(table_paths: _Paths, clinical: Mapping, cutoff_date: str, out: _Paths) -> None:
    """Response categories, rates, primary endpoint and the bar chart.

    out: categories, rates, primary_endpoint, png, svg.
    """
    from cytotrial.clinical.figures.response import response_bar_chart

    s = _settings(clinical, cutoff_date)
    tables = _read(table_paths)
    pops = populations(tables["patients"], tables["responses"], s)
    categories, rates = response_categories(pops), response_rates(pops)
    primary = evaluate_primary_endpoint(pops, s)
    write_tsv(categories, out["categories"])
    write_tsv(rates, out["rates"])
    write_tsv(primary_endpoint_table(primary), out["primary_endpoint"])
    save_figure(response_bar_chart(categories, rates), out["png"], out["svg"], tight=True)
    log.info("primary endpoint: %s", primary.result.verdict)


def survival_job(endpoints_tsv: str, clinical: Mapping, cutoff_date: str, out: _Paths) -> None:
    """Medians (all CI methods), log-rank, hazard ratios, S(t), follow-up.

    out: medians, logrank, hazard_ratios, at_times, followup; forest_png, forest_svg (the
    hazard ratios as a forest plot).
    """
    from cytotrial.clinical.figures.forest import forest_figure

    s = _settings(clinical, cutoff_date)
    result = survival_tables(_read_endpoints(endpoints_tsv), s)
    for key in ("medians", "logrank", "hazard_ratios", "at_times", "followup"):
        write_tsv(getattr(result, key), out[key])
    save_figure(
        forest_figure(result.hazard_ratios), out["forest_png"], out["forest_svg"], tight=True
    )
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
    from cytotrial.clinical.figures.km import km_figure

    if stratum not in _STRATA:
        raise ValueError(f"stratum must be one of {_STRATA}, got {stratum!r}")
    s = _settings(clinical, cutoff_date)
    endpoint = from_slug(endpoint_slug)
    fig = km_figure(_read_endpoints(endpoints_tsv), endpoint, stratum == "by_response", s)
    save_figure(fig, png, svg, tight=True)


def baseline_table_job(
    table_paths: _Paths, clinical: Mapping, cutoff_date: str, out_tsv: str
) -> None:
    """Table 1 (text cells, the paper's rows; a column for the RP2D population)."""
    s = _settings(clinical, cutoff_date)
    tables = _read(table_paths)
    write_tsv(baseline_table(tables["patients"], tables["baseline"], s.rp2d_atra_mg_m2), out_tsv)


def adverse_events_job(
    table_paths: _Paths, layout_path: str, clinical: Mapping, cutoff_date: str, out: _Paths
) -> None:
    """Table 2, its footnotes and the terms it has no row for (out: table, footnotes,
    unmapped)."""
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
    write_tsv(counted.unmapped_terms, out["unmapped"])  # the report lists them
    unmapped = counted.unmapped_terms
    log.info("%d episode(s) of %d term(s) not in Table 2", unmapped.episodes.sum(), len(unmapped))


def subsequent_therapy_job(
    table_paths: _Paths,
    clinical: Mapping,
    cutoff_date: str,
    out_tsv: str,
    outcome_tsv: str | None = None,
) -> None:
    """Table 3: first subsequent therapy of the RP2D population (+ later lines); with
    `outcome_tsv`, the first subsequent line's ORR and PFS as well."""
    s = _settings(clinical, cutoff_date)
    tables = _read(table_paths)
    ids = rp2d_patients(tables["patients"], s.rp2d_atra_mg_m2)
    result = st_mod.subsequent_therapy(
        tables["subsequent_therapies"], tables["dates"], ids, s.cutoff
    )
    write_tsv(st_mod.display_table(result), out_tsv)
    log.info("%s", st_mod.summary_sentence(result))
    if outcome_tsv is not None:
        outcome = subsequent_outcome_table(
            tables["subsequent_therapies"], tables["dates"], ids, s.cutoff, s.median_ci
        )
        write_tsv(outcome, outcome_tsv)
        log.info("subsequent line: %s", "; ".join(outcome["text"]))


def dose_escalation_job(
    table_paths: _Paths, clinical: Mapping, cutoff_date: str, out_tsv: str
) -> None:
    """The phase 1 (3+3) table of part B."""
    s = _settings(clinical, cutoff_date)
    tables = _read(table_paths)
    table = dose_escalation_table(tables["patients"], s.dose_levels_mg_m2, s.rp2d_atra_mg_m2)
    write_tsv(table, out_tsv)
    log.info("dose escalation: %s", mtd_text(table))


def imwg_job(
    table_paths: _Paths,
    lab_values: str | Path | None,
    clinical: Mapping,
    cutoff_date: str,
    out: _Paths,
) -> None:
    """IMWG responses from lab values: assessments, best responses, concordance with the
    reported values, the waterfall plot and the effective responses/dates.

    out: assessments, best, concordance, concordance_summary, png, svg, and optionally
    effective_responses, effective_dates (CSV, same columns as responses.csv/dates.csv).
    Lab rows dated after the cut-off are ignored. Without lab values every table is empty
    (headers only) and the effective tables are the reported ones.
    """
    from cytotrial.clinical.figures.waterfall import waterfall_figure

    s = _settings(clinical, cutoff_date)
    tables = _read(table_paths)
    ids = set(tables["patients"]["patient_id"])
    labs = read_lab_values(lab_values, patient_ids=ids) if lab_values else empty_lab_values()
    kept = labs_up_to(labs, s.cutoff)  # nothing after the data cut-off counts
    if len(kept) < len(labs):
        log.info("lab values: %d row(s) after the cut-off ignored", len(labs) - len(kept))
    labs = kept
    result = derive_responses(
        tables["patients"], tables["dates"], tables["subsequent_therapies"], labs, s.imwg
    )
    agreement = concordance(tables["responses"], tables["dates"], tables["patients"], result.best)
    summary = concordance_summary(agreement)
    write_tsv(_dates_as_text(result.assessments), out["assessments"])
    write_tsv(_dates_as_text(result.best), out["best"])
    write_tsv(agreement, out["concordance"])
    write_tsv(summary, out["concordance_summary"])
    figure = waterfall_figure(
        result.best,
        rp2d_patients(tables["patients"], s.rp2d_atra_mg_m2),
        dose=f"{s.rp2d_atra_mg_m2:g} mg/m\u00b2",
        flc_minimal_response=s.imwg.flc_minimal_response,
    )
    save_figure(figure, out["png"], out["svg"], tight=True)
    if "effective_responses" in out:
        responses, dates = effective_tables(tables["responses"], tables["dates"], result.best)
        _write_csv(responses, out["effective_responses"])
        _write_csv(dates, out["effective_dates"])
    log.info(
        "IMWG engine: %d assessments, %d patient-parts; %d of %d comparisons agree",
        len(result.assessments), len(result.best), int(agreement["agree"].sum()), len(agreement),
    )  # fmt: skip


def _dates_as_text(table: pd.DataFrame) -> pd.DataFrame:
    table = table.copy()
    for column in ("date", "response_date", "progression_date", "eligible_from"):
        if column in table:
            table[column] = [
                "" if pd.isna(v) else pd.Timestamp(v).strftime("%Y-%m-%d") for v in table[column]
            ]
    return table


def _write_csv(table: pd.DataFrame, path: str | Path) -> None:
    """An input-style CSV (comma-separated, YYYY-MM-DD, empty = missing), written atomically."""
    with atomic_path(path) as tmp:
        table.to_csv(tmp, index=False, lineterminator="\n", date_format="%Y-%m-%d")


def swimmer_job(
    table_paths: _Paths,
    clinical: Mapping,
    cutoff_date: str,
    png: str,
    svg: str,
    imwg_best: str | Path | None = None,
) -> None:
    """Swimmer plot of the RP2D population, by part A best response; `imwg_best` (the
    IMWG engine's best responses, with response_date) gives the response-onset markers."""
    from cytotrial.clinical.figures.response import swimmer_plot

    s = _settings(clinical, cutoff_date)
    tables = _read(table_paths)
    ids = rp2d_patients(tables["patients"], s.rp2d_atra_mg_m2)
    onsets = read_tsv(imwg_best) if imwg_best is not None else None
    if onsets is not None and onsets.empty:
        onsets = None  # no lab values: the figure says the onset is not available
    figure = swimmer_plot(
        tables["dates"],
        tables["responses"],
        ids,
        s.cutoff,
        groups=response_groups(tables["responses"], ids, s),
        group_labels=s.group_labels,
        onsets=onsets,
    )
    save_figure(figure, png, svg, tight=True)
