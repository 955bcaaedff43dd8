"""Put the checkout's src/ on sys.path, so scripts run without `pip install`.

Snakemake puts this folder on sys.path for every `script:` job; importing this
module first makes `import cytotrial` work in conda environments too.
"""

import sys
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src"
if SRC.is_dir() and str(SRC) not in sys.path:
    sys.path.insert(0, str(SRC))
