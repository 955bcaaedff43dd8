"""The workflow's default config with absolute resource paths."""

from __future__ import annotations


def default_config() -> dict:
    """config/config.yaml with its resource paths made absolute."""
    import yaml

    from helpers.paths import REPO

    config = yaml.safe_load((REPO / "config" / "config.yaml").read_text())
    for key in ("panel", "gating_template"):
        config[key] = str(REPO / config[key])
    return config
