"""The report: one HTML page (and a linked gating page, and a PDF) from the results.

The top layer: it reads result files and may import io and the domain; nothing imports it.

* ``model``: what a report is made of (tables, figures, sections, provenance).
* ``build``: the whole report in the paper's order; ``render`` turns it into HTML
  (templates/report.html.j2); ``pages`` splits off the gating page; ``pdf`` prints it
  with headless Chromium.
* sections: ``clinical_sections`` (with ``imwg_section``), ``flow_sections``,
  ``paper_check_section`` (demo only), ``methods``, ``provenance``; ``header`` is the
  run's header (trial, cut-off, populations, version, the demo banner).
* ``settings``: the whole config as typed objects (``RunSettings``: every section; and
  the ``report:`` section).
* presentation: ``labels`` (human column labels, ≥ µL m²), ``layout`` (cell wrapping,
  widths, a too-wide table in parts), ``figure_numbers`` (figures numbered as in the
  paper), ``counts`` (each table's and figure's "n = ..." and why it is not the cohort),
  ``survival_display`` (the survival tables as read: P as text, estimates with their CI),
  ``qc_statistics_display`` (the general statistics: each % of parent's parent named).

Importing the package is cheap (its modules are imported where used): the report rule
reads ``clinical_sections`` at Snakemake parse time.
"""

__all__ = [
    "build",
    "clinical_sections",
    "counts",
    "figure_numbers",
    "flow_sections",
    "header",
    "imwg_section",
    "labels",
    "layout",
    "methods",
    "model",
    "pages",
    "paper_check_section",
    "pdf",
    "provenance",
    "qc_statistics_display",
    "render",
    "settings",
    "survival_display",
]
