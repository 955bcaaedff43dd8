"""Check a YAML document (gating template, panel) against its JSON schema.

Every message names the file, the entry (e.g. "gate 'lymphocytes'", "channel 'APC-A'")
and the key ("scatter_cluster.widen"), and a misspelt key gets the _closest valid one
("unknown key 'negativ_below'; did you mean 'negative_below'?"). All problems are
listed at once, not the first only.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

import yaml
from jsonschema import Draft202012Validator

from cytotrial.errors import InputError
from cytotrial.io.schemas import load_schema

__all__ = [
    "read_yaml",
    "did_you_mean",
    "problem",
    "schema_problems",
]

# (path of the offending value in the document) -> (entry label or "", key path)
Locate = Callable[[list[Any]], tuple[str, list[Any]]]


def read_yaml(path: str | Path) -> Any:
    """The file's YAML; a syntax error names the file and line, not just the parser's
    ScannerError."""
    try:
        with open(path, encoding="utf-8") as handle:
            return yaml.safe_load(handle)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f", line {mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise InputError(f"{path}{line}: not valid YAML ({problem})") from exc


def _closest(word: str, choices: Iterable[str]) -> str | None:
    """The valid name a typo most likely meant (case first: 'w' -> 'W'), or None."""
    choices = [str(c) for c in choices]
    same_case = [c for c in choices if c.lower() == str(word).lower()]
    if same_case:
        return same_case[0]
    found = difflib.get_close_matches(str(word), choices, n=1, cutoff=0.6)
    return found[0] if found else None


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    match = _closest(word, choices)
    return f"; did you mean {match!r}?" if match else ""


def problem(source: str, label: str, key: Sequence[Any], text: str) -> str:
    """'<file>, gate 'x', key 'a.b': text' (label and key left out when empty)."""
    where = str(source) + (f", {label}" if label else "")
    if key:
        where += f", key '{'.'.join(map(str, key))}'"
    return f"{where}: {text}"


def schema_problems(content: Any, schema_name: str, source: str, locate: Locate) -> list[str]:
    """One message per violation of config/schemas/<schema_name>.schema.yaml."""
    validator = Draft202012Validator(load_schema(schema_name))
    found: list[tuple[list[Any], str]] = []
    for error in validator.iter_errors(content):
        found += _describe(error)
    found.sort(key=lambda item: _sort_key(item[0]))
    problems = []
    for path, text in found:
        label, key = locate(path)
        problems.append(problem(source, label, key, text))
    return list(dict.fromkeys(problems))  # one message per problem


def _sort_key(path: list[Any]) -> list[tuple[int, int, str]]:
    return [(0, p, "") if isinstance(p, int) else (1, 0, str(p)) for p in path]


def _describe(error: Any) -> list[tuple[list[Any], str]]:
    """(path of the value, message) for one jsonschema error."""
    path = list(error.absolute_path)
    schema = error.schema if isinstance(error.schema, dict) else {}
    kind = error.validator
    if kind == "additionalProperties" and error.validator_value is False:
        allowed = list(schema.get("properties", {}))
        return [
            (
                [*path, key],
                f"unknown key {key!r}"
                + (did_you_mean(key, allowed) or f" (allowed keys: {', '.join(allowed)})"),
            )
            for key in error.instance
            if key not in allowed
        ]
    if kind == "required":
        hints = schema.get("x-missing", {})
        out = []
        for key in error.validator_value:
            if isinstance(error.instance, dict) and key not in error.instance:
                hint = hints.get(key) or schema.get("properties", {}).get(key, {}).get("x-missing")
                out.append(([*path, key], f"missing key {key!r}" + (f": {hint}" if hint else "")))
        return out
    if kind == "oneOf" and "x-oneOf" in schema:
        return [(path, schema["x-oneOf"])]
    if kind == "enum":
        allowed = ", ".join(repr(v) for v in error.validator_value)
        return [(path, f"{error.instance!r} is not one of {allowed}")]
    if kind == "minItems" and error.validator_value == 1:
        return [(path, "expected a non-empty list")]
    if kind == "not" and "x-not" in schema:
        return [(path, schema["x-not"].format(value=error.instance))]
    return [(path, error.message)]
