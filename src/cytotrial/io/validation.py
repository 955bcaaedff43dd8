"""Check input tables against the JSON schemas in config/schemas.

The messages name the file, the line, the row's ID and the field, and list every
problem at once instead of the first (``snakemake.utils.validate``, used for the
config, stops at the first and names neither line nor ID).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from jsonschema import Draft202012Validator

from cytotrial.io.problems import raise_problems
from cytotrial.io.schemas import default_schema_dir, load_schema  # noqa: F401 (re-exported)

__all__ = [
    "row_records",
    "describe_error",
    "property_default",
    "fill_defaults",
    "complete_columns",
    "validate_rows",
    "table_errors",
]


def row_records(table: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows as dicts without empty cells (an empty cell means 'not given')."""
    return [
        {key: value for key, value in record.items() if not _is_missing(value)}
        for record in table.to_dict("records")
    ]


def _is_missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and value != value) or value is pd.NA


def describe_error(error: Any, field: str | None = None) -> str:
    """One line per schema violation: which field, what was found, what is allowed.

    `field` is the dotted path of the value in the row (default: the error's own path).
    """
    if field is None:
        field = ".".join(str(part) for part in error.absolute_path)
    if error.validator == "enum":
        allowed = ", ".join(repr(v) for v in error.validator_value)
        return f"field '{field}': {error.instance!r} is not allowed (expected one of {allowed})"
    if error.validator == "pattern":
        return (
            f"field '{field}': {error.instance!r} does not match {error.validator_value!r}"
            + _pattern_hint(field)
        )
    if error.validator == "maxLength" and isinstance(error.instance, str):
        return (
            f"field '{field}': {len(error.instance)} characters, at most "
            f"{error.validator_value} allowed" + _length_hint(field)
        )
    if field:
        return f"field '{field}': {error.message}"
    return error.message  # 'required' and 'additionalProperties' name the field themselves


def _length_hint(field: str) -> str:
    return (
        " (IDs are used in file names, which have a length limit)" if field.endswith("_id") else ""
    )


def _pattern_hint(field: str) -> str:
    if field.endswith("_id"):
        return " (IDs are used in file names: letters, digits, '_' and '-' only)"
    if "date" in field or field in {"part_a_start", "death", "last_followup"}:
        return " (dates are written YYYY-MM-DD)"
    return ""


def property_default(schema: dict[str, Any], column: str) -> tuple[bool, Any]:
    """(has a default, the default) of one property, following a local $ref
    (``{$ref: "#/$defs/finding"}`` takes the default of ``$defs/finding``)."""
    subschema = schema.get("properties", {}).get(column, {})
    if "default" in subschema:
        return True, subschema["default"]
    ref = subschema.get("$ref", "")
    if isinstance(ref, str) and ref.startswith("#/$defs/"):
        target = schema.get("$defs", {}).get(ref.removeprefix("#/$defs/"), {})
        if "default" in target:
            return True, target["default"]
    return False, None


def fill_defaults(table: pd.DataFrame, schema: dict[str, Any]) -> pd.DataFrame:
    """Empty cells (and absent columns) of properties with a schema `default` filled in,
    as ``snakemake.utils.validate(..., set_default=True)`` does, without a call per row."""
    table = table.copy()
    for column in schema.get("properties", {}):
        has_default, default = property_default(schema, column)
        if not has_default:
            continue
        if column not in table:
            table[column] = default
            continue
        empty = table[column].isna()
        if empty.any():  # otherwise the column keeps its type
            table[column] = table[column].astype(object).where(~empty, default)
    return table


def complete_columns(table: pd.DataFrame, schema: dict[str, Any]) -> pd.DataFrame:
    """Every property of `schema` as a column: an absent optional column means the same as
    a column of empty cells (validation cannot tell them apart either), so it is added
    empty, and then empty cells with a schema `default` get the default. Later code can
    index every documented column without a KeyError, and an absent column cannot mean
    anything but its documented default."""
    missing = [c for c in schema.get("properties", {}) if c not in table]
    if missing:
        empty = pd.DataFrame(
            {c: pd.Series(np.nan, index=table.index, dtype=object) for c in missing}
        )
        table = pd.concat([table, empty], axis=1)
    return fill_defaults(table, schema)


def validate_rows(
    table: pd.DataFrame, schema: dict[str, Any], source: str, id_column: str | None = None
) -> None:
    """Raise InputError listing every row of `table` that violates `schema`.

    `source` names the file in messages; line numbers count the header as line 1.
    The messages are those of validating each row on its own (empty cells left out),
    in row order; see `table_errors` for how that is done without a call per row.
    """
    problems = []
    ids = table.get(id_column) if id_column else None
    for row, _field, message in table_errors(table, schema):
        row_id = ""
        if ids is not None and not _is_missing(ids.iloc[row]):
            row_id = f" ({id_column} {ids.iloc[row]!r})"
        problems.append(f"{source}, line {row + 2}{row_id}: {message}")
    raise_problems(problems, source)


def table_errors(table: pd.DataFrame, schema: dict[str, Any]) -> list[tuple[int, list[str], str]]:
    """(row position, field path, message) of every violation, as row-by-row validation
    of `row_records(table)` would find them, sorted by row and field.

    A clinical table of thousands of rows repeats few values per column, and calling
    jsonschema once per row cost seconds at every workflow start. So a column that only
    its own property schema reads is checked once per distinct value, and the rest of
    the schema (required, additionalProperties, if/then between columns) once per
    distinct combination of the columns it reads, the others stood in for by a
    placeholder that keeps whether the cell was filled.
    """
    validator = Draft202012Validator(schema)
    properties = schema.get("properties", {})
    read_by_rows = _columns_read_by_rows(schema, list(table.columns))
    by_value = [c for c in table.columns if c in properties and c not in read_by_rows]
    errors: list[tuple[int, list[str], str]] = []
    for column in by_value:
        column_validator = validator.evolve(schema=properties[column])  # keeps the root for $ref
        codes, values = _distinct(table[column])
        for code, value in enumerate(values):
            for error in column_validator.iter_errors(value):
                path = [column, *map(str, error.absolute_path)]
                message = describe_error(error, ".".join(path))
                errors.extend((int(row), path, message) for row in np.flatnonzero(codes == code))
    rest = dict(schema, properties={k: ({} if k in by_value else v) for k, v in properties.items()})
    rest_validator = validator.evolve(schema=rest)
    # Rows that look alike to the rest of the schema share a key: per column, the code
    # of the value (columns it reads) or 0 for filled (by-value columns); -1 if empty.
    # The leading zeros keep the array two-dimensional for a table without columns.
    row_keys = np.column_stack(
        [np.zeros(len(table), dtype=np.intp)]
        + [
            table[c].notna().to_numpy(np.intp) - 1 if c in by_value else _distinct(table[c])[0]
            for c in table.columns
        ]
    )
    _, first_rows, groups = np.unique(row_keys, axis=0, return_index=True, return_inverse=True)
    groups = groups.reshape(-1)
    for group, first in enumerate(first_rows):
        record = row_records(table.iloc[[first]])[0]
        record = {key: (True if key in by_value else value) for key, value in record.items()}
        for error in rest_validator.iter_errors(record):
            path = list(map(str, error.absolute_path))
            message = describe_error(error, ".".join(path))
            errors.extend((int(row), path, message) for row in np.flatnonzero(groups == group))
    # stable: errors on one field keep jsonschema's order, as in a row-by-row run
    return sorted(errors, key=lambda error: (error[0], error[1]))


def _distinct(column: pd.Series) -> tuple[np.ndarray, list[Any]]:
    """Each row's code (-1 = empty cell) and the distinct filled values as Python objects.

    A column holds one type as read (read_table), so equal values are the same value.
    """
    codes, values = pd.factorize(column, use_na_sentinel=True)
    return codes, list(values.tolist())


# Keywords whose meaning depends on the whole row, not on one named property.
_WHOLE_ROW_KEYWORDS = {
    "patternProperties",
    "unevaluatedProperties",
    "propertyNames",
    "$ref",
    "$dynamicRef",
}


def _columns_read_by_rows(schema: dict[str, Any], columns: list[str]) -> set[str]:
    """Columns whose values the schema reads outside their own top-level property schema
    (if/then between columns, dependentSchemas); all `columns` when it cannot tell."""
    named: set[str] = set()
    outside = {k: v for k, v in schema.items() if k not in ("properties", "$defs")}
    stack: list[Any] = [outside]
    while stack:
        node = stack.pop()
        if isinstance(node, list):
            stack.extend(node)
        elif isinstance(node, dict):
            if _WHOLE_ROW_KEYWORDS & node.keys():
                return set(columns)
            for keyword in ("properties", "dependentRequired", "dependentSchemas"):
                if isinstance(node.get(keyword), dict):
                    named.update(node[keyword])
            stack.extend(node.values())
    return named
