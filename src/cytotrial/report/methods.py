"""The report's Methods section, written from the configuration the run used.

Every sentence that states a setting (a threshold, a test, a CI method, a dose)
reads it from the config, panel or gating template, so the methods can never
drift from what was actually computed.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from cytotrial.clinical.settings import MEDIAN_CI_WORDS, ClinicalSettings
from cytotrial.flow.prepare.qc import QCSettings
from cytotrial.flow.settings import CohortQCSettings, Comparison
from cytotrial.report.labels import population_label
from cytotrial.report.model import ReportSection
from cytotrial.report.settings import RunSettings

__all__ = [
    "methods_section",
]


def _panel_paragraph(panel_path: str | Path) -> str:
    from cytotrial.io.panel import read_panel

    panel = read_panel(panel_path)
    fluorescence = [c for c in panel.channels if c.role == "fluorescence"]
    markers = ", ".join(f"{c.marker} ({c.channel})" for c in fluorescence)
    transforms = sorted({c.transform.get("type", "linear") for c in fluorescence})
    compensation = (
        f"the spillover matrix {panel.spillover_matrix.name} named in the panel"
        if panel.spillover_matrix
        else "each file's own $SPILLOVER/$SPILL keyword (a file without one or with an "
        "identity matrix is flagged; one in percent is divided by 100 and flagged)"
    )
    return (
        f"Panel ({Path(panel_path).name}, {panel.instrument}): {markers}. Each fluorescence "
        "channel's stain ($PnS) had to name the panel's marker (or an alias); a channel "
        "without one is flagged. Fluorescence was "
        f"compensated with {compensation}, applied over every channel the matrix names, and "
        f"displayed and gated on "
        f"{' / '.join(transforms)}-transformed values; scatter channels were scaled linearly."
    )


def _gating_paragraph(template_path: str | Path) -> str:
    from cytotrial.flow.gating.template import read_gating_template

    name = Path(template_path).name
    template = read_gating_template(template_path)
    # A subset by its name in words; its gate named only when the template calls it otherwise.
    subsets = ", ".join(
        population_label(subset) + ("" if gate == subset else f" (gate {gate})")
        for subset, gate in template.populations.items()
    )
    if template.strategy is not None:
        how = (
            f"Gating applied the fixed gates imported from {name} ({len(template.gates)} gates, "
            "with the transforms and compensation named there) to every sample."
        )
    else:
        how = (
            f"Gating followed the template {name} ({template.name}; {len(template.gates)} "
            "gates), placing each threshold in the sample's own density valley and flagging "
            "every gate that fell back to a default."
        )
    if template.leukocyte_gate is None:
        percentages = (
            "Percentages are of the parent gate (the template names no leukocyte gate, so "
            "there are no percentages of leukocytes and no absolute counts)."
        )
    else:
        leukocytes = "all events" if template.leukocyte_gate == "root" else template.leukocyte_gate
        percentages = (
            "Percentages are of the parent gate and of the leukocyte gate "
            f"({leukocytes}); absolute counts are the sample's leukocytes per uL (from the "
            "sample sheet) times the subset's fraction of leukocytes."
        )
    if template.mfi_marker is None:
        mfi = "The template names no MFI marker: no MFI was measured."
    else:
        mfi = (
            f"{template.mfi_marker} MFI is the median of the compensated, untransformed "
            f"{template.mfi_marker} values of a subset's events."
        )
    return (
        f"{how} Reported subsets: {subsets}. {percentages} {mfi} Each sample's final gates "
        "are exported as Gating-ML 2.0 ({sample}.gating.xml, written beside the sample's "
        "results)."
    )


def _qc_paragraph(qc: QCSettings) -> str:
    return (
        f"Sample QC flags (samples are flagged, not dropped): fewer than {qc.min_events} "
        f"events, more than {qc.max_saturated_fraction:.0%} of events saturated, or more "
        f"than {qc.max_unstable_fraction:.0%} of events in unstable acquisition time bins."
    )


def _cohort_qc_paragraph(s: CohortQCSettings) -> str:
    return (
        "Cohort QC: each data-driven cut was compared with the patient's, the batch's and the "
        "cohort's (the cohort's less its batch's shift, each batch's median cut with the other "
        "batches'), each % of parent (logit) with the batch's and the cohort's at the same part "
        f"and timepoint, by a robust z (1.4826 MAD; |z| > {s.z_limit} flagged; groups of "
        f"fewer than {s.min_group_size} samples not assessed; cut scale at least "
        f"{s.cut_floor_sd_neg} negative-peak SDs and the cut's own shift over resamples); "
        "a % of parent changing more than "
        f"{s.jump_fold}-fold and {s.jump_points} points between a patient's consecutive "
        "timepoints was flagged for review. Flagged populations are left out of the tests "
        "unless configured otherwise."
    )


def _comparisons_paragraph(comparisons: Sequence[Comparison]) -> str:
    pairs = "; ".join(f"part {c.part} {c.before} vs {c.after}" for c in comparisons)
    return (
        "Timepoints were compared per subset with the Wilcoxon matched-pairs signed-rank test, "
        "two-sided, on patients with both samples (zero differences dropped; exact P below 200 "
        f"pairs, ties included, as GraphPad Prism). Comparisons: {pairs}."
    )


def _numbers(values: Sequence[float]) -> str:
    """'15, 30 and 45': a configured list as prose (whole numbers without .0)."""
    words = [str(int(v)) if float(v).is_integer() else repr(v) for v in values]
    if not words:
        return "none"
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


def _clinical_paragraphs(clinical: ClinicalSettings, cutoff_date: str) -> list[str]:
    design = clinical.primary
    groups = ", ".join(clinical.group_labels)
    return [
        f"Data cut-off {cutoff_date}. Response by IMWG criteria. The efficacy "
        f"population received ATRA at the recommended phase 2 dose of "
        f"{clinical.rp2d_atra_mg_m2} mg/m2 "
        f"(dose levels {_numbers(clinical.dose_levels_mg_m2)} mg/m2).",
        f"Primary endpoint: overall response rate (>= PR) with an exact (Clopper-Pearson) 95% "
        f"CI, judged against {design.orr_threshold:.0%}; exact single-stage design with "
        f"p0 = {design.p0}, p1 = {design.p1}, one-sided alpha {design.alpha_one_sided}"
        f", power {design.power:.0%}, planned n = {design.planned_n} (the protocol's "
        "normal approximation with arcsine transformation; both sizes are in the primary "
        "endpoint table).",
        "Progression-free and overall survival by Kaplan-Meier, censored at the last contact "
        f"or the cut-off; medians with 95% CI by {MEDIAN_CI_WORDS[clinical.median_ci].long}; "
        f"survival probabilities at {_numbers(clinical.survival_times_months)} months. "
        f"Subgroups by part A best response ({groups}) were compared by the log-rank test "
        f"and Cox hazard ratios against {clinical.reference_group}.",
        "Adverse events graded by CTCAE v4.03, worst grade per patient and term.",
    ]


def methods_section(settings: RunSettings) -> ReportSection:
    """The Methods section for `settings` (the configuration as run)."""
    flow = settings.flow
    paragraphs = [
        _panel_paragraph(settings.panel),
        _gating_paragraph(settings.gating_template),
        _qc_paragraph(flow.qc),
        _cohort_qc_paragraph(flow.cohort_qc),
        _comparisons_paragraph(flow.comparisons),
        *_clinical_paragraphs(settings.clinical, settings.cutoff_date),
        "Software and versions are listed under Provenance.",
    ]
    return ReportSection("Methods", "methods", paragraphs=paragraphs)
