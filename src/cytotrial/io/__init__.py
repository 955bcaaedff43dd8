"""Reading, checking and writing: every input and result file passes through here.

The lowest layer: nothing here imports the domain (flow, clinical, stats, simulate) or
the report. IDs (patient, sample) are always read as text ("007" stays "007", "NA" stays
"NA").

Inputs:

* ``inputs``: the sample sheet and the clinical tables, typed and schema-checked.
* ``lab_values``: the optional lab_values.csv.
* ``panel``: the antibody panel (YAML).
* ``validation``, ``schemas``, ``document_checks``: JSON-schema checks of tables and
  YAML documents, each problem naming file, row or key, and field; ``problems`` raises
  them all at once; ``config_schema``: the config's defaults, declared in its schema.
* ``table_reader``: the one reader of user tables (IDs as text, errors naming the line).
* ``input_checks``: checks across rows and tables (dates, unknown patients, missing files,
  the cut-off, the config's files).
* ``fingerprints``, ``checksums``: SHA-256 of inputs for provenance and reruns.

Outputs:

* ``results``: result tables (read with IDs as text, written with stable formatting)
  and figures (PNG + SVG).
* ``records``: a sample's JSON record (status, QC, gates as applied).
* ``figure_text``: a figure's smallest text, recorded in its PNG (the report checks it).
* ``atomic``: every file written atomically: a crash leaves no half-written output.
* ``logs``: logging set-up for the CLI and the Snakemake scripts.
* ``names``: the words a reader sees for code names (populations), shared by text the
  domain writes into result tables and the report.

The FCS reader is its own package, ``cytotrial.fcs``.
"""

__all__ = [
    "atomic",
    "checksums",
    "config_schema",
    "document_checks",
    "figure_text",
    "fingerprints",
    "input_checks",
    "inputs",
    "lab_values",
    "logs",
    "names",
    "panel",
    "problems",
    "records",
    "results",
    "schemas",
    "table_reader",
    "validation",
]
