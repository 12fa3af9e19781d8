"""Every executable page as a Jupyter notebook: a download, and Colab and Binder launch buttons.

myst-nb writes each page's executed notebook to ``<build>/jupyter_execute``.
This extension turns it into the notebook a reader gets:

* a first cell that installs what the page imports, when it is missing (Colab
  has torch but not ``autograd_guide``), worked out from the page's imports;
* solution cells (tagged ``hide-cell``/``hide-input``) collapsed, as on the page,
  and the checks the page runs without showing them (``remove-cell``) collapsed
  too: JupyterLab reads ``jupyter.source_hidden``; Colab shows a cell as a form,
  its code hidden, when the cell's ``cellView`` is ``"form"``, and titles the
  form with the cell's ``#@title`` line, a comment to Python (from the cell's
  first comment, else a title in the edition's language);
* Markdown cells in plain Jupyter Markdown, without MyST's roles, targets and
  directives (``notebook_markdown``); in a translated edition, translated first
  from the page's catalog (``notebook_translation``), and the install cell's
  comment from the interface catalog. Code cells and outputs are the English ones.

It is written twice: to ``<html>/_sources/<page>.ipynb``, which the theme's
download menu offers next to the ``.md`` source, and to ``<build>/notebooks/``,
a tree with a ``requirements.txt`` that CI publishes to the repository's
``notebooks`` branch. The launch buttons open that branch: Colab and Binder can
only open notebooks stored in a repository, and MyST Markdown is not one.
A translated edition's notebooks are in a folder of that tree named after its
language (:func:`notebook_path`), as its pages are in a folder of the site: its
build, beside the English one, writes them to ``<build>/<language>/notebooks/
<language>/`` and the docs session of ``noxfile.py`` copies that folder into
``<build>/notebooks/``; its launch buttons open them there.

The sphinx-book-theme's own launch buttons are not used: for a ``.md`` page
they point Colab at the Markdown file, which Colab cannot open.
"""

from __future__ import annotations

import copy
import re
import sys
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any
from urllib.parse import quote

import nbformat
from jupyter_cache import get_cache
from myst_nb.core.utils import coalesce_streams
from sphinx.application import Sphinx
from sphinx.errors import ConfigError
from sphinx.util import logging

from editions.interface_language import translate
from editions.language_switcher import edition_folder
from editions.source_language import is_translated_edition
from execution.cells import imported_modules
from output.notebook_markdown import NotebookMarkdownError, SiteResolver, plain_markdown
from output.notebook_translation import NotebookTranslationError, page_catalog, translate_markdown

logger = logging.getLogger(__name__)

COLAB = "https://colab.research.google.com"
BINDER = "https://mybinder.org"
# Cells hidden on the page start collapsed in the notebook too: solutions behind
# a toggle, and the checks the page leaves out (they still run, as on the page).
HIDDEN_TAGS = {"hide-cell", "hide-input"}
CHECK_TAGS = {"remove-cell"}
# Colab's title of a collapsed cell whose first line is no comment to take it from.
SHOW_CODE = "Show code"
HIDDEN_CHECK = "A check that the page runs without showing it"
INSTALL_TAG = "install-dependencies"
# The install cell's comment, one message of the interface catalog, its lines as they are.
INSTALL_COMMENT = (
    "Installs what this page imports, where it is missing (Colab has torch but not\n"
    "autograd_guide). Run it first; it does nothing where everything is installed."
)


def github_parts(repository: str) -> tuple[str, str]:
    """Split ``https://github.com/<owner>/<name>`` into owner and name."""
    prefix = "https://github.com/"
    parts = repository.removeprefix(prefix).strip("/").split("/")
    if not repository.startswith(prefix) or len(parts) != 2 or not all(parts):
        msg = f"notebooks_repository must look like {prefix}<owner>/<name>, got {repository!r}"
        raise ValueError(msg)
    return parts[0], parts[1]


def notebook_path(language: str, docname: str) -> str:
    """Where page ``docname``'s notebook of edition ``language`` is on the notebooks branch.

    The English notebooks are at the root, each other edition's in a folder of
    its name, as the editions are on the site: ``zh_CN/math/notation.ipynb``.
    """
    return f"{edition_folder(language)}{docname}.ipynb"


def launch_urls(repository: str, branch: str, path: str) -> dict[str, str]:
    """The Colab and Binder addresses that open the notebook at ``path`` on ``branch``."""
    owner, name = github_parts(repository)
    path = quote(path)
    return {
        "Colab": f"{COLAB}/github/{owner}/{name}/blob/{branch}/{path}",
        "Binder": f"{BINDER}/v2/gh/{owner}/{name}/{branch}?urlpath=lab/tree/{path}",
    }


def install_cell_source(modules: list[str], requirements: dict[str, str]) -> str:
    """Code for the first cell: ``%pip install`` each module's requirement if it is missing.

    Raises:
        KeyError: If a module is neither in the standard library nor in ``requirements``.
    """
    needed = [module for module in modules if module not in sys.stdlib_module_names]
    unknown = [module for module in needed if module not in requirements]
    if unknown:
        raise KeyError(", ".join(unknown))
    comment = str(translate(INSTALL_COMMENT))
    lines = [*(f"# {line}".rstrip() for line in comment.splitlines()), "import importlib.util", ""]
    for module in needed:
        lines += [
            f'if importlib.util.find_spec("{module}") is None:',
            f'    %pip install --quiet "{requirements[module]}"',
        ]
    return "\n".join(lines)


def colab_form_source(source: str, title: str = SHOW_CODE) -> str:
    """``source`` with a first line ``#@title ...``, which Colab shows as the form's title.

    A first line that is a comment (``# Solution 2``) becomes the title, a title
    line stays as it is; otherwise a line ``#@title <title>`` is added. Either way
    the line is a comment: the code runs as before.
    """
    first, newline, rest = source.partition("\n")
    if re.match(r"#\s*@title\b", first):
        return source
    comment = re.fullmatch(r"#(?!@)\s*(\S.*)", first.strip())
    if comment is not None:
        return f"#@title {comment.group(1)}{newline}{rest}"
    return f"#@title {title}\n{source}"


def collapse(cell: nbformat.NotebookNode, title: str = SHOW_CODE) -> None:
    """Collapse a code cell's source in JupyterLab and on Colab, keeping what it runs."""
    cell.metadata.setdefault("jupyter", {})["source_hidden"] = True
    if cell.cell_type == "code":
        cell.metadata["cellView"] = "form"
        cell.source = colab_form_source(cell.source, title)


def reader_notebook(
    executed: nbformat.NotebookNode,
    install_source: str,
    markdown: Callable[[str], str] | None = None,
) -> nbformat.NotebookNode:
    """The executed notebook with an install cell first, solutions and hidden checks collapsed.

    ``markdown`` rewrites each Markdown cell's source (the page's MyST into plain
    Markdown, :func:`output.notebook_markdown.plain_markdown`).
    """
    notebook = copy.deepcopy(executed)
    for cell in notebook.cells:
        if cell.cell_type == "code":
            # One stream per name, as the page shows it (nb_merge_streams):
            # how printed text is split into messages depends on timing.
            cell.outputs = coalesce_streams(cell.outputs)
        elif cell.cell_type == "markdown" and markdown is not None:
            cell.source = markdown(cell.source)
        tags = set(cell.metadata.get("tags", []))
        if HIDDEN_TAGS & tags:
            collapse(cell, str(translate(SHOW_CODE)))
        elif CHECK_TAGS & tags:
            collapse(cell, str(translate(HIDDEN_CHECK)))
    install = nbformat.v4.new_code_cell(install_source, metadata={"tags": [INSTALL_TAG]})
    install.pop("id", None)  # ids are optional in nbformat 4.5; a random one breaks reproducibility
    notebook.cells.insert(0, install)
    for number, cell in enumerate(notebook.cells):
        cell["id"] = f"cell-{number}"  # stable ids: the same page gives the same file
    return notebook


def _source_path(app: Sphinx, docname: str) -> str:
    # env.doc2path guesses ".rst" on builds that did not re-read the project.
    for suffix in app.config.source_suffix:
        candidate = Path(app.srcdir) / f"{docname}{suffix}"
        if candidate.exists():
            return str(candidate)
    return docname


def _executed_notebook(app: Sphinx, docname: str) -> nbformat.NotebookNode | None:
    path = Path(app.outdir).parent / "jupyter_execute" / f"{docname}.ipynb"
    if not path.exists():
        return None
    notebook: nbformat.NotebookNode = nbformat.read(path, as_version=4)
    if app.config.nb_execution_mode == "cache":
        # myst-nb 1.4 writes this file before merging in the cached outputs
        # (in "force" mode it is executed in place): merge them as it does.
        try:
            cache = get_cache(app.config.nb_execution_cache_path)
            _, notebook = cache.merge_match_into_notebook(notebook)
        except KeyError:  # not in the cache: the outputs would be missing
            return None
    return notebook


def _notebook_dir(app: Sphinx) -> Path:
    """The tree the notebooks branch publishes, each notebook at its :func:`notebook_path`."""
    return Path(app.outdir).parent / "notebooks"


def _markdown(app: Sphinx, pagename: str) -> Callable[[str], str]:
    """What makes a Markdown cell of the page plain Markdown, translated first in an edition."""
    resolver = SiteResolver(app, pagename)
    if not is_translated_edition(app.config.language):
        return partial(plain_markdown, resolver=resolver)
    catalog = page_catalog(app, pagename)

    def markdown(text: str) -> str:
        translated = translate_markdown(text, catalog.translate, resolver.extensions)
        return plain_markdown(translated, resolver)

    return markdown


def _is_notebook(app: Sphinx, docname: str) -> bool:
    return "kernelspec" in app.env.metadata.get(docname, {})


def _write_notebook(
    app: Sphinx, pagename: str, templatename: str, context: dict[str, Any], doctree: Any
) -> None:
    if doctree is None or not _is_notebook(app, pagename):
        return
    # A "path:line" string: Sphinx would read a (path, line) tuple as a docname.
    location = f"{_source_path(app, pagename)}:1"
    executed = _executed_notebook(app, pagename)
    if executed is None:
        logger.warning(
            "no executed notebook for this page in build/jupyter_execute or the execution "
            "cache; remove build/ and build again",
            location=location,
        )
        return
    sources = [cell.source for cell in executed.cells if cell.cell_type == "code"]
    try:
        install = install_cell_source(imported_modules(sources), app.config.notebooks_requirements)
    except KeyError as error:
        logger.warning(
            "the page imports %s: add its pip requirement to notebooks_requirements in conf.py",
            error.args[0],
            location=location,
        )
        return
    try:
        notebook = reader_notebook(executed, install, _markdown(app, pagename))
    except NotebookTranslationError as error:
        logger.warning(
            "the page's %s notebook would show English: %s",
            app.config.language,
            error,
            location=location,
        )
        return
    except NotebookMarkdownError as error:
        logger.warning("the page's notebook would show MyST raw: %s", error, location=location)
        return
    text = nbformat.writes(notebook) + "\n"
    published = _notebook_dir(app) / notebook_path(app.config.language, pagename)
    for target in (Path(app.outdir) / "_sources" / f"{pagename}.ipynb", published):
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    # The theme offers "_sources/<ipynb_source>" in the page's download menu.
    context["ipynb_source"] = f"{pagename}.ipynb"


def _add_launch_buttons(
    app: Sphinx, pagename: str, templatename: str, context: dict[str, Any], doctree: Any
) -> None:
    if "ipynb_source" not in context or "header_buttons" not in context:
        return
    path = notebook_path(app.config.language, pagename)
    urls = launch_urls(app.config.notebooks_repository, app.config.notebooks_branch, path)
    icons = {"Colab": "_static/images/logo_colab.png", "Binder": "_static/images/logo_binder.svg"}
    buttons = [
        {
            "type": "link",
            "text": provider,
            "tooltip": str(translate("Open this page as a notebook on {provider}")).format(
                provider=provider
            ),
            "icon": icons[provider],
            "url": url,
            "label": f"launch-{provider.lower()}-button",
        }
        for provider, url in urls.items()
    ]
    context["header_buttons"].insert(
        0,
        {
            "type": "group",
            "tooltip": str(translate("Run this page as a notebook")),
            "icon": "fas fa-rocket",
            "buttons": buttons,
            "label": "launch-buttons",
        },
    )


def _write_environment(app: Sphinx, exception: Exception | None) -> None:
    """Give the notebooks tree the environment Binder builds and a README for the branch."""
    folder = _notebook_dir(app)
    # An edition's notebooks join the English tree (noxfile.py), whose environment is Binder's.
    if exception is not None or not folder.exists() or is_translated_edition(app.config.language):
        return
    lines = [
        "# Binder builds its environment from this file. PyTorch's CPU index first: the",
        "# torch wheel on PyPI for Linux is the multi-gigabyte CUDA build.",
        "--index-url https://download.pytorch.org/whl/cpu",
        "--extra-index-url https://pypi.org/simple",
        *app.config.notebooks_binder_requirements,
    ]
    (folder / "requirements.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    readme = (
        f"# Notebooks of {app.config.project}\n\n"
        f"Generated by the docs build from the pages in {app.config.notebooks_repository} "
        "(branch main); do not edit here. Each notebook opens with a cell that installs "
        "what it imports.\n"
    )
    (folder / "README.md").write_text(readme, encoding="utf-8")


def _check_config(app: Sphinx, config: Any) -> None:
    github_parts(config.notebooks_repository)
    requirements = config.notebooks_requirements
    if not all(isinstance(item, str) for pair in requirements.items() for item in pair):
        msg = "notebooks_requirements must map module names to pip requirement strings"
        raise ConfigError(msg)


def setup(app: Sphinx) -> dict[str, Any]:
    """Register the notebook downloads and launch buttons with Sphinx."""
    app.add_config_value("notebooks_repository", "", "html", types=[str])
    app.add_config_value("notebooks_branch", "notebooks", "html", types=[str])
    app.add_config_value("notebooks_requirements", {}, "html", types=[dict])
    app.add_config_value("notebooks_binder_requirements", [], "html", types=[list])
    app.connect("config-inited", _check_config)
    # Before the theme builds its download menu (priority 501), after it made the button list.
    app.connect("html-page-context", _write_notebook, priority=500)
    app.connect("html-page-context", _add_launch_buttons, priority=502)
    app.connect("build-finished", _write_environment)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
