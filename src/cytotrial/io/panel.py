"""The antibody panel: which channel carries which marker and how it is transformed."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cytotrial.errors import InputError
from cytotrial.io.document_checks import read_yaml, schema_problems
from cytotrial.io.problems import raise_problems

__all__ = [
    "Panel",
    "read_panel",
    "Channel",
]


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
    """Parse and check a panel YAML file against config/schemas/panel.schema.yaml; every
    problem is listed, each naming the file, the channel and the key."""
    content = read_yaml(path)
    content = {} if content is None else content

    def locate(where: list[Any]) -> tuple[str, list[Any]]:
        if len(where) >= 2 and where[0] == "channels" and isinstance(where[1], int):
            return _channel_label(content["channels"][where[1]], where[1]), where[2:]
        return "", where

    raise_problems(schema_problems(content, "panel", str(path), locate), str(path))
    channels = [
        Channel(
            # a stray space ("APC-A ") is no part of a name; FCS $PnN are stripped too
            channel=entry["channel"].strip(),
            marker=entry["marker"].strip(),
            role=entry["role"],
            transform=dict(entry.get("transform") or {}),
            compensate=entry.get("compensate", False),
            aliases=tuple(a.strip() for a in entry.get("aliases", [])),
        )
        for entry in content["channels"]
    ]
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


def _channel_label(entry: Any, index: int) -> str:
    """ "channel 'APC-A'" (or "channel entry 3" when the entry has no usable name)."""
    name = entry.get("channel") if isinstance(entry, dict) else None
    return f"channel {name!r}" if isinstance(name, str) and name else f"channel entry {index + 1}"
