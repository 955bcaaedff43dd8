"""Logging set-up shared by the CLI and the Snakemake scripts."""

from __future__ import annotations

import logging
import sys
from pathlib import Path

__all__ = [
    "log_to_file",
]

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def log_to_file(path: str | Path | None, level: int = logging.INFO) -> None:
    """Send the package's log records (and uncaught tracebacks) to `path`.

    Snakemake scripts call this with ``snakemake.log[0]`` so that every rule's log
    holds what the package reported. Without a path, records go to stderr.
    """
    handler: logging.Handler
    if path is None:
        handler = logging.StreamHandler(sys.stderr)
    else:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        handler = logging.FileHandler(path, mode="w", encoding="utf-8")
    handler.setFormatter(logging.Formatter(FORMAT))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)

    def log_uncaught(exc_type, exc, tb):  # so a crash is in the rule's log, not only on screen
        logging.getLogger("cytotrial").critical("failed", exc_info=(exc_type, exc, tb))
        sys.__excepthook__(exc_type, exc, tb)

    sys.excepthook = log_uncaught
