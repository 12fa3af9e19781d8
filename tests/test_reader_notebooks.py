"""The reader's run of the notebooks (tools/reader_notebooks): what counts as the site's output, and a real kernel."""

from __future__ import annotations

import doctest
import json
import sys
from pathlib import Path

import nbformat
import pytest

from reader_notebooks import compare, environment, run  # tools/, on the path through conftest.py


def cell(outputs, **metadata):
    return {"cell_type": "code", "source": "x", "metadata": metadata, "outputs": outputs}


def stdout(text):
    return {"output_type": "stream", "name": "stdout", "text": text}


def value(text, **more):
    return {"output_type": "execute_result", "data": {"text/plain": text, **more}}


def test_the_same_text_matches_and_other_text_fails_showing_both():
    assert compare.compare_cell(cell([stdout("1\n")]), cell([stdout("1\n")])) is None
    reason = compare.compare_cell(cell([stdout("1\n")]), cell([stdout("2\n")]))
    assert reason == "the site shows ['stdout: 1'], the reader's run ['stdout: 2']"


def test_spaces_inside_lines_count_and_at_their_ends_do_not():
    assert compare.compare_cell(cell([stdout("a b\n")]), cell([stdout("a  b\n")])) is not None
    assert compare.compare_cell(cell([stdout("a\nb\n")]), cell([stdout("a\n\nb\n")])) is not None
    # The site strips them from what a cell prints (myst-nb's coalesce_streams).
    assert compare.compare_cell(cell([stdout("a\nb\n")]), cell([stdout("a \nb\n\n")])) is None


def test_a_stream_split_into_messages_is_the_text_it_prints():
    pieces = cell([stdout("a"), stdout("b\n")])
    assert compare.compare_cell(cell([stdout("ab\n")]), pieces) is None


def test_memory_addresses_and_the_files_that_warnings_name_may_differ():
    site = cell(
        [
            value("<Node at 0x7f00aa11bb22>"),
            {
                "output_type": "stream",
                "name": "stderr",
                "text": "/build/venv/torch/a.py:3: UserWarning: slow\n  code\n",
            },
        ]
    )
    reader = cell(
        [
            value("<Node at 0x55bb0199aa00>"),
            {
                "output_type": "stream",
                "name": "stderr",
                "text": "/home/me/.venv/torch/a.py:3: UserWarning: slow\n  code\n",
            },
        ]
    )
    assert compare.compare_cell(site, reader) is None
    other = cell(
        [
            value("<Node at 0x55bb0199aa00>"),
            {
                "output_type": "stream",
                "name": "stderr",
                "text": "/home/me/a.py:3: FutureWarning: slow\n  code\n",
            },
        ]
    )
    assert "FutureWarning" in compare.compare_cell(site, other)


def test_a_pin_with_an_ellipsis_decides_and_the_kinds_of_output_must_agree():
    site = cell([stdout("took 3.1 ms\n")], expected="took ... ms")
    assert compare.compare_cell(site, cell([stdout("took 12.8 ms\n")])) is None
    assert "does not match" in compare.compare_cell(site, cell([stdout("took long\n")]))
    # The same text displayed as a value instead of printed: other kinds of output.
    assert "other kinds of output" in compare.compare_cell(site, cell([value("took 1 ms")]))


def test_hexadecimal_values_are_compared_and_only_addresses_are_not():
    assert compare.compare_cell(cell([value("0x10")]), cell([value("0xff")])) is not None
    site, reader = cell([value("<f at 0x7f00aa11bb22>")]), cell([value("<f at 0x55bb0199aa00>")])
    assert compare.compare_cell(site, reader) is None


def test_a_display_without_text_or_picture_counts_by_its_kinds_of_data():
    html = {"output_type": "display_data", "metadata": {}, "data": {"text/html": "<b>x</b>"}}
    assert compare.compare_cell(cell([html]), cell([])) is not None
    assert compare.compare_cell(cell([html]), cell([html])) is None


def test_a_cell_whose_output_varies_is_compared_by_kinds_only():
    site = cell([stdout("3.1 ms\n")], tags=["output-varies"])
    assert compare.compare_cell(site, cell([stdout("9 ms\n")])) is None
    assert "kinds" in compare.compare_cell(site, cell([]))


def test_the_install_cell_is_not_compared():
    site = cell([], tags=[compare.INSTALL_TAG])
    assert compare.compare_cell(site, cell([stdout("Successfully installed torch\n")])) is None


def test_pictures_count_as_pictures_whatever_their_format_and_repr():
    site = cell([value("<Figure size 614x460>", **{"image/svg+xml": "<svg/>"})])
    reader = cell([value("<Figure size 640x480>", **{"image/png": "iVBOR"})])
    assert compare.compare_cell(site, reader) is None
    assert compare.compare_cell(site, cell([])) is not None


def test_errors_compare_by_name_and_message_not_traceback():
    site = cell(
        [{"output_type": "error", "ename": "RuntimeError", "evalue": "no", "traceback": ["a"]}]
    )
    reader = cell(
        [{"output_type": "error", "ename": "RuntimeError", "evalue": "no", "traceback": ["b", "c"]}]
    )
    assert compare.compare_cell(site, reader) is None


def test_notebooks_with_other_cells_are_not_compared():
    one = {"cells": [cell([])]}
    other = {"cells": [{**cell([]), "source": "y"}]}
    with pytest.raises(ValueError, match="differ in their cells"):
        compare.compare_notebook(one, other)


def test_a_mismatch_names_the_cell_by_number_and_first_line():
    markdown = {"cell_type": "markdown", "source": "# T", "metadata": {}}
    site = {"cells": [markdown, {**cell([stdout("1\n")]), "source": "print(1)\n# more"}]}
    reader = {"cells": [markdown, {**cell([stdout("2\n")]), "source": "print(1)\n# more"}]}
    (mismatch,) = compare.compare_notebook(site, reader)
    assert str(mismatch).startswith("cell 2 ('print(1)'): the site shows")


def test_a_translation_must_have_the_originals_code_and_outputs_but_may_say_other_things():
    def notebook(install, code, text, printed="1\n"):
        return {
            "cells": [
                {**cell([], tags=[compare.INSTALL_TAG]), "source": install},
                {"cell_type": "markdown", "source": text, "metadata": {}},
                {**cell([stdout(printed)]), "source": code},
            ]
        }

    original = notebook("# Installs\n%pip install x", "#@title Show code\nprint(1)", "One")
    translated = notebook("# 安装\n%pip install x", "#@title 显示代码\nprint(1)", "一")
    assert compare.same_code(original, translated) == []
    changed = notebook("# 安装\n%pip install y", "print(2)", "一", printed="2\n")
    assert compare.same_code(original, changed) == [
        "cell 1 ('# 安装'): its source differs from the original's",
        "cell 3 ('print(2)'): its source differs from the original's",
        "cell 3 ('print(2)'): its outputs differ from the original's",
    ]


def test_install_cells_are_collected_once_each_in_order():
    def notebook(*sources):
        cells = [
            nbformat.v4.new_code_cell(s, metadata={"tags": [compare.INSTALL_TAG]}) for s in sources
        ]
        return nbformat.v4.new_notebook(cells=[*cells, nbformat.v4.new_code_cell("1")])

    assert run.install_cells([notebook("a"), notebook("b"), notebook("a")]) == ["a", "b"]


def test_the_constraints_file_holds_the_lock_and_the_pins(tmp_path):
    lock = tmp_path / "lock.txt"
    lock.write_text("torch==2.13.0\nnumpy==2.0\n", encoding="utf-8")
    written = environment.write_constraints(
        tmp_path / "env-constraints.txt", lock, ["torch==2.13.0+cpu"]
    )
    assert written.read_text(encoding="utf-8") == "torch==2.13.0\nnumpy==2.0\ntorch==2.13.0+cpu\n"
    settings = environment.pip_settings(tmp_path / "dist", written, {})
    assert settings["PIP_CONSTRAINT"] == str(written)
    assert settings["PIP_FIND_LINKS"] == str(tmp_path / "dist")


# --- A real kernel: this Python's own ipykernel ---------------------------------


@pytest.fixture
def kernel(tmp_path) -> Path:
    folder = tmp_path / "kernels" / "this-python"
    folder.mkdir(parents=True)
    spec = {
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "this Python",
        "language": "python",
    }
    (folder / "kernel.json").write_text(json.dumps(spec), encoding="utf-8")
    return folder


def site_notebook(*cells):
    return nbformat.v4.new_notebook(cells=list(cells))


def code(source, outputs=(), **metadata):
    made = nbformat.v4.new_code_cell(source, metadata=metadata)
    made.outputs = [
        nbformat.v4.new_output(**{"metadata": {}, **output})
        if output["output_type"] == "execute_result"
        else nbformat.v4.new_output(**output)
        for output in outputs
    ]
    return made


@pytest.mark.slow
def test_a_real_run_matches_the_site_or_names_the_notebook_and_cell(kernel):
    good = site_notebook(
        nbformat.v4.new_markdown_cell("# A page"),
        code("x = 2\nprint(x * 3)", [stdout("6\n")]),
        code("x", [value("2")]),
        code(
            "1 / 0",
            [
                {
                    "output_type": "error",
                    "ename": "ZeroDivisionError",
                    "evalue": "division by zero",
                    "traceback": [],
                }
            ],
            tags=["raises-exception"],
        ),
    )
    changed = site_notebook(code("print(7)", [stdout("8\n")]))
    broken = site_notebook(code("x = 1"), code("import no_such_module_here"), code("print(1)"))
    outcomes = run.run_all(
        {"good.ipynb": good, "changed.ipynb": changed, "broken.ipynb": broken},
        kernel,
        {},
        workers=2,
    )
    failures = {outcome.notebook: outcome.failures() for outcome in outcomes}
    assert failures["good.ipynb"] == []
    assert failures["changed.ipynb"] == [
        "changed.ipynb: cell 1 ('print(7)'): the site shows ['stdout: 8'], the reader's run ['stdout: 7']"
    ]
    assert failures["broken.ipynb"] == [
        (
            "broken.ipynb: cell 2 ('import no_such_module_here') raised ModuleNotFoundError:"
            " No module named 'no_such_module_here'"
        )
    ]


def test_a_notebook_that_cannot_be_run_is_named_and_the_others_still_run(kernel, tmp_path):
    missing = tmp_path / "kernels" / "no-such-kernel"
    outcomes = run.run_all({"a.ipynb": site_notebook(code("1"))}, missing, {}, workers=1)
    (failure,) = outcomes[0].failures()
    assert failure.startswith("a.ipynb: could not be run: NoSuchKernel"), failure


def test_an_existing_folder_that_is_no_environment_is_never_removed(tmp_path):
    (tmp_path / "keep.txt").write_text("mine", encoding="utf-8")
    with pytest.raises(FileExistsError, match="is no virtual environment"):
        environment.create(tmp_path, {})
    assert (tmp_path / "keep.txt").exists()


@pytest.mark.slow
def test_each_notebook_runs_in_a_new_kernel_in_an_empty_folder(kernel):
    # What the first notebook leaves behind (a name, a file) the second must not find.
    first = site_notebook(code("leftover = 1\nopen('made-here.txt', 'w').close()"))
    second = site_notebook(
        code("import os\nprint('leftover' in globals(), os.listdir('.'))", [stdout("False []\n")])
    )
    outcomes = run.run_all({"a.ipynb": first, "b.ipynb": second}, kernel, {}, workers=1)
    assert [outcome.failures() for outcome in outcomes] == [[], []]


@pytest.mark.parametrize("module", [compare, environment])
def test_the_examples_in_the_docstrings_hold(module):
    # tools/ is outside pytest's doctest paths: the examples run here.
    results = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert results.attempted > 0
    assert results.failed == 0
