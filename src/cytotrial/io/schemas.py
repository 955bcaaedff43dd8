"""Where the JSON schemas live, and loading one (no pandas: the per-sample job uses it)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

__all__ = [
    "default_schema_dir",
    "load_schema",
]


def default_schema_dir() -> Path:
    """config/schemas of the checkout this package was imported from."""
    return Path(__file__).resolve().parents[3] / "config" / "schemas"  # src/cytotrial/io/


def load_schema(name_or_path: str | Path, schema_dir: Path | None = None) -> dict[str, Any]:
    """Load a schema by file path or by short name ("samples" -> samples.schema.yaml)."""
    path = Path(name_or_path)
    if not path.suffix:
        path = (schema_dir or default_schema_dir()) / f"{name_or_path}.schema.yaml"
    with open(path, encoding="utf-8") as handle:
        # libyaml's loader where PyYAML has it: our own schema files, read many times at
        # Snakemake parse time (the pure-Python loader cost ~0.3 s there)
        return yaml.load(handle, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
