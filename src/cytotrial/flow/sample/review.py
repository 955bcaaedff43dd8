"""A reviewer's decisions on flagged gates (issue 16): read, checked, and what each changes.

The review file (config flow.review; schema config/schemas/gating_review.schema.yaml) is
a YAML list, one decision per sample and gate, as the reviewer writes it:

    - {sample: PT001_A_C1D1, gate: nk_cells, decision: accept, reason: "...",
       reviewer: AB, date: 2026-11-30}

- accept: the gate's own flags (engine and cohort QC), and so what they flagged below it,
  no longer count; a population keeps any other flag (another gate's, its sample's).
- exclude: the population and every one below it get status `excluded`: left out of the
  statistics whatever flow.statistics.include_flagged says.
- correct: the sample is gated again with the reviewer's cut (`value` for a threshold or
  tail gate, `x` / `y` for a quadrant gate, transformed units); the gates below follow,
  and the gate's remaining own flags count as reviewed, as for accept.

The per-sample job sees only its own corrections (`corrections_param`), so accept and
exclude rerun the aggregate and what follows, a correction one sample's job too.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from cytotrial.errors import InputError
from cytotrial.io.document_checks import (
    did_you_mean,
    problem,
    read_yaml,
    schema_problems,
)
from cytotrial.io.input_checks import past_date_problem
from cytotrial.io.problems import raise_problems

__all__ = [
    "DECISION_COLUMNS",
    "Decision",
    "read_review",
    "corrections_param",
    "apply_decisions",
    "sharing_gates",
    "decisions_table",
]

if TYPE_CHECKING:  # the per-sample job imports this module and must not load pandas
    import pandas as pd

    from cytotrial.flow.gating.template import GateSpec

ACCEPT, EXCLUDE, CORRECT = "accept", "exclude", "correct"
VERBS = {ACCEPT: "accepted", EXCLUDE: "excluded", CORRECT: "corrected"}
# The decisions table (results/flow/review_decisions.tsv, the report's table).
DECISION_COLUMNS = ["sample_id", "gate", "decision", "cut", "reason", "reviewer", "date", "applied"]


@dataclass(frozen=True)
class Decision:
    """One entry of the review file (`index`: its place, from 1)."""

    index: int
    sample: str
    gate: str
    decision: str
    reason: str
    reviewer: str
    date: str
    cuts: dict[str, float] = field(default_factory=dict)  # correct: marker -> cut

    @property
    def note(self) -> str:
        """'accepted by AB 2026-11-30: reason' (the tables' words for it)."""
        return f"{VERBS[self.decision]} by {self.reviewer} {self.date}: {self.reason}"


def _label(content: Any, index: int) -> str:
    """'decision 2 (sample 'X', gate 'y')': the entry as a reviewer finds it in the file."""
    entry = content[index] if isinstance(content, list) and index < len(content) else None
    names = []
    if isinstance(entry, dict):
        names = [f"{key} {entry[key]!r}" for key in ("sample", "gate") if key in entry]
    return f"decision {index + 1}" + (f" ({', '.join(names)})" if names else "")


class _TextDates(yaml.SafeLoader):
    """YAML without its timestamp type: an unquoted 2026-11-30 stays the text written, so
    2026-02-30 is reported as not a real date rather than failing inside the parser. A key
    given twice in one entry is an error (YAML would silently keep the last)."""

    def construct_mapping(self, node, deep=False):
        seen = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                raise InputError(
                    f"line {key_node.start_mark.line + 1}: key {key!r} is given twice in one "
                    "entry; keep one"
                )
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


_TextDates.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _read(path: str | Path) -> Any:
    """The file's YAML (dates as text, a numeric sample ID as written); a syntax error
    names the file and line."""
    try:
        with open(path, encoding="utf-8") as handle:
            content = yaml.load(handle, Loader=_TextDates)  # noqa: S506 (a SafeLoader)
    except yaml.YAMLError:
        return read_yaml(path)  # its message names the file and line
    except InputError as exc:
        raise InputError(f"{path}, {exc}") from exc
    if isinstance(content, list):
        for entry in content:
            sample = entry.get("sample") if isinstance(entry, dict) else None
            if isinstance(sample, int) and not isinstance(sample, bool):
                entry["sample"] = str(sample)
    return content


def read_review(
    path: str | Path,
    sample_ids: Sequence[str],
    gates: Mapping[str, GateSpec] | None,
    today: dt.date | None = None,
) -> list[Decision]:
    """The decisions of a review file, checked: the schema, then samples of the sheet
    (`sample_ids`), gates of the template (`gates`: name -> spec; None for an imported
    template, whose gates the aggregate job checks), one decision per sample and gate, a
    real date not after `today`, a correction's cut fitting its gate. Raises InputError
    listing every problem, each naming the file, the entry and the key."""
    source = str(path)
    content = _read(path)
    if content is None:  # an empty file: no decision yet
        return []

    def locate(where: list[Any]) -> tuple[str, list[Any]]:
        if where and isinstance(where[0], int):
            return _label(content, where[0]), where[1:]
        return "", where

    problems = schema_problems(content, "gating_review", source, locate)
    raise_problems(problems, source)
    decisions, seen = [], {}
    for index, entry in enumerate(content):
        label = _label(content, index)
        found = _entry_problems(entry, sample_ids, gates, today or dt.date.today())
        problems += [problem(source, label, key, text) for key, text in found]
        pair = (entry["sample"], entry["gate"])
        if pair in seen:
            text = f"sample {pair[0]!r} and gate {pair[1]!r} already have decision {seen[pair]}"
            problems.append(problem(source, label, [], text + "; keep one"))
        seen.setdefault(pair, index + 1)
        if not found:
            cuts = _cuts(entry, gates[entry["gate"]]) if gates is not None else {}
            decisions.append(
                Decision(
                    index + 1,
                    entry["sample"],
                    entry["gate"],
                    entry["decision"],
                    entry["reason"].strip(),
                    entry["reviewer"].strip(),
                    entry["date"],
                    cuts,
                )
            )
    raise_problems(problems, source)
    return decisions


def _entry_problems(
    entry: Mapping[str, Any],
    sample_ids: Sequence[str],
    gates: Mapping[str, GateSpec] | None,
    today: dt.date,
) -> list[tuple[list[str], str]]:
    found: list[tuple[list[str], str]] = []
    sample, gate = entry["sample"], entry["gate"]
    if sample not in sample_ids:
        text = f"{sample!r} is not a sample of the sample sheet{did_you_mean(sample, sample_ids)}"
        found.append((["sample"], text))
    if gates is not None and gate not in gates:
        text = f"{gate!r} is not a gate of the gating template{did_you_mean(gate, gates)}"
        found.append((["gate"], text))
    date_problem = past_date_problem(entry["date"], today, "the day decided")
    if date_problem:
        found.append((["date"], date_problem))
    given = [key for key in ("value", "x", "y") if key in entry]
    if entry["decision"] == CORRECT and not given:
        text = (
            "a correction needs its cut: value (threshold or tail gate), or x and/or y "
            "(quadrant gate), in the gate's transformed units"
        )
        found.append((["decision"], text))
    elif entry["decision"] != CORRECT and given:
        text = f"{' and '.join(given)} is the cut of a correction (decision: correct)"
        found.append(([given[0]], text))
    elif entry["decision"] == CORRECT:
        if gates is None:
            text = "an imported template's gates are fixed: correct them in FlowJo or Gating-ML"
            found.append((["decision"], text))
        elif gate in gates:
            found += _cut_problems(entry, gates[gate], given)
    return found


def _cut_problems(
    entry: Mapping[str, Any], spec: GateSpec, given: list[str]
) -> list[tuple[list[str], str]]:
    """The keys a correction of this gate kind takes: value for a threshold or tail gate,
    x / y for a quadrant gate; other kinds have no cut to correct."""
    wanted = {"threshold": ["value"], "tail": ["value"], "quadrant": ["x", "y"]}.get(spec.kind)
    if wanted is None:
        text = (
            f"gate {spec.name!r} is a {spec.kind} gate: only threshold, tail and quadrant "
            "gates take a corrected cut (exclude the population instead)"
        )
        return [(["decision"], text)]
    wrong = [key for key in given if key not in wanted]
    return [
        (
            [key],
            f"gate {spec.name!r} is a {spec.kind} gate: its cut is given as "
            f"{' and/or '.join(wanted)}{did_you_mean(key, wanted)}",
        )
        for key in wrong
    ]


def _cuts(entry: Mapping[str, Any], spec: GateSpec) -> dict[str, float]:
    """marker -> the corrected cut of a `correct` entry ({} otherwise)."""
    if entry["decision"] != CORRECT:
        return {}
    p = spec.params
    if spec.kind == "threshold":
        return {p["threshold"].marker: float(entry["value"])}
    if spec.kind == "tail":
        return {p["marker"]: float(entry["value"])}
    return {p[axis].marker: float(entry[axis]) for axis in ("x", "y") if axis in entry}


def _corrections_of(decisions: Iterable[Decision], sample: str) -> dict[str, dict[str, float]]:
    """gate -> marker -> the corrected cut, of one sample."""
    return {d.gate: dict(d.cuts) for d in decisions if d.sample == sample and d.cuts}


def corrections_param(decisions: Iterable[Decision], sample: str) -> str:
    """One sample's corrections as compact JSON ("" without any): its job's param, so only
    a change of its own cuts reruns it (reasons and reviewers are the aggregate's)."""
    found = _corrections_of(decisions, sample)
    return json.dumps(found, sort_keys=True) if found else ""


def apply_decisions(
    tidy: pd.DataFrame,
    decisions: Sequence[Decision],
    parents: Mapping[str, str],
    own_flags: Mapping[tuple[str, str], Sequence[str]],
    shared: Mapping[tuple[str, str], Decision] | None = None,
) -> tuple[pd.DataFrame, dict[int, list[str]]]:
    """populations.tsv rows with each decision applied to its gate's population and those
    below it (`parents`: gate -> parent; `own_flags`: (sample, gate) -> the gate's own
    engine and cohort-QC flags), with a `review` column (the decisions bearing on the row);
    and decision index -> the populations it bears on. `shared`: (sample, gate) -> the
    correction whose cut that gate shares (a sibling on the same parent and marker): named
    in its rows' review, its flags untouched.

    A row under an exclude is `excluded`. Otherwise the own flags of accepted and corrected
    gates on its path are dropped from its flags (kept when a gate on the path that was not
    reviewed has the same flag); it is ok, its status_reason the decisions' notes, when no
    flag is left, else flagged with the flags left."""
    from cytotrial.flow.sample.status import EXCLUDED, FLAGGED, OK, split_flags

    tidy = tidy.copy()
    tidy["review"] = ""
    by_pair = {(d.sample, d.gate): d for d in decisions}
    shared = {k: d for k, d in (shared or {}).items() if k not in by_pair}
    hits: dict[int, list[str]] = {d.index: [] for d in decisions}
    for at, row in tidy.iterrows():
        sample = str(row["sample_id"])
        path = _path(row["gate"], parents)
        bearing = [(g, by_pair[sample, g]) for g in path if (sample, g) in by_pair]
        following = [shared[sample, g] for g in path if (sample, g) in shared]
        if not (bearing or following) or row["status"] not in (OK, FLAGGED):
            continue  # a decision never revives a failed value
        for decision in [d for _, d in bearing] + following:
            hits[decision.index].append(row["population"])
        notes = [d.note + ("" if g == row["gate"] else f" (gate {g})") for g, d in bearing]
        shares = [f"{d.note} (cut shared with gate {d.gate})" for d in following]
        tidy.at[at, "review"] = "; ".join(notes + shares)
        excluded = [n for n, (_, d) in zip(notes, bearing, strict=True) if d.decision == EXCLUDE]
        if excluded:
            tidy.at[at, "status"], tidy.at[at, "status_reason"] = EXCLUDED, "; ".join(excluded)
            continue
        reviewed = {g for g, _ in bearing}
        kept = {f for g in path if g not in reviewed for f in own_flags.get((sample, g), ())}
        cleared = {f for g in reviewed for f in own_flags.get((sample, g), ())}
        left = [f for f in split_flags(row["status_reason"]) if f not in cleared or f in kept]
        if left:
            tidy.at[at, "status"], tidy.at[at, "status_reason"] = FLAGGED, ";".join(left)
        elif notes:
            tidy.at[at, "status"], tidy.at[at, "status_reason"] = OK, "; ".join(notes)
    return tidy, hits


def sharing_gates(
    decisions: Iterable[Decision], records: Mapping[str, Mapping[str, Any]]
) -> dict[tuple[str, str], Decision]:
    """(sample, gate) -> the correction whose cut the gate applied without being named in
    it: a sibling on the corrected gate's parent with a corrected cut on one of its
    markers (the sample records say which cuts were the reviewer's)."""
    found = {}
    for d in decisions:
        gates = (records.get(d.sample) or {}).get("gates") or {}
        parent = (gates.get(d.gate) or {}).get("parent")
        for name, applied in gates.items():
            corrected = {
                c.get("marker") for c in applied.get("cuts") or [] if c.get("method") == "corrected"
            }
            if name != d.gate and applied.get("parent") == parent and corrected & set(d.cuts):
                found[d.sample, name] = d
    return found


def _path(gate: str, parents: Mapping[str, str]) -> list[str]:
    """The gate, then each gate above it."""
    path, seen = [], set()
    while gate in parents and gate not in seen:
        seen.add(gate)
        path.append(gate)
        gate = parents[gate]
    return path


def decisions_table(
    decisions: Sequence[Decision], hits: Mapping[int, Sequence[str]], analysed: Iterable[str]
) -> pd.DataFrame:
    """One row per decision (DECISION_COLUMNS); `applied` names the reported populations
    it bears on (`hits`, apply_decisions), or why none (the sample failed; no reported
    population at or below the gate)."""
    import pandas as pd

    analysed = set(analysed)
    rows = []
    for d in decisions:
        if d.sample not in analysed:
            applied = "none: the sample's analysis failed (no values)"
        elif hits.get(d.index):
            applied = ", ".join(dict.fromkeys(hits[d.index]))
        else:
            applied = "none: no reported population at or below the gate"
        cut = "; ".join(f"{m} {v:g}" for m, v in d.cuts.items())
        rows.append([d.sample, d.gate, d.decision, cut, d.reason, d.reviewer, d.date, applied])
    return pd.DataFrame(rows, columns=DECISION_COLUMNS)
