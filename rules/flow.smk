# Flow branch: per-sample FCS processing and cross-sample summaries.
from cytotrial.flow.gatingml_import import SUFFIXES as IMPORTED_GATING_SUFFIXES
from cytotrial.flow.gatingml_import import population_map_path

# A Gating-ML 2.0 (.xml) or FlowJo (.wsp) template is imported once (FlowKit) into our
# own JSON; every job that needs the template reads that instead.
IMPORTED_GATING = (
    Path(config["gating_template"]).suffix.lower() in IMPORTED_GATING_SUFFIXES
)
GATING_TEMPLATE = (
    "results/flow/gating_template.json"
    if IMPORTED_GATING
    else config["gating_template"]
)


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
        report_keywords=config["flow"]["report_keywords"],
        # a file whose bytes changed (even under an older mtime) reruns the inventory
        fcs_sha256=all_fcs_sha256,
    script:
        "../scripts/flow_sample_inventory.py"


rule flow_import_gating:
    input:
        template=config["gating_template"],
        populations=str(population_map_path(config["gating_template"])),
        panel=config["panel"],
    output:
        template="results/flow/gating_template.json",
    log:
        "logs/flow/import_gating.log",
    conda:
        "../envs/flow.yaml"
    script:
        "../scripts/flow_import_gating.py"


# One job per FCS file. Its inputs are the file, the panel and the gating template;
# its params come from config and the file's SHA-256 (changed bytes rerun the sample even
# when the file's mtime is older: a swap with mv, a restored backup), so adding samples
# never reruns it.
rule flow_analyse_sample:
    input:
        fcs=fcs_of_sample,
        panel=config["panel"],
        template=GATING_TEMPLATE,
        spillover=panel_spillover_matrix(),
    output:
        populations="results/flow/samples/{sample}.populations.tsv",
        record="results/flow/samples/{sample}.json",
        gatingml="results/flow/samples/{sample}.gating.xml",
        plot=report(
            "results/flow/plots/{sample}.gating.png",
            caption="../report/gating_plot.rst",
            category="Gating QC",
            labels={"sample": "{sample}"},
        ),
    log:
        "logs/flow/analyse_sample/{sample}.log",
    benchmark:
        "results/benchmarks/flow_analyse_sample/{sample}.tsv"
    conda:
        "../envs/flow.yaml"
    resources:
        mem_mb=analyse_mem_mb,
        runtime=10,
    params:
        qc=config["flow"]["qc"],
        fcs_sha256=fcs_sha256,
    script:
        "../scripts/flow_analyse_sample.py"


# Once every sample is gated: each cut and % of parent against its groups (patient,
# batch, cohort) and each patient's timepoint jumps. The aggregate reads its table, so
# populations.tsv and sample_qc.tsv hold each population's final status.
rule flow_cohort_qc:
    input:
        populations=collect(
            "results/flow/samples/{sample}.populations.tsv", sample=SAMPLE_IDS
        ),
        records=collect("results/flow/samples/{sample}.json", sample=SAMPLE_IDS),
    output:
        cohort_qc=report(
            "results/flow/cohort_qc.tsv",
            caption="../report/cohort_qc.rst",
            category="Gating QC",
        ),
    log:
        "logs/flow/cohort_qc.log",
    conda:
        "../envs/flow.yaml"
    params:
        samples=sample_records(),
        settings=config["flow"]["cohort_qc"],
    script:
        "../scripts/flow_cohort_qc.py"


rule flow_aggregate:
    input:
        populations=collect(
            "results/flow/samples/{sample}.populations.tsv", sample=SAMPLE_IDS
        ),
        records=collect("results/flow/samples/{sample}.json", sample=SAMPLE_IDS),
        template=GATING_TEMPLATE,
        cohort_qc="results/flow/cohort_qc.tsv",
    output:
        populations=report(
            "results/flow/populations.tsv",
            caption="../report/flow_populations.rst",
            category="Flow cytometry",
        ),
        sample_qc=report(
            "results/flow/sample_qc.tsv",
            caption="../report/sample_qc.rst",
            category="Gating QC",
        ),
    log:
        "logs/flow/aggregate.log",
    conda:
        "../envs/flow.yaml"
    params:
        samples=sample_records(with_counts=True),
    script:
        "../scripts/flow_aggregate.py"


rule flow_statistics:
    input:
        populations="results/flow/populations.tsv",
        # whether there were no samples or all failed, when no sample has results
        sample_qc="results/flow/sample_qc.tsv",
        template=GATING_TEMPLATE,
    output:
        mfi_tests=report(
            "results/flow/cd38_mfi_tests.tsv",
            caption="../report/flow_tests.rst",
            category="Flow cytometry",
        ),
        count_tests=report(
            "results/flow/cell_count_tests.tsv",
            caption="../report/flow_tests.rst",
            category="Flow cytometry",
        ),
        sensitivity=report(
            "results/flow/sensitivity_tests.tsv",
            caption="../report/sensitivity_tests.rst",
            category="Flow cytometry",
        ),
        mfi_A_png=report(
            "results/flow/figures/cd38_mfi_part_A.png",
            caption="../report/figure4.rst",
            category="Flow cytometry",
        ),
        mfi_A_svg="results/flow/figures/cd38_mfi_part_A.svg",
        mfi_B_png=report(
            "results/flow/figures/cd38_mfi_part_B.png",
            caption="../report/figure4.rst",
            category="Flow cytometry",
        ),
        mfi_B_svg="results/flow/figures/cd38_mfi_part_B.svg",
        counts_A_png=report(
            "results/flow/figures/cell_counts_part_A.png",
            caption="../report/counts_figure.rst",
            category="Flow cytometry",
        ),
        counts_A_svg="results/flow/figures/cell_counts_part_A.svg",
        counts_B_png=report(
            "results/flow/figures/cell_counts_part_B.png",
            caption="../report/counts_figure.rst",
            category="Flow cytometry",
        ),
        counts_B_svg="results/flow/figures/cell_counts_part_B.svg",
        mfi_paired_png=report(
            "results/flow/figures/cd38_mfi_paired.png",
            caption="../report/paired_figure.rst",
            category="Flow cytometry",
        ),
        mfi_paired_svg="results/flow/figures/cd38_mfi_paired.svg",
        counts_paired_png=report(
            "results/flow/figures/cell_counts_paired.png",
            caption="../report/paired_figure.rst",
            category="Flow cytometry",
        ),
        counts_paired_svg="results/flow/figures/cell_counts_paired.svg",
    log:
        "logs/flow/statistics.log",
    conda:
        "../envs/flow.yaml"
    params:
        comparisons=config["flow"]["comparisons"],
        include_flagged=config["flow"]["statistics"]["include_flagged"],
    script:
        "../scripts/flow_statistics.py"


# FlowJo review (README, "Review in FlowJo"): one workspace per batch of the sample sheet,
# each sample with its own final gates, spillover and transforms. Not in the default
# target: `snakemake --cores 2 flowjo_workspaces`. A batch's workspace reruns only when
# one of its samples' outputs changes; failed samples are left out and listed in its log.
rule flow_flowjo_workspace:
    input:
        gatingml=flowjo_batch_files("gating.xml"),
        populations=flowjo_batch_files("populations.tsv"),
        records=flowjo_batch_files("json"),
    output:
        workspace="results/flow/flowjo/{stem}.wsp",
    log:
        "logs/flow/flowjo/{stem}.log",
    wildcard_constraints:
        stem="batch_[A-Za-z0-9._-]+",
    conda:
        "../envs/flow.yaml"
    params:
        batch=lambda wildcards: FLOWJO_BATCH_OF_STEM[wildcards.stem],
        samples=flowjo_batch_records,
    script:
        "../scripts/flow_flowjo_workspace.py"


rule flowjo_workspaces:
    input:
        expand("results/flow/flowjo/{stem}.wsp", stem=sorted(FLOWJO_STEMS.values())),
