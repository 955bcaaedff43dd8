# Flow branch: per-sample FCS processing and cross-sample summaries.
from cytotrial.flow.interop.gatingml_import import SUFFIXES as IMPORTED_GATING_SUFFIXES
from cytotrial.flow.interop.gatingml_import import population_map_path
from cytotrial.flow.sample.pool_groups import GROUP_PATTERN, applied_of, sample_groups
from cytotrial.flow.sample.pool_groups import template_control_gates, template_pool

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

# A reviewer's decisions (issue 16, config flow.review; cytotrial.flow.sample.review), checked
# here before any job: samples of the sheet, gates of the template (an imported
# template's gate names: in the aggregate job, which reads its JSON).
REVIEW = config["flow"]["review"]
DECISIONS = []
if REVIEW:
    from cytotrial.flow.gating.template import read_gating_template
    from cytotrial.flow.sample.review import read_review

    REVIEW_GATES = (
        None
        if IMPORTED_GATING
        else {g.name: g for g in read_gating_template(config["gating_template"]).gates}
    )
    DECISIONS = read_review(REVIEW, SAMPLE_IDS, REVIEW_GATES)


# Pooled gates (issue 16): the template's `pool` groups the samples (patient, batch or
# timepoint); None: every gate is placed per sample, no group job runs.
POOL = template_pool(config["gating_template"])
SHEET_NAME = config["sample_sheet"] or "the demo's sample plan"
GROUP_OF = sample_groups(sample_records(), POOL, SHEET_NAME) if POOL else {}
POOLED_CUTS = "results/flow/pooled/{pool}/{group}.json"


wildcard_constraints:
    pool="patient|batch|timepoint",
    group=GROUP_PATTERN,


# Batch controls (issue 16): a template gate with negative_control takes a lone peak's
# negative level from its batch's control file (config flow.controls_sheet).
CONTROL_GATES = template_control_gates(config["gating_template"])
CONTROLS_SHEET = config["flow"]["controls_sheet"]
if CONTROL_GATES and not CONTROLS_SHEET:
    raise InputError(
        f"{config['gating_template']}: gate(s) {', '.join(CONTROL_GATES)} use "
        "negative_control; name the batch control files in config flow.controls_sheet"
    )
CONTROL_ROWS = {}  # batch -> its controls sheet rows
BATCH_OF = dict(zip(samples["sample_id"], samples["batch"].astype(str)))
if CONTROL_GATES:
    from cytotrial.flow.sample.controls import read_controls_sheet
    from cytotrial.io.panel import read_panel

    for row in read_controls_sheet(
        CONTROLS_SHEET,
        [c.marker for c in read_panel(config["panel"]).channels],
        sorted(set(BATCH_OF.values())),
    ):
        CONTROL_ROWS.setdefault(row["batch"], []).append(row)
    sample_groups(
        sample_records(), "batch", SHEET_NAME
    )  # batch names become file names


wildcard_constraints:
    batch=GROUP_PATTERN,


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


# One job per group of a template with pooled gates (issue 16, cytotrial.flow.sample.pooling):
# the group's cuts on its members' pooled events. A checkpoint: the members' jobs read
# its applied cuts as a param once it has run (see pooled_cuts_param). The applied cuts
# kept for the next run's tolerance check (`state`) are the job's own bookkeeping.
checkpoint flow_pool_group:
    input:
        fcs=lambda wildcards: [m["fcs"] for m in members_of_group(wildcards)],
        panel=config["panel"],
        template=GATING_TEMPLATE,
        spillover=panel_spillover_matrix(),
    output:
        cuts=POOLED_CUTS,
    log:
        "logs/flow/pool_group/{pool}/{group}.log",
    benchmark:
        "results/benchmarks/flow_pool_group/{pool}/{group}.tsv"
    conda:
        "../envs/flow.yaml"
    resources:
        runtime=10,
    params:
        members=members_of_group,
        state="results/flow/pooled/{pool}/{group}.applied.json",
        qc=config["flow"]["qc"],
        fcs_sha256=lambda wildcards: [
            sha256_of_sample(m["sample_id"]) for m in members_of_group(wildcards)
        ],
    script:
        "../scripts/flow_pool_group.py"


# One job per batch of a template with negative_control (issue 16,
# cytotrial.flow.sample.controls): the negative levels the batch's control files show.
rule flow_batch_controls:
    input:
        fcs=lambda wildcards: [r["fcs"] for r in CONTROL_ROWS.get(wildcards.batch, [])],
        panel=config["panel"],
        template=GATING_TEMPLATE,
        spillover=panel_spillover_matrix(),
    output:
        levels="results/flow/controls/{batch}.json",
    log:
        "logs/flow/batch_controls/{batch}.log",
    conda:
        "../envs/flow.yaml"
    params:
        rows=lambda wildcards: CONTROL_ROWS.get(wildcards.batch, []),
        qc=config["flow"]["qc"],
        # a control file whose bytes changed (even under an older mtime) reruns its batch
        fcs_sha256=lambda wildcards: [
            sha256_of_file(row["fcs"]) for row in CONTROL_ROWS.get(wildcards.batch, [])
        ],
    script:
        "../scripts/flow_batch_controls.py"


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
        pooled=pooled_cuts_dependency,
        controls=batch_controls,
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
        pooled=pooled_cuts_param,
        review=review_param,
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
        pooled=all_pooled_cuts(),
        review=[REVIEW] if REVIEW else [],
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
        decisions="results/flow/review_decisions.tsv",
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
        counts_t_png=report(
            "results/flow/figures/t_cell_counts.png",
            caption="../report/counts_figure.rst",
            category="Flow cytometry",
        ),
        counts_t_svg="results/flow/figures/t_cell_counts.svg",
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
        statistics=config["flow"]["statistics"],
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
