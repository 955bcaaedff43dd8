# Clinical branch: response, survival, tables and patient flow from the clinical CSVs.
# Every output goes to results/clinical/ (figures: PNG + SVG under results/clinical/figures/).

CLINICAL_OUT = "results/clinical"
KM_ENDPOINTS = ["pfs_b", "os_b", "pfs_ab", "os_ab"]
KM_STRATA = ["all", "by_response"]
# Optional serial lab values (the demo simulates them): the IMWG engine derives best
# responses and progression dates from them, and every analysis below then uses those.
LAB_VALUES = f"{CLINICAL_DIR}/lab_values.csv"
HAS_LABS = DEMO or Path(LAB_VALUES).is_file()
EFFECTIVE = {
    "responses": f"{CLINICAL_OUT}/effective/responses.csv",
    "dates": f"{CLINICAL_OUT}/effective/dates.csv",
}
# Named inputs: the lab values (when given), and the tables the analyses read (with lab
# values, responses and dates carry the IMWG-derived best responses and progression dates).
LAB_INPUTS = {"lab_values": LAB_VALUES} if HAS_LABS else {}
CLINICAL_INPUTS = {**clinical_tables(), **(EFFECTIVE if HAS_LABS else {})}


# Every output of the clinical branch (for the report rule and `snakemake clinical_all`).
CLINICAL_TABLE_NAMES = [
    "patient_flow",
    "endpoints",
    "response_categories",
    "response_rates",
    "primary_endpoint",
    "survival_medians",
    "survival_logrank",
    "survival_hazard_ratios",
    "survival_at_times",
    "survival_followup",
    "table1_baseline",
    "table2_adverse_events",
    "table2_footnotes",
    "table2_unmapped_terms",
    "table3_subsequent_therapy",
    "subsequent_line_outcome",
    "dose_escalation",
    "imwg_assessments",
    "imwg_best_response",
    "response_concordance",
    "response_concordance_summary",
]
CLINICAL_FIGURE_NAMES = [
    "patient_flow",
    "response",
    "swimmer_part_b",
    "waterfall",
    "cox_forest",
] + [f"km_{e}_{s}" for e in KM_ENDPOINTS for s in KM_STRATA]
CLINICAL_OUTPUTS = [f"{CLINICAL_OUT}/{t}.tsv" for t in CLINICAL_TABLE_NAMES] + [
    f"{CLINICAL_OUT}/figures/{f}.{ext}"
    for f in CLINICAL_FIGURE_NAMES
    for ext in ("png", "svg")
]


rule clinical_all:
    input:
        CLINICAL_OUTPUTS,


rule clinical_imwg:
    input:
        unpack(clinical_tables),
        **LAB_INPUTS,
    output:
        assessments=report(
            f"{CLINICAL_OUT}/imwg_assessments.tsv",
            caption="../report/clinical_imwg.rst",
            category="Clinical",
            subcategory="Response from lab values",
        ),
        best=report(
            f"{CLINICAL_OUT}/imwg_best_response.tsv",
            caption="../report/clinical_imwg.rst",
            category="Clinical",
            subcategory="Response from lab values",
        ),
        concordance=report(
            f"{CLINICAL_OUT}/response_concordance.tsv",
            caption="../report/clinical_imwg.rst",
            category="Clinical",
            subcategory="Response from lab values",
        ),
        concordance_summary=f"{CLINICAL_OUT}/response_concordance_summary.tsv",
        png=report(
            f"{CLINICAL_OUT}/figures/waterfall.png",
            caption="../report/clinical_waterfall.rst",
            category="Clinical",
            subcategory="Response from lab values",
        ),
        svg=f"{CLINICAL_OUT}/figures/waterfall.svg",
        effective_responses=EFFECTIVE["responses"],
        effective_dates=EFFECTIVE["dates"],
    log:
        "logs/clinical/imwg.log",
    conda:
        "../envs/clinical.yaml"
    params:
        clinical=config["clinical"],
        cutoff=config["cutoff_date"],
    script:
        "../scripts/clinical_imwg.py"


rule clinical_patient_flow:
    input:
        **CLINICAL_INPUTS,
    output:
        table=report(
            f"{CLINICAL_OUT}/patient_flow.tsv",
            caption="../report/patient_flow.rst",
            category="Cohort overview",
        ),
        png=report(
            f"{CLINICAL_OUT}/figures/patient_flow.png",
            caption="../report/clinical_flow_diagram.rst",
            category="Clinical",
            subcategory="Patient flow",
        ),
        svg=f"{CLINICAL_OUT}/figures/patient_flow.svg",
    log:
        "logs/clinical/patient_flow.log",
    conda:
        "../envs/clinical.yaml"
    params:
        clinical=config["clinical"],
        cutoff=config["cutoff_date"],
    script:
        "../scripts/clinical_patient_flow.py"


rule clinical_endpoints:
    input:
        **CLINICAL_INPUTS,
    output:
        report(
            f"{CLINICAL_OUT}/endpoints.tsv",
            caption="../report/clinical_endpoints.rst",
            category="Clinical",
            subcategory="Survival",
        ),
    log:
        "logs/clinical/endpoints.log",
    conda:
        "../envs/clinical.yaml"
    params:
        clinical=config["clinical"],
        cutoff=config["cutoff_date"],
    script:
        "../scripts/clinical_endpoints.py"


rule clinical_response:
    input:
        **CLINICAL_INPUTS,
    output:
        categories=report(
            f"{CLINICAL_OUT}/response_categories.tsv",
            caption="../report/clinical_response.rst",
            category="Clinical",
            subcategory="Efficacy",
        ),
        rates=report(
            f"{CLINICAL_OUT}/response_rates.tsv",
            caption="../report/clinical_response.rst",
            category="Clinical",
            subcategory="Efficacy",
        ),
        primary_endpoint=report(
            f"{CLINICAL_OUT}/primary_endpoint.tsv",
            caption="../report/clinical_primary_endpoint.rst",
            category="Clinical",
            subcategory="Efficacy",
        ),
        png=report(
            f"{CLINICAL_OUT}/figures/response.png",
            caption="../report/clinical_response.rst",
            category="Clinical",
            subcategory="Efficacy",
        ),
        svg=f"{CLINICAL_OUT}/figures/response.svg",
    log:
        "logs/clinical/response.log",
    conda:
        "../envs/clinical.yaml"
    params:
        clinical=config["clinical"],
        cutoff=config["cutoff_date"],
    script:
        "../scripts/clinical_response.py"


rule clinical_survival:
    input:
        endpoints=f"{CLINICAL_OUT}/endpoints.tsv",
    output:
        medians=report(
            f"{CLINICAL_OUT}/survival_medians.tsv",
            caption="../report/clinical_survival_medians.rst",
            category="Clinical",
            subcategory="Survival",
        ),
        logrank=report(
            f"{CLINICAL_OUT}/survival_logrank.tsv",
            caption="../report/clinical_survival_tests.rst",
            category="Clinical",
            subcategory="Survival",
        ),
        hazard_ratios=report(
            f"{CLINICAL_OUT}/survival_hazard_ratios.tsv",
            caption="../report/clinical_survival_tests.rst",
            category="Clinical",
            subcategory="Survival",
        ),
        at_times=report(
            f"{CLINICAL_OUT}/survival_at_times.tsv",
            caption="../report/clinical_survival_at_times.rst",
            category="Clinical",
            subcategory="Survival",
        ),
        followup=report(
            f"{CLINICAL_OUT}/survival_followup.tsv",
            caption="../report/clinical_followup.rst",
            category="Clinical",
            subcategory="Survival",
        ),
        forest_png=report(
            f"{CLINICAL_OUT}/figures/cox_forest.png",
            caption="../report/clinical_survival_tests.rst",
            category="Clinical",
            subcategory="Survival",
        ),
        forest_svg=f"{CLINICAL_OUT}/figures/cox_forest.svg",
    log:
        "logs/clinical/survival.log",
    conda:
        "../envs/clinical.yaml"
    params:
        clinical=config["clinical"],
        cutoff=config["cutoff_date"],
    script:
        "../scripts/clinical_survival.py"


rule clinical_km_figure:
    input:
        endpoints=f"{CLINICAL_OUT}/endpoints.tsv",
    output:
        png=report(
            f"{CLINICAL_OUT}/figures/km_{{km_endpoint}}_{{km_stratum}}.png",
            caption="../report/clinical_km.rst",
            category="Clinical",
            subcategory="Survival",
            labels={"endpoint": "{km_endpoint}", "curves": "{km_stratum}"},
        ),
        svg=f"{CLINICAL_OUT}/figures/km_{{km_endpoint}}_{{km_stratum}}.svg",
    log:
        "logs/clinical/km_{km_endpoint}_{km_stratum}.log",
    wildcard_constraints:
        km_endpoint="|".join(KM_ENDPOINTS),
        km_stratum="|".join(KM_STRATA),
    conda:
        "../envs/clinical.yaml"
    params:
        clinical=config["clinical"],
        cutoff=config["cutoff_date"],
    script:
        "../scripts/clinical_km_figure.py"


rule clinical_swimmer:
    input:
        **CLINICAL_INPUTS,
        # response onsets (response_date); header only without lab values
        imwg_best=f"{CLINICAL_OUT}/imwg_best_response.tsv",
    output:
        png=report(
            f"{CLINICAL_OUT}/figures/swimmer_part_b.png",
            caption="../report/clinical_swimmer.rst",
            category="Clinical",
            subcategory="Efficacy",
        ),
        svg=f"{CLINICAL_OUT}/figures/swimmer_part_b.svg",
    log:
        "logs/clinical/swimmer.log",
    conda:
        "../envs/clinical.yaml"
    params:
        clinical=config["clinical"],
        cutoff=config["cutoff_date"],
    script:
        "../scripts/clinical_swimmer.py"


rule clinical_baseline_table:
    input:
        **CLINICAL_INPUTS,
    output:
        report(
            f"{CLINICAL_OUT}/table1_baseline.tsv",
            caption="../report/clinical_table1.rst",
            category="Clinical",
            subcategory="Baseline",
        ),
    log:
        "logs/clinical/table1_baseline.log",
    conda:
        "../envs/clinical.yaml"
    params:
        clinical=config["clinical"],
        cutoff=config["cutoff_date"],
    script:
        "../scripts/clinical_baseline_table.py"


rule clinical_adverse_events:
    input:
        **CLINICAL_INPUTS,
        layout=config["clinical"]["ae_table_rows"],
    output:
        table=report(
            f"{CLINICAL_OUT}/table2_adverse_events.tsv",
            caption="../report/clinical_table2.rst",
            category="Clinical",
            subcategory="Safety",
        ),
        footnotes=report(
            f"{CLINICAL_OUT}/table2_footnotes.tsv",
            caption="../report/clinical_table2.rst",
            category="Clinical",
            subcategory="Safety",
        ),
        # terms of no Table 2 row (patients, episodes per part): listed, never dropped
        unmapped=f"{CLINICAL_OUT}/table2_unmapped_terms.tsv",
    log:
        "logs/clinical/table2_adverse_events.log",
    conda:
        "../envs/clinical.yaml"
    params:
        clinical=config["clinical"],
        cutoff=config["cutoff_date"],
    script:
        "../scripts/clinical_adverse_events.py"


rule clinical_subsequent_therapy:
    input:
        **CLINICAL_INPUTS,
    output:
        table=report(
            f"{CLINICAL_OUT}/table3_subsequent_therapy.tsv",
            caption="../report/clinical_table3.rst",
            category="Clinical",
            subcategory="Subsequent therapy",
        ),
        # ORR and PFS of the first subsequent line (optional columns best_response and
        # progression_date of subsequent_therapies.csv; "not computed" without them)
        outcome=f"{CLINICAL_OUT}/subsequent_line_outcome.tsv",
    log:
        "logs/clinical/table3_subsequent_therapy.log",
    conda:
        "../envs/clinical.yaml"
    params:
        clinical=config["clinical"],
        cutoff=config["cutoff_date"],
    script:
        "../scripts/clinical_subsequent_therapy.py"


rule clinical_dose_escalation:
    input:
        **CLINICAL_INPUTS,
    output:
        report(
            f"{CLINICAL_OUT}/dose_escalation.tsv",
            caption="../report/clinical_dose_escalation.rst",
            category="Clinical",
            subcategory="Dose escalation",
        ),
    log:
        "logs/clinical/dose_escalation.log",
    conda:
        "../envs/clinical.yaml"
    params:
        clinical=config["clinical"],
        cutoff=config["cutoff_date"],
    script:
        "../scripts/clinical_dose_escalation.py"
