"""Fixtures every tier may use, registered from tests/helpers (test modules never import
each other). The tiers: tests/unit/<subpackage> (functions on small inputs, under a minute in
all), tests/integration (the simulated demo trial through the job functions, real data in
../shared, the benchmarks, the report in Chromium), tests/workflow (Snakemake runs)."""

pytest_plugins = [
    "helpers.bad_input",
    "helpers.browser",
    "helpers.clinical_demo",
    "helpers.incremental",
]
