"""The config's ``demo:`` section as a typed, frozen object (defaults: the schema's only)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from cytotrial.io.config_schema import schema_default, section_values

__all__ = [
    "DemoSettings",
]


@dataclass(frozen=True)
class DemoSettings:
    """demo: the simulated trial's seed and events per FCS file (used without a sample sheet)."""

    seed: int = schema_default("demo", "seed")
    events_per_file: int = schema_default("demo", "events_per_file")

    @classmethod
    def from_config(cls, demo: Mapping[str, Any] | None) -> DemoSettings:
        """From the config's demo section."""
        return cls(**section_values(demo, "demo"))
