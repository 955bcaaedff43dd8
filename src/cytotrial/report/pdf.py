"""A PDF of the HTML report, printed by headless Chromium (optional target).

Chromium lays the report out exactly as the browser shows it, so the PDF needs no
second layout engine. It is looked up on PATH; without it the rule fails with a
message saying what to install.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

from cytotrial.errors import InputError
from cytotrial.io.atomic import atomic_path

__all__ = [
    "html_to_pdf",
]

CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")


def _find_chromium() -> str:
    """Path of a Chromium/Chrome executable, or a clear error."""
    for name in CHROMIUM_NAMES:
        if found := shutil.which(name):
            return found
    raise InputError(
        "report PDF: no Chromium found on PATH (tried " + ", ".join(CHROMIUM_NAMES) + "); "
        "install it (Debian: apt install chromium) or build only the HTML report"
    )


def html_to_pdf(html: str | Path, pdf: str | Path, timeout_s: int = 300) -> None:
    """Print `html` to `pdf` (written atomically: a failed print leaves no file)."""
    chromium = _find_chromium()
    with tempfile.TemporaryDirectory() as profile, atomic_path(pdf) as tmp:
        subprocess.run(
            [
                chromium,
                "--headless=new",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-dev-shm-usage",
                f"--user-data-dir={profile}",  # never touch the user's own profile
                "--no-pdf-header-footer",
                f"--print-to-pdf={tmp}",
                Path(html).resolve().as_uri(),
            ],
            check=True,
            capture_output=True,
            timeout=timeout_s,
        )
        if not Path(tmp).is_file() or Path(tmp).read_bytes()[:5] != b"%PDF-":
            raise RuntimeError(f"Chromium did not print a PDF of {html}")
