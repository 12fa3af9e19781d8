"""Make the docs tooling in ``docs/_ext`` importable from the tests that check it."""

import sys
from pathlib import Path

DOCS = Path(__file__).resolve().parents[1] / "docs"
sys.path.insert(0, str(DOCS / "_ext"))
