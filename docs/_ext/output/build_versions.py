"""Every page's footer says which versions made its outputs, such as autograd-guide 0.1.0 and PyTorch 2.13.0.

The cells run in the build's own environment: the pages name the ``python3``
kernel, whose command jupyter-client starts with the interpreter running
Sphinx (on Linux ``execution/warm_kernels.py`` forks it from a process of that
interpreter), so the versions installed beside Sphinx are those the outputs
were made with. They are read from the installed distributions'
metadata, as pip reports them (torch's CPU build is ``2.13.0+cpu``), once per
build. The sentence goes into sphinx-book-theme's ``extra_footer``, in the
edition's language (``docs/locales/<lang>/interface.po``); another version
changes the theme options, and then Sphinx writes every page again.
"""

from __future__ import annotations

from collections.abc import Mapping
from html import escape
from importlib.metadata import version
from typing import Any

from sphinx.application import Sphinx
from sphinx.config import Config

from editions.interface_language import translate

# The distributions whose versions decide what the cells show, by placeholder.
DISTRIBUTIONS = {"package": "autograd-guide", "torch": "torch"}
TEXT = "Outputs made with autograd-guide {package} and PyTorch {torch}"


def installed_versions() -> dict[str, str]:
    """The installed version of each of :data:`DISTRIBUTIONS`, by its placeholder."""
    return {key: version(name) for key, name in DISTRIBUTIONS.items()}


def footer(versions: Mapping[str, str]) -> str:
    """The footer's paragraph, in the edition's language."""
    return f'<p class="build-versions">{escape(str(translate(TEXT)).format(**versions))}</p>'


def _add_footer(app: Sphinx, config: Config) -> None:
    options = dict(config.html_theme_options)
    options["extra_footer"] = options.get("extra_footer", "") + footer(installed_versions())
    config.html_theme_options = options


def setup(app: Sphinx) -> dict[str, Any]:
    """Put the versions into every page's footer."""
    # After interface_language (800), which translates conf.py's own texts.
    app.connect("config-inited", _add_footer, priority=850)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
