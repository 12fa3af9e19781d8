"""Make the docs tooling in ``docs/_ext`` importable from the tests that check it."""

import os
import sys
from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parents[1] / "docs"
sys.path.insert(0, str(DOCS / "_ext"))
# The site audit (tools/site_audit), whose offline parts are tested here.
sys.path.insert(0, str(DOCS.parent / "tools"))

# tests/ is no package and pytest imports with --import-mode=importlib, which
# leaves sys.path alone, so sample_functions.py (what the test files share) is
# importable only once this folder is on the path.
TESTS = Path(__file__).resolve().parent
sys.path.insert(0, str(TESTS))
# pytest rewrites asserts only in test files and conftest; the shared helpers
# assert too, and their failures should show the values as well.
pytest.register_assert_rewrite("sample_functions")

# tests/browser drives Chromium: `nox -s audit`, whose environment has Playwright
# and which installs the browser, runs it by setting this variable; the
# unit-test session leaves the folder out.
collect_ignore = [] if os.environ.get("AUTOGRAD_GUIDE_BROWSER_TESTS") else ["browser"]
