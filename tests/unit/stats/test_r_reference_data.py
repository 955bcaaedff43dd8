"""The R reference values in tests/data/r-reference are the unchanged copy their README names."""

from __future__ import annotations

import hashlib

from helpers.paths import R_REFERENCE


def test_r_reference_files_match_their_recorded_sha256():
    listed = {}
    for line in (R_REFERENCE / "SHA256SUMS").read_text().splitlines():
        digest, name = line.split(maxsplit=1)
        listed[name] = digest
    assert len(listed) == 14  # 5 JSON of R results, 3 data sets, datasets.json, 5 paired sets
    on_disk = {
        str(p.relative_to(R_REFERENCE))
        for p in R_REFERENCE.rglob("*")
        if p.is_file() and p.name not in {"SHA256SUMS", "README.md", "README.shared.md"}
    }
    assert on_disk == set(listed), "a reference file was added or removed without SHA256SUMS"
    for name, digest in listed.items():
        assert hashlib.sha256((R_REFERENCE / name).read_bytes()).hexdigest() == digest, name
