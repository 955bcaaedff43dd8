# Clinical branch: response, survival, tables and patient flow from the clinical CSVs.


rule clinical_patient_flow:
    input:
        unpack(clinical_tables),
    output:
        report(
            "results/clinical/patient_flow.tsv",
            caption="../report/patient_flow.rst",
            category="Cohort overview",
        ),
    log:
        "logs/clinical/patient_flow.log",
    conda:
        "../envs/clinical.yaml"
    params:
        rp2d_atra_mg_m2=config["clinical"]["rp2d_atra_mg_m2"],
    script:
        "../scripts/clinical_patient_flow.py"
