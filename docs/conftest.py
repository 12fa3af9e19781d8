"""Collect every page of the site as pytest tests (see ``_ext/checks/page_doctests.py``)."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent / "_ext"))

from checks.page_doctests import page_sybil

pytest_collect_file = page_sybil(Path(__file__).parent).pytest()

# Only the pages are tests here: not the Sphinx configuration, its extensions
# or the kernel's IPython profile (pytest's --doctest-modules would import them).
collect_ignore_glob = ["conf.py", "_ext/*", "_ipython/*"]
