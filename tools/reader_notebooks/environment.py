"""A reader's Python: a new virtual environment with a Jupyter kernel and nothing else.

What the notebooks need arrives the way it arrives for a reader, through their
first cell's ``%pip install``. Two settings of pip make that cell install what
the site was built with, without a network beyond the package registries:

* ``PIP_FIND_LINKS`` names the folder of the wheel built from this checkout, so
  ``autograd-guide==<version>`` is found before it is ever released;
* ``PIP_CONSTRAINT`` names the project's lock, so every other package (torch
  above all) is installed at the version the site's outputs were made with.

Anything else pip needs (an index for torch's CPU build) is passed on from the
caller's environment, as the nox session sets it.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import venv
from collections.abc import Mapping, Sequence
from pathlib import Path

KERNEL_NAME = "reader-python3"


def bin_dir(prefix: Path) -> Path:
    """The folder of a virtual environment's programs: ``bin`` (``Scripts`` on Windows)."""
    return prefix / ("Scripts" if sys.platform == "win32" else "bin")


def pip_settings(
    wheels: Path, constraints: Path, environ: Mapping[str, str] | None = None
) -> dict[str, str]:
    """The environment variables that make the install cells install the site's versions.

    Folders of wheels that ``environ`` (default: this process's environment)
    names in ``PIP_FIND_LINKS`` are kept after ``wheels``: a variable replaces
    what pip's configuration says, and several values are separated by spaces.

    Examples:
        >>> settings = pip_settings(Path("/b/dist"), Path("/p/c.txt"), {"PIP_FIND_LINKS": "/w"})
        >>> settings["PIP_FIND_LINKS"], settings["PIP_CONSTRAINT"]
        ('/b/dist /w', '/p/c.txt')
    """
    environ = os.environ if environ is None else environ
    links = " ".join(filter(None, [str(wheels), environ.get("PIP_FIND_LINKS", "")]))
    return {
        "PIP_FIND_LINKS": links,
        "PIP_CONSTRAINT": str(constraints),
        "PIP_DISABLE_PIP_VERSION_CHECK": "1",
    }


def write_constraints(target: Path, lock: Path, pins: Sequence[str]) -> Path:
    """Write the lock's constraints and ``pins`` (a build: ``torch==2.13.0+cpu``) to ``target``.

    One file, because pip reads several from ``PIP_CONSTRAINT`` only split at spaces.
    """
    extra = "".join(f"{pin}\n" for pin in pins)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(
        lock.read_text(encoding="utf-8").rstrip("\n") + "\n" + extra, encoding="utf-8"
    )
    return target


def create(prefix: Path, settings: dict[str, str]) -> Path:
    """Create a new environment at ``prefix`` with ipykernel; return its kernel's folder.

    The kernel is registered under ``prefix/share/jupyter/kernels`` as
    :data:`KERNEL_NAME`, for a client whose ``JUPYTER_PATH`` names
    ``prefix/share/jupyter``.

    Raises:
        FileExistsError: If ``prefix`` exists and is not a virtual environment
            (one is replaced, anything else left alone).
        subprocess.CalledProcessError: If pip cannot install the kernel.
    """
    if prefix.exists():
        if not (prefix / "pyvenv.cfg").is_file():
            msg = f"{prefix} exists and is no virtual environment: not removing it"
            raise FileExistsError(msg)
        shutil.rmtree(prefix)
    venv.EnvBuilder(with_pip=True, clear=True).create(prefix)
    python = bin_dir(prefix) / "python"
    env = {**os.environ, **settings}
    quiet = ["--quiet", "--disable-pip-version-check"]
    subprocess.run([python, "-m", "pip", "install", *quiet, "ipykernel"], check=True, env=env)
    subprocess.run(
        [python, "-m", "ipykernel", "install", "--prefix", str(prefix), "--name", KERNEL_NAME],
        check=True,
        env=env,
        stdout=subprocess.DEVNULL,
    )
    kernel = prefix / "share" / "jupyter" / "kernels" / KERNEL_NAME
    spec = json.loads((kernel / "kernel.json").read_text(encoding="utf-8"))
    spec["display_name"] = "Python 3 (a reader's new environment)"
    (kernel / "kernel.json").write_text(json.dumps(spec, indent=1), encoding="utf-8")
    return kernel


def kernel_environment(prefix: Path, environ: Mapping[str, str]) -> dict[str, str]:
    """``environ`` as a reader's kernel in the environment at ``prefix`` would have it.

    Nothing that points to the Python running this (the nox session's virtual
    environment: ``VIRTUAL_ENV``, ``PYTHONPATH``, its folder on ``PATH``), and the
    reader's environment's programs first on ``PATH``, as activating it does, so
    that ``!pip`` in a cell is the reader's pip.

    Examples:
        >>> env = kernel_environment(Path("/r"), {"PATH": f"{sys.prefix}/bin:/usr/bin",
        ...                                        "VIRTUAL_ENV": sys.prefix, "HOME": "/h"})
        >>> env["PATH"], "VIRTUAL_ENV" in env, env["HOME"]
        ('/r/bin:/usr/bin', False, '/h')
    """
    own = str(bin_dir(Path(sys.prefix)))
    drop = {"VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME", "CONDA_PREFIX", "__PYVENV_LAUNCHER__"}
    env = {key: value for key, value in environ.items() if key not in drop}
    path = [entry for entry in environ.get("PATH", "").split(os.pathsep) if entry and entry != own]
    env["PATH"] = os.pathsep.join([str(bin_dir(prefix)), *path])
    return env


def installed(prefix: Path) -> dict[str, str]:
    """Every package installed in the environment at ``prefix``, by name, with its version."""
    python = bin_dir(prefix) / "python"
    report = subprocess.run(
        [python, "-m", "pip", "list", "--format=json", "--disable-pip-version-check"],
        check=True,
        capture_output=True,
        text=True,
    )
    return {item["name"].lower(): item["version"] for item in json.loads(report.stdout)}
