"""Serve MathJax from the site itself, so math renders with no network.

Sphinx loads MathJax from a CDN by default; offline, readers would see raw
TeX. The MathJax 3 files come from the PyPI package ``sphinx-mathjax-offline``,
used here only as a data source: its own Sphinx hook copies the files after
the build and is not declared safe for parallel builds.
"""

from __future__ import annotations

from importlib import metadata
from pathlib import Path
from typing import Any

from sphinx.application import Sphinx
from sphinx.config import Config
from sphinx.errors import ConfigError

_DIST = "sphinx-mathjax-offline"


def _mathjax_static_dir() -> Path:
    """Return the folder that holds ``mathjax/tex-chtml.js`` in the installed package."""
    try:
        dist = metadata.distribution(_DIST)
    except metadata.PackageNotFoundError as error:
        msg = f"{_DIST} is not installed: install the project's 'docs' dependency group"
        raise ConfigError(msg) from error
    for file in dist.files or ():
        if file.name == "tex-chtml.js" and file.parent.name == "mathjax":
            return Path(str(dist.locate_file(file))).parent.parent
    msg = f"{_DIST} is installed but holds no mathjax/tex-chtml.js"
    raise ConfigError(msg)


def _use_local_mathjax(app: Sphinx, config: Config) -> None:
    config.html_static_path.append(str(_mathjax_static_dir()))
    config.mathjax_path = "mathjax/tex-chtml.js"


def setup(app: Sphinx) -> dict[str, Any]:
    """Register the local MathJax with Sphinx."""
    app.connect("config-inited", _use_local_mathjax)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
