"""Provenance for the report: what went in (checksums), which code, when.

FCS files are listed by their pseudonymous sample ID, not their path: file names
written by acquisition software often carry patient names or hospital numbers.
Their SHA-256 was computed when each sample was analysed (it is in the sample's
JSON record), so the report does not read every FCS file a second time.
"""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterable, Mapping
from pathlib import Path

import pandas as pd

from cytotrial.io.checksums import sha256_of_file
from cytotrial.io.records import read_record
from cytotrial.report.model import Provenance, ReportTable

__all__ = [
    "input_checksums",
    "archived_commit",
    "git_commit",
    "report_provenance",
]


def input_checksums(
    named_files: Mapping[str, str | Path], sample_records: Iterable[Mapping]
) -> pd.DataFrame:
    """One row per input: configuration files by name, FCS files by sample ID.

    `named_files` maps a role ("sample sheet", "panel", "clinical table dates", ...)
    to a file; `sample_records` give each sample's ID and its FCS file's sha256.
    """
    rows = [
        {
            "input": role,
            "file": Path(path).name,
            "bytes": Path(path).stat().st_size,
            "sha256": sha256_of_file(path),
        }
        for role, path in named_files.items()
    ]
    rows += [
        {
            "input": f"FCS of sample {record['sample_id']}",
            "file": "(see sample sheet)",
            "sha256": record.get("sha256", ""),
        }
        for record in sample_records
    ]
    return pd.DataFrame(rows, columns=["input", "file", "bytes", "sha256"])


def git_commit(directory: str | Path) -> str:
    """The workflow's git commit ('+ local changes' if the tree is dirty), or why unknown."""

    def git(*args: str) -> str:
        return subprocess.run(
            ["git", "-C", str(directory), *args],
            capture_output=True,
            text=True,
            check=True,
            timeout=30,
        ).stdout.strip()

    try:
        commit = git("rev-parse", "HEAD")
        dirty = git("status", "--porcelain", "--untracked-files=no")
    except (OSError, subprocess.SubprocessError):
        archived = archived_commit(directory)
        if archived:
            return f"{archived} (recorded by git archive: the workflow is a copy, not a checkout)"
        return (
            "unknown (the workflow is not a git checkout and its .git_archival.txt records "
            "no commit, or git is not installed)"
        )
    return f"{commit} + local changes" if dirty else commit


ARCHIVAL_FILE = ".git_archival.txt"
_NODE = re.compile(r"^node:\s*([0-9a-f]{40})\s*$", re.MULTILINE)


def archived_commit(directory: str | Path) -> str:
    """The commit `git archive` wrote into the workflow's .git_archival.txt (export-subst
    in .gitattributes), or '' (no file, or a checkout's unsubstituted placeholder)."""
    path = Path(directory) / ARCHIVAL_FILE
    if not path.is_file():
        return ""
    match = _NODE.search(path.read_text(errors="replace"))
    return match.group(1) if match else ""


def report_provenance(
    roles: list[str],
    files: list[str],
    record_files: list[str],
    workflow_dir: str | Path,
) -> Provenance:
    """The report's provenance: inputs (role i is file i), FCS checksums, git commit."""
    records = [read_record(path) for path in record_files]
    fcs = [{"sample_id": r["sample_id"], "sha256": r.get("file_sha256", "")} for r in records]
    checksums = input_checksums(dict(zip(roles, files, strict=True)), fcs)
    table = ReportTable(
        "Input files",
        checksums,
        "input_checksums.csv",
        "SHA-256 of every input. FCS files are named by sample ID only (file names can "
        "identify patients); the sample sheet maps IDs to files.",
        n=f"n = {len(checksums)} input files",
    )
    return Provenance(commit=git_commit(workflow_dir), checksums=table)
