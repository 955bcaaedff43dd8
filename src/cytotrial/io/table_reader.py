"""One reader for every user table (sample sheet, clinical CSVs, lab values, spillover).

IDs are always strings ("007" stays "007"); only empty cells count as missing (so a value
such as "NA" is kept and then rejected by the schema, not silently dropped); '#' is data,
never a comment; a file that is not UTF-8, uses another delimiter, or has a row with more
or fewer fields than the header is an error naming its line.
"""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from cytotrial.errors import InputError
from cytotrial.io.problems import raise_problems

__all__ = ["read_table", "read_records", "check_unique", "parse_dates"]


_STRING_COLUMNS = {"sample_id": str, "patient_id": str, "batch": str, "fcs": str}


def read_table(
    path: str | Path,
    sep: str = ",",
    schema: Mapping[str, Any] | None = None,
    rows_expected: str | None = None,
) -> pd.DataFrame:
    """Read a user's CSV/TSV table: the one reader for the sample sheet and clinical tables.

    Strict, so that no value is silently lost or shifted: UTF-8 (a BOM is fine), `sep`
    as the delimiter, every row with one field per header column, no blank line or line
    break inside the table (line numbers in messages stay file line numbers: row i is on
    line i + 2). '#' is data, never a comment; only an empty cell is missing ("NA",
    "None" are values); IDs are text. `schema` (the table's JSON schema) names the columns
    an empty file should have and the required columns the header must have;
    `rows_expected` (e.g. "one row per patient") makes a header-only table an error,
    otherwise it is an empty table.
    """
    path = Path(path)
    required = list(schema.get("required", [])) if schema else []
    records = read_records(path, sep)
    if not records:
        columns = f" with the columns {', '.join(required)}" if required else ""
        raise InputError(
            f"{path}: file is empty: expected a header line{columns} ({_sep_name(sep)})"
        )
    header = records[0][1]
    _check_header(path, header, sep, required)
    problems = [
        _ragged(path, line, len(fields), len(header), sep)
        for line, fields in records[1:]
        if len(fields) != len(header)
    ]
    raise_problems(problems, str(path))
    if len(records) == 1 and rows_expected:
        raise InputError(f"{path}: no rows below the header: expected {rows_expected}")
    # The checked records, re-written as a plain table, give pandas only its types to infer.
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=sep, lineterminator="\n").writerows(f for _, f in records)
    table = pd.read_csv(
        io.StringIO(buffer.getvalue()),
        sep=sep,
        dtype={column: str for column in _STRING_COLUMNS if column in header},
        keep_default_na=False,
        na_values=[""],
        skip_blank_lines=False,
    )
    if len(table) != len(records) - 1 or list(table.columns) != header:  # never expected
        raise InputError(f"{path}: read {len(table)} rows of {len(records) - 1}; please report")
    _check_finite(path, table)
    return table


def read_records(path: str | Path, sep: str) -> list[tuple[int, list[str]]]:
    """(line number, fields) of the header and each row of a user's text table, decoded
    and split as `read_table` does (also for tables that are not data frames, such as a
    spillover matrix); trailing empty lines dropped, an empty file gives []."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: file not found")
    return _records(path, _decode(path, path.read_bytes()), sep)


def _sep_name(sep: str) -> str:
    return "tab-separated" if sep == "\t" else "comma-separated"


def _decode(path: Path, data: bytes) -> str:
    """`data` as text, or an InputError naming the line of the first byte that is not UTF-8."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise InputError(
            f"{path}: the file is UTF-16 text (Excel's 'Unicode Text'): save the file as UTF-8"
        )
    data = data.removeprefix(codecs.BOM_UTF8)  # Excel's "CSV UTF-8" starts with one
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = _line_of(data[: exc.start].decode("utf-8"))
        byte = data[exc.start]
        try:  # the usual culprit: a file saved by Excel as "CSV" on Windows
            hint = f" ({bytes([byte]).decode('cp1252')!r} in Windows-1252)"
        except UnicodeDecodeError:
            hint = ""
        raise InputError(
            f"{path}, line {line}: byte 0x{byte:02X} is not UTF-8{hint}: save the file as "
            "UTF-8 (in Excel: 'CSV UTF-8')"
        ) from None
    if "\x00" in text:
        raise InputError(
            f"{path}, line {_line_of(text[: text.index(chr(0))])}: a NUL byte: this is not a "
            "text table; save the file as UTF-8 text"
        )
    return text


def _line_of(before: str) -> int:
    """The line number of the character after `before` (\\n, \\r\\n and \\r end lines)."""
    return before.count("\n") + before.count("\r") - before.count("\r\n") + 1


def _records(path: Path, text: str, sep: str) -> list[tuple[int, list[str]]]:
    """(line number, fields) of the header and each row; trailing empty lines dropped.

    An empty line (or a row of empty cells) between rows, or a quoted cell running over
    a line break, is an error: either would make every later line number wrong.
    """
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=sep, skipinitialspace=True)
    records: list[tuple[int, list[str]]] = []
    problems: list[str] = []
    blank: list[int] = []
    last = 0
    for fields in reader:
        first, last = last + 1, reader.line_num
        if not any(field.strip() for field in fields):
            blank.append(first)
            continue
        if blank and records:  # a blank line with rows above and below it
            problems += [f"{path}, line {n}: empty line between rows: delete it" for n in blank]
        blank = []
        if last > first:
            problems.append(
                f"{path}, line {first}: a quoted cell runs on to line {last}: remove the line "
                "break from the cell, or add the missing closing '\"'"
            )
        records.append((first, fields))
    if blank and not records:
        return []  # nothing but blank lines: an empty file
    raise_problems(problems, str(path))
    return records


def _check_header(path: Path, header: list[str], sep: str, required: list[str]) -> None:
    """The delimiter is `sep`; columns named, once each; the schema's required columns."""
    others = {",": (";", "\t"), "\t": (",", ";")}.get(sep, ())
    found = [other for other in others if other in header[0]]
    if len(header) == 1 and found:
        shown = "a tab" if found[0] == "\t" else f"{found[0]!r}"
        raise InputError(
            f"{path}, line 1: found {shown} as the delimiter: save as {_sep_name(sep)}"
        )
    problems = []
    for position, name in enumerate(header, start=1):
        if not name.strip():
            problems.append(
                f"{path}, line 1: column {position} of the header has no name: name it, or "
                "delete the column"
            )
        elif header.count(name) > 1 and header.index(name) == position - 1:
            problems.append(
                f"{path}, line 1: column {name!r} appears {header.count(name)} times in the "
                "header; expected each column once"
            )
    problems += [
        f"{path}, line 1: no column {name!r} in the header; expected the columns "
        f"{', '.join(required)}"
        for name in required
        if name not in header
    ]
    raise_problems(problems, str(path))


def _ragged(path: Path, line: int, fields: int, columns: int, sep: str) -> str:
    """A row with more or fewer fields than the header, and the likely cause."""
    if fields > columns:
        why = (
            "a tab inside a cell?"
            if sep == "\t"
            else "a ',' inside a cell? put the cell in double quotes"
        )
    else:
        between = "two tabs" if sep == "\t" else "two commas (',,')"
        why = f"every column needs a field: leave an empty cell empty between {between}"
    return f"{path}, line {line}: {fields} fields, but the header has {columns} columns; {why}"


def _check_finite(path: Path, table: pd.DataFrame) -> None:
    """pandas reads 'inf' and 'Infinity' as numbers; no table holds an infinite value."""
    problems = []
    for column in table.columns:
        if pd.api.types.is_float_dtype(table[column]):
            for position in np.flatnonzero(np.isinf(table[column].to_numpy())):
                problems.append(
                    f"{path}, line {position + 2}: field '{column}': "
                    f"{table[column].iloc[position]} is not a finite number"
                )
    raise_problems(problems, str(path))


def check_unique(table: pd.DataFrame, columns: list[str], source: str) -> None:
    """Raise InputError naming the duplicated key(s) and their lines."""
    duplicated = table.duplicated(columns, keep=False)
    if duplicated.any():
        lines = [str(i + 2) for i in table.index[duplicated]]
        keys = table.loc[duplicated, columns].drop_duplicates().astype(str)
        shown = "; ".join(", ".join(row) for row in keys.itertuples(index=False))
        raise InputError(
            f"{source}: duplicated {' + '.join(columns)} ({shown}) on lines {', '.join(lines)}; "
            "each must appear once"
        )


def parse_dates(table: pd.DataFrame, columns: tuple[str, ...], source: str) -> pd.DataFrame:
    """Parse YYYY-MM-DD columns; an impossible date (2020-02-30) names its line."""
    table = table.copy()
    for column in columns:
        if column not in table:
            continue
        parsed = pd.to_datetime(table[column], format="%Y-%m-%d", errors="coerce")
        bad = parsed.isna() & table[column].notna()
        if bad.any():
            line = int(table.index[bad][0]) + 2
            raise InputError(
                f"{source}, line {line}: field '{column}': {table[column][bad].iloc[0]!r} "
                "is not a real date (expected YYYY-MM-DD)"
            )
        table[column] = parsed
    return table
