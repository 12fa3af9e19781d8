"""Small Sphinx sites for the tests: a notebook page's front matter, and one way to build."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

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
