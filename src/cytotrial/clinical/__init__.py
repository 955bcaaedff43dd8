"""The clinical branch: response, survival, Tables 1-3, dose escalation, patient flow.

The Snakemake scripts call only ``cytotrial.clinical.job`` (one function per rule).

* ``settings``: the ``clinical:`` config section (and the cut-off) as one typed object.
* ``population``: the RP2D population and the part A best-response groups.
* ``formatting``: n (%) and percentages as the paper prints them.
* ``imwg``: IMWG 2016 responses and progression from the optional lab_values.csv.
* ``response``: response rates with exact CIs and the primary endpoint.
* ``survival``: endpoints from dates; Kaplan-Meier, log-rank, Cox, follow-up.
* ``tables``: Tables 1-3 and the dose-escalation table.
* ``figures``: Kaplan-Meier, response, swimmer, waterfall and patient-flow figures.
* ``report_sections``, ``report_imwg``: the clinical report sections in the paper's order
  (they move to the report package in the package restructure, issue 17).

Importing this package is cheap: matplotlib and lifelines are imported where used, and the
subpackages import none of their modules (the report rule imports ``report_sections`` at
Snakemake parse time; pulling in the statistics, and so scipy, cost 1.6 s there).
"""

__all__ = [
    "figures",
    "formatting",
    "imwg",
    "job",
    "population",
    "response",
    "settings",
    "survival",
    "tables",
]
