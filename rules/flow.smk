# Flow branch: per-sample FCS processing and cross-sample summaries.


rule flow_sample_inventory:
    input:
        fcs=all_fcs_files(),
        panel=config["panel"],
    output:
        inventory=report(
            "results/flow/sample_inventory.tsv",
            caption="../report/sample_inventory.rst",
            category="Cohort overview",
        ),
        per_timepoint=report(
            "results/flow/samples_per_timepoint.tsv",
            caption="../report/samples_per_timepoint.rst",
            category="Cohort overview",
        ),
    log:
        "logs/flow/sample_inventory.log",
    conda:
        "../envs/flow.yaml"
    params:
        samples=sample_records(),
    script:
        "../scripts/flow_sample_inventory.py"
