# The merged report: the default target's last output.
from cytotrial.report.clinical_sections import REPORT_INPUTS as CLINICAL_REPORT_INPUTS


rule report:
    input:
        **CLINICAL_REPORT_INPUTS,
        # demo only (rules/paper_check.smk): the paper check and the paper's inconsistencies
        **(
            {"paper_check": PAPER_CHECK["table"], "paper_notes": PAPER_CHECK["notes"]}
            if DEMO
            else {}
        ),
        samples_per_timepoint="results/flow/samples_per_timepoint.tsv",
        sample_inventory="results/flow/sample_inventory.tsv",
        flow_populations="results/flow/populations.tsv",
        sample_qc="results/flow/sample_qc.tsv",
        cohort_qc="results/flow/cohort_qc.tsv",
        review_decisions="results/flow/review_decisions.tsv",
        mfi_tests="results/flow/cd38_mfi_tests.tsv",
        count_tests="results/flow/cell_count_tests.tsv",
        sensitivity_tests="results/flow/sensitivity_tests.tsv",
        mfi_A="results/flow/figures/cd38_mfi_part_A.png",
        mfi_B="results/flow/figures/cd38_mfi_part_B.png",
        counts_A="results/flow/figures/cell_counts_part_A.png",
        counts_B="results/flow/figures/cell_counts_part_B.png",
        mfi_paired="results/flow/figures/cd38_mfi_paired.png",
        counts_paired="results/flow/figures/cell_counts_paired.png",
        records=collect("results/flow/samples/{sample}.json", sample=SAMPLE_IDS),
        plots=collect("results/flow/plots/{sample}.gating.png", sample=SAMPLE_IDS),
        provenance=list(provenance_files().values()),
    output:
        "results/report/cytotrial_report.html",
        # The gating gallery and per-sample tables: a second page, linked both ways.
        "results/report/cytotrial_report_gating.html",
    log:
        "logs/report/report.log",
    conda:
        "../envs/report.yaml"
    params:
        config=config,
        sample_ids=SAMPLE_IDS,
        provenance_roles=list(provenance_files()),
        workflow_dir=workflow.basedir,
        demo=DEMO,  # the header's simulated-data banner: the workflow's own decision
    script:
        "../scripts/report.py"


# Optional: `snakemake results/report/cytotrial_report.pdf` prints the report with
# headless Chromium (must be on PATH; not in the default target).
rule report_pdf:
    input:
        "results/report/cytotrial_report.html",
    output:
        "results/report/cytotrial_report.pdf",
    log:
        "logs/report/report_pdf.log",
    conda:
        # Chromium itself is not a conda package: it must be on PATH.
        "../envs/report.yaml"
    script:
        "../scripts/report_pdf.py"
