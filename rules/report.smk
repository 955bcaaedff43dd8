# The merged report: the default target's last output.
from snakemake.exceptions import WorkflowError

from cytotrial.report.clinical_sections import REPORT_INPUT_KEYS as CLINICAL_REPORT_KEYS

# What the clinical sections read, each a clinical rule's output (the rules own the paths).
CLINICAL_REPORT_INPUTS = {
    "clinical_patient_flow": rules.clinical_patient_flow.output.table,
    "clinical_flow_png": rules.clinical_patient_flow.output.png,
    "clinical_table1": rules.clinical_baseline_table.output[0],
    "clinical_dose_escalation": rules.clinical_dose_escalation.output[0],
    "clinical_response_categories": rules.clinical_response.output.categories,
    "clinical_response_rates": rules.clinical_response.output.rates,
    "clinical_primary_endpoint": rules.clinical_response.output.primary_endpoint,
    "clinical_response_png": rules.clinical_response.output.png,
    "clinical_swimmer_png": rules.clinical_swimmer.output.png,
    "clinical_forest_png": rules.clinical_survival.output.forest_png,
    "clinical_survival_medians": rules.clinical_survival.output.medians,
    "clinical_survival_logrank": rules.clinical_survival.output.logrank,
    "clinical_survival_hazard_ratios": rules.clinical_survival.output.hazard_ratios,
    "clinical_survival_at_times": rules.clinical_survival.output.at_times,
    "clinical_survival_followup": rules.clinical_survival.output.followup,
    **{
        f"clinical_km_{endpoint}_{stratum}": expand(
            rules.clinical_km_figure.output.png,
            km_endpoint=endpoint,
            km_stratum=stratum,
        )[0]
        for stratum in KM_STRATA
        for endpoint in KM_ENDPOINTS
    },
    "clinical_table2": rules.clinical_adverse_events.output.table,
    "clinical_table2_footnotes": rules.clinical_adverse_events.output.footnotes,
    "clinical_table2_unmapped": rules.clinical_adverse_events.output.unmapped,
    "clinical_table3": rules.clinical_subsequent_therapy.output.table,
    "clinical_subsequent_outcome": rules.clinical_subsequent_therapy.output.outcome,
    "clinical_imwg_assessments": rules.clinical_imwg.output.assessments,
    "clinical_imwg_best": rules.clinical_imwg.output.best,
    "clinical_imwg_concordance": rules.clinical_imwg.output.concordance,
    "clinical_imwg_concordance_summary": rules.clinical_imwg.output.concordance_summary,
    "clinical_waterfall_png": rules.clinical_imwg.output.png,
    "clinical_endpoints": rules.clinical_endpoints.output[0],
}
if set(CLINICAL_REPORT_INPUTS) != set(
    CLINICAL_REPORT_KEYS
):  # the package's sections changed
    raise WorkflowError(
        "rules/report.smk: the clinical report inputs differ from the sections' keys: "
        f"{sorted(set(CLINICAL_REPORT_INPUTS) ^ set(CLINICAL_REPORT_KEYS))}"
    )


rule report:
    input:
        **CLINICAL_REPORT_INPUTS,
        # demo only (rules/paper_check.smk): the paper check and the paper's inconsistencies
        **(
            {"paper_check": PAPER_CHECK["table"], "paper_notes": PAPER_CHECK["notes"]}
            if DEMO
            else {}
        ),
        samples_per_timepoint=rules.flow_sample_inventory.output.per_timepoint,
        sample_inventory=rules.flow_sample_inventory.output.inventory,
        flow_populations=rules.flow_aggregate.output.populations,
        sample_qc=rules.flow_aggregate.output.sample_qc,
        cohort_qc=rules.flow_cohort_qc.output.cohort_qc,
        review_decisions=rules.flow_aggregate.output.decisions,
        mfi_tests=rules.flow_statistics.output.mfi_tests,
        count_tests=rules.flow_statistics.output.count_tests,
        sensitivity_tests=rules.flow_statistics.output.sensitivity,
        mfi_A=rules.flow_statistics.output.mfi_A_png,
        mfi_B=rules.flow_statistics.output.mfi_B_png,
        counts_A=rules.flow_statistics.output.counts_A_png,
        counts_B=rules.flow_statistics.output.counts_B_png,
        counts_t=rules.flow_statistics.output.counts_t_png,
        mfi_paired=rules.flow_statistics.output.mfi_paired_png,
        counts_paired=rules.flow_statistics.output.counts_paired_png,
        records=collect(rules.flow_analyse_sample.output.record, sample=SAMPLE_IDS),
        plots=collect(rules.flow_analyse_sample.output.plot, sample=SAMPLE_IDS),
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
