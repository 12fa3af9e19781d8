"""Every page's footer says which versions made its outputs, such as autograd-guide 0.1.0 and PyTorch 2.13.0.

The package's version is the one written in ``pyproject.toml``, the version
that the notebooks' install cells and Binder ask for (``docs/conf.py``). The
cells run in the build's own environment: the pages name the ``python3``
kernel, whose command jupyter-client starts with the interpreter running
Sphinx (on Linux ``execution/warm_kernels.py`` forks it from a process of that
interpreter), so the package installed beside Sphinx is the one the outputs
were made with. Its metadata may be older than ``pyproject.toml`` (``nox -R``
after a version bump installs nothing): then the footer would name a version
whose outputs the pages do not show, and the build stops, naming both.
PyTorch's version is read from its installed metadata, as pip reports it
(torch's CPU build is ``2.13.0+cpu``). Both are read once per build. The
sentence goes into sphinx-book-theme's ``extra_footer``, in the edition's
language (``docs/locales/<lang>/interface.po``); another version changes the
theme options, and then Sphinx writes every page again.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from html import escape
from importlib.metadata import version
from pathlib import Path
from typing import Any

from sphinx.application import Sphinx
from sphinx.config import Config
from sphinx.errors import ConfigError

from editions.interface_language import translate

# docs/_ext/output/ -> the repository, where the version is written once.
PYPROJECT = Path(__file__).resolve().parents[3] / "pyproject.toml"
PACKAGE = "autograd-guide"
TEXT = "Outputs made with autograd-guide {package} and PyTorch {torch}"


def build_versions(pyproject: Path = PYPROJECT) -> dict[str, str]:
    """The versions the footer names: the package's of ``pyproject``, torch's as installed.

    Raises:
        ConfigError: the installed package's metadata has another version than ``pyproject``.
    """
    written = tomllib.loads(pyproject.read_text(encoding="utf-8"))["project"]["version"]
    installed = version(PACKAGE)
    if installed != written:
        msg = (
            f"{pyproject.name} says {PACKAGE} {written}, the version the notebooks install,"
            f" but {PACKAGE} {installed} is installed where the cells run: install the project"
            " again (run the nox session once without -R)"
        )
        raise ConfigError(msg)
    return {"package": written, "torch": version("torch")}


def footer(versions: Mapping[str, str]) -> str:
    """The footer's paragraph, in the edition's language."""
    return f'<p class="build-versions">{escape(str(translate(TEXT)).format(**versions))}</p>'


def _add_footer(app: Sphinx, config: Config) -> None:
    options = dict(config.html_theme_options)
    options["extra_footer"] = options.get("extra_footer", "") + footer(build_versions())
    config.html_theme_options = options


def setup(app: Sphinx) -> dict[str, Any]:
    """Put the versions into every page's footer."""
    # After interface_language (800), which translates conf.py's own texts.
    app.connect("config-inited", _add_footer, priority=850)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
