# Demo only: the paper check, every number of the paper the demo is calibrated to
# (simulate/paper_targets.py) beside this run's value and a verdict; the report renders it.
from snakemake.exceptions import WorkflowError

PAPER_CHECK = {
    "table": "results/paper_check/paper_check.tsv",
    "notes": "results/paper_check/paper_notes.tsv",
}

if DEMO:
    from cytotrial.clinical.paper_check import PAPER_CHECK_INPUT_KEYS

    # What the check reads, each another rule's output (the rules own the paths).
    PAPER_CHECK_INPUTS = {
        "patient_flow": rules.clinical_patient_flow.output.table,
        "dose_escalation": rules.clinical_dose_escalation.output[0],
        "response_categories": rules.clinical_response.output.categories,
        "response_rates": rules.clinical_response.output.rates,
        "table1": rules.clinical_baseline_table.output[0],
        "table2": rules.clinical_adverse_events.output.table,
        "table2_footnotes": rules.clinical_adverse_events.output.footnotes,
        "table3": rules.clinical_subsequent_therapy.output.table,
        "subsequent_outcome": rules.clinical_subsequent_therapy.output.outcome,
        "survival_medians": rules.clinical_survival.output.medians,
        "survival_logrank": rules.clinical_survival.output.logrank,
        "survival_followup": rules.clinical_survival.output.followup,
        "samples_per_timepoint": rules.flow_sample_inventory.output.per_timepoint,
        "cell_count_tests": rules.flow_statistics.output.count_tests,
    }
    if set(PAPER_CHECK_INPUTS) != set(PAPER_CHECK_INPUT_KEYS):
        raise WorkflowError(
            "rules/paper_check.smk: the inputs differ from the check's keys: "
            f"{sorted(set(PAPER_CHECK_INPUTS) ^ set(PAPER_CHECK_INPUT_KEYS))}"
        )

    rule paper_check:
        input:
            **PAPER_CHECK_INPUTS,
        output:
            **PAPER_CHECK,
        log:
            "logs/paper_check.log",
        conda:
            "../envs/clinical.yaml"
        params:
            seed=config["demo"]["seed"],
        script:
            "../scripts/paper_check.py"
