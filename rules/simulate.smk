# The simulated demo trial: written only when no sample sheet is configured.


if DEMO:

    rule simulate_demo_trial:
        output:
            sample_sheet=f"{DEMO_DIR}/samples.tsv",
            clinical=expand(f"{DEMO_DIR}/clinical/{{table}}.csv", table=CLINICAL_TABLES),
            lab_values=f"{DEMO_DIR}/clinical/lab_values.csv",
            fcs=all_fcs_files(),
            truth=directory(f"{DEMO_DIR}/truth"),
        log:
            "logs/simulate_demo_trial.log",
        benchmark:
            "results/benchmarks/simulate_demo_trial.tsv"
        conda:
            "../envs/simulate.yaml"
        threads: 2
        resources:
            mem_mb=simulate_mem_mb,
            runtime=60,
        params:
            seed=config["demo"]["seed"],
            events_per_file=config["demo"]["events_per_file"],
        script:
            "../scripts/simulate_demo_trial.py"
