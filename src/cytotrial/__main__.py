"""Allow ``python -m cytotrial ...``."""

from cytotrial.cli import main

raise SystemExit(main())
