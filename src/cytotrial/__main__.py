"""Allow ``python -m cytotrial ...``."""

from cytotrial.cli import main

__all__ = []

raise SystemExit(main())
