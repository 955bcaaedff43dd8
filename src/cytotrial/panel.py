"""The antibody panel: which channel carries which marker and how it is transformed."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from cytotrial.errors import InputError

ROLES = ("scatter", "fluorescence", "time")


@dataclass(frozen=True)
class Channel:
    """One FCS channel of the panel."""

    channel: str
    marker: str
    role: str
    transform: dict[str, Any] = field(default_factory=dict)
    compensate: bool = False
    aliases: tuple[str, ...] = ()  # other names of the marker a file's $PnS may use


@dataclass(frozen=True)
class Panel:
    """The panel file's content."""

    instrument: str
    channels: tuple[Channel, ...]
    spillover_matrix: Path | None = None  # a matrix file that overrides the FCS files' own

    @property
    def channel_names(self) -> list[str]:
        return [c.channel for c in self.channels]

    def channel_for(self, marker: str) -> str:
        """The channel that carries `marker` (e.g. "CD38" -> "APC-A")."""
        for channel in self.channels:
            if channel.marker == marker:
                return channel.channel
        raise InputError(f"panel: no channel carries marker {marker!r}")


def read_panel(path: str | Path) -> Panel:
    """Parse and check a panel YAML file; errors name the entry and field."""
    with open(path, encoding="utf-8") as handle:
        content = yaml.safe_load(handle) or {}
    entries = content.get("channels")
    if not isinstance(entries, list) or not entries:
        raise InputError(f"{path}: expected a non-empty list under 'channels'")
    channels = []
    for number, entry in enumerate(entries, start=1):
        where = f"{path}, channel entry {number}"
        missing = [key for key in ("channel", "marker", "role") if key not in entry]
        if missing:
            raise InputError(f"{where}: missing field(s) {', '.join(missing)}")
        if entry["role"] not in ROLES:
            raise InputError(f"{where}: role {entry['role']!r} is not one of {', '.join(ROLES)}")
        aliases = entry.get("aliases", [])
        if not isinstance(aliases, list) or not all(isinstance(a, str) for a in aliases):
            raise InputError(f"{where}: aliases must be a list of names, e.g. [PTPRC]")
        channels.append(
            Channel(
                # a stray space ("APC-A ") is no part of a name; FCS $PnN are stripped too
                channel=str(entry["channel"]).strip(),
                marker=str(entry["marker"]).strip(),
                role=entry["role"],
                transform=dict(entry.get("transform") or {}),
                compensate=bool(entry.get("compensate", False)),
                aliases=tuple(a.strip() for a in aliases),
            )
        )
    names = [c.channel for c in channels]
    duplicated = sorted({n for n in names if names.count(n) > 1})
    if duplicated:
        raise InputError(f"{path}: channel(s) listed twice: {', '.join(duplicated)}")
    matrix = content.get("spillover_matrix")
    matrix_path = None
    if matrix:
        matrix_path = Path(path).parent / str(matrix)  # relative to the panel file
        if not matrix_path.is_file():
            raise InputError(f"{path}: spillover_matrix {matrix!r} not found ({matrix_path})")
    return Panel(str(content.get("instrument", "")), tuple(channels), matrix_path)
