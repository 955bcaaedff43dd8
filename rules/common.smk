# Shared set-up: config and sample-sheet validation, input functions, targets.
# Kept cheap (pandas + validation only): it is re-parsed for every cluster job.
import functools
import runpy
from pathlib import Path

from snakemake.utils import validate

# The checkout's src/ first on the path, checked (scripts/_bootstrap.py, which every job
# runs too): the workflow runs from a checkout even where the package is not
# pip-installed (conda environments on a cluster), and never runs another cytotrial.
runpy.run_path(str(Path(workflow.basedir) / "scripts" / "_bootstrap.py"))

from cytotrial.errors import InputError
from cytotrial.io.fingerprints import Sha256Cache, sha256_of_files
from cytotrial.flow.interop.flowjo_export import batch_file_stems
from cytotrial.flow.gating.inputs import check_flow_inputs
from cytotrial.clinical.population_checks import check_trial_inputs
from cytotrial.io.input_checks import check_config, check_config_files
from cytotrial.io.input_checks import check_distinct_fcs_content, normalise_config
from cytotrial.io.inputs import CLINICAL_TABLES, read_clinical_tables, read_sample_sheet
from cytotrial.io.inputs import check_sample_sheet

SCHEMA_DIR = Path(workflow.basedir) / "config" / "schemas"
# An unquoted `cutoff_date: 2020-10-01` is a YAML date: ISO text from here on.
normalise_config(config)
validate(config, schema="../config/schemas/config.schema.yaml")
# the cut-off a real date, not in the future; comparisons of two timepoints of their part
check_config(config, SCHEMA_DIR)
# the files the config names exist (messages name the config key)
check_config_files(config)
# panel and gating template (or an imported template's population map) against their
# schemas, before any job: a misspelt key stops the run here, naming file, gate and key
check_flow_inputs(config["panel"], config["gating_template"])
DEMO_DIR = "results/demo"
# Demo mode: no sample sheet given, so the workflow simulates the demo trial.
DEMO = config["sample_sheet"] == "" and config["clinical_dir"] == ""

# sample_id -> its FCS file's SHA-256: filled by the main process of a user's trial
# (below); see fcs_sha256().
FCS_SHA256 = None
if DEMO:
    from cytotrial.simulate.trial import plan_demo_samples

    # The plan is a pure function of the seed; the files themselves are written
    # by the rule simulate_demo_trial (nothing is written at parse time).
    plan = plan_demo_samples(config["demo"]["seed"], DEMO_DIR)
    samples = check_sample_sheet(plan, "the demo's sample plan", SCHEMA_DIR)
    CLINICAL_DIR = f"{DEMO_DIR}/clinical"
elif config["sample_sheet"] and config["clinical_dir"]:
    samples = read_sample_sheet(config["sample_sheet"], SCHEMA_DIR)
    CLINICAL_DIR = config["clinical_dir"]
    # Fail at parse time: bad tables, unknown patients, missing FCS files, late
    # registration. Only in the main process: a cluster job parses this file again on
    # its node, after the main process checked everything, and needs only the sheet.
    if workflow.is_main_process:
        tables = read_clinical_tables(CLINICAL_DIR, SCHEMA_DIR)
        check_trial_inputs(
            samples, config["sample_sheet"], tables, CLINICAL_DIR, config["cutoff_date"]
        )
        # Every FCS file's SHA-256 (cached by file identity, cytotrial.io.fingerprints): a
        # param of its sample's job, so changed bytes rerun it even under an older mtime.
        FCS_SHA256 = dict(
            zip(samples["sample_id"], sha256_of_files(samples["fcs"], Sha256Cache()))
        )
        check_distinct_fcs_content(samples, config["sample_sheet"], FCS_SHA256)
else:
    raise InputError(
        "config: give both sample_sheet and clinical_dir (your trial), or neither (the demo)"
    )

# The sheet was validated against config/schemas/samples.schema.yaml above, defaults
# filled in (check_sample_sheet): like snakemake's validate(), but with one jsonschema
# call per distinct value instead of per row, and messages that name the line.


# The sheet's ID pattern (config/schemas/samples.schema.yaml), not an alternation of every
# ID: a regex of thousands of IDs made matching each file to its rule the DAG's main cost.
wildcard_constraints:
    sample="[A-Za-z0-9][A-Za-z0-9_-]*",


SAMPLE_IDS = samples["sample_id"].tolist()
# A dict, not samples.loc: looked up several times per job while the DAG is built.
FCS_OF_SAMPLE = dict(zip(samples["sample_id"], samples["fcs"]))


def fcs_of_sample(wildcards):
    """The FCS file of one sample."""
    return FCS_OF_SAMPLE[wildcards.sample]


@functools.cache
def job_step_sha256_cache():
    """The main process's cache, read (not written) by cluster job steps."""
    return Sha256Cache()


def fcs_sha256(wildcards):
    """The SHA-256 of a sample's FCS file: its job's param (changed bytes rerun it).

    Demo: "" (the files are the simulator's outputs; their mtimes are Snakemake's own).
    A cluster job step (`--mode remote`) parses this file again and builds only its own
    jobs: it looks its file up in the main process's cache, so the value is the one the
    main process recorded unless the file changed since; the metadata (and so the next
    run's comparison) holds the main process's value, the job's record the bytes it read.
    """
    return sha256_of_sample(wildcards.sample)


def sha256_of_sample(sample):
    if DEMO:
        return ""
    if FCS_SHA256 is not None:
        return FCS_SHA256[sample]
    return job_step_sha256_cache().sha256(FCS_OF_SAMPLE[sample])


def sha256_of_file(path):
    """The SHA-256 of an FCS file outside the sample sheet (a batch control file)."""
    return job_step_sha256_cache().sha256(path)


def all_fcs_sha256(wildcards):
    """Every sample's FCS SHA-256, in sheet order (the inventory reads every file)."""
    return [sha256_of_sample(sample) for sample in SAMPLE_IDS]


@functools.cache
def panel_spillover_matrix():
    """The spillover matrix file named in the panel, if any (an input: changing it reruns).
    Cached: several rules ask, and reading and checking the panel costs ~0.09 s."""
    from cytotrial.io.panel import read_panel

    matrix = read_panel(config["panel"]).spillover_matrix
    return [str(matrix)] if matrix else []


def analyse_mem_mb(wildcards):
    """A few float32 copies of the file's events, plus the interpreter.

    The size comes from os.stat, not `input.size_mb`: that starts an event loop per
    call, seconds for a cohort of thousands. A demo file not yet simulated counts
    as the simulator will write it.
    """
    fcs = Path(fcs_of_sample(wildcards))
    size_mb = fcs.stat().st_size / 1e6 if fcs.exists() else demo_fcs_mb()
    return int(400 + 12 * size_mb)


def demo_fcs_mb():
    """Size of one simulated FCS file: events x 14 float32 channels
    (cytotrial.simulate.flow.sample.CHANNELS; not imported here, to keep parsing cheap).
    """
    return config["demo"]["events_per_file"] * 14 * 4 / 1e6


def all_fcs_files():
    """Every sample's FCS file, in sample-sheet order."""
    return samples["fcs"].tolist()


# FlowJo review workspaces (rules/flow.smk): one per batch of the sheet, named by a
# file-safe form of the batch (two batches with the same name stop the run here).
FLOWJO_STEMS = batch_file_stems(samples["batch"].astype(str).tolist())  # batch -> stem
FLOWJO_BATCH_OF_STEM = {stem: batch for batch, stem in FLOWJO_STEMS.items()}


def flowjo_batch_samples(wildcards):
    """The batch's sample IDs, in sample-sheet order."""
    batch = FLOWJO_BATCH_OF_STEM[wildcards.stem]
    return samples.loc[samples["batch"].astype(str) == batch, "sample_id"].tolist()


def flowjo_batch_files(kind):
    """Input function: one per-sample output kind of the batch's samples."""
    return lambda wildcards: [
        f"results/flow/samples/{sample}.{kind}"
        for sample in flowjo_batch_samples(wildcards)
    ]


def flowjo_batch_records(wildcards):
    """The sheet's pseudonymous columns of the batch's samples (no FCS path): FlowJo keywords."""
    members = samples["sample_id"].isin(flowjo_batch_samples(wildcards))
    columns = ["sample_id", "patient_id", "part", "timepoint", "batch"]
    return samples.loc[members, columns].to_dict("records")


def sample_records(with_counts=False):
    """The sheet as plain records, for aggregate rules (adding a sample reruns them)."""
    columns = ["sample_id", "patient_id", "part", "timepoint", "batch", "fcs"]
    if with_counts:
        columns.append("leukocytes_per_ul")
    return samples.reindex(columns=columns).to_dict("records")


def clinical_tables(wildcards=None):
    """The clinical tables as named inputs."""
    return {name: f"{CLINICAL_DIR}/{name}.csv" for name in CLINICAL_TABLES}


def provenance_files():
    """Every input file the results depend on, by role (the report lists their SHA-256)."""
    sheet = f"{DEMO_DIR}/samples.tsv" if DEMO else config["sample_sheet"]
    files = {
        "sample sheet": sheet,
        "panel": config["panel"],
        "gating template": config["gating_template"],
        "AE table layout": config["clinical"]["ae_table_rows"],
    }
    if IMPORTED_GATING:  # defined in flow.smk, parsed before any rule asks
        files["gating subset map"] = str(population_map_path(config["gating_template"]))
    files.update({"spillover matrix": path for path in panel_spillover_matrix()})
    if config["flow"]["controls_sheet"]:  # issue 16: batch control files
        files["controls sheet"] = config["flow"]["controls_sheet"]
    if config["flow"]["review"]:  # issue 16: a reviewer's decisions
        files["gating review"] = config["flow"]["review"]
    files.update(
        {f"clinical table {name}": path for name, path in clinical_tables().items()}
    )
    files.update({"clinical table lab_values": path for path in LAB_INPUTS.values()})
    return files


def simulate_mem_mb(wildcards, threads):
    """Memory for the simulator: a few copies of one file's events per thread."""
    return int(500 + threads * 8 * demo_fcs_mb())


def get_final_output():
    """Targets of the default target: the merged report (it depends on everything else)."""
    return ["results/report/cytotrial_report.html"]


# Small jobs that read every sample's outputs: on a cluster (profiles/slurm) they run
# in the main snakemake process instead of waiting in the queue for a node.
localrules:
    all,
    clinical_all,
    flow_sample_inventory,
    flow_aggregate,
    flow_flowjo_workspace,
    flowjo_workspaces,
    report,


# Pooled gates and batch controls (rules/flow.smk defines POOL, GROUP_OF, POOLED_CUTS,
# CONTROL_GATES and BATCH_OF; these functions read them when the rules call them).
def members_of_group(wildcards):
    """The group's samples (id, FCS file), in sheet order: a new member reruns the group."""
    return [
        {"sample_id": s, "fcs": FCS_OF_SAMPLE[s]}
        for s in SAMPLE_IDS
        if GROUP_OF.get(s) == wildcards.group
    ]


def pooled_cuts_dependency(wildcards):
    """The sample's group job must have run in this run before its job is built: the
    checkpoint's get() defers the job until then; the job then depends on the group's
    cuts only through the `pooled` param, never the file's time stamp."""
    if POOL:
        checkpoints.flow_pool_group.get(pool=POOL, group=GROUP_OF[wildcards.sample])
    return []


def all_pooled_cuts():
    """Every group's cuts file: the aggregate's inputs, so that the group jobs run even
    when every member's outputs exist (a template switched to pooled gates, a deleted
    results/flow/pooled): a member's first DAG pass waits for its checkpoint and checks
    nothing else, so without this the members would never be checked again."""
    groups = sorted(set(GROUP_OF.values()))
    return [POOLED_CUTS.format(pool=POOL, group=group) for group in groups]


def pooled_cuts_param(wildcards):
    """The applied cuts of the sample's group (compact JSON; "" without pooled gates).
    They change only when a cut moved more than the template's tolerance, so only then
    do the members rerun (Snakemake's params trigger)."""
    if not POOL:
        return ""
    return applied_of(POOLED_CUTS.format(pool=POOL, group=GROUP_OF[wildcards.sample]))


def batch_controls(wildcards):
    """The sample's batch's control levels (a file input: new controls rerun the batch)."""
    if not CONTROL_GATES:
        return []
    return [f"results/flow/controls/{BATCH_OF[wildcards.sample]}.json"]


def review_param(wildcards):
    """The sample's own corrected cuts (compact JSON, "" without any): only a change of
    them reruns its job; accept / exclude and the reasons are the aggregate's.
    DECISIONS: the review file as rules/flow.smk read it at parse time."""
    from cytotrial.flow.sample.review import corrections_param

    return corrections_param(DECISIONS, wildcards.sample)
