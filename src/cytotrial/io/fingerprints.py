"""SHA-256 of input files at parse time, cached by file identity.

Snakemake reruns a job when an input is newer than its outputs; a file swapped with
`mv`, restored from a backup or copied with `cp -p` can be changed and older. The
workflow passes each FCS file's SHA-256 to its job as a param, so Snakemake's params
trigger reruns exactly the samples whose bytes changed.

Hashing thousands of files at every parse would cost minutes, so a hash is reused while
the file's identity is unchanged: (path, st_dev, st_ino, st_size, st_mtime_ns,
st_ctime_ns). A rename, a content write and `cp -p` all set ctime (which no user tool
can set back), so a swapped or restored file is hashed again; a plain `touch` is hashed
again once, finds the same SHA-256, and reruns nothing.

The cache is one JSON file, replaced atomically (cytotrial.io.atomic): two snakemake
processes may both write it and the last one wins; an entry is used only when the
identity matches exactly, so a lost or stale entry costs a re-hash, never a wrong hash.
"""

from __future__ import annotations

import json
import logging
import os
import time
from collections.abc import Iterable
from pathlib import Path

from cytotrial.errors import InputError
from cytotrial.io.atomic import write_text_atomic
from cytotrial.io.checksums import sha256_of_handle

__all__ = [
    "RACY_SECONDS",
    "identity",
    "Sha256Cache",
    "sha256_of_files",
]

log = logging.getLogger(__name__)

FORMAT = 1
# Under snakemake's own folder in the working directory: it survives reruns and goes
# with the metadata it complements (`rm -rf .snakemake` costs one re-hash of every file).
DEFAULT_CACHE = Path(".snakemake") / "cytotrial" / "file_sha256.json"
# A file changed within this many seconds of its hash may share its time stamps with the
# hashed version (coarse file-system clocks): such a hash is used but not cached.
RACY_SECONDS = 2

Identity = tuple[int, int, int, int, int]


def identity(stat: os.stat_result) -> Identity:
    return (stat.st_dev, stat.st_ino, stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns)


class Sha256Cache:
    """SHA-256 of files by path, re-hashing only files whose identity changed."""

    def __init__(self, path: str | Path = DEFAULT_CACHE) -> None:
        self.path = Path(path)
        self.entries = _load(self.path)
        self.used: dict[str, list] = {}
        self.hashed = 0

    def sha256(self, file: str | Path) -> str:
        """The file's SHA-256, from the cache when its identity is the one recorded."""
        key = os.path.abspath(file)
        current = identity(os.stat(key))
        entry = self.entries.get(key)
        if entry is not None and tuple(entry[:5]) == current:
            self.used[key] = entry
            return entry[5]
        digest, stable = _hash_stable(key)
        self.hashed += 1
        if time.time_ns() - max(stable[3], stable[4]) > RACY_SECONDS * 10**9:
            self.used[key] = [*stable, digest]
        return digest

    def save(self) -> None:
        """Write the entries used in this parse (files no longer listed drop out)."""
        if self.used == self.entries:
            return  # nothing new: no write at every parse
        try:
            text = json.dumps({"format": FORMAT, "files": self.used}, separators=(",", ":"))
            write_text_atomic(self.path, text)
        except OSError as error:  # a read-only working directory: hashes still right
            log.warning("could not write %s (%s): files will be hashed again", self.path, error)


def _hash_stable(path: str) -> tuple[str, Identity]:
    """SHA-256 and identity of one open file, which must not change while it is read."""
    with open(path, "rb") as handle:
        before = identity(os.fstat(handle.fileno()))
        digest = sha256_of_handle(handle)
        after = identity(os.fstat(handle.fileno()))
    if before != after:
        raise InputError(
            f"{path}: the file changed while its SHA-256 was computed (still being "
            "copied?); expected a complete file: run again when the copy has finished"
        )
    return digest, after


def sha256_of_files(files: Iterable[str], cache: Sha256Cache) -> list[str]:
    """SHA-256 of each file, in order, through `cache` (saved afterwards)."""
    digests = [cache.sha256(file) for file in files]
    cache.save()
    return digests


def _load(path: Path) -> dict[str, list]:
    """The cached entries; an unreadable or foreign cache is an empty one."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if data.get("format") == FORMAT and isinstance(data.get("files"), dict):
            return {
                key: entry
                for key, entry in data["files"].items()
                if isinstance(entry, list) and len(entry) == 6
            }
    except (OSError, ValueError, AttributeError):
        pass
    return {}
