"""Small Sphinx sites for the tests: a notebook page's front matter, and one way to build."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

EXT = Path(__file__).resolve().parents[1] / "docs" / "_ext"
# The front matter that makes a MyST page a notebook myst-nb executes.
NOTEBOOK_HEADER = """\
---
jupytext:
  text_representation:
    format_name: myst
kernelspec:
  display_name: Python 3
  name: python3
---
"""


# The guide's templates call interface() (editions/interface_language.py); a
# site built without that extension gets this stand-in as its `_ext.py`, which
# shows each text in brackets, as "[Search]", to be found in the HTML.
INTERFACE_STAND_IN = (
    "def setup(app):\n"
    "    app.connect('html-page-context', lambda app, page, template, context, doctree:"
    " context.update(interface=lambda text: f'[{text}]'))\n"
)


def write_files(root: Path, files: Mapping[str, str]) -> Path:
    """Write each of ``files`` (path relative to ``root``: text) under ``root``; return ``root``."""
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text, encoding="utf-8")
    return root


def sphinx(
    source: Path,
    *options: str,
    output: Path | None = None,
    program: Sequence[str] = ("-m", "sphinx"),
    env: Mapping[str, str] | None = None,
) -> subprocess.CompletedProcess[str]:
    """Build ``source`` strictly into ``output`` (default: ``html`` beside it) in a new process.

    ``program`` is what follows ``python``: Sphinx's module, or ``-c`` and a script
    that starts Sphinx after changing something first.
    """
    target = output if output is not None else source.parent / "html"
    command = [sys.executable, *program, "-W", "--keep-going", "--no-color", *options]
    return subprocess.run(
        # --no-color: CI=true turns Sphinx colours on; reports must have none.
        [*command, str(source), str(target)],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
        env=dict(env) if env is not None else None,
    )


# A page whose first code cell draws a figure with alt text, folded by YAML's
# `>-` into one line as on the pages, and whose second cell draws nothing.
FIGURE_ALT = "A drawing of the graph of y, with two nodes."
FIGURE_LINE = 13  # the figure cell's opening fence in page.md


def figure_site(root: Path, extensions: Sequence[str], cells: str = "") -> Path:
    """A site of one page with a figure, built with myst-nb, ``extensions`` and a cache.

    ``cells`` replaces the figure cell and the one after it.
    """
    figure = (
        "```{code-cell} ipython3\n"
        "---\nmystnb:\n  image:\n    alt: >-\n      A drawing of the graph of y,\n"
        "      with two nodes.\n---\n"
        "from IPython.display import SVG\n"
        'SVG(\'<svg xmlns="http://www.w3.org/2000/svg" width="8" height="8"/>\')\n'
        "```\n\n```{code-cell} ipython3\nx = 1\n```\n"
    )
    source = root / "src"
    source.mkdir(parents=True)
    (source / "conf.py").write_text(
        f"import sys\nsys.path.insert(0, {str(EXT)!r})\n"
        f"extensions = {['myst_nb', *extensions]!r}\n"
        'nb_execution_mode = "cache"\n'
        f"nb_execution_cache_path = {str(root / 'cache')!r}\n"
        'locale_dirs = ["locales"]\n'
        "gettext_compact = False\n",
        encoding="utf-8",
    )
    (source / "index.md").write_text(
        NOTEBOOK_HEADER + "# Site\n\n```{toctree}\npage\n```\n", encoding="utf-8"
    )
    (source / "page.md").write_text(
        NOTEBOOK_HEADER + f"# Page\n\nProse.\n\n{cells or figure}", encoding="utf-8"
    )
    return source


def write_chinese_catalog(source: Path, catalog: Any) -> None:
    """Write ``catalog`` (babel's) as the Chinese catalog of ``figure_site``'s page."""
    from babel.messages.pofile import write_po

    folder = source / "locales" / "zh_CN" / "LC_MESSAGES"
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / "page.po").open("wb") as file:
        write_po(file, catalog)
