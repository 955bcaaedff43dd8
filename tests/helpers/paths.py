"""Repository paths and the optional ../shared folder."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SHARED = REPO.parent / "shared"
SCHEMA_DIR = REPO / "config" / "schemas"


# R's golden values for the statistics tests, copied with their provenance (README there)
R_REFERENCE = REPO / "tests" / "data" / "r-reference"


def shared_path(*parts: str) -> Path:
    """A path under ../shared, or skip the test with a message when it is absent."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"{path} not found: ../shared (developer material) is not beside this clone")
    return path
