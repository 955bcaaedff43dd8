"""Make `import cytotrial` resolve to this checkout's src/cytotrial, in every job.

Snakemake puts this folder on sys.path for every `script:` job; each script imports
this module first. Snakemake's preamble has by then appended the main process's
sys.path (site-packages, PYTHONPATH), where another cytotrial may be installed (an
older release, a second checkout). The report names this checkout's commit, so the
job must run this checkout's code: src/ goes to the front of sys.path even when it
is already further down, and the import is checked.

A cytotrial already imported from elsewhere is an error, not purged: objects made from
it (unpickled params, registered classes) would outlive a purge and mix two versions.
Snakemake's preamble imports only snakemake, so this guards, it is not a routine path.
rules/common.smk runs this file too, so the main process holds the same guarantee.
"""

import os
import sys
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src"
PACKAGE = SRC / "cytotrial"


def _same_place(entry: str) -> bool:
    try:
        return os.path.samefile(entry or ".", SRC)
    except OSError:
        return False


def _loaded_from() -> Path | None:
    module = sys.modules.get("cytotrial")
    where = getattr(module, "__file__", None) if module is not None else None
    return Path(where).resolve().parent if where else None


if PACKAGE.is_dir():
    sys.path[:] = [str(SRC)] + [entry for entry in sys.path if not _same_place(entry)]
    loaded = _loaded_from()
    if "cytotrial" in sys.modules and loaded != PACKAGE:
        raise ImportError(
            f"cytotrial was already imported from {loaded} before {SRC} could be put "
            "first on sys.path; this job must run the checkout's code. Start the job "
            "without that cytotrial on PYTHONPATH (or uninstall it) and run again."
        )
    import cytotrial  # noqa: E402, F401 - resolved now, from SRC (checked below)

    if _loaded_from() != PACKAGE:
        raise ImportError(f"`import cytotrial` found {_loaded_from()}, expected {PACKAGE}")
