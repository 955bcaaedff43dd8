# The merged report: the default target's last output.


rule report:
    input:
        samples_per_timepoint="results/flow/samples_per_timepoint.tsv",
        sample_inventory="results/flow/sample_inventory.tsv",
        patient_flow="results/clinical/patient_flow.tsv",
        flow_populations="results/flow/populations.tsv",
        sample_qc="results/flow/sample_qc.tsv",
    output:
        "results/report/cytotrial_report.html",
    log:
        "logs/report/report.log",
    conda:
        "../envs/report.yaml"
    params:
        config=config,
    script:
        "../scripts/report.py"
