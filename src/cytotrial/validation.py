"""Check input tables row by row against the JSON schemas in config/schemas.

The workflow also runs ``snakemake.utils.validate`` on the same schemas (it fills
in defaults); this module's job is the error message: it names the file, the line,
the row's ID and the field, and lists every problem at once instead of the first.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import yaml
from jsonschema import Draft202012Validator

from cytotrial.errors import InputError

MAX_REPORTED = 20  # enough to see a pattern, short enough to read


def default_schema_dir() -> Path:
    """config/schemas of the checkout this package was imported from."""
    return Path(__file__).resolve().parents[2] / "config" / "schemas"


def load_schema(name_or_path: str | Path, schema_dir: Path | None = None) -> dict[str, Any]:
    """Load a schema by file path or by short name ("samples" -> samples.schema.yaml)."""
    path = Path(name_or_path)
    if not path.suffix:
        path = (schema_dir or default_schema_dir()) / f"{name_or_path}.schema.yaml"
    with open(path, encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def row_records(table: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows as dicts without empty cells (an empty cell means 'not given')."""
    return [
        {key: value for key, value in record.items() if not _is_missing(value)}
        for record in table.to_dict("records")
    ]


def _is_missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and value != value) or value is pd.NA


def describe_error(error: Any) -> str:
    """One line per schema violation: which field, what was found, what is allowed."""
    field = ".".join(str(part) for part in error.absolute_path)
    if error.validator == "enum":
        allowed = ", ".join(repr(v) for v in error.validator_value)
        return f"field '{field}': {error.instance!r} is not allowed (expected one of {allowed})"
    if error.validator == "pattern":
        return (
            f"field '{field}': {error.instance!r} does not match {error.validator_value!r}"
            + _pattern_hint(field)
        )
    if field:
        return f"field '{field}': {error.message}"
    return error.message  # 'required' and 'additionalProperties' name the field themselves


def _pattern_hint(field: str) -> str:
    if field.endswith("_id"):
        return " (IDs are used in file names: letters, digits, '_' and '-' only)"
    if "date" in field or field in {"part_a_start", "death", "last_followup"}:
        return " (dates are written YYYY-MM-DD)"
    return ""


def validate_rows(
    table: pd.DataFrame, schema: dict[str, Any], source: str, id_column: str | None = None
) -> None:
    """Raise InputError listing every row of `table` that violates `schema`.

    `source` names the file in messages; line numbers count the header as line 1.
    """
    validator = Draft202012Validator(schema)
    problems: list[str] = []
    for index, record in enumerate(row_records(table)):
        for error in sorted(validator.iter_errors(record), key=lambda e: list(e.absolute_path)):
            row_id = f" ({id_column} {record[id_column]!r})" if id_column in record else ""
            problems.append(f"{source}, line {index + 2}{row_id}: {describe_error(error)}")
    if problems:
        shown = problems[:MAX_REPORTED]
        more = len(problems) - len(shown)
        tail = f"\n  ... and {more} more" if more else ""
        raise InputError(f"{len(problems)} problem(s) in {source}:\n  " + "\n  ".join(shown) + tail)
