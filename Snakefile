# cytotrial: flow cytometry + clinical trial analysis.
# Declarations and includes only; the logic is in src/cytotrial.
from snakemake.utils import min_version

min_version("9.0")


configfile: "config/config.yaml"


report: "report/workflow.rst"


include: "rules/common.smk"
include: "rules/simulate.smk"
include: "rules/flow.smk"
include: "rules/clinical.smk"
include: "rules/paper_check.smk"
include: "rules/report.smk"


rule all:
    default_target: True
    input:
        get_final_output(),
