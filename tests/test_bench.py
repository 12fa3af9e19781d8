"""The benchmark's reproducibility check: what it compares, and that its stress stresses."""

from __future__ import annotations

import shutil
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

import bench

PROFILE = Path(__file__).resolve().parents[1] / "docs" / "_ipython"


def test_every_differing_file_is_named_and_sphinx_working_files_are_not(tmp_path: Path) -> None:
    first, second = tmp_path / "first", tmp_path / "second"
    for root in (first, second):
        (root / "pitfalls").mkdir(parents=True)
        (root / ".doctrees").mkdir()
        (root / "index.html").write_text("same", encoding="utf-8")
        (root / ".doctrees" / "index.doctree").write_text(str(root), encoding="utf-8")
    (first / "pitfalls" / "accumulate.html").write_text("a\nb\n", encoding="utf-8")
    (second / "pitfalls" / "accumulate.html").write_text("a\n\nb\n", encoding="utf-8")
    (second / "only-here.html").write_text("new", encoding="utf-8")
    assert bench.differing_files(first, second) == ["only-here.html", "pitfalls/accumulate.html"]
    shown = bench.first_difference(
        first / "pitfalls" / "accumulate.html", second / "pitfalls" / "accumulate.html"
    )
    assert shown.splitlines()[-3:] == ["     a", "    +", "     b"]


def printed_pieces(
    folder: Path, in_pieces: bool, monkeypatch: pytest.MonkeyPatch
) -> tuple[list[str], str]:
    """Run a cell that prints three lines in a kernel; return the pieces and the names left."""
    profile = folder / "ipython"
    shutil.copytree(PROFILE, profile)
    if in_pieces:
        startup = profile / "profile_default" / "startup"
        startup.mkdir(parents=True, exist_ok=True)
        (startup / "00-bench-output-in-pieces.py").write_text(bench.IN_PIECES, encoding="utf-8")
    code = "import time\nfor line in 'abc':\n    print(line)\n    time.sleep(0.05)"
    notebook = nbformat.v4.new_notebook(
        cells=[
            nbformat.v4.new_code_cell(code),
            nbformat.v4.new_code_cell("print(sorted(n for n in dir() if not n.startswith('__')))"),
        ]
    )
    monkeypatch.setenv("IPYTHONDIR", str(profile))
    NotebookClient(notebook, timeout=60, record_timing=False).execute()
    pieces = [output["text"] for output in notebook.cells[0].outputs]
    return pieces, notebook.cells[1].outputs[0]["text"]


@pytest.mark.slow
def test_output_in_pieces_makes_the_kernel_send_each_print_on_its_own(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # If ipykernel stopped reading the stream's flush_interval, the stress
    # would stop stressing and the check would pass whatever the outputs.
    calm, names = printed_pieces(tmp_path / "calm", False, monkeypatch)
    assert calm == ["a\nb\nc\n"]
    pieces, names_in_pieces = printed_pieces(tmp_path / "pieces", True, monkeypatch)
    assert len(pieces) >= 3
    assert "".join(pieces) == "a\nb\nc\n"
    # The start-up file leaves nothing in the page's namespace.
    assert names_in_pieces == names
