"""Does the file stain each panel channel with the panel's marker? ($PnS vs the panel)

A fluorochrome moved to another detector (CD38 in PE-Cy7-A instead of APC-A) would
otherwise be gated and measured as the wrong marker. Rules:

* names compare normalised: case-folded, everything but letters and digits dropped
  ("CD-38" = "cd38");
* $PnS names a marker when the marker, or one of the panel's `aliases` for it, equals
  one or more consecutive words of it: "CD38 APC", "CD38-APC" and "cd38" name CD38;
  "CD38" does not name CD3 (whole words, never substrings);
* scatter and time channels need no stain (real files rarely have one there);
* a fluorescence channel whose $PnS is empty, or only repeats $PnN, is analysed as the
  panel's marker and flagged: many cytometers leave $PnS empty unless the operator
  types it, so failing would reject good files, but nothing confirms the marker;
* any other $PnS that does not name the panel's marker is a panel_mismatch.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from cytotrial.io.panel import Panel

__all__ = [
    "check_stains",
    "StainCheck",
]

EXPECTED = "expected each panel channel's $PnS to name its panel marker or one of its aliases"


def _normalise(text: str) -> str:
    """'CD-38 ' -> 'cd38': case and punctuation do not distinguish markers."""
    return "".join(_words(text))


def _names_marker(stain: str, names: Sequence[str]) -> bool:
    """True if one of `names` (a marker and its aliases) is a run of words of `stain`."""
    words = _words(stain)
    runs = {"".join(words[i:j]) for i in range(len(words)) for j in range(i + 1, len(words) + 1)}
    return any(_normalise(name) in runs for name in names if _normalise(name))


def _words(text: str) -> list[str]:
    return re.findall(r"[^\W_]+", text.casefold())


@dataclass(frozen=True)
class StainCheck:
    """Panel channels whose stain differs (one clause each) or is not recorded."""

    mismatches: tuple[str, ...]
    unnamed: tuple[tuple[str, str], ...]  # (channel, the panel's marker assumed)

    @property
    def reason(self) -> str:
        return f"stain(s) not those of the panel: {'; '.join(self.mismatches)}; {EXPECTED}"

    @property
    def flags(self) -> tuple[str, ...]:
        if not self.unnamed:
            return ()
        listed = ", ".join(f"{channel} as {marker}" for channel, marker in self.unnamed)
        return (f"stain_not_named({listed})",)


def check_stains(panel: Panel, channels: Sequence[str], keywords: Mapping[str, str]) -> StainCheck:
    """Compare each fluorescence panel channel's $PnS with its marker. `channels` are the
    file's $PnN in file order (column i is $P{i+1}), each panel channel among them."""
    stains = [keywords.get(f"$P{i}S", "").strip() for i in range(1, len(channels) + 1)]
    stain_of = dict(zip(channels, stains, strict=True))
    mismatches, unnamed = [], []
    for channel in panel.channels:
        if channel.role != "fluorescence":
            continue
        stain = stain_of[channel.channel]
        names = (channel.marker, *channel.aliases)
        if _normalise(stain) in ("", _normalise(channel.channel)):
            unnamed.append((channel.channel, channel.marker))
        elif not _names_marker(stain, names):
            elsewhere = [
                c for c, s in stain_of.items() if c != channel.channel and _names_marker(s, names)
            ]
            found = (
                f"the file has {channel.marker} in {', '.join(elsewhere)}"
                if elsewhere
                else f"no channel of the file is stained {channel.marker}"
            )
            mismatches.append(
                f"{channel.channel} is stained {stain[:40]!r} where the panel has "
                f"{channel.marker} ({found})"
            )
    return StainCheck(tuple(mismatches), tuple(unnamed))
