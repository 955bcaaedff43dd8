"""cytotrial: flow cytometry + clinical trial analysis behind a Snakemake workflow.

All logic lives in this package; the workflow's scripts only unpack Snakemake's
inputs and call it. Modules, by job:

- ``simulate``   the demo trial (clinical tables, FCS files, ground truth)
- ``validation`` input tables checked against the JSON schemas in config/schemas
- ``tables``     reading the sample sheet and clinical tables with the right types
- ``cohort``     cohort overview: samples per part x timepoint, patient flow counts
- ``report``     the merged HTML report
"""

__version__ = "0.1.0"
