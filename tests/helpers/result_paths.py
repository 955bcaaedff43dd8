"""Where the workflow writes the results the report sections and the paper check read.

The rules own these paths (rules/report.smk, rules/paper_check.smk map each key to a
rule's output); tests that run the jobs by hand, outside Snakemake, write and read them
here. The keys are the package's (test_imwg_outputs checks them); the workflow's own
wiring is exercised by the demo run (tests/workflow/test_demo_run.py).
"""

from cytotrial.clinical.survival.endpoints import ENDPOINTS, slug

_C = "results/clinical"

CLINICAL_REPORT_PATHS: dict[str, str] = {
    "clinical_patient_flow": f"{_C}/patient_flow.tsv",
    "clinical_flow_png": f"{_C}/figures/patient_flow.png",
    "clinical_table1": f"{_C}/table1_baseline.tsv",
    "clinical_dose_escalation": f"{_C}/dose_escalation.tsv",
    "clinical_response_categories": f"{_C}/response_categories.tsv",
    "clinical_response_rates": f"{_C}/response_rates.tsv",
    "clinical_primary_endpoint": f"{_C}/primary_endpoint.tsv",
    "clinical_response_png": f"{_C}/figures/response.png",
    "clinical_swimmer_png": f"{_C}/figures/swimmer_part_b.png",
    "clinical_forest_png": f"{_C}/figures/cox_forest.png",
    "clinical_survival_medians": f"{_C}/survival_medians.tsv",
    "clinical_survival_logrank": f"{_C}/survival_logrank.tsv",
    "clinical_survival_hazard_ratios": f"{_C}/survival_hazard_ratios.tsv",
    "clinical_survival_at_times": f"{_C}/survival_at_times.tsv",
    "clinical_survival_followup": f"{_C}/survival_followup.tsv",
    **{
        f"clinical_km_{slug(e)}_{stratum}": f"{_C}/figures/km_{slug(e)}_{stratum}.png"
        for stratum in ("all", "by_response")
        for e in ENDPOINTS
    },
    "clinical_table2": f"{_C}/table2_adverse_events.tsv",
    "clinical_table2_footnotes": f"{_C}/table2_footnotes.tsv",
    "clinical_table2_unmapped": f"{_C}/table2_unmapped_terms.tsv",
    "clinical_table3": f"{_C}/table3_subsequent_therapy.tsv",
    "clinical_subsequent_outcome": f"{_C}/subsequent_line_outcome.tsv",
    "clinical_imwg_assessments": f"{_C}/imwg_assessments.tsv",
    "clinical_imwg_best": f"{_C}/imwg_best_response.tsv",
    "clinical_imwg_concordance": f"{_C}/response_concordance.tsv",
    "clinical_imwg_concordance_summary": f"{_C}/response_concordance_summary.tsv",
    "clinical_waterfall_png": f"{_C}/figures/waterfall.png",
    "clinical_endpoints": f"{_C}/endpoints.tsv",
}

PAPER_CHECK_PATHS: dict[str, str] = {
    "patient_flow": f"{_C}/patient_flow.tsv",
    "dose_escalation": f"{_C}/dose_escalation.tsv",
    "response_categories": f"{_C}/response_categories.tsv",
    "response_rates": f"{_C}/response_rates.tsv",
    "table1": f"{_C}/table1_baseline.tsv",
    "table2": f"{_C}/table2_adverse_events.tsv",
    "table2_footnotes": f"{_C}/table2_footnotes.tsv",
    "table3": f"{_C}/table3_subsequent_therapy.tsv",
    "subsequent_outcome": f"{_C}/subsequent_line_outcome.tsv",
    "survival_medians": f"{_C}/survival_medians.tsv",
    "survival_logrank": f"{_C}/survival_logrank.tsv",
    "survival_followup": f"{_C}/survival_followup.tsv",
    "samples_per_timepoint": "results/flow/samples_per_timepoint.tsv",
    "cell_count_tests": "results/flow/cell_count_tests.tsv",
}
