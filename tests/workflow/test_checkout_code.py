"""A job runs the checkout's code: `import cytotrial` in a script job resolves to the
workflow's own src/cytotrial, whatever else is installed or on PYTHONPATH.

Snakemake's script preamble appends the main process's sys.path (site-packages, where
another cytotrial may be installed, and PYTHONPATH) before the script's own imports run;
scripts/_bootstrap.py must still put the checkout first.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from helpers.workflow import SNAKEMAKE, copy_workflow

# A rule added to the real workflow (its Snakefile, rules/common.smk and a script that
# imports _bootstrap first, as every script does): the job writes where cytotrial came from.
PROBE_SNAKEFILE = """
include: "Snakefile"


rule probe:
    output:
        "probe.json",
    script:
        "scripts/probe.py"
"""
PROBE_SCRIPT = """
import _bootstrap  # noqa: F401
import json
import cytotrial
import cytotrial.io.checksums

with open(snakemake.output[0], "w") as handle:
    json.dump({"init": cytotrial.__file__, "module": cytotrial.io.checksums.__file__}, handle)
"""
# Another cytotrial, as an older install or a second checkout would provide it.
FAKE_INIT = """
import os
open(os.environ["FAKE_CYTOTRIAL_MARK"], "w").write("imported")
__version__ = "0.0.0-fake"
"""


def fake_package(folder: Path) -> Path:
    (folder / "cytotrial").mkdir(parents=True)
    (folder / "cytotrial" / "__init__.py").write_text(FAKE_INIT)
    (folder / "cytotrial" / "io").mkdir()
    (folder / "cytotrial" / "io" / "__init__.py").write_text("")
    (folder / "cytotrial" / "io" / "checksums.py").write_text("")
    return folder


def test_script_job_imports_the_checkouts_package(tmp_path):
    workflow = copy_workflow(tmp_path / "wf")
    (workflow / "probe.smk").write_text(PROBE_SNAKEFILE)
    (workflow / "scripts" / "probe.py").write_text(PROBE_SCRIPT)
    fake = fake_package(tmp_path / "elsewhere")
    mark = tmp_path / "fake_imported"
    env = {**os.environ, "PYTHONPATH": str(fake), "FAKE_CYTOTRIAL_MARK": str(mark)}
    args = [*SNAKEMAKE, "-s", "probe.smk", "--cores", "1", "probe.json"]
    result = subprocess.run(args, cwd=workflow, env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    imported = json.loads((workflow / "probe.json").read_text())
    src = (workflow / "src" / "cytotrial").resolve()
    assert Path(imported["init"]).resolve() == src / "__init__.py"
    assert Path(imported["module"]).resolve() == src / "io" / "checksums.py"
    assert not mark.exists(), "the job imported the other cytotrial first"


def test_bootstrap_stops_when_another_cytotrial_is_already_imported(tmp_path):
    workflow = copy_workflow(tmp_path / "wf")
    fake = fake_package(tmp_path / "elsewhere")
    code = (
        f"import sys; sys.path.insert(0, {str(fake)!r}); import cytotrial; "
        f"sys.path.insert(0, {str(workflow / 'scripts')!r}); import _bootstrap"
    )
    env = {**os.environ, "FAKE_CYTOTRIAL_MARK": str(tmp_path / "mark")}
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True
    )
    assert result.returncode != 0
    message = result.stderr
    assert "cytotrial was already imported from" in message, message
    assert str(fake / "cytotrial") in message and str(workflow / "src") in message, message
