"""Sphinx configuration of the Autograd Guide."""

from __future__ import annotations

import os
import sys
from pathlib import Path

DOCS = Path(__file__).parent
ROOT = DOCS.parent
sys.path.insert(0, str(DOCS / "_ext"))

project = "Autograd Guide"
author = "Autograd Guide developers"
copyright = "2026, Autograd Guide developers"
language = "en"

extensions = [
    "myst_nb",
    "sphinx.ext.mathjax",
    "offline_assets",
    "execution_cache",
    "cell_checks",
    "stray_math",
    "image_alt",
    "page_description",
    "sphinx_copybutton",
]

# _page_template.md is the page contributors copy (CONTRIBUTING.md): checked by
# pytest like every page, but not part of the site.
exclude_patterns = ["_build", "_ipython", "**.ipynb_checkpoints", "_page_template.md"]

# --- Pages -----------------------------------------------------------------
myst_enable_extensions = [
    "amsmath",
    "colon_fence",
    "deflist",
    "dollarmath",
]
myst_heading_anchors = 3
# Links that cannot be resolved are build errors (nitpicky + -W), not plain text.
myst_all_links_external = False

# --- Execution -------------------------------------------------------------
# Every cell runs at build time. `execution_cache` (docs/_ext) picks the mode:
# "force" when CI=true or AUTOGRAD_GUIDE_EXECUTE=force, otherwise "cache"
# with a cache folder keyed on the helper package and the torch version, so
# a local rebuild can never show outputs computed by other code.
nb_execution_mode = "cache"
# The kernel reads its configuration from docs/_ipython (short tracebacks).
os.environ["IPYTHONDIR"] = str(DOCS / "_ipython")
nb_execution_timeout = 120
# A cell that raises fails the build with page, line, source and error:
# see docs/_ext/cell_checks.py, which sets the two execution_*_error options.
nb_execution_show_tb = True
nb_merge_streams = True
# Markdown that a cell displays (a table of timings) is read as MyST, tables included.
nb_render_markdown_format = "myst"
# Anything a cell writes to stderr (a warning) is shown and fails the strict build.
nb_output_stderr = "warn"

# --- Copy buttons ---------------------------------------------------------
# What is copied must run: strip ">>> " and "... " prompts, and leave out the
# output lines of doctest examples.
copybutton_prompt_text = r">>> |\.\.\. "
copybutton_prompt_is_regexp = True
copybutton_only_copy_prompt_lines = True
copybutton_exclude = ".linenos, .gp, .go"

# --- HTML ------------------------------------------------------------------
html_theme = "sphinx_book_theme"
html_title = "Autograd Guide"
html_last_updated_fmt = None
html_theme_options = {
    "show_toc_level": 2,
    "use_download_button": True,
    "home_page_in_toc": True,
}
html_copy_source = True
html_show_sourcelink = True

nitpicky = True
suppress_warnings: list[str] = []
