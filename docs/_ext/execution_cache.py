"""Choose how notebook cells are executed, and make the cache impossible to go stale.

myst-nb's ``cache`` mode keys each page on its cell source alone. A change in
``src/autograd_guide`` or in torch changes what the cells print, yet the page
would keep its old outputs. Here the cache folder is named after a hash of
everything else that decides the outputs: a change to any of it starts a new,
empty cache and every page runs again.

``force`` mode (every cell runs, nothing cached) is used when ``CI`` is set or
``AUTOGRAD_GUIDE_EXECUTE=force``; ``AUTOGRAD_GUIDE_EXECUTE`` can also name any
other myst-nb mode (``cache``, ``off`` ...).
"""

from __future__ import annotations

import hashlib
import os
import platform
import shutil
from importlib import metadata
from pathlib import Path
from typing import Any

from sphinx.application import Sphinx
from sphinx.config import Config
from sphinx.util import logging

logger = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "src" / "autograd_guide"
# Distributions whose version changes what a cell prints or draws.
OUTPUT_DEPENDENCIES = ("torch", "numpy", "matplotlib", "ipython", "myst-nb")


def execution_key() -> str:
    """Hash the helper package's files, the Python version and key package versions."""
    digest = hashlib.sha256()
    for path in sorted(PACKAGE.rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts:
            digest.update(path.relative_to(ROOT).as_posix().encode())
            digest.update(path.read_bytes())
    digest.update(platform.python_version().encode())
    for name in OUTPUT_DEPENDENCIES:
        try:
            version = metadata.version(name)
        except metadata.PackageNotFoundError:
            version = "absent"
        digest.update(f"{name}=={version}".encode())
    return digest.hexdigest()[:16]


def _configure(app: Sphinx, config: Config) -> None:
    requested = os.environ.get("AUTOGRAD_GUIDE_EXECUTE", "").strip()
    if not requested and os.environ.get("CI", "").lower() in {"1", "true", "yes"}:
        requested = "force"
    if requested:
        config.nb_execution_mode = requested
    if config.nb_execution_mode != "cache":
        logger.info("notebook execution: %s", config.nb_execution_mode)
        return
    # Beside the HTML folder, never inside it: the cache must not be published.
    caches = Path(app.outdir).parent / ".jupyter_cache"
    key = execution_key()
    for stale in caches.glob("*"):
        if stale.name != key:
            shutil.rmtree(stale, ignore_errors=True)
    cache = caches / key
    # Create the cache database now, in one process: parallel readers racing
    # to create it fail with "table nbproject already exists".
    from jupyter_cache import get_cache

    get_cache(str(cache)).list_project_records()
    config.nb_execution_cache_path = str(cache)
    logger.info("notebook execution: cache %s", cache)


def setup(app: Sphinx) -> dict[str, Any]:
    """Register the execution-mode choice with Sphinx."""
    # Runs before myst-nb reads these values (its handler has a later priority).
    app.connect("config-inited", _configure, priority=400)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
