"""A small user-mode trial for workflow tests: the demo's clinical tables, few FCS files.

The workflow runs on it as on a site's own data (config `sample_sheet` + `clinical_dir`),
in a minute instead of the full demo's several.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import yaml

from cytotrial.simulate.clinical.trial import simulate_clinical
from cytotrial.simulate.flow.sample import simulate_sample, write_sample
from cytotrial.simulate.trial import DEFAULT_SEED, plan_demo_samples


def simulate_small_trial(
    directory: Path,
    patients: list[str],
    events_per_file: int = 2000,
    seed: int = DEFAULT_SEED,
) -> pd.DataFrame:
    """Write the demo's clinical tables and the FCS files of `patients`; return their sheet.

    The returned sheet has absolute FCS paths; `write_config` turns it into a run.
    """
    directory = Path(directory)
    simulate_clinical(seed).write(directory / "clinical")
    plan = plan_demo_samples(seed, directory)
    sheet = plan[plan["patient_id"].isin(patients)].reset_index(drop=True)
    for row in sheet.to_dict("records"):
        write_sample(
            simulate_sample(row, seed, events_per_file), Path(row["fcs"]), directory / "truth"
        )
    sheet["fcs"] = [str(Path(path).resolve()) for path in sheet["fcs"]]
    return sheet


def patient_with_samples(at_least: int, exclude: list[str], seed: int = DEFAULT_SEED) -> str:
    """The first patient (by ID) not in `exclude` with at least `at_least` FCS files in the
    demo's plan: tests that need another patient's files (a late arrival, a spare backup)
    then hold whichever patients a new default seed gives samples to."""
    plan = plan_demo_samples(seed, ".")  # paths unused
    counts = plan[~plan["patient_id"].isin(exclude)].groupby("patient_id").size()
    return str(counts[counts >= at_least].index.min())


def write_config(workflow: Path, sheet: pd.DataFrame, clinical_dir: Path) -> Path:
    """Sample sheet + config file in `workflow`; run with `--configfile <returned path>`."""
    sheet_path = workflow / "samples.tsv"
    sheet.to_csv(sheet_path, sep="\t", index=False)
    config = {"sample_sheet": str(sheet_path), "clinical_dir": str(Path(clinical_dir).resolve())}
    config_path = workflow / "small_trial.yaml"
    config_path.write_text(yaml.safe_dump(config))
    return config_path
