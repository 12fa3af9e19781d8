"""API names link to the Python and PyTorch docs from local inventories: unknown names fail, no network."""

from __future__ import annotations

import runpy
import subprocess
from pathlib import Path

import pytest

from sites import sphinx

DOCS = Path(__file__).resolve().parents[1] / "docs"
# The real settings, so the test checks what the site build uses, not a copy of it.
CONF = runpy.run_path(str(DOCS / "conf.py"))

# Runs sphinx-build with every way out to the network replaced by a tripwire:
# an attempt is written to stderr (and fails), whatever library makes it.
GUARDED_SPHINX = """\
import socket, sys

def refuse(*args, **kwargs):
    print(f"NETWORK ATTEMPT: {args!r}", file=sys.stderr)
    raise OSError("network access attempted during the build")

socket.getaddrinfo = refuse
socket.create_connection = refuse
socket.socket.connect = refuse
socket.socket.connect_ex = refuse

from sphinx.cmd.build import main
sys.exit(main(sys.argv[1:]))
"""


def make_site(root: Path, prose: str) -> Path:
    source = root / "src"
    source.mkdir(parents=True)
    settings = {
        "intersphinx_mapping": CONF["intersphinx_mapping"],
        "intersphinx_timeout": CONF["intersphinx_timeout"],
        "nitpicky": CONF["nitpicky"],
    }
    (source / "conf.py").write_text(
        'extensions = ["myst_parser", "sphinx.ext.intersphinx"]\n'
        + "".join(f"{name} = {value!r}\n" for name, value in settings.items()),
        encoding="utf-8",
    )
    (source / "index.md").write_text(f"# Site\n\n{prose}\n", encoding="utf-8")
    return source


def build(source: Path) -> subprocess.CompletedProcess[str]:
    return sphinx(source, "-q", "-b", "html", program=("-c", GUARDED_SPHINX))


def test_every_inventory_is_a_file_in_the_repository() -> None:
    for base_url, inventory in CONF["intersphinx_mapping"].values():
        assert base_url.startswith("https://")
        assert Path(inventory).is_file(), inventory
        assert Path(inventory).is_relative_to(DOCS / "_inventories")


@pytest.mark.slow
def test_known_names_link_to_the_official_docs_without_the_network(tmp_path: Path) -> None:
    prose = (
        "{py:func}`torch.autograd.grad`, {py:meth}`~torch.Tensor.backward`, "
        "{py:attr}`x.grad <torch.Tensor.grad>`, {py:class}`torch.no_grad`, "
        "{py:func}`torch.func.jacrev` and {py:exc}`RuntimeError`."
    )
    source = make_site(tmp_path, prose)
    result = build(source)
    assert "NETWORK ATTEMPT" not in result.stderr
    assert result.returncode == 0, result.stderr
    html = (source.parent / "html" / "index.html").read_text(encoding="utf-8")
    torch_docs = "https://docs.pytorch.org/docs/2.13/"
    assert f'href="{torch_docs}generated/torch.autograd.grad.html#torch.autograd.grad"' in html
    assert f'href="{torch_docs}generated/torch.Tensor.backward.html#torch.Tensor.backward"' in html
    assert f'href="{torch_docs}generated/torch.Tensor.grad.html#torch.Tensor.grad"' in html
    assert 'href="https://docs.python.org/3/library/exceptions.html#RuntimeError"' in html


@pytest.mark.slow
def test_an_unknown_torch_name_fails_the_build_with_page_and_line(tmp_path: Path) -> None:
    source = make_site(tmp_path, "Intro.\n\nA typo: {py:func}`torch.autograd.gradd`.")
    result = build(source)
    assert result.returncode != 0
    assert (
        f"{source / 'index.md'}:5: WARNING: py:func reference target not found: "
        "torch.autograd.gradd" in result.stderr
    )


@pytest.mark.slow
def test_a_name_under_the_wrong_role_fails_the_build(tmp_path: Path) -> None:
    # torch.Tensor.grad is an attribute: as a function it must not resolve.
    source = make_site(tmp_path, "{py:func}`torch.Tensor.grad`")
    result = build(source)
    assert result.returncode != 0
    assert "py:func reference target not found: torch.Tensor.grad" in result.stderr
