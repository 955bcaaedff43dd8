"""File checksums: the SHA-256 that identifies an input in records and provenance."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import BinaryIO

__all__ = [
    "sha256_of_file",
    "sha256_of_handle",
]

CHUNK_BYTES = 1 << 20


def sha256_of_file(path: str | Path) -> str:
    """Hex SHA-256 of a file, read in chunks (bounded memory for any file size)."""
    with open(path, "rb") as handle:
        return sha256_of_handle(handle)


def sha256_of_handle(handle: BinaryIO) -> str:
    """Hex SHA-256 of an open file's whole content, read with pread: the handle's
    position is left as it was (the reader may use the same handle afterwards)."""
    digest = hashlib.sha256()
    fd, offset = handle.fileno(), 0
    while chunk := os.pread(fd, CHUNK_BYTES, offset):
        digest.update(chunk)
        offset += len(chunk)
    return digest.hexdigest()
