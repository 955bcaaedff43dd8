"""File checksums: the SHA-256 that identifies an input in records and provenance."""

from __future__ import annotations

import hashlib
from pathlib import Path

CHUNK_BYTES = 1 << 20


def sha256_of_file(path: str | Path) -> str:
    """Hex SHA-256 of a file, read in chunks (bounded memory for any file size)."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(CHUNK_BYTES):
            digest.update(chunk)
    return digest.hexdigest()
