"""The words a person reads for the pipeline's code names (populations, abbreviations).

Shared by text the domain writes into result tables (the paper check's items) or draws
into figures (the audit plots' gate and flag names) and the report (report.labels, which
adds the headings and every other kind of value); the result files keep the codes.
"""

from __future__ import annotations

import re

__all__ = [
    "CODE_NAME",
    "FLAG_LABELS",
    "POPULATION_LABELS",
    "WORDS",
    "code_words",
    "flag_text",
    "parent_label",
    "population_label",
]

# Populations of the demo template and the paper's panel; another population is shown by
# code_words (b_cells -> 'B cells' style: underscores as spaces, known words written out).
POPULATION_LABELS: dict[str, str] = {
    "non_debris": "Non-debris",
    "singlets": "Singlets",
    "viable": "Viable",
    "leukocytes": "Leukocytes",
    "lymphocytes": "Lymphocytes",
    "monocytes_scatter": "Monocytes (scatter)",
    "monocytes": "Monocytes",
    "t_cells": "T cells",
    "b_cells": "B cells",
    "nk_cells": "NK cells",
    "activated_nk": "Activated NK (CD16+CD56dim)",
    "plasma_cells": "Plasma cells",
}

WORDS = {
    "pct": "%",
    "ul": "µL",
    "mfi": "MFI",
    "cd38": "CD38",
    "nk": "NK",
    "qc": "QC",
    "n": "n",
    "b": "B",
    "t": "T",
    "pd": "PD",
    "mr": "MR",
    "pr": "PR",
    "cr": "CR",
}
# A code name: words joined by underscores (b_cells, pd_in_cycle1), not already text.
CODE_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9]*(_[A-Za-z0-9]+)+$")


def code_words(code: str) -> str:
    """A code name without a label as words: underscores as spaces, known abbreviations
    written out ('b_cells' -> 'B cells', 'pd_in_cycle1' -> 'PD in cycle1')."""
    words = [WORDS.get(word.lower(), word) for word in code.split("_")]
    text = " ".join(words)
    return text[:1].upper() + text[1:]


def population_label(code: object) -> str:
    """A population as shown: its label, else its code as words."""
    text = str(code)
    return POPULATION_LABELS.get(text) or (code_words(text) if CODE_NAME.match(text) else text)


def parent_label(parent: object) -> str:
    """A gate's parent as shown after '% of': its population label, 'all events' for the
    root (a template's first gate)."""
    return "all events" if str(parent) == "root" else population_label(parent)


# QC and gating flag names (their parenthesised details stay as written).
FLAG_LABELS: dict[str, str] = {
    "unstable_flow_rate": "unstable flow rate",
    "saturation": "saturation",
    "low_event_count": "low event count",
    "too_few_events": "too few events",
    "few_events": "few events",
    "low_confidence_cut": "low-confidence cut",
    "competing_valley": "another gap nearly as deep",
    "events_below_first_peak": "events below the debris cut's first peak",
    "no_positive_peak": "no positive peak",
    "single_peak_by_display_range": "single peak, side from the display range",
    "scatter_peaks_not_found": "scatter peaks not found",
    "cluster_not_converged": "clustering not converged",
    "cohort_outlier": "cohort outlier",
    "batch_shift": "batch shift",
    "not_assessed": "not assessed",
}


# A code name inside free text (a flag list): a word with an underscore.
_CODE_IN_TEXT = re.compile(r"\b[a-z][a-z0-9]*(?:_[a-z0-9]+)+\b")


def _code_in_text(match: re.Match) -> str:
    code = match.group(0)
    if code in FLAG_LABELS:
        return FLAG_LABELS[code]
    if code in POPULATION_LABELS:
        return POPULATION_LABELS[code]
    return code_words(code).lower() if code[:1].islower() else code_words(code)


# A cohort-QC flag as the cohort QC writes it (flow.cohort.qc.cohort_flag_text): what was
# compared (a gate's cut on a marker, in display units, or its % of parent), against which
# group, and the numbers.
_COHORT_FLAG = re.compile(
    r"cohort_(?P<flag>outlier|jump)\((?:cut (?P<gate>\S+) (?P<marker>\S+)"
    r"|% of parent (?P<pct_gate>\S+))(?: vs (?P<group>\w+) (?P<group_id>[^:]+))?: (?P<rest>[^)]*)\)"
)


def _cohort_flag(match: re.Match) -> str:
    """'cohort_outlier(cut viable Viability vs cohort all samples: 0.5145, median ...)' ->
    'cohort outlier (Viability cut of Viable at 0.5145 (display units); all samples:
    median ...)': the gate by its label, the group in words."""
    gate = population_label(match["gate"] or match["pct_gate"])
    if match["flag"] == "jump":
        what = f"{match['marker']} cut of {gate}" if match["gate"] else f"{gate} % of parent"
        return f"timepoint jump ({what}: {match['rest']})"
    value, _, numbers = match["rest"].partition(", ")
    if match["gate"]:
        what = f"{match['marker']} cut of {gate} at {value} (display units)"
    else:
        what = f"{gate} at {value}% of parent"
    group, group_id = match["group"] or "", match["group_id"] or ""
    against = group_id if group == "cohort" else f"{group} {group_id}".strip()
    return f"cohort outlier ({what}; {against}: {numbers})"


def flag_text(text: object) -> str:
    """A flag list as shown: each flag or population code inside it as words, details
    kept ('unstable_flow_rate(30.0% of events)' -> 'unstable flow rate (30.0% of events)');
    a cohort-QC flag as a sentence (_cohort_flag); sample IDs (upper case, PT030_A_C1D1)
    stay as written."""
    shown = _COHORT_FLAG.sub(_cohort_flag, str(text))
    shown = _CODE_IN_TEXT.sub(_code_in_text, shown)
    shown = re.sub(r"(?<=[a-z])\(", " (", shown)  # 'rate(30%' -> 'rate (30%'
    return shown.replace(";", "; ").replace(";  ", "; ")
