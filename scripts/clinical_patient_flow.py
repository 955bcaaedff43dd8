"""Snakemake adapter: patient flow counts from the clinical tables."""

import _bootstrap  # noqa: F401

from cytotrial.cohort import patient_flow
from cytotrial.logs import log_to_file
from cytotrial.results import write_tsv
from cytotrial.tables import CLINICAL_TABLES, read_clinical_files


def main(smk) -> None:
    log_to_file(smk.log[0])
    tables = read_clinical_files({name: smk.input[name] for name in CLINICAL_TABLES})
    write_tsv(patient_flow(tables["patients"], smk.params.rp2d_atra_mg_m2), smk.output[0])


if "snakemake" in globals():
    main(snakemake)  # noqa: F821
