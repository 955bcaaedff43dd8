# Demo only: the paper check, every number of the paper the demo is calibrated to
# (simulate/paper_targets.py) beside this run's value and a verdict; the report renders it.

PAPER_CHECK = {
    "table": "results/paper_check/paper_check.tsv",
    "notes": "results/paper_check/paper_notes.tsv",
}

if DEMO:
    from cytotrial.clinical.paper_check import PAPER_CHECK_INPUTS

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
